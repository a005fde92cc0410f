package main

import (
	"bytes"
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func noEnv(string) string { return "" }

// postgresAdmin is the Postgres server the tests create their databases on.
func postgresAdmin() string {
	if u := os.Getenv("MATCHPOINT_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return defaultPostgres
}

func TestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"-h"}, noEnv, &stdout, &stderr))
	out := stdout.String()
	assert.Contains(t, out, "usage: go run ./examples/loadtest [flags]")
	for _, flag := range []string{"-target", "-start", "-postgres", "-rate", "-duration", "-clubs", "-days", "-mix", "-plot", "-allow-remote", "-insecure", "-quiet"} {
		assert.Regexp(t, `\n  `+flag+`[ \n]`, out, "-h describes %s", flag)
	}
	assert.Empty(t, stderr.String())
}

func TestBadCommandLines(t *testing.T) {
	for _, args := range [][]string{
		{"-mix", "availability=90,bogus=10"},
		{"-mix", "availability=0,booking=0"},
		{"-mix", "booking=-1,availability=5"},
		{"-clubs", "3"}, // the embedded server has one club
		{"-start", "mysql"},
		{"-rate", "-5"},
		{"-rate", "0", "-knee-factor", "1"},
		{"-target", "ftp://127.0.0.1"},
		{"extra"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, 2, run(context.Background(), args, noEnv, &stdout, &stderr))
			assert.Contains(t, stderr.String(), "usage: go run ./examples/loadtest")
			assert.Empty(t, stdout.String())
		})
	}
}

func TestRefusesRemoteTarget(t *testing.T) {
	for _, target := range []string{"http://192.0.2.10:8080", "https://example.com", "http://10.0.0.1", "http://[2001:db8::1]:80"} {
		var stdout, stderr bytes.Buffer
		assert.Equal(t, 2, run(context.Background(), []string{"-target", target}, noEnv, &stdout, &stderr), target)
		assert.Contains(t, stderr.String(), "not on the loopback interface: loading another machine needs -allow-remote", target)
		assert.NoError(t, checkTarget(target, true), "-allow-remote lets %s through", target)
	}
	for _, target := range []string{"http://127.0.0.1:8080", "http://127.3.4.5", "http://localhost:8080", "http://LOCALHOST", "http://[::1]:8080"} {
		assert.NoError(t, checkTarget(target, false), target)
	}
}

