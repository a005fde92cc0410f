package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHealthCheckCommand runs `server healthcheck`, the HEALTHCHECK of the image,
// against a running server, on the address as configured (the loopback interface for
// one that names every interface): 0 while it answers 200, 1 otherwise.
func TestHealthCheckCommand(t *testing.T) {
	s := startServer(t)
	_, port, err := net.SplitHostPort(s.Listener.Addr().String())
	require.NoError(t, err)
	for _, addr := range []string{"127.0.0.1:" + port, ":" + port, "0.0.0.0:" + port} {
		for _, args := range [][]string{{"healthcheck"}, {"healthcheck", "-path", "/readyz"}} {
			r := runCLI(t, map[string]string{"MATCHPOINT_HTTP_ADDR": addr}, args...)
			assert.Equal(t, 0, r.code, "%s %v: %s", addr, args, r.stderr)
		}
	}
	r := runCLI(t, map[string]string{"MATCHPOINT_HTTP_ADDR": "127.0.0.1:" + port}, "healthcheck", "-path", "/nowhere")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "404 Not Found")
	r = runCLI(t, map[string]string{"MATCHPOINT_HTTP_ADDR": "127.0.0.1:" + port}, "healthcheck", "-path", "healthz")
	assert.Equal(t, 2, r.code, "a path starts with /")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	free := ln.Addr().String()
	require.NoError(t, ln.Close())
	r = runCLI(t, map[string]string{"MATCHPOINT_HTTP_ADDR": free}, "healthcheck")
	assert.Equal(t, 1, r.code, "nothing listens")
	assert.Contains(t, r.stderr, "server healthcheck: ")
}

// TestSIGTERMDrainsInFlightRequests sends SIGTERM to a server process while a booking
// is in flight, its body uploaded slowly: /readyz answers 503 at once while the server
// goes on serving for MATCHPOINT_SHUTDOWN_DELAY, then the listener closes, the booking
// is still answered 201 when its body is complete, and the process exits 0.
func TestSIGTERMDrainsInFlightRequests(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "server")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	const delay = 2 * time.Second
	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "MATCHPOINT_HTTP_ADDR=127.0.0.1:0",
		"MATCHPOINT_SHUTDOWN_DELAY=" + delay.String(), "MATCHPOINT_SHUTDOWN_TIMEOUT=20s"}
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	require.NoError(t, cmd.Start())
	exited := make(chan int, 1)
	go func() { _ = cmd.Wait(); exited <- cmd.ProcessState.ExitCode() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	serving := regexp.MustCompile(`Match Point is serving http://(\S+)`)
	require.Eventually(t, func() bool { return serving.MatchString(stdout.String()) }, 30*time.Second, 10*time.Millisecond, stderr)
	addr := serving.FindStringSubmatch(stdout.String())[1]
	base := "http://" + addr
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	status := func(path string) int {
		res, err := fresh.Get(base + path)
		if err != nil {
			return 0
		}
		_ = res.Body.Close()
		return res.StatusCode
	}
	require.Equal(t, http.StatusOK, status("/readyz"))

	// A free slot of the demo club, three days ahead.
	day := time.Now().AddDate(0, 0, 3).Format(time.DateOnly)
	res, err := fresh.Get(base + "/v1/clubs/demo/availability?date=" + day + "&sport=padel&duration=90")
	require.NoError(t, err)
	var avail struct {
		Courts []struct {
			CourtID string `json:"court_id"`
			Slots   []struct {
				Start time.Time `json:"start"`
			} `json:"slots"`
		} `json:"courts"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&avail))
	_ = res.Body.Close()
	require.NotEmpty(t, avail.Courts)
	require.NotEmpty(t, avail.Courts[0].Slots)
	body := bookingJSON(avail.Courts[0].CourtID, avail.Courts[0].Slots[0].Start, 90, "Ana Pérez", "ana@example.com")

	// The booking's headers and half its body are sent: its handler runs, reading.
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /v1/clubs/demo/bookings HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		addr, len(body), body[:len(body)/2])
	require.NoError(t, err)

	signalled := time.Now()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.Eventually(t, func() bool { return status("/readyz") == http.StatusServiceUnavailable }, delay/2, 10*time.Millisecond,
		"unready at once, while the listener still takes connections")
	assert.Equal(t, http.StatusOK, status("/healthz"), "alive, and still serving, while load balancers notice")
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			_ = c.Close()
		}
		return err != nil
	}, delay+5*time.Second, 20*time.Millisecond, "the listener closes after the delay")
	assert.GreaterOrEqual(t, time.Since(signalled), delay, "not before the delay")
	select {
	case code := <-exited:
		t.Fatalf("the server exited (%d) with a request in flight", code)
	case <-time.After(300 * time.Millisecond):
	}

	// The rest of the body: the booking is made and answered.
	_, err = io.WriteString(conn, body[len(body)/2:])
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, resp.StatusCode, string(raw))
	assert.Contains(t, string(raw), `"status":"pending"`)
	assert.True(t, resp.Close, "Connection: close, no keep-alive while draining")

	select {
	case code := <-exited:
		assert.Equal(t, 0, code, stderr.String())
	case <-time.After(15 * time.Second):
		t.Fatal("the server did not exit after its last request")
	}
	assert.Contains(t, stdout.String(), `"msg":"draining: /readyz answers 503"`)
}
