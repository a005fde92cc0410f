package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
)

func TestDatabasePoolConfig(t *testing.T) {
	load := func(env map[string]string) (Config, error) {
		return LoadConfig(func(k string) string { return env[k] })
	}
	cfg, err := load(nil)
	require.NoError(t, err)
	want := min(max(4*runtime.GOMAXPROCS(0), 4), 32)
	assert.Equal(t, want, cfg.DBMaxConns, "the default follows the CPUs the process may use")
	assert.Equal(t, cfg.DBMaxConns, cfg.DBMaxIdleConns)
	assert.Equal(t, 30*time.Minute, cfg.DBConnMaxLifetime)
	assert.Equal(t, 5*time.Minute, cfg.DBConnMaxIdleTime)

	cfg, err = load(map[string]string{
		"MATCHPOINT_DATABASE_MAX_CONNS":          "12",
		"MATCHPOINT_DATABASE_MAX_IDLE_CONNS":     "0",
		"MATCHPOINT_DATABASE_CONN_MAX_LIFETIME":  "1h",
		"MATCHPOINT_DATABASE_CONN_MAX_IDLE_TIME": "0",
	})
	require.NoError(t, err)
	assert.Equal(t, 12, cfg.DBMaxConns)
	assert.Equal(t, 0, cfg.DBMaxIdleConns)
	assert.Equal(t, time.Hour, cfg.DBConnMaxLifetime)
	assert.Equal(t, time.Duration(0), cfg.DBConnMaxIdleTime, "0 keeps idle connections")

	cfg, err = load(map[string]string{"MATCHPOINT_DATABASE_MAX_CONNS": "6"})
	require.NoError(t, err)
	assert.Equal(t, 6, cfg.DBMaxIdleConns, "idle connections follow the bound")

	for name, bad := range map[string][]string{
		"MATCHPOINT_DATABASE_MAX_CONNS":          {"0", "-1", "many", "2.5"},
		"MATCHPOINT_DATABASE_MAX_IDLE_CONNS":     {"-1", "x", "99"},
		"MATCHPOINT_DATABASE_CONN_MAX_LIFETIME":  {"-1m", "an hour", "30"},
		"MATCHPOINT_DATABASE_CONN_MAX_IDLE_TIME": {"-5s", "soon"},
	} {
		for _, v := range bad {
			_, err := load(map[string]string{"MATCHPOINT_DATABASE_MAX_CONNS": "8", name: v})
			if name == "MATCHPOINT_DATABASE_MAX_CONNS" {
				_, err = load(map[string]string{name: v})
			}
			require.Error(t, err, "%s=%s", name, v)
			assert.Contains(t, err.Error(), name+"=", "the error names the variable")
		}
	}
}

// TestDatabasePoolLimit runs many concurrent requests on a server whose pool holds
// three connections: every request succeeds, waiting its turn, and the database never
// sees more than three connections from it.
func TestDatabasePoolLimit(t *testing.T) {
	const maxConns = 3
	app := fmt.Sprintf("matchpoint_pool_%d", time.Now().UnixNano())
	u, err := url.Parse(testDatabase(t))
	require.NoError(t, err)
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	s := startServerWith(t, map[string]string{
		"MATCHPOINT_DATABASE_URL": u.String(), "MATCHPOINT_MIGRATE": "auto",
		"MATCHPOINT_DATABASE_MAX_CONNS": fmt.Sprint(maxConns),
	})

	admin, err := sql.Open("pgx", adminURL())
	require.NoError(t, err)
	defer admin.Close()
	connections := func() int64 {
		var n int64
		require.NoError(t, admin.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", app).Scan(&n))
		return n
	}
	var most atomic.Int64
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if n := connections(); n > most.Load() {
				most.Store(n)
			}
		}
	}()

	loc := s.demo.Club.Location
	day := domain.DateOf(time.Now(), loc).AddDays(3)
	adminKey := map[string]string{"Authorization": "Bearer " + s.demo.APIKey}
	var wg sync.WaitGroup
	statuses := make(chan reply, 64)
	for i := range 12 { // bookings of distinct hours and customers: each one a write
		start, ok := day.At(domain.MustClock(fmt.Sprintf("%02d:00", 9+i)), loc)
		require.True(t, ok)
		body := bookingJSON(s.demo.Courts[0].ID, start, 60, "Player", fmt.Sprintf("player%d@example.com", i))
		wg.Go(func() { statuses <- s.doAsync("POST", "/v1/clubs/demo/bookings", body, nil) })
	}
	for range 48 { // the admin's booking list reads the database on every request
		wg.Go(func() {
			statuses <- s.doAsync("GET", "/v1/admin/clubs/demo/bookings?from="+day.String()+"&to="+day.AddDays(1).String(), "", adminKey)
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	close(statuses)
	for r := range statuses {
		assert.Contains(t, []int{http.StatusOK, http.StatusCreated}, r.status, r.raw)
	}
	assert.LessOrEqual(t, most.Load(), int64(maxConns), "connections the server opened")
	assert.Positive(t, most.Load())
}

// adminURL is the local server's maintenance database, as testDatabase uses it.
func adminURL() string {
	if u := os.Getenv("MATCHPOINT_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// doAsync is do for a goroutine other than the test's: it reports a failure to reach
// the server as a reply instead of stopping the test.
func (s *testServer) doAsync(method, path, body string, header map[string]string) reply {
	req, err := http.NewRequestWithContext(context.Background(), method, s.base+path, strings.NewReader(body))
	if err != nil {
		return reply{raw: err.Error()}
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{raw: err.Error()}
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return reply{status: res.StatusCode, raw: string(raw)}
}

// TestRequestWaitsWithinItsDeadline locks the table every booking list reads: a request
// that waits for the lock gives up within its deadline and answers 503, rather than
// holding its connection for as long as the lock lasts; once the lock is gone the same
// request succeeds.
func TestRequestWaitsWithinItsDeadline(t *testing.T) {
	s := startServerWith(t, map[string]string{
		"MATCHPOINT_DATABASE_URL": testDatabase(t), "MATCHPOINT_MIGRATE": "auto",
		"MATCHPOINT_HTTP_WRITE_TIMEOUT": "2s",
	})
	db, err := sql.Open("pgx", s.Config.DatabaseURL)
	require.NoError(t, err)
	defer db.Close()
	tx, err := db.Begin()
	require.NoError(t, err)
	defer func() { _ = tx.Rollback() }()
	_, err = tx.Exec("LOCK TABLE bookings IN ACCESS EXCLUSIVE MODE")
	require.NoError(t, err)

	adminKey := map[string]string{"Authorization": "Bearer " + s.demo.APIKey}
	r := s.do(t, "GET", "/v1/admin/clubs/demo/bookings", "", adminKey)
	assert.Equal(t, http.StatusServiceUnavailable, r.status, r.raw)
	assert.Equal(t, "unavailable", r.body["code"], r.raw)

	require.NoError(t, tx.Rollback())
	r = s.do(t, "GET", "/v1/admin/clubs/demo/bookings", "", adminKey)
	assert.Equal(t, http.StatusOK, r.status, r.raw)
}
