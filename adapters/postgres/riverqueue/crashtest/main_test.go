package crashtest_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
)

// adminURL is the server the tests run against; MATCHPOINT_TEST_POSTGRES_URL
// overrides it, as for the other postgres tests. Each test creates a database of its
// own there and drops it at the end.
var adminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var (
	admin     *bun.DB
	dbPrefix  string
	databases atomic.Int64
)

func TestMain(m *testing.M) {
	if os.Getenv(workerEnv) == "1" {
		os.Exit(runWorker())
	}
	if u := os.Getenv("MATCHPOINT_TEST_POSTGRES_URL"); u != "" {
		adminURL = u
	}
	var err error
	admin, err = postgres.Open(context.Background(), adminURL, postgres.WithMaxOpenConns(4))
	if err != nil {
		fmt.Fprintln(os.Stderr, "crashtest needs a PostgreSQL server:", err)
		os.Exit(1)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	dbPrefix = "matchpoint_crash_" + hex.EncodeToString(b[:])
	code := m.Run()
	_ = admin.Close()
	os.Exit(code)
}

// databaseURL returns adminURL pointed at database name.
func databaseURL(name string) string {
	u, err := url.Parse(adminURL)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

// newDatabase creates a database migrated for the store and for River, dropped (with
// the sessions of any process left on it) when the test ends, and returns its URL.
func newDatabase(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("%s_%d", dbPrefix, databases.Add(1))
	_, err := admin.ExecContext(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	db, err := postgres.Open(ctx, databaseURL(name), postgres.WithMaxOpenConns(2))
	require.NoError(t, err)
	defer db.Close()
	_, err = db.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS btree_gist")
	require.NoError(t, err)
	require.NoError(t, postgres.Migrate(ctx, db))
	_, err = riverqueue.Migrate(ctx, db.DB)
	require.NoError(t, err)
	return databaseURL(name)
}

// workerOptions are the settings of a worker process.
type workerOptions struct {
	DatabaseURL string
	SMTPURL     string
	ProviderURL string
	Concurrency int
	JobTimeout  time.Duration
	RescueAfter time.Duration
}

// process is a worker process the test started.
type process struct {
	name   string
	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{}
	err    error // of Wait, once exited is closed
}

// startWorker runs the test binary as a worker process named name and waits until
// its queue has started. Its output goes to the test's log if the test fails; it is
// killed when the test ends.
func startWorker(t *testing.T, name string, o workerOptions) *process {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	p := &process{name: name, out: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(exe, "-test.run=^$")
	p.cmd.Env = append(os.Environ(),
		workerEnv+"=1",
		"DATABASE_URL="+o.DatabaseURL,
		envSMTP+"="+o.SMTPURL,
		envProvider+"="+o.ProviderURL,
		fmt.Sprintf("%s=%d", envConcurrency, o.Concurrency),
		envJobTimeout+"="+o.JobTimeout.String(),
		envRescueAfter+"="+o.RescueAfter.String(),
	)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	started := time.Now()
	require.NoError(t, p.cmd.Start())
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.kill()
		// Built with -race, the worker reports a race at once, but its exit status
		// (66) is lost to the kill: its output tells.
		if strings.Contains(p.out.String(), "WARNING: DATA RACE") {
			t.Errorf("worker %s: the race detector found a data race", p.name)
		}
		if t.Failed() {
			t.Logf("worker %s (pid %d) output:\n%s", p.name, p.cmd.Process.Pid, p.out.String())
		}
	})
	deadline := time.After(60 * time.Second)
	for !strings.Contains(p.out.String(), readyLine) {
		select {
		case <-p.exited:
			t.Fatalf("worker %s exited before its queue started (%v)", name, p.err)
		case <-deadline:
			t.Fatalf("worker %s did not start its queue within 60s", name)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Logf("worker %s (pid %d) started in %s", name, p.cmd.Process.Pid, time.Since(started).Round(time.Millisecond))
	return p
}

// kill sends SIGKILL and waits for the process to end: it dies wherever it is, with
// no chance to finish a job or commit anything.
func (p *process) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// syncBuffer is a bytes.Buffer safe for the writes of a process and the reads of a test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
