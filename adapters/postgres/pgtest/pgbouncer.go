package pgtest

import (
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
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoPgBouncer is the one line a PgBouncer test fails with on a machine without it.
var ErrNoPgBouncer = errors.New("pgbouncer not found: run `make deps` (apt-get install pgbouncer)")

// PgBouncer is a PgBouncer process in transaction pooling mode, on a loopback port, in
// front of a PostgreSQL server: any database name goes to the database of that name
// on the server, with at most PoolSize server connections per database, so that a
// server connection is handed from client to client between transactions.
type PgBouncer struct {
	addr   string
	user   string
	dir    string
	cmd    *exec.Cmd
	exited chan error
}

// PgBouncerPoolSize is the server connections PgBouncer keeps per database.
const PgBouncerPoolSize = 4

// StartPgBouncer writes PgBouncer's configuration to a temporary directory and starts
// it in front of the server of upstreamURL (trusting its user), then waits until it
// lets a client into database probe. A root process runs it as the postgres user
// (PgBouncer refuses to run as root). Stop stops it and removes the directory.
func StartPgBouncer(ctx context.Context, upstreamURL, probe string) (pb *PgBouncer, err error) {
	bin, err := pgBouncerBinary()
	if err != nil {
		return nil, err
	}
	upstream, err := pgx.ParseConfig(upstreamURL)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "matchpoint-pgbouncer-")
	if err != nil {
		return nil, err
	}
	pb = &PgBouncer{user: upstream.User, dir: dir, exited: make(chan error, 1)}
	defer func() {
		if err != nil {
			err = errors.Join(err, pb.Stop())
		}
	}()
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	pb.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	ini, users := filepath.Join(dir, "pgbouncer.ini"), filepath.Join(dir, "userlist.txt")
	files := map[string]string{
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
`, upstream.Host, upstream.Port, port, users, PgBouncerPoolSize, filepath.Join(dir, "pgbouncer.log")),
		// trust lets any user in whose name the auth file holds.
		users: fmt.Sprintf("%q \"\"\n", upstream.User),
	}
	for path, content := range files {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			return nil, err
		}
	}
	pb.cmd = exec.Command(bin, ini)
	if os.Geteuid() == 0 {
		owner, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("PgBouncer runs as the postgres user: %w", err)
		}
		uid, _ := strconv.ParseUint(owner.Uid, 10, 32)
		gid, _ := strconv.ParseUint(owner.Gid, 10, 32)
		for _, path := range []string{dir, ini, users} {
			if err := os.Chown(path, int(uid), int(gid)); err != nil {
				return nil, err
			}
		}
		// Started as the user itself, so that the signal and the wait of Stop reach it.
		pb.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	if err := pb.cmd.Start(); err != nil {
		pb.cmd = nil
		return nil, err
	}
	go func() { pb.exited <- pb.cmd.Wait() }()
	err = poll(ctx, 15*time.Second, func() (bool, error) {
		select {
		case werr := <-pb.exited:
			pb.exited <- werr
			return false, fmt.Errorf("exited: %v", werr)
		default:
		}
		db, err := sql.Open("pgx", pb.URL(probe))
		if err != nil {
			return false, err
		}
		defer db.Close()
		return true, db.PingContext(ctx)
	})
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
		return nil, fmt.Errorf("PgBouncer did not start: %w\n%s", err, log)
	}
	return pb, nil
}

// URL returns the URL of database name through PgBouncer.
func (pb *PgBouncer) URL(name string) string {
	u := url.URL{Scheme: "postgres", User: url.User(pb.user), Host: pb.addr, Path: "/" + name, RawQuery: "sslmode=disable"}
	return u.String()
}

// Stop stops PgBouncer (SIGTERM, which shuts it down at once; killed after ten
// seconds) and removes its directory.
func (pb *PgBouncer) Stop() error {
	if pb.cmd != nil {
		_ = pb.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-pb.exited:
		case <-time.After(10 * time.Second):
			_ = pb.cmd.Process.Kill()
			<-pb.exited
		}
		pb.cmd = nil
	}
	return os.RemoveAll(pb.dir)
}

// pgBouncerBinary returns Debian's /usr/sbin/pgbouncer, which is not always on PATH,
// or pgbouncer on PATH.
func pgBouncerBinary() (string, error) {
	const debian = "/usr/sbin/pgbouncer"
	if fi, err := os.Stat(debian); err == nil && !fi.IsDir() {
		return debian, nil
	}
	if p, err := exec.LookPath("pgbouncer"); err == nil {
		return p, nil
	}
	return "", ErrNoPgBouncer
}
