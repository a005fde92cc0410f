package stripetest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// childEnv names what the test binary does when TestMockEnds runs it as a child.
const childEnv = "STRIPETEST_CHILD"

// TestMockEnds runs test binaries that start stripe-mock and end, and checks that
// stripe-mock ends with them: stopped by StopMock, or killed with a binary that never
// calls it.
func TestMockEnds(t *testing.T) {
	if mode := os.Getenv(childEnv); mode != "" {
		child(t, mode)
		return
	}
	t.Parallel()
	// Without a stripe-mock the children could start none: say so once, here.
	if _, err := mockBinary(); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"stop", "die"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestMockEnds$", "-test.timeout=2m")
			cmd.Env = append(os.Environ(), childEnv+"="+mode)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			pid := readPID(t, bufio.NewScanner(out))
			if mode == "die" {
				// A binary that never reaches StopMock: go test's -timeout, a crash.
				_ = cmd.Process.Kill()
			}
			err = cmd.Wait()
			if mode == "stop" && err != nil {
				t.Fatalf("the child failed: %v\n%s", err, stderr.Bytes())
			}
			deadline := time.Now().Add(10 * time.Second)
			for alive(pid) {
				if time.Now().After(deadline) {
					_ = exec.Command("kill", "-9", strconv.Itoa(pid)).Run()
					t.Fatalf("stripe-mock (pid %d) outlived its test binary", pid)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// child starts stripe-mock and prints its pid; then, for "stop", stops it and returns,
// and for "die" waits to be killed.
func child(t *testing.T, mode string) {
	mockURL(t)
	mock.mu.Lock()
	pid := mock.cmd.Process.Pid
	mock.mu.Unlock()
	fmt.Printf("stripe-mock pid %d\n", pid)
	switch mode {
	case "stop":
		if err := StopMock(); err != nil {
			t.Fatal(err)
		}
		if _, err := startMockErr(); !errors.Is(err, errStopped) {
			t.Fatalf("after StopMock, Start would use %v", err)
		}
	case "die":
		time.Sleep(time.Minute)
		t.Fatal("not killed")
	}
}

// startMockErr returns what a Start would meet.
func startMockErr() (string, error) {
	mock.mu.Lock()
	defer mock.mu.Unlock()
	return mock.url, mock.err
}

// readPID returns the pid the child prints, or fails t with the child's own word on
// why it printed none.
func readPID(t *testing.T, lines *bufio.Scanner) int {
	t.Helper()
	var why string
	for lines.Scan() {
		line := lines.Text()
		if v, ok := strings.CutPrefix(line, "stripe-mock pid "); ok {
			pid, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			return pid
		}
		if why == "" && strings.Contains(line, "stripetest: ") {
			why = strings.TrimSpace(line)
		}
	}
	if why == "" {
		why = fmt.Sprintf("its output ended (%v)", lines.Err())
	}
	t.Fatalf("the child started no stripe-mock: %s", why)
	return 0
}

// alive reports whether pid runs: it exists and is not a zombie waiting for a parent
// that does not reap it.
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) state …; comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(stat, ')')
	fields := strings.Fields(string(stat[i+1:]))
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}
