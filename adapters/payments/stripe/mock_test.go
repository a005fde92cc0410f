package stripe_test

import (
	"bufio"
	"errors"
	"fmt"
	"go/build"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// stripeMockVersion is the stripe-mock the tests run against, installed with
//
//	go install github.com/stripe/stripe-mock@v0.162.0
//
// stripe-mock embeds one OpenAPI spec of Stripe's and validates every request against
// it. stripe-go v76 speaks API version 2023-10-16; of the releases the Go module proxy
// serves (v0.148.0, v0.162.0, v0.203.0), v0.162.0 embeds the spec of 2022-11-15, the
// closest to it and from the same era of the Checkout, PaymentIntents and Refunds
// APIs, while v0.203.0 embeds a 2026 spec that is past the breaking "basil" changes.
const stripeMockVersion = "v0.162.0"

// mockKey is a test-mode key of the form stripe-mock accepts.
const mockKey = "sk_test_123"

var mock struct {
	once sync.Once
	url  string
	err  error
	cmd  *exec.Cmd
}

func TestMain(m *testing.M) {
	code := m.Run()
	if mock.cmd != nil {
		_ = mock.cmd.Process.Kill()
		_ = mock.cmd.Wait()
	}
	os.Exit(code)
}

// stripeMock returns the URL of the stripe-mock this test binary shares, starting it
// on free loopback ports on first use. It is stopped when the tests end.
func stripeMock(t *testing.T) string {
	t.Helper()
	mock.once.Do(func() { mock.url, mock.cmd, mock.err = startStripeMock() })
	if mock.err != nil {
		t.Fatalf("stripe-mock: %v", mock.err)
	}
	return mock.url
}

// stripeMockBinary finds stripe-mock on PATH or where go install puts it.
func stripeMockBinary() (string, error) {
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p, nil
	}
	dir := os.Getenv("GOBIN")
	if dir == "" {
		dir = filepath.Join(filepath.SplitList(build.Default.GOPATH)[0], "bin")
	}
	p := filepath.Join(dir, "stripe-mock")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("not found on PATH nor in %s; install it with: go install github.com/stripe/stripe-mock@%s", dir, stripeMockVersion)
	}
	return p, nil
}

func startStripeMock() (string, *exec.Cmd, error) {
	bin, err := stripeMockBinary()
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
	if err := cmd.Start(); err != nil {
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
		return fail(errors.New("did not print its HTTP address within 30s"))
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
		}
		if time.Now().After(deadline) {
			return fail(fmt.Errorf("did not answer at %s within 30s: %v", url, err))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