func TestProblemCode(t *testing.T) {
	problem := &vegeta.Result{Code: 409, Headers: http.Header{"Content-Type": {"application/problem+json"}},
		Body: []byte(`{"type":"https://matchpoint.dev/problems/slot_unavailable","status":409,"code":"slot_unavailable"}`)}
	assert.Equal(t, "slot_unavailable", problemCode(problem))
	assert.Equal(t, "", problemCode(&vegeta.Result{Code: 200, Headers: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"code":"x"}`)}))
	assert.Equal(t, "(no code)", problemCode(&vegeta.Result{Code: 500, Headers: http.Header{"Content-Type": {"application/problem+json"}}, Body: []byte(`not json`)}))
}

// assertConsistent checks that a report's counts add up and that its checks passed.
func assertConsistent(t *testing.T, rep *report) {
	t.Helper()
	total := 0
	for _, byStatus := range rep.Statuses {
		for _, n := range byStatus {
			total += n
		}
	}
	assert.EqualValues(t, rep.Total.Requests, total, "every request has one status")
	var byKind uint64
	for _, m := range rep.ByKind {
		byKind += m.Requests
	}
	assert.Equal(t, rep.Total.Requests, byKind, "every request has one kind")
	assert.Equal(t, rep.Statuses[kindBooking][http.StatusCreated], len(rep.Created), "every 201 is listed")
	assert.NotEmpty(t, rep.Created, "some bookings were made")
	assert.Greater(t, rep.Statuses[kindAvailability][http.StatusOK], 0)
	for k, byStatus := range rep.Statuses {
		for status, n := range byStatus {
			assert.True(t, status == 200 || status == 201 || status == 304 || status == 409, "%s answered %d × %d", k, status, n)
		}
	}
	problems := 0
	for _, n := range rep.Problems {
		problems += n
	}
	assert.Equal(t, rep.Statuses[kindBooking][http.StatusConflict], problems, "every 409 is a problem with a code")
	if n := rep.Statuses[kindBooking][http.StatusConflict]; n > 0 {
		assert.Equal(t, n, rep.Problems["409 slot_unavailable"])
	}
	assert.Equal(t, len(rep.Created), rep.Checks.Bookings)
	assert.Equal(t, len(rep.Created), rep.Checks.Stored, "every 201 is stored")
	assert.Empty(t, rep.Checks.Missing)
	assert.Empty(t, rep.Checks.Overlaps)
	assert.GreaterOrEqual(t, rep.Checks.Active, 1)
	require.NotNil(t, rep.RSS)
	assert.Greater(t, rep.RSS.Idle, int64(1<<20))
	assert.Greater(t, rep.RSS.After, int64(1<<20))
}

func TestLoadEmbedded(t *testing.T) {
	dir := t.TempDir()
	o, err := parseOptions([]string{"-rate", "40", "-duration", "2s", "-days", "2", "-mix", "availability=50,etag=20,booking=30",
		"-plot", filepath.Join(dir, "plot.html"), "-ids", filepath.Join(dir, "ids.txt")}, noEnv, nil)
	require.NoError(t, err)
	rep, err := load(context.Background(), o, &testWriter{t})
	require.NoError(t, err)
	assertConsistent(t, rep)
	assert.Equal(t, "API", rep.Checks.Via)
	assert.Contains(t, rep.Checks.Note, "needs Postgres")
	assert.Empty(t, rep.Database)
	assert.InDelta(t, 80, rep.Total.Requests, 4, "40/s for 2s")
	assert.Greater(t, rep.ByKind[kindETag].Requests, uint64(0))
	plot, err := os.ReadFile(filepath.Join(dir, "plot.html"))
	require.NoError(t, err)
	assert.Contains(t, string(plot), "<html")
	listed, err := os.ReadFile(filepath.Join(dir, "ids.txt"))
	require.NoError(t, err)
	assert.Equal(t, ids(rep.Created), strings.Fields(string(listed)))

	var out bytes.Buffer
	rep.print(&out)
	assert.Contains(t, out.String(), "check (API)  stored: "+strconv.Itoa(len(rep.Created))+" of the "+strconv.Itoa(len(rep.Created))+" bookings answered 201: ok")
	assert.Contains(t, out.String(), "server RSS  idle ")
}

func TestLoadPostgres(t *testing.T) {
	o, err := parseOptions([]string{"-start", "postgres", "-postgres", postgresAdmin(), "-clubs", "2", "-rate", "40", "-duration", "2s", "-days", "2",
		"-mix", "availability=60,booking=40"}, noEnv, nil)
	require.NoError(t, err)
	rep, err := load(context.Background(), o, &testWriter{t})
	require.NoError(t, err)
	assertConsistent(t, rep)
	assert.Equal(t, "SQL", rep.Checks.Via)
	assert.Equal(t, []string{"demo", "load-2"}, rep.Clubs)
	clubs := map[string]bool{}
	for _, b := range rep.Created {
		clubs[b.Club] = true
	}
	assert.True(t, clubs["demo"] || clubs["load-2"])

	// The database was the run's own, and is gone.
	require.NotEmpty(t, rep.Database)
	u, err := url.Parse(rep.Database)
	require.NoError(t, err)
	db, err := sql.Open("pgx", postgresAdmin())
	require.NoError(t, err)
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM pg_database WHERE datname = $1`, strings.TrimPrefix(u.Path, "/")).Scan(&n))
	assert.Zero(t, n, "the database is dropped after the run")
}

