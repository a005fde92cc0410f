package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
	"github.com/matchpoint/matchpoint/domain"
)

// cliRun is one in-process run of the command line.
type cliRun struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command line with args in process, with env as its whole
// environment. A server it starts is stopped as soon as it says where it serves, so
// that a test expecting a refusal fails rather than waits.
func runCLI(t *testing.T, env map[string]string, args ...string) cliRun {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out := &stopOnServing{cancel: cancel}
	var errb bytes.Buffer
	code := run(ctx, args, noShutdownDelay(env), out, &errb)
	return cliRun{code: code, stdout: out.buf.String(), stderr: errb.String()}
}

// noShutdownDelay is the getenv of env, where MATCHPOINT_SHUTDOWN_DELAY is 0 unless env
// sets it: a server stopped in a test has no load balancer to wait for.
func noShutdownDelay(env map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := env[k]; ok || k != "MATCHPOINT_SHUTDOWN_DELAY" {
			return v
		}
		return "0"
	}
}

// stopOnServing collects a command's output and cancels its context once it reads as a
// server that started.
type stopOnServing struct {
	buf    bytes.Buffer
	cancel func()
}

func (w *stopOnServing) Write(p []byte) (int, error) {
	n, err := w.buf.Write(p)
	if strings.Contains(w.buf.String(), "Match Point is serving") {
		w.cancel()
	}
	return n, err
}

// pgEnv is the environment of the commands and servers on the database at url.
func pgEnv(url string) map[string]string {
	return map[string]string{"MATCHPOINT_DATABASE_URL": url, "MATCHPOINT_HTTP_ADDR": "127.0.0.1:0", "MATCHPOINT_LOG_LEVEL": "warn"}
}

// lastLine is the last line of out: where the commands print a key.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}

