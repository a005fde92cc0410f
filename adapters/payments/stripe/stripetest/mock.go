package stripetest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// mockVersion is the stripe-mock the stand-ins run in front of: go.mod pins it as a
// tool of the module (go get -tool github.com/stripe/stripe-mock@v0.162.0), and
// TestMockVersionIsTheModules checks that the two agree.
//
// stripe-mock embeds one OpenAPI spec of Stripe's and validates every request against
// it. stripe-go v76 speaks API version 2023-10-16; of the releases the Go module proxy
// serves (v0.148.0, v0.162.0, v0.203.0), v0.162.0 embeds the spec of 2022-11-15, the
// closest to it and from the same era of the Checkout, PaymentIntents and Refunds
// APIs, while v0.203.0 embeds a 2026 spec that is past the breaking "basil" changes.
const mockVersion = "v0.162.0"

// mockKey is a test-mode key of the form stripe-mock accepts, for the stand-ins' own
// requests to it.
const mockKey = "sk_test_123"

// mock is the stripe-mock of the test binary. It is package state because a process
// is: every Account of the binary shares it, and StopMock, called from a TestMain that
// holds no Account, stops it.
var mock struct {
	once sync.Once // starts it, on the first Start

	mu  sync.Mutex
	url string // its HTTP address; empty once stopped
	err error  // why it is not running
	cmd *exec.Cmd
}

// errStopped is the answer to a Start after StopMock.
var errStopped = errors.New("stripe-mock stopped by StopMock; StopMock belongs after m.Run in TestMain")

// mockURL returns the URL of the binary's stripe-mock, starting it on first use, or
// fails t.
func mockURL(t testing.TB) string {
	t.Helper()
	mock.once.Do(func() {
		url, cmd, err := startMock()
		mock.mu.Lock()
		defer mock.mu.Unlock()
		mock.url, mock.cmd, mock.err = url, cmd, err
	})
	mock.mu.Lock()
	defer mock.mu.Unlock()
	if mock.err != nil {
		t.Fatalf("stripetest: %v", mock.err)
	}
	return mock.url
}

// StopMock stops the stripe-mock of the test binary, if it was started. A package that
// uses stripetest calls it from TestMain after m.Run; a Start after it fails. It
// returns an error only if stripe-mock cannot be stopped.
func StopMock() error {
	mock.once.Do(func() { mock.err = errStopped }) // nothing started: nothing may start
	mock.mu.Lock()
	defer mock.mu.Unlock()
	cmd := mock.cmd
	mock.url, mock.cmd, mock.err = "", nil, errStopped
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stripetest: stop stripe-mock (pid %d): %w", cmd.Process.Pid, err)
	}
	_ = cmd.Wait() // its exit status is the kill's
	return nil
}

// mockBinary returns the path of stripe-mock: the module's own, which the go command
// builds from go.mod's tool directive into its build cache (go tool -n prints the
// path, building it first if the cache lacks it: a minute or two the first time), or,
// where that fails (no go command, a test binary run outside the module), one on PATH,
// in $GOBIN or in $(go env GOPATH)/bin. The module's comes first because it is the
// version the stand-ins are written for; an installed one may be any.
func mockBinary() (string, error) {
	mod := moduleMock()
	if mod.path != "" {
		return mod.path, nil
	}
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p, nil
	}
	name := "stripe-mock"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	dirs := goBinDirs()
	for _, dir := range dirs {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	where := "not on PATH"
	for _, dir := range dirs {
		where += " nor in " + dir
	}
	return "", fmt.Errorf("stripe-mock not found: `go tool -n stripe-mock` failed (%v) and it is %s; "+
		"run the tests from the module with the go command, or install it: go install github.com/stripe/stripe-mock@%s",
		mod.err, where, mockVersion)
}

// toolResult is what go tool -n stripe-mock gave: a path, or why not.
type toolResult struct {
	path string
	err  error
}

// moduleMock asks the go command for the module's stripe-mock, from the test's working
// directory, which go test sets to the package's, inside the module.
func moduleMock() toolResult {
	cmd := exec.Command("go", "tool", "-n", "stripe-mock")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		// One line: the go command's last word on it says why.
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if last := strings.TrimSpace(lines[len(lines)-1]); last != "" {
			err = fmt.Errorf("%w: %s", err, last)
		}
		return toolResult{err: err}
	}
	p := strings.TrimSpace(string(out))
	if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
		return toolResult{err: fmt.Errorf("it printed %q, which is no file", p)}
	}
	return toolResult{path: p}
}

// goBinDirs returns where go install puts commands: $GOBIN, and the bin of the first
// GOPATH entry, as the go command sees them (its settings file included), or as the
// environment says when there is no go command.
func goBinDirs() []string {
	gobin, gopath := os.Getenv("GOBIN"), os.Getenv("GOPATH")
	if gopath == "" {
		if home, err := os.UserHomeDir(); err == nil {
			gopath = filepath.Join(home, "go")
		}
	}
	if out, err := exec.Command("go", "env", "-json", "GOBIN", "GOPATH").Output(); err == nil {
		var env struct{ GOBIN, GOPATH string }
		if json.Unmarshal(out, &env) == nil {
			gobin, gopath = env.GOBIN, env.GOPATH
		}
	}
	var dirs []string
	if gobin != "" {
		dirs = append(dirs, gobin)
	}
	if list := filepath.SplitList(gopath); len(list) > 0 && list[0] != "" {
		if dir := filepath.Join(list[0], "bin"); dir != gobin {
			dirs = append(dirs, dir)
		}
	}
	return dirs
}

// startMock starts stripe-mock on free loopback ports and waits until it answers.
func startMock() (string, *exec.Cmd, error) {
	bin, err := mockBinary()
	if err != nil {
		return "", nil, err
	}
	// Port 0 lets the kernel choose; stripe-mock prints the address it got.
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := startDyingWithParent(cmd); err != nil {
		return "", nil, fmt.Errorf("start %s: %w", bin, err)
	}
	addr := make(chan string, 1)
	go func() {
		const prefix = "Listening for HTTP at address: "
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			if a, ok := strings.CutPrefix(lines.Text(), prefix); ok {
				addr <- a
				break
			}
		}
		_, _ = io.Copy(io.Discard, out) // keep the pipe flowing
	}()
	fail := func(err error) (string, *exec.Cmd, error) {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return "", nil, err
	}
	var url string
	select {
	case a := <-addr:
		url = "http://" + a
	case <-time.After(30 * time.Second):
		return fail(fmt.Errorf("%s did not print its HTTP address within 30s", bin))
	}
	// It prints the address before it serves: wait until it answers.
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodGet, url+"/v1/balance", nil)
		req.SetBasicAuth(mockKey, "")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url, cmd, nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			return fail(fmt.Errorf("%s did not answer at %s within 30s: %v", bin, url, err))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
