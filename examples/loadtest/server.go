package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// serverPackage is the example server the tool builds and starts.
const serverPackage = "github.com/matchpoint/matchpoint/examples/server"

// started is a server the tool built and started, with what it needs to load it.
type started struct {
	URL   string
	Clubs []string // slugs
	DBURL string   // the database it runs on; empty on the memory store
	cmd   *exec.Cmd
	exit  chan error // the process's end
	dir   string
	logs  *tail
	drop  func() error // drops the database; nil: none to drop
}

// PID is the server process's id.
func (s *started) PID() int { return s.cmd.Process.Pid }

// startServer builds examples/server into a temporary directory and starts it on a
// free loopback port: on the memory store with the demo club, or with -start postgres
// on a fresh database, migrated first, with the demo club and clubs-1 copies of it
// made through the operators' commands and the admin API. progress hears of each step.
func startServer(ctx context.Context, o options, progress io.Writer) (_ *started, err error) {
	dir, err := os.MkdirTemp("", "matchpoint-loadtest-")
	if err != nil {
		return nil, err
	}
	s := &started{dir: dir, logs: &tail{max: 64}}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Stop())
		}
	}()
	bin := filepath.Join(dir, "server")
	fmt.Fprintf(progress, "building %s (the first build takes a while)\n", serverPackage)
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, serverPackage)
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build %s: %w\n%s", serverPackage, err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	env := append(os.Environ(),
		"MATCHPOINT_HTTP_ADDR="+addr,
		"MATCHPOINT_RATE_LIMIT=off",
		"MATCHPOINT_SHUTDOWN_DELAY=0",
		"MATCHPOINT_LOG_LEVEL=warn",
		"MATCHPOINT_SEED=true",
		"MATCHPOINT_DATABASE_URL=",
		"MATCHPOINT_REDIS_URL=",
		"MATCHPOINT_METRICS_ADDR=",
	)
	if o.Start == startPostgres {
		admin := o.Postgres
		if admin == "" {
			admin = defaultPostgres
		}
		if s.DBURL, s.drop, err = createDatabase(ctx, admin); err != nil {
			return nil, err
		}
		if o.KeepDB {
			s.drop = nil
		}
		fmt.Fprintf(progress, "created the database %s\n", redact(s.DBURL))
		env = append(env, "MATCHPOINT_DATABASE_URL="+s.DBURL)
		if out, err := runServerCommand(ctx, bin, env, "migrate"); err != nil {
			return nil, fmt.Errorf("server migrate: %w\n%s", err, out)
		}
	}

	s.cmd = exec.Command(bin)
	s.cmd.Env = env
	s.cmd.Stderr = s.logs
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	s.exit = make(chan error, 1)
	keys := make(chan string, 1)
	go func() {
		// The server's standard output: its log and the lines for who started it, among
		// them the demo club's admin API key.
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		const keyLine = "admin API key (shown once): "
		for sc.Scan() {
			line := sc.Text()
			s.logs.add(line)
			if _, key, ok := strings.Cut(line, keyLine); ok {
				select {
				case keys <- strings.TrimSpace(key):
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		s.exit <- s.cmd.Wait()
	}()
	s.URL = "http://" + addr
	var demoKey string
	select {
	case demoKey = <-keys:
	case err := <-s.exit:
		s.exit <- err
		return nil, fmt.Errorf("the server exited before serving (%v):\n%s", err, s.logs)
	case <-time.After(60 * time.Second):
		return nil, fmt.Errorf("the server did not say it was serving within a minute:\n%s", s.logs)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := waitHealthy(ctx, s.URL); err != nil {
		return nil, fmt.Errorf("%w:\n%s", err, s.logs)
	}
	fmt.Fprintf(progress, "the server (pid %d) serves %s\n", s.PID(), s.URL)
	s.Clubs = []string{"demo"}
	for i := 2; i <= o.Clubs; i++ {
		slug := fmt.Sprintf("load-%d", i)
		if err := copyDemoClub(ctx, bin, env, s.URL, demoKey, slug); err != nil {
			return nil, fmt.Errorf("club %s: %w", slug, err)
		}
		s.Clubs = append(s.Clubs, slug)
	}
	if o.Clubs > 1 {
		fmt.Fprintf(progress, "seeded %d clubs: %s\n", len(s.Clubs), strings.Join(s.Clubs, ", "))
	}
	return s, nil
}

// Stop stops the server (SIGINT, then SIGKILL after 15 seconds), drops its database
// unless it is kept, and removes the temporary directory.
func (s *started) Stop() error {
	var errs []error
	if s.cmd != nil && s.cmd.Process != nil && s.exit != nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
		select {
		case <-s.exit:
		case <-time.After(15 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exit
			errs = append(errs, errors.New("the server did not stop within 15 seconds of SIGINT: killed"))
		}
	}
	if s.drop != nil {
		errs = append(errs, s.drop())
	}
	errs = append(errs, os.RemoveAll(s.dir))
	return errors.Join(errs...)
}

// runServerCommand runs one of the server binary's operators' commands.
func runServerCommand(ctx context.Context, bin string, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.Bytes(), err
}

// copyDemoClub creates the club slug with `server clubs create` and gives it, through
// the admin API, the demo club's courts, seasons and price rules.
func copyDemoClub(ctx context.Context, bin string, env []string, base, demoKey, slug string) error {
	out, err := runServerCommand(ctx, bin, env, "clubs", "create", "-slug", slug, "-name", "Load "+slug,
		"-zone", "America/Argentina/Buenos_Aires", "-currency", "ARS")
	if err != nil {
		return fmt.Errorf("server clubs create: %w\n%s", err, out)
	}
	lines := strings.Fields(strings.TrimSpace(string(out)))
	if len(lines) == 0 {
		return fmt.Errorf("server clubs create printed no key:\n%s", out)
	}
	key := lines[len(lines)-1] // the command ends with the key, on a line of its own
	for _, res := range []struct{ path, field string }{
		{"courts", "courts"}, {"seasons", "seasons"}, {"price-rules", "price_rules"},
	} {
		var list map[string][]map[string]any
		if err := adminCall(ctx, http.MethodGet, base+"/v1/admin/clubs/demo/"+res.path, demoKey, nil, &list); err != nil {
			return err
		}
		for _, item := range list[res.field] {
			delete(item, "id")
			if err := adminCall(ctx, http.MethodPost, base+"/v1/admin/clubs/"+slug+"/"+res.path, key, item, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// adminCall sends an admin API request with the key and decodes a 2xx answer into out.
func adminCall(ctx context.Context, method, u, key string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, u, resp.Status, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// waitHealthy waits up to 30 seconds for GET /healthz to answer 200.
func waitHealthy(ctx context.Context, base string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("GET %s/healthz did not answer 200 within 30 seconds", base)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// freePort returns a loopback TCP port nothing listens on.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// createDatabase creates a database with a random name on the server of admin and
// returns its URL and a function that drops it.
func createDatabase(ctx context.Context, admin string) (dbURL string, drop func() error, err error) {
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, fmt.Errorf("-postgres: want a postgres:// URL")
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "matchpoint_load_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		_ = db.Close()
		return "", nil, fmt.Errorf("create a database on %s: %w", redact(admin), err)
	}
	u.Path = "/" + name
	drop = func() error {
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		return err
	}
	return u.String(), drop, nil
}

// redact hides the password of a URL.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(a URL that does not parse)"
	}
	return u.Redacted()
}

// readRSS returns the resident memory of process pid (VmRSS) and its peak (VmHWM), in
// bytes, from /proc (Linux).
func readRSS(pid int) (rss, peak int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		f := strings.Fields(value) // "12345 kB"
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("/proc/%d/status: %s: unexpected %q", pid, name, value)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, 0, err
		}
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	if rss == 0 {
		return 0, 0, fmt.Errorf("/proc/%d/status has no VmRSS", pid)
	}
	return rss, peak, nil
}

// tail keeps the last lines written to it: the server's output, shown when it fails.
type tail struct {
	mu    sync.Mutex
	max   int
	lines []string
	part  []byte
}

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
}

// Write takes the server's standard error, line by line.
func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	t.part = append(t.part, p...)
	var lines []string
	for {
		i := bytes.IndexByte(t.part, '\n')
		if i < 0 {
			break
		}
		lines = append(lines, string(t.part[:i]))
		t.part = t.part[i+1:]
	}
	t.mu.Unlock()
	for _, l := range lines {
		t.add(l)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}