// publicTables counts the tables of the database at url.
func publicTables(t *testing.T, url string) int {
	t.Helper()
	db, err := sql.Open("pgx", url)
	require.NoError(t, err)
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`).Scan(&n))
	return n
}

// adminStatus is the status of an admin API request made with key to the club.
func adminStatus(t *testing.T, s *testServer, slug, key string) int {
	t.Helper()
	return s.do(t, "GET", "/v1/admin/clubs/"+slug+"/courts", "", map[string]string{"Authorization": "Bearer " + key}).status
}

func TestCLIHelp(t *testing.T) {
	top := runCLI(t, nil, "-h")
	require.Equal(t, 0, top.code, top.stderr)
	assert.Empty(t, top.stderr)
	for _, cmd := range commands {
		assert.Contains(t, top.stdout, "\n  "+cmd.path, "server -h lists %s", cmd.path)
	}
	for _, args := range [][]string{{"help"}, {"--help"}} {
		r := runCLI(t, nil, args...)
		assert.Equal(t, 0, r.code)
		assert.Equal(t, top.stdout, r.stdout)
	}
	for _, cmd := range commands {
		t.Run(cmd.path, func(t *testing.T) {
			r := runCLI(t, nil, append(strings.Fields(cmd.path), "-h")...)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Empty(t, r.stderr)
			assert.True(t, strings.HasPrefix(r.stdout, "usage: server "+cmd.path), r.stdout)
			for _, flag := range regexp.MustCompile(`-[a-z]+`).FindAllString(cmd.args, -1) {
				assert.Contains(t, r.stdout, "\n  "+flag+" string\n", "the usage describes %s", flag)
			}
		})
	}
	for _, group := range []string{"clubs", "keys"} {
		r := runCLI(t, nil, group, "-h")
		require.Equal(t, 0, r.code, r.stderr)
		assert.True(t, strings.HasPrefix(r.stdout, "usage: server "+group+" COMMAND"), r.stdout)
		assert.NotContains(t, r.stdout, "migrate", "only the group's commands")
	}
}

func TestCLIBadCommandLine(t *testing.T) {
	url := testDatabase(t)
	env := pgEnv(url)
	require.Equal(t, 0, runCLI(t, env, "migrate").code)
	cases := map[string][]string{
		"an unknown command":       {"frobnicate"},
		"a group without command":  {"keys"},
		"an unknown subcommand":    {"keys", "rotate"},
		"an unknown flag":          {"keys", "list", "-club", "demo", "-all"},
		"a stray argument":         {"migrate", "now"},
		"a missing flag":           {"clubs", "create", "-slug", "acme", "-name", "Acme", "-zone", "UTC"},
		"a blank label":            {"keys", "issue", "-club", "acme", "-label", " "},
		"an invalid slug":          {"clubs", "create", "-slug", "Not A Slug", "-name", "Acme", "-zone", "UTC", "-currency", "EUR"},
		"an unknown time zone":     {"clubs", "create", "-slug", "acme", "-name", "Acme", "-zone", "Mars/Olympus", "-currency", "EUR"},
		"a flag without its value": {"keys", "revoke", "-club"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, env, args...)
			assert.Equal(t, 2, r.code, "a mistake in the command line: %s", r.stderr)
			assert.Empty(t, r.stdout)
			assert.Contains(t, r.stderr, "usage: server")
		})
	}
	r := runCLI(t, env, "keys", "list", "-club", "acme")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "server keys list: club \"acme\" not found\n", r.stderr, "no club was created")
}

func TestCLIMigrate(t *testing.T) {
	url := testDatabase(t)
	ms, err := postgres.Migrations()
	require.NoError(t, err)
	var want strings.Builder
	latest := ""
	for _, m := range ms.Sorted() {
		fmt.Fprintf(&want, "applied %s_%s\n", m.Name, m.Comment)
		latest = m.Name
	}
	fmt.Fprintf(&want, "database at version %s\n", latest)
	db, err := sql.Open("pgx", url)
	require.NoError(t, err)
	defer db.Close()
	river, err := riverqueue.PendingMigrations(context.Background(), db)
	require.NoError(t, err)
	require.NotEmpty(t, river)
	for _, m := range river {
		fmt.Fprintf(&want, "applied river %s\n", m)
	}
	riverVersion, err := strconv.Atoi(river[len(river)-1][:3])
	require.NoError(t, err)
	fmt.Fprintf(&want, "job queue (River) at version %d\n", riverVersion)

	r := runCLI(t, pgEnv(url), "migrate")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, want.String(), r.stdout)

	r = runCLI(t, pgEnv(url), "migrate")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "nothing to apply; database at version "+latest+"\n"+
		fmt.Sprintf("nothing to apply; job queue (River) at version %d\n", riverVersion), r.stdout)

	r = runCLI(t, nil, "migrate")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "MATCHPOINT_DATABASE_URL is not set")
}

// A server or a command on a database that was never migrated stops before it writes
// anything, and says how to migrate.
func TestCLIRefusesAnUnmigratedDatabase(t *testing.T) {
	url := testDatabase(t)
	for _, args := range [][]string{
		{}, {"serve"}, {"demo"}, {"keys", "list", "-club", "demo"},
		{"clubs", "create", "-slug", "acme", "-name", "Acme", "-zone", "UTC", "-currency", "EUR"},
	} {
		r := runCLI(t, pgEnv(url), args...)
		assert.Equal(t, 1, r.code, "%q: %s", args, r.stderr)
		assert.Contains(t, r.stderr, "the database is not migrated: run `server migrate` or set MATCHPOINT_MIGRATE=auto", "%q", args)
		assert.Empty(t, r.stdout, "%q", args)
	}
	assert.Zero(t, publicTables(t, url), "nothing was created")
}

// A database behind the binary's migrations is not migrated either.
func TestCLIRefusesADatabaseBehind(t *testing.T) {
	url := testDatabase(t)
	require.Equal(t, 0, runCLI(t, pgEnv(url), "migrate").code)
	ms, err := postgres.Migrations()
	require.NoError(t, err)
	last := ms.Sorted()[len(ms.Sorted())-1]
	db, err := sql.Open("pgx", url)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec(`DELETE FROM bun_migrations WHERE name = $1`, last.Name)
	require.NoError(t, err)

	r := runCLI(t, pgEnv(url), "serve")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "the database is not migrated")
	assert.Contains(t, r.stderr, last.Name+"_"+last.Comment, "it names what is left to apply")

	// River's tables are migrations of the database too.
	url = testDatabase(t)
	require.Equal(t, 0, runCLI(t, pgEnv(url), "migrate").code)
	db, err = sql.Open("pgx", url)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec(`DELETE FROM river_migration WHERE version = (SELECT max(version) FROM river_migration)`)
	require.NoError(t, err)
	r = runCLI(t, pgEnv(url), "serve")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "the database is not migrated")
	assert.Contains(t, r.stderr, "river 0", "it names River's migration left to apply")
}

func TestCLIRefusesTheMemoryStore(t *testing.T) {
	for _, args := range [][]string{
		{"demo"}, {"keys", "issue", "-club", "demo", "-label", "x"}, {"keys", "list", "-club", "demo"},
		{"keys", "revoke", "-club", "demo", "-id", "x"},
		{"clubs", "create", "-slug", "acme", "-name", "Acme", "-zone", "UTC", "-currency", "EUR"},
	} {
		r := runCLI(t, map[string]string{}, args...)
		assert.Equal(t, 1, r.code, "%q", args)
		assert.Contains(t, r.stderr, "MATCHPOINT_DATABASE_URL is not set: ", "%q", args)
		assert.Empty(t, r.stdout)
	}
}

func TestCLIClubsCreateAndKeys(t *testing.T) {
	url := testDatabase(t)
	env := pgEnv(url)
	require.Equal(t, 0, runCLI(t, env, "migrate").code)

	r := runCLI(t, env, "clubs", "create", "-slug", "acme", "-name", "Acme Padel", "-zone", "Europe/Madrid", "-currency", "EUR")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `created club "acme" (Acme Padel), Europe/Madrid, EUR`)
	first := lastLine(r.stdout)
	require.True(t, strings.HasPrefix(first, "mpk_"), r.stdout)

	again := runCLI(t, env, "clubs", "create", "-slug", "acme", "-name", "Other", "-zone", "UTC", "-currency", "USD")
	assert.Equal(t, 1, again.code)
	assert.Equal(t, "server clubs create: the slug \"acme\" is taken by another club\n", again.stderr)

	srvEnv := map[string]string{"MATCHPOINT_DATABASE_URL": url, "MATCHPOINT_SEED": "false"}
	s := startServerWith(t, srvEnv)
	assert.Equal(t, http.StatusOK, adminStatus(t, s, "acme", first), "the printed key administers the club")

	r = runCLI(t, env, "keys", "issue", "-club", "acme", "-label", "front desk")
	require.Equal(t, 0, r.code, r.stderr)
	second := lastLine(r.stdout)
	require.True(t, strings.HasPrefix(second, "mpk_"), r.stdout)
	assert.NotEqual(t, first, second)
	assert.Equal(t, http.StatusOK, adminStatus(t, s, "acme", second))

	r = runCLI(t, env, "keys", "list", "-club", "acme")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stdout, strings.TrimPrefix(first, "mpk_"), "the list never shows a key")
	assert.NotContains(t, r.stdout, strings.TrimPrefix(second, "mpk_"))
	rows := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, rows, 3, r.stdout)
	assert.Regexp(t, `^ID\s+LABEL\s+CREATED\s+LAST USED\s+REVOKED$`, rows[0])
	stamp := `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`
	assert.Regexp(t, `^\S+\s+initial\s+`+stamp+`\s+`+stamp+`\s+-$`, rows[1], "the first key was used")
	assert.Regexp(t, `^\S+\s+front desk\s+`+stamp+`\s+`+stamp+`\s+-$`, rows[2])
	secondID := strings.Fields(rows[2])[0]

	r = runCLI(t, env, "keys", "revoke", "-club", "acme", "-id", secondID)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "revoked API key "+secondID)
	assert.Equal(t, http.StatusUnauthorized, adminStatus(t, s, "acme", second), "a revoked key is unauthorized")
	assert.Equal(t, http.StatusOK, adminStatus(t, s, "acme", first), "the other key still works")

	r = runCLI(t, env, "keys", "list", "-club", "acme")
	require.Equal(t, 0, r.code, r.stderr)
	rows = strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, rows, 3)
	assert.Regexp(t, `^`+secondID+`\s+front desk\s+`+stamp+`\s+`+stamp+`\s+`+stamp+`$`, rows[2], "the revoked key is listed with its revocation time")

	// Another club may not revoke the key, and an unknown id is not found.
	require.Equal(t, 0, runCLI(t, env, "clubs", "create", "-slug", "other", "-name", "Other", "-zone", "UTC", "-currency", "EUR").code)
	firstID := strings.Fields(rows[1])[0]
	r = runCLI(t, env, "keys", "revoke", "-club", "other", "-id", firstID)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "not found")
	assert.Equal(t, http.StatusOK, adminStatus(t, s, "acme", first))
}

func TestCLIDemo(t *testing.T) {
	url := testDatabase(t)
	env := pgEnv(url)
	require.Equal(t, 0, runCLI(t, env, "migrate").code)

	r := runCLI(t, env, "demo")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `created the demo club "demo" (Demo Padel & Tennis), America/Argentina/Buenos_Aires, ARS, with 6 courts`)
	key := lastLine(r.stdout)
	require.True(t, strings.HasPrefix(key, "mpk_"), r.stdout)

	r = runCLI(t, env, "demo")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `the demo club "demo" exists already; nothing changed`)
	assert.NotContains(t, r.stdout, "mpk_")

	s := startServerWith(t, map[string]string{"MATCHPOINT_DATABASE_URL": url})
	assert.Empty(t, s.demo.APIKey, "the server finds the demo club seeded")
	assert.Equal(t, http.StatusOK, adminStatus(t, s, "demo", key))
	courts := s.do(t, "GET", "/v1/admin/clubs/demo/courts", "", map[string]string{"Authorization": "Bearer " + key})
	assert.Len(t, courts.body["courts"], 6, courts.raw)
}

// syncBuffer is a buffer a server writes to while the test reads it.
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

// lines returns the lines written so far.
func (b *syncBuffer) lines() []string {
	s := strings.TrimSpace(b.String())
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// since returns what was written from offset on, and the new offset.
func (b *syncBuffer) since(offset int) (string, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	return s[offset:], len(s)
}

// serveCLI runs `server serve` in process until the test ends; it returns once the
// server says where it serves.
func serveCLI(t *testing.T, env map[string]string) (stdout, stderr *syncBuffer, stop func() int) {
	t.Helper()
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, noShutdownDelay(env), stdout, stderr) }()
	var once sync.Once
	code := -1
	stop = func() int {
		once.Do(func() { cancel(); code = <-done })
		return code
	}
	t.Cleanup(func() { stop() })
	require.Eventually(t, func() bool {
		select {
		case code := <-done:
			done <- code
			return true
		default:
			return strings.Contains(stdout.String(), "Match Point is serving http://")
		}
	}, 30*time.Second, 10*time.Millisecond)
	require.Contains(t, stdout.String(), "Match Point is serving http://", "stderr: %s", stderr.String())
	return stdout, stderr, stop
}

// Restarted on Postgres, the server says where it serves and how to get a demo key;
// its start-up log line names the adapters, and the database without its password.
func TestCLIServeOnPostgresSaysWhereItServes(t *testing.T) {
	url := strings.Replace(testDatabase(t), "postgres@", "postgres:hunter2@", 1) // the local server trusts, so any password goes
	env := map[string]string{"MATCHPOINT_DATABASE_URL": url, "MATCHPOINT_MIGRATE": "auto", "MATCHPOINT_HTTP_ADDR": "127.0.0.1:0"}

	stdout, stderr, stop := serveCLI(t, env)
	assert.Regexp(t, `demo club "demo", admin API key \(shown once\): mpk_\S+\n`, stdout.String())
	assert.Contains(t, stdout.String(), "`server keys issue -club demo -label LABEL` issues another one.")
	db := regexp.MustCompile(`/(matchpoint_server_[0-9a-f]+)\?`).FindStringSubmatch(url)[1]
	line := logLine(t, stdout.String(), "Match Point is serving")
	assert.Equal(t, "postgres host=127.0.0.1:5432 db="+db, line["store"])
	for k, v := range map[string]string{"cache": "in-process", "queue": "river", "notifier": "outbox", "gateways": "sandbox", "default_gateway": "sandbox"} {
		assert.Equal(t, v, line[k], k)
	}
	assert.NotContains(t, stdout.String()+stderr.String(), "hunter2", "no password in the log")
	assert.Equal(t, 0, stop(), stderr.String())

	stdout, _, stop = serveCLI(t, env)
	assert.Regexp(t, `(?m)^Match Point is serving http://127\.0\.0\.1:\d+$`, stdout.String())
	assert.Contains(t, stdout.String(), "demo club \"demo\" exists; `server keys issue -club demo -label LABEL` issues an admin API key for it.")
	assert.NotContains(t, stdout.String(), "mpk_")
	assert.Equal(t, 0, stop())
}

