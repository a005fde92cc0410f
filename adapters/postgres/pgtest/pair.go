// Package pgtest starts PostgreSQL servers for tests: a primary with a streaming read
// replica, built under a temporary directory from the machine's PostgreSQL binaries
// and removed when stopped, and PgBouncer in transaction mode in front of a server.
// The machine's own server is left alone.
package pgtest

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// Pair is a primary and a replica streaming from it, both on loopback ports and
// trusting every local connection as the postgres superuser.
type Pair struct {
	dir                      string
	bin                      string
	owner                    *user.User // nil: the binaries run as the test process
	primaryPort, replicaPort int
}

// newPair makes the working directory of test servers, owned by the postgres user when
// the process is root (PostgreSQL refuses to run as root), and picks the primary's port.
func newPair(prefix string) (p *Pair, err error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, err
	}
	p = &Pair{dir: dir, bin: bin}
	defer func() {
		if err != nil {
			err = errors.Join(err, p.Stop())
		}
	}()
	if os.Geteuid() == 0 {
		if p.owner, err = user.Lookup("postgres"); err != nil {
			return nil, fmt.Errorf("servers run as the postgres user: %w", err)
		}
		if err := p.chown(dir); err != nil {
			return nil, err
		}
	}
	if p.primaryPort, err = freePort(); err != nil {
		return nil, err
	}
	return p, nil
}

// initPrimary runs initdb for the primary and configures it as a throwaway test server
// (durability off, small memory), with extra settings appended.
func (p *Pair) initPrimary(ctx context.Context, extra string) error {
	data := filepath.Join(p.dir, "primary")
	if err := p.run(ctx, "initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		return err
	}
	return appendTo(filepath.Join(data, "postgresql.conf"), fmt.Sprintf(`
port = %d
listen_addresses = '127.0.0.1'
unix_socket_directories = '%s'
max_connections = 100
shared_buffers = 32MB
autovacuum = off
fsync = off
full_page_writes = off
`, p.primaryPort, p.dir)+extra)
}

// StartStreamingPair initialises a primary (initdb), copies a replica from it with
// pg_basebackup -R -X stream, starts both and waits until the primary reports the
// replica streaming. A root process runs the servers as the postgres user, as
// PostgreSQL refuses to run as root. Stop stops both and removes their directory.
func StartStreamingPair(ctx context.Context) (p *Pair, err error) {
	if p, err = newPair("matchpoint-replica-"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, p.Stop())
		}
	}()
	dir := p.dir
	if p.replicaPort, err = freePort(); err != nil {
		return nil, err
	}

	primary, replica := filepath.Join(dir, "primary"), filepath.Join(dir, "replica")
	// Every statement logged: ReplicaLog shows what reached the replica.
	if err := p.initPrimary(ctx, `
wal_level = replica
max_wal_senders = 4
hot_standby = on
log_statement = 'all'
`); err != nil {
		return nil, err
	}
	if err := appendTo(filepath.Join(primary, "pg_hba.conf"), "\nhost replication all 127.0.0.1/32 trust\n"); err != nil {
		return nil, err
	}
	if err := p.run(ctx, "pg_ctl", "-D", primary, "-l", filepath.Join(dir, "primary.log"), "-w", "-t", "60", "start"); err != nil {
		return nil, p.withLog(err, "primary.log")
	}
	if err := p.run(ctx, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(p.primaryPort), "-U", "postgres",
		"-D", replica, "-R", "-X", "stream", "--no-sync"); err != nil {
		return nil, err
	}
	if err := appendTo(filepath.Join(replica, "postgresql.conf"), fmt.Sprintf("\nport = %d\n", p.replicaPort)); err != nil {
		return nil, err
	}
	if err := p.run(ctx, "pg_ctl", "-D", replica, "-l", filepath.Join(dir, "replica.log"), "-w", "-t", "60", "start"); err != nil {
		return nil, p.withLog(err, "replica.log")
	}
	if err := p.waitStreaming(ctx); err != nil {
		return nil, p.withLog(err, "replica.log")
	}
	return p, nil
}

// PrimaryURL returns the URL of database name on the primary.
func (p *Pair) PrimaryURL(name string) string { return serverURL(p.primaryPort, name) }

// ReplicaURL returns the URL of database name on the replica.
func (p *Pair) ReplicaURL(name string) string { return serverURL(p.replicaPort, name) }

// PauseReplay stops the replica applying the WAL it receives, so that it lags the
// primary until ResumeReplay.
func (p *Pair) PauseReplay(ctx context.Context) error {
	return p.exec(ctx, p.ReplicaURL("postgres"), "SELECT pg_wal_replay_pause()")
}

// ResumeReplay lets the replica catch up again.
func (p *Pair) ResumeReplay(ctx context.Context) error {
	return p.exec(ctx, p.ReplicaURL("postgres"), "SELECT pg_wal_replay_resume()")
}