func TestKneeSearch(t *testing.T) {
	o, err := parseOptions([]string{"-rate", "0", "-knee-start", "10", "-knee-factor", "2", "-knee-max", "40", "-max-p99", "2s",
		"-duration", "1s", "-quiet"}, noEnv, nil)
	require.NoError(t, err)
	var progress bytes.Buffer
	rep, err := load(context.Background(), o, &progress)
	require.NoError(t, err, progress.String())
	require.Len(t, rep.Steps, 3, "10/s, 20/s and 40/s, the last allowed")
	for i, want := range []int{10, 20, 40} {
		assert.Equal(t, want, rep.Steps[i].Rate)
		assert.True(t, rep.Steps[i].Within, rep.Steps[i].Why)
	}
	assert.Equal(t, 40, rep.Knee)
	assert.Equal(t, rep.Steps[0].Metrics.Requests+rep.Steps[1].Metrics.Requests+rep.Steps[2].Metrics.Requests, rep.Total.Requests)
	var out bytes.Buffer
	rep.print(&out)
	assert.Contains(t, out.String(), "knee        40/s")
	assert.Empty(t, rep.Checks.Missing)
	assert.Empty(t, rep.Checks.Overlaps)
}

func TestJudge(t *testing.T) {
	o := options{MaxP99: 10 * time.Millisecond, MaxErrors: 0.01}
	m := func(p99 time.Duration, codes map[string]int, rate float64) vegeta.Metrics {
		var mm vegeta.Metrics
		for _, n := range codes {
			mm.Requests += uint64(n)
		}
		mm.StatusCodes, mm.Latencies.P99, mm.Rate, mm.Duration = codes, p99, rate, time.Duration(float64(mm.Requests)/rate*float64(time.Second))
		return mm
	}
	rep := &report{}
	ok, why := rep.judge(o, step{Rate: 100, Metrics: m(5*time.Millisecond, map[string]int{"200": 900, "409": 100}, 100)})
	assert.True(t, ok, "409s are expected: %s", why)
	ok, why = rep.judge(o, step{Rate: 100, Metrics: m(5*time.Millisecond, map[string]int{"200": 980, "503": 20}, 100)})
	assert.False(t, ok)
	assert.Contains(t, why, "-max-errors")
	ok, why = rep.judge(o, step{Rate: 100, Metrics: m(5*time.Millisecond, map[string]int{"200": 980, "0": 20}, 100)})
	assert.False(t, ok, "failed requests count as errors")
	assert.Contains(t, why, "-max-errors")
	ok, why = rep.judge(o, step{Rate: 100, Metrics: m(50*time.Millisecond, map[string]int{"200": 1000}, 100)})
	assert.False(t, ok)
	assert.Contains(t, why, "-max-p99")
	ok, why = rep.judge(o, step{Rate: 100, Metrics: m(5*time.Millisecond, map[string]int{"200": 500}, 50)})
	assert.False(t, ok)
	assert.Contains(t, why, "not keeping up")
}

// testWriter sends the progress lines to the test's log.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestLoadTarget loads a server the tool did not start: -target, with the club named.
func TestLoadTarget(t *testing.T) {
	ctx := context.Background()
	srv, err := startServer(ctx, options{Start: startEmbedded, Clubs: 1}, &testWriter{t})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, srv.Stop()) })
	o, err := parseOptions([]string{"-target", srv.URL + "/", "-club", "demo", "-rate", "30", "-duration", "2s", "-mix", "availability=50,booking=50", "-quiet"}, noEnv, nil)
	require.NoError(t, err)
	rep, err := load(ctx, o, &testWriter{t})
	require.NoError(t, err)
	assert.Equal(t, srv.URL, rep.Target)
	assert.Nil(t, rep.RSS, "the server is not the tool's: no RSS")
	assert.Empty(t, rep.Database)
	assert.Equal(t, "API", rep.Checks.Via)
	assert.NotEmpty(t, rep.Created)
	assert.Equal(t, len(rep.Created), rep.Checks.Stored)
	assert.Empty(t, rep.Checks.Overlaps)
}
