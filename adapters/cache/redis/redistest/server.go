// Package redistest starts a redis-server of a test's own on a free loopback port, which
// the test can stop and start again to see what happens without Redis.
package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Server is a redis-server process without persistence.
type Server struct {
	bin  string // redis-server
	port int
	dir  string
	cmd  *exec.Cmd
}

// errNoServer is the one line a test fails with on a machine without redis-server.
var errNoServer = errors.New("redis-server not found: run `make deps` (apt-get install redis-server)")

// serverBinary returns the path of redis-server on PATH.
func serverBinary() (string, error) {
	p, err := exec.LookPath("redis-server")
	if err != nil {
		return "", errNoServer
	}
	return p, nil
}

// Start starts a server on a free loopback port; it is stopped when t ends. Without
// redis-server it fails t, saying how to install it.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := serverBinary()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{bin: bin, port: l.Addr().(*net.TCPAddr).Port, dir: t.TempDir()}
	_ = l.Close()
	s.Restart(t)
	t.Cleanup(s.Stop)
	return s
}

// URL is the server's redis:// URL.
func (s *Server) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", s.port) }

// Restart starts the server again on its port, empty, and waits until it answers.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.cmd = exec.Command(s.bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir)
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", s.bin, err)
	}
	rdb := goredis.NewClient(&goredis.Options{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for rdb.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("redis-server did not answer within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server, as a crash would.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
	s.cmd = nil
}