// WaitReplayed waits until the replica has replayed all the WAL the primary has
// flushed when it is called.
func (p *Pair) WaitReplayed(ctx context.Context) error {
	var flushed string
	if err := p.queryRow(ctx, p.PrimaryURL("postgres"), "SELECT pg_current_wal_flush_lsn()::text", &flushed); err != nil {
		return err
	}
	return poll(ctx, 30*time.Second, func() (bool, error) {
		var ok bool
		err := p.queryRow(ctx, p.ReplicaURL("postgres"),
			"SELECT coalesce(pg_last_wal_replay_lsn() >= '"+flushed+"'::pg_lsn, false)", &ok)
		return ok, err
	})
}

// ReplicaLog returns the replica's server log: with every statement it ran.
func (p *Pair) ReplicaLog() (string, error) {
	b, err := os.ReadFile(filepath.Join(p.dir, "replica.log"))
	return string(b), err
}

// Stop stops both servers and removes their directory.
func (p *Pair) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs []error
	for _, name := range []string{"replica", "primary"} {
		data := filepath.Join(p.dir, name)
		if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err != nil {
			continue // never started, or stopped
		}
		errs = append(errs, p.run(ctx, "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"))
	}
	errs = append(errs, os.RemoveAll(p.dir))
	return errors.Join(errs...)
}

func (p *Pair) waitStreaming(ctx context.Context) error {
	return poll(ctx, 60*time.Second, func() (bool, error) {
		var n int
		err := p.queryRow(ctx, p.PrimaryURL("postgres"), "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'", &n)
		return n > 0, err
	})
}

// run runs one of the server binaries, as the postgres user when the test runs as
// root (runuser -u postgres --).
func (p *Pair) run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(p.bin, name), args...)
	if p.owner != nil {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", p.owner.Username, "--", filepath.Join(p.bin, name)}, args...)...)
	}
	cmd.Dir = p.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

func (p *Pair) chown(path string) error {
	uid, err := strconv.Atoi(p.owner.Uid)
	if err != nil {
		return err
	}
	gid, err := strconv.Atoi(p.owner.Gid)
	if err != nil {
		return err
	}
	return os.Chown(path, uid, gid)
}

func (p *Pair) withLog(err error, name string) error {
	log, _ := os.ReadFile(filepath.Join(p.dir, name))
	return fmt.Errorf("%w\n%s:\n%s", err, name, log)
}

func (p *Pair) exec(ctx context.Context, dsn, query string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, query)
	return err
}

func (p *Pair) queryRow(ctx context.Context, dsn, query string, dest any) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.QueryRowContext(ctx, query).Scan(dest)
}

// serverBinaries are the PostgreSQL programs a Pair runs.
var serverBinaries = []string{"initdb", "pg_ctl", "pg_basebackup"}

// binDir returns the directory of the PostgreSQL server binaries: pg_config --bindir, or
// the newest of Debian's /usr/lib/postgresql/*/bin, whichever holds all of
// serverBinaries. Its error is one line that names what is missing and how to install it.
func binDir() (string, error) {
	var dirs []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	debian, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(debian, func(a, b string) int { return cmp.Compare(majorOf(b), majorOf(a)) }) // newest first
	return pickBinDir(append(dirs, debian...))
}

// pickBinDir returns the first of dirs that holds all of serverBinaries, or an error of
// one line naming those the first lacks and how to install them.
func pickBinDir(dirs []string) (string, error) {
	for _, dir := range dirs {
		if len(missingIn(dir)) == 0 {
			return dir, nil
		}
	}
	missing := serverBinaries
	if len(dirs) > 0 {
		missing = missingIn(dirs[0])
	}
	return "", fmt.Errorf("%s not found (looked in pg_config --bindir and /usr/lib/postgresql/*/bin): "+
		"run `make deps` (apt-get install postgresql)", strings.Join(missing, ", "))
}

// missingIn returns which of serverBinaries dir lacks.
func missingIn(dir string) []string {
	var missing []string
	for _, name := range serverBinaries {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() {
			missing = append(missing, name)
		}
	}
	return missing
}

// majorOf returns the major version in a path /usr/lib/postgresql/MAJOR/bin, or 0.
func majorOf(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func serverURL(port int, name string) string {
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Path: "/" + name, RawQuery: "sslmode=disable"}
	return u.String()
}

func appendTo(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(text)
	return errors.Join(err, f.Close())
}

// freePort returns a loopback TCP port that nothing listened on a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// poll calls done until it reports true, fails, or the timeout passes.
func poll(ctx context.Context, timeout time.Duration, done func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		ok, err := done()
		if ok && err == nil {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), last)
		case <-tick.C:
		}
	}
}
