package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
)

// binDir holds the server and worker binaries the tests run as processes, built once
// per test binary.
var (
	binDir    string
	buildOnce sync.Once
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binaries builds examples/server and examples/worker with `go build` and returns
// their paths.
func binaries(t *testing.T) (server, worker string) {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "matchpoint-worker-test-"); buildErr != nil {
			return
		}
		for name, pkg := range map[string]string{"server": "../server", "worker": "."} {
			out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, name), pkg).CombinedOutput()
			if err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
				return
			}
		}
	})
	require.NoError(t, buildErr)
	return filepath.Join(binDir, "server"), filepath.Join(binDir, "worker")
}

// testDatabase creates a database with a random name on the local Postgres server and
// drops it when the test ends; it returns its URL.
func testDatabase(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("MATCHPOINT_TEST_POSTGRES_URL")
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	db, err := sql.Open("pgx", admin)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "matchpoint_worker_" + hex.EncodeToString(b)
	_, err = db.Exec("CREATE DATABASE " + name)
	require.NoError(t, err, "the local Postgres server must run (make services)")
	t.Cleanup(func() { _, _ = db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") })
	return strings.Replace(admin, "/postgres?", "/"+name+"?", 1)
}

// syncBuffer is an io.Writer safe for a process's output and the test reading it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// proc is a server or worker running as a process of its own.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{}
	code           int
}

// start runs bin with env as its whole environment, and kills it when the test ends if
// it still runs.
func start(t *testing.T, bin string, env map[string]string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin), stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	require.NoError(t, p.cmd.Start())
	go func() {
		err := p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("%s stderr:\n%s", filepath.Base(bin), p.stderr.String())
		}
	})
	return p
}

// await waits until the process's stdout matches re and returns the first submatch.
func (p *proc) await(t *testing.T, re string) string {
	t.Helper()
	rx := regexp.MustCompile(re)
	var m []string
	require.Eventually(t, func() bool {
		select {
		case <-p.done:
			return true
		default:
		}
		m = rx.FindStringSubmatch(p.stdout.String())
		return m != nil
	}, 60*time.Second, 20*time.Millisecond)
	require.NotNil(t, m, "the process exited (%d) before printing %q:\n%s\n%s", p.code, re, p.stdout, p.stderr)
	return m[1]
}

// exited waits for the process to exit and returns its status.
func (p *proc) exited(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(within):
		t.Fatalf("the process still runs after %s", within)
		return 0
	}
}

// running reports whether the process has not exited.
func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// signal sends sig to the process.
func (p *proc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(sig))
}

// startServer runs examples/server on the database at url with env added, and returns
// it with the URL it serves.
func startServer(t *testing.T, url string, env map[string]string) (*proc, string) {
	t.Helper()
	bin, _ := binaries(t)
	vars := map[string]string{"MATCHPOINT_DATABASE_URL": url, "MATCHPOINT_MIGRATE": "auto",
		"MATCHPOINT_HTTP_ADDR": "127.0.0.1:0", "MATCHPOINT_LOG_LEVEL": "warn", "MATCHPOINT_SHUTDOWN_DELAY": "0"}
	for k, v := range env {
		vars[k] = v
	}
	p := start(t, bin, vars)
	return p, p.await(t, `Match Point is serving (http://\S+)`)
}

// startWorker runs examples/worker on the database at url with env added, and returns
// it with the base URL of its health checks.
func startWorker(t *testing.T, url string, env map[string]string) (*proc, string) {
	t.Helper()
	_, bin := binaries(t)
	vars := map[string]string{"MATCHPOINT_DATABASE_URL": url, "MATCHPOINT_HTTP_ADDR": "127.0.0.1:0", "MATCHPOINT_LOG_LEVEL": "warn"}
	for k, v := range env {
		vars[k] = v
	}
	p := start(t, bin, vars)
	return p, p.await(t, `health checks on (http://\S+)`)
}

// waitIdle waits until no job of the database at url is due or running.
func waitIdle(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, url, postgres.WithMaxOpenConns(2))
	require.NoError(t, err)
	defer db.Close()
	q, err := riverqueue.New(postgres.New(db), db.DB, riverqueue.Config{})
	require.NoError(t, err)
	require.NoError(t, q.WaitIdle(ctx))
}

// jobs counts the jobs of a kind in a state in the database at url.
func jobs(t *testing.T, url, kind, state string) int {
	t.Helper()
	db, err := sql.Open("pgx", url)
	require.NoError(t, err)
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM river_job WHERE kind = $1 AND state = $2`, kind, state).Scan(&n))
	return n
}

type reply struct {
	status int
	body   map[string]any
	raw    string
}

// call sends a request with a JSON body (or none) and headers, and decodes a JSON answer.
func call(t *testing.T, method, url, body string, header map[string]string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	r := reply{status: res.StatusCode, raw: string(raw)}
	if strings.Contains(res.Header.Get("Content-Type"), "json") && len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &r.body), string(raw))
	}
	return r
}

// status is the status of a GET of url, or 0 when nothing answers.
func status(url string) int {
	res, err := http.Get(url)
	if err != nil {
		return 0
	}
	_ = res.Body.Close()
	return res.StatusCode
}
