package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/postgres/pgtest"
	"github.com/matchpoint/matchpoint/domain"
)

// TestDatabaseOutage stops the server's database, fast (sessions told to end) and then
// immediately (as in a crash), and starts it again. While it is away every request
// that needs it, and the readiness probe, answers 503 with Retry-After and a body that
// tells nothing of the cause; the log has one line when the outage begins and one when
// it ends, however many requests failed. Once the database is back the same server
// serves again.
func TestDatabaseOutage(t *testing.T) {
	ctx := context.Background()
	pg, err := pgtest.StartServer(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, pg.Remove()) })
	admin, err := sql.Open("pgx", pg.URL("postgres"))
	require.NoError(t, err)
	_, err = admin.Exec("CREATE DATABASE matchpoint")
	require.NoError(t, err)
	require.NoError(t, admin.Close())
	dbURL, err := url.Parse(pg.URL("matchpoint"))
	require.NoError(t, err)

	logs := &syncBuffer{}
	s := startServerLogging(t, map[string]string{
		"MATCHPOINT_DATABASE_URL": dbURL.String(), "MATCHPOINT_MIGRATE": "auto", "MATCHPOINT_DATABASE_MAX_CONNS": "4",
	}, logs)
	loc := s.demo.Club.Location
	day := domain.DateOf(time.Now(), loc).AddDays(3)
	start, ok := day.At(domain.MustClock("17:30"), loc)
	require.True(t, ok)
	r := s.do(t, "POST", "/v1/clubs/demo/bookings", bookingJSON(s.demo.Courts[0].ID, start, 90, "Ana", "ana@example.com"), nil)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	bookingPath := "/v1/bookings/" + obj(t, r.body, "booking")["id"].(string)
	customer := map[string]string{"Authorization": "Bearer " + r.body["access_token"].(string)}
	adminKey := map[string]string{"Authorization": "Bearer " + s.demo.APIKey}
	listPath := "/v1/admin/clubs/demo/bookings?from=" + day.String() + "&to=" + day.AddDays(1).String()
	require.Empty(t, logs.lines(), "nothing to warn about yet")

	for i, mode := range []string{"fast", "immediate"} {
		t.Run(mode, func(t *testing.T) {
			before := len(logs.lines())
			require.NoError(t, pg.Stop(ctx, mode))
			failed := 0
			for n := range 10 {
				later, _ := day.At(domain.MustClock(fmt.Sprintf("%02d:00", 9+n)), loc)
				for _, req := range []struct {
					method, path, body string
					header             map[string]string
				}{
					{"GET", bookingPath, "", customer},
					{"GET", listPath, "", adminKey},
					{"POST", "/v1/clubs/demo/bookings", bookingJSON(s.demo.Courts[1].ID, later, 60, "Bruno", fmt.Sprintf("bruno%d.%d@example.com", i, n)), nil},
					{"GET", "/readyz", "", nil},
				} {
					r, header := s.doWithHeader(t, req.method, req.path, req.body, req.header)
					failed++
					require.Equal(t, http.StatusServiceUnavailable, r.status, "%s %s: %s", req.method, req.path, r.raw)
					assert.Equal(t, "5", header.Get("Retry-After"))
					assert.Equal(t, "application/problem+json", header.Get("Content-Type"))
					assert.Equal(t, "unavailable", r.body["code"])
					for _, secret := range []string{"dial", "postgres", "connect", "127.0.0.1", dbURL.Port()} {
						assert.NotContains(t, r.raw, secret, "the body hides the cause")
					}
				}
			}
			during, queue := splitRiver(logs.lines()[before:])
			t.Logf("River's lines: %q", queue)
			require.Len(t, during, 1, "one line for the outage, not one per request: %q", during)
			assert.Contains(t, during[0], "requests are failing on a dependency")
			assert.Contains(t, during[0], "err=\"unavailable: postgres: ", "the cause is in the log")

			require.NoError(t, pg.Start(ctx))
			waitFor(t, func() bool { return s.do(t, "GET", bookingPath, "", customer).status == http.StatusOK }, "the server serves again")
			assert.Equal(t, http.StatusOK, s.do(t, "GET", "/readyz", "", nil).status)
			assert.Equal(t, http.StatusOK, s.do(t, "GET", listPath, "", adminKey).status)
			waitFor(t, func() bool { l, _ := splitRiver(logs.lines()[before:]); return len(l) > 1 }, "the outage's end is logged")
			after, _ := splitRiver(logs.lines()[before:])
			require.Len(t, after, 2, "%q", after)
			assert.Contains(t, after[1], "requests no longer fail on a dependency")
			var counted int
			_, err := fmt.Sscanf(after[1][strings.Index(after[1], "failed_requests="):], "failed_requests=%d", &counted)
			require.NoError(t, err, after[1])
			assert.GreaterOrEqual(t, counted, failed, "every failed request is counted")
		})
	}
}

// splitRiver separates the job queue's lines (component=river) from the rest. The
// queue reports the outage on its own, each repeated line once a minute at most
// (compose.RiverLogger): none of its lines may repeat.
func splitRiver(lines []string) (rest, river []string) {
	seen := map[string]bool{}
	for _, l := range lines {
		if !strings.Contains(l, "component=river") {
			rest = append(rest, l)
			continue
		}
		_, msg, _ := strings.Cut(l, " msg=") // without the time
		if seen[msg] {
			rest = append(rest, l) // a repeated line of the queue counts against the test
		}
		seen[msg] = true
		river = append(river, l)
	}
	return rest, river
}

// waitFor polls cond until it holds, failing the test after a minute.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
