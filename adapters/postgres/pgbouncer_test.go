package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/storetest"
)

// TestThroughPgBouncer runs the store's contract suite and the concurrency cases
// through one PgBouncer in transaction mode, in front of the server the direct tests
// use. Each store gets a database of its own (see bouncerStore).
func TestThroughPgBouncer(t *testing.T) {
	pb := startPgBouncer(t)
	t.Run("Store", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) ports.Store {
			s, _ := pb.newStore(t)
			return s
		})
	})
	t.Run("Concurrency", func(t *testing.T) { runConcurrencyCases(t, pb.newStore) })
}

// pgBouncerPoolSize is PgBouncer's server connections per database: fewer than the
// eight client connections of a store's pool, so that server connections really are
// handed from client to client between transactions.
const pgBouncerPoolSize = 4

// pgBouncer is a PgBouncer process the tests started, in transaction mode.
type pgBouncer struct {
	addr string // 127.0.0.1:port it listens on
	user string
}

// pgBouncerBinary returns the path of the pgbouncer binary: Debian installs it in
// /usr/sbin, which is not always on PATH.
func pgBouncerBinary() (string, error) { return findPgBouncer("/usr/sbin/pgbouncer") }

// errNoPgBouncer is the one line a PgBouncer test fails with on a machine without it.
var errNoPgBouncer = errors.New("pgbouncer not found: run `make deps` (apt-get install pgbouncer)")

// findPgBouncer returns debian if it is a file, else pgbouncer on PATH.
func findPgBouncer(debian string) (string, error) {
	if fi, err := os.Stat(debian); err == nil && !fi.IsDir() {
		return debian, nil
	}
	if p, err := exec.LookPath("pgbouncer"); err == nil {
		return p, nil
	}
	return "", errNoPgBouncer
}

func TestFindPgBouncer(t *testing.T) {
	root := t.TempDir()
	debian, onPath := filepath.Join(root, "sbin", "pgbouncer"), filepath.Join(root, "bin", "pgbouncer")
	for _, p := range []string{debian, onPath} {
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755))
	}
	t.Setenv("PATH", filepath.Dir(onPath))

	got, err := findPgBouncer(debian)
	require.NoError(t, err)
	assert.Equal(t, debian, got, "Debian's comes first, on PATH or not")

	got, err = findPgBouncer(filepath.Join(root, "nowhere", "pgbouncer"))
	require.NoError(t, err)
	assert.Equal(t, onPath, got, "else the one on PATH")

	t.Setenv("PATH", filepath.Join(root, "empty"))
	_, err = findPgBouncer(filepath.Join(root, "nowhere", "pgbouncer"))
	assert.EqualError(t, err, "pgbouncer not found: run `make deps` (apt-get install pgbouncer)")
}

// startPgBouncer writes PgBouncer's configuration to a temporary directory, starts it
// on a free loopback port in front of the server of adminURL, waits until it lets a
// client in, and stops it and removes the directory when t ends.
//
// PgBouncer refuses to run as root, so a root test process runs it as the postgres
// user, who owns the directory.
func startPgBouncer(t *testing.T) *pgBouncer {
	t.Helper()
	bin, err := pgBouncerBinary()
	if err != nil {
		t.Fatal(err) // one line: what is missing and how to install it
	}
	upstream, err := pgx.ParseConfig(adminURL)
	require.NoError(t, err)

	dir, err := os.MkdirTemp("", "matchpoint-pgbouncer-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	var owner *user.User
	if os.Geteuid() == 0 {
		owner, err = user.Lookup("postgres")
		require.NoError(t, err, "PgBouncer runs as the postgres user")
	}

	port := freePort(t)
	pb := &pgBouncer{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), user: upstream.User}
	ini := filepath.Join(dir, "pgbouncer.ini")
	files := map[string]string{
		// Any database name goes to the database of that name on the server.
		ini: fmt.Sprintf(`[databases]
* = host=%s port=%d

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
default_pool_size = %d
max_client_conn = 200
max_user_connections = 40
server_idle_timeout = 5
logfile = %s
`, upstream.Host, upstream.Port, port, filepath.Join(dir, "userlist.txt"), pgBouncerPoolSize, filepath.Join(dir, "pgbouncer.log")),
		// trust lets any user in whose name the auth file holds.
		filepath.Join(dir, "userlist.txt"): fmt.Sprintf("%q \"\"\n", upstream.User),
	}
	for path, content := range files {
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	}
	cmd := exec.Command(bin, ini)
	if owner != nil {
		uid, err := strconv.ParseUint(owner.Uid, 10, 32)
		require.NoError(t, err)
		gid, err := strconv.ParseUint(owner.Gid, 10, 32)
		require.NoError(t, err)
		for _, path := range []string{dir, ini, filepath.Join(dir, "userlist.txt")} {
			require.NoError(t, os.Chown(path, int(uid), int(gid)))
		}
		// Started as the user itself (like runuser -u postgres, without a process in
		// between), so that the signal and the wait below reach PgBouncer.
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// SIGTERM shuts PgBouncer 1.18 down at once.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	if err := pb.waitReady(t.Context(), exited); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
		t.Fatalf("PgBouncer did not start: %v\n%s", err, log)
	}
	return pb
}

// waitReady polls until PgBouncer lets a client into the run's database.
func (pb *pgBouncer) waitReady(ctx context.Context, exited <-chan error) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		db, err := postgres.Open(ctx, pb.url(testName), postgres.WithMaxOpenConns(1))
		if err == nil {
			return db.Close()
		}
		select {
		case werr := <-exited:
			return fmt.Errorf("exited (%v); last connection error: %w", werr, err)
		case <-ctx.Done():
			return fmt.Errorf("%w; last connection error: %w", ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// url returns the URL of database name through PgBouncer.
func (pb *pgBouncer) url(name string) string {
	u := url.URL{Scheme: "postgres", User: url.User(pb.user), Host: pb.addr, Path: "/" + name, RawQuery: "sslmode=disable"}
	return u.String()
}

// newStore returns a migrated, empty store reached through PgBouncer, with the pool
// under it.
//
// The direct harness isolates stores by schema, choosing it with a search_path
// startup parameter. That does not carry over: PgBouncer 1.18 refuses startup
// parameters it does not know, and ignoring search_path would put every store in
// public; a SET search_path would stay on the server connection and reach whichever
// client PgBouncer hands it to next. A database per store isolates without session
// state: PgBouncer keeps one pool per database and a server connection never leaves
// its database.
func (pb *pgBouncer) newStore(tb testing.TB) (*postgres.Store, *bun.DB) {
	tb.Helper()
	ctx := context.Background()
	name, drop, err := createDatabase(ctx, testDB, "matchpoint_pgbouncer")
	require.NoError(tb, err)
	tb.Cleanup(drop) // FORCE also ends PgBouncer's server connections to it
	db, err := postgres.Open(ctx, pb.url(name), postgres.WithMaxOpenConns(8))
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = db.Close() })
	require.NoError(tb, postgres.Migrate(ctx, db))
	return postgres.New(db), db
}

// freePort returns a loopback TCP port that nothing listened on a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
