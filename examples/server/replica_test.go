package main

import (
	"context"
	"database/sql"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/postgres/pgtest"
	"github.com/matchpoint/matchpoint/domain"
)

func TestReplicaURLsConfig(t *testing.T) {
	env := map[string]string{
		"MATCHPOINT_DATABASE_URL":          "postgres://db/x",
		"MATCHPOINT_DATABASE_REPLICA_URLS": "postgres://r1/x, postgresql://r2/x",
	}
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, []string{"postgres://r1/x", "postgresql://r2/x"}, cfg.ReplicaURLs)

	env["MATCHPOINT_DATABASE_REPLICA_URLS"] = "postgres://r1/x,,"
	_, err = LoadConfig(func(k string) string { return env[k] })
	require.ErrorContains(t, err, "MATCHPOINT_DATABASE_REPLICA_URLS")
}

// TestOnReplicas runs the server on a primary with a streaming replica: public
// availability is read from the replica, and while the replica lags (its replay
// paused) the server still offers only free slots, refuses a taken one and shows a
// customer their booking.
func TestOnReplicas(t *testing.T) {
	ctx := context.Background()
	pair, err := pgtest.StartStreamingPair(ctx)
	if err != nil {
		t.Fatal(err) // a missing binary: one line
	}
	t.Cleanup(func() { assert.NoError(t, pair.Stop()) })
	admin, err := sql.Open("pgx", pair.PrimaryURL("postgres"))
	require.NoError(t, err)
	defer admin.Close()
	_, err = admin.Exec("CREATE DATABASE matchpoint")
	require.NoError(t, err)

	s := startServerWith(t, map[string]string{
		"MATCHPOINT_DATABASE_URL":          pair.PrimaryURL("matchpoint"),
		"MATCHPOINT_DATABASE_REPLICA_URLS": pair.ReplicaURL("matchpoint"),
		"MATCHPOINT_MIGRATE":               "auto",
	})
	loc := s.demo.Club.Location
	day := domain.DateOf(time.Now(), loc).AddDays(3)
	start, ok := day.At(domain.MustClock("17:30"), loc)
	require.True(t, ok)
	court := s.demo.Courts[0].ID
	availability := "/v1/clubs/demo/availability?date=" + day.String() + "&sport=padel&duration=90"

	// replicaRan returns the statements the replica logged since the last call.
	seen := 0
	replicaRan := func() string {
		log, err := pair.ReplicaLog()
		require.NoError(t, err)
		out := log[seen:]
		seen = len(log)
		return out
	}

	require.NoError(t, pair.WaitReplayed(ctx))
	replicaRan()
	r := s.do(t, "GET", availability, "", nil)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	assert.True(t, offered(t, r, court, start))
	assert.Contains(t, replicaRan(), "FROM bookings", "availability read the day's bookings on the replica")

	require.NoError(t, pair.PauseReplay(ctx))
	defer func() { assert.NoError(t, pair.ResumeReplay(context.Background())) }()
	r = s.do(t, "POST", "/v1/clubs/demo/bookings", bookingJSON(court, start, 90, "Ana", "ana@example.com"), nil)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	id, token := obj(t, r.body, "booking")["id"].(string), r.body["access_token"].(string)

	r = s.do(t, "GET", availability, "", nil)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	assert.False(t, offered(t, r, court, start), "the lagging replica does not bring the slot back")
	clash := s.do(t, "POST", "/v1/clubs/demo/bookings", bookingJSON(court, start.Add(30*time.Minute), 60, "Bruno", "bruno@example.com"), nil)
	assert.Equal(t, "slot_unavailable", clash.body["code"], clash.raw)
	r = s.do(t, "GET", "/v1/bookings/"+id, "", map[string]string{"Authorization": "Bearer " + token})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	assert.Equal(t, "pending", obj(t, r.body, "booking")["status"])
	assert.NotContains(t, replicaRan(), "FROM bookings", "nothing was read from the lagging replica")
}

// offered reports whether an availability answer offers court at start.
func offered(t *testing.T, r reply, courtID string, at time.Time) bool {
	t.Helper()
	for _, c := range r.body["courts"].([]any) {
		if obj(t, c)["court_id"] != courtID {
			continue
		}
		for _, sl := range obj(t, c)["slots"].([]any) {
			start, _ := obj(t, sl)["start"].(string)
			if ts, err := time.Parse(time.RFC3339, start); err == nil && ts.Equal(at) {
				return true
			}
		}
	}
	return false
}