func TestCLIServeOnTheMemoryStore(t *testing.T) {
	stdout, stderr, stop := serveCLI(t, map[string]string{"MATCHPOINT_HTTP_ADDR": "127.0.0.1:0"})
	assert.Regexp(t, `demo club "demo", admin API key \(shown once\): mpk_\S+\n`, stdout.String())
	assert.Contains(t, stdout.String(), "The memory store lasts as long as this process. On Postgres (MATCHPOINT_DATABASE_URL), `server keys issue -club demo -label LABEL` issues another key.")
	line := logLine(t, stdout.String(), "Match Point is serving")
	for k, v := range map[string]string{"store": "memory", "cache": "in-process", "queue": "in-process", "notifier": "outbox", "gateways": "sandbox"} {
		assert.Equal(t, v, line[k], k)
	}
	assert.Empty(t, stderr.String(), "a server logs to standard output")
	assert.Equal(t, 0, stop())
}

// logLine returns the JSON log line of out whose message is msg; every line that
// starts with '{' must be JSON.
func logLine(t *testing.T, out, msg string) map[string]any {
	t.Helper()
	var found map[string]any
	for l := range strings.SplitSeq(out, "\n") {
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), "a log line that is not JSON: %s", l)
		if m["msg"] == msg {
			found = m
		}
	}
	require.NotNil(t, found, "no log line %q in:\n%s", msg, out)
	return found
}

// TestNoSecretIsLogged runs a server at debug level through a booking — made, read
// and cancelled with its access token, and an admin request with the demo's API key —
// and looks for the token, the key and the customer's email in every log line.
func TestNoSecretIsLogged(t *testing.T) {
	stdout, stderr, stop := serveCLI(t, map[string]string{"MATCHPOINT_HTTP_ADDR": "127.0.0.1:0", "MATCHPOINT_LOG_LEVEL": "debug"})
	base := regexp.MustCompile(`Match Point is serving (http://\S+)`).FindStringSubmatch(stdout.String())[1]
	key := regexp.MustCompile(`admin API key \(shown once\): (mpk_\S+)`).FindStringSubmatch(stdout.String())[1]
	call := func(method, path, body, auth string) map[string]any {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		require.Less(t, res.StatusCode, 300, "%s %s: %v", method, path, out)
		return out
	}
	courts := call("GET", "/v1/admin/clubs/demo/courts", "", key)["courts"].([]any)
	court := courts[0].(map[string]any)["id"].(string)
	loc, err := time.LoadLocation("America/Argentina/Buenos_Aires")
	require.NoError(t, err)
	start, ok := domain.DateOf(time.Now(), loc).AddDays(3).At(domain.MustClock("17:30"), loc)
	require.True(t, ok)
	booked := call("POST", "/v1/clubs/demo/bookings", bookingJSON(court, start, 90, "Ana Pérez", "ana.secret@example.com"), "")
	id, token := booked["booking"].(map[string]any)["id"].(string), booked["access_token"].(string)
	call("GET", "/v1/bookings/"+id, "", token)
	call("POST", "/v1/bookings/"+id+"/cancel", "", token)
	require.Equal(t, 0, stop())

	var logs []string
	for l := range strings.SplitSeq(stdout.String()+stderr.String(), "\n") {
		if strings.HasPrefix(l, "{") { // the log's lines; the rest is the serve command's answer, the key among it
			logs = append(logs, l)
		}
	}
	require.NotEmpty(t, logs)
	all := strings.Join(logs, "\n")
	assert.Contains(t, all, `"msg":"http request"`, "the requests were logged")
	for name, secret := range map[string]string{"the access token": token, "the API key": key, "the customer's email": "ana.secret@example.com"} {
		assert.NotContains(t, all, secret, "%s is in the log", name)
	}
}
