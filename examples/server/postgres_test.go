package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// testDatabase creates a database with a random name on the local Postgres server and
// drops it when the test ends; it returns its URL.
func testDatabase(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("MATCHPOINT_TEST_POSTGRES_URL")
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	db, err := sql.Open("pgx", admin)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "matchpoint_server_" + hex.EncodeToString(b)
	_, err = db.Exec("CREATE DATABASE " + name)
	require.NoError(t, err, "the local Postgres server must run (make services)")
	t.Cleanup(func() { _, _ = db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") })
	return strings.Replace(admin, "/postgres?", "/"+name+"?", 1)
}

// TestOnPostgres runs the server on Postgres: the schema is migrated at start, the
// demo club is seeded once, and a confirmed booking is still there for a second server
// started on the same database.
func TestOnPostgres(t *testing.T) {
	url := testDatabase(t)
	env := map[string]string{"MATCHPOINT_DATABASE_URL": url, "MATCHPOINT_MIGRATE": "auto", "MATCHPOINT_TOKEN_SECRET": strings.Repeat("s", 32)}

	first := startServerWith(t, env)
	require.NotEmpty(t, first.demo.APIKey, "the first server seeds the demo club")
	assert.Equal(t, http.StatusOK, first.do(t, "GET", "/readyz", "", nil).status)
	loc := first.demo.Club.Location
	day := domain.DateOf(time.Now(), loc).AddDays(3)
	start, _ := day.At(domain.MustClock("17:30"), loc)
	r := first.do(t, "POST", "/v1/clubs/demo/bookings", bookingJSON(first.demo.Courts[0].ID, start, 90, "Ana", "ana@example.com"), nil)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	id, token := obj(t, r.body, "booking")["id"].(string), r.body["access_token"].(string)
	paid := first.do(t, "POST", r.body["checkout_url"].(string)+"/pay", "", nil)
	require.Equal(t, http.StatusOK, paid.status, paid.raw)
	clash := first.do(t, "POST", "/v1/clubs/demo/bookings", bookingJSON(first.demo.Courts[0].ID, start.Add(30*time.Minute), 60, "Bruno", "bruno@example.com"), nil)
	assert.Equal(t, "slot_unavailable", clash.body["code"])

	// The jobs are River's, in the database, and the server's own workers run them.
	require.IsType(t, &riverqueue.Queue{}, first.Queue)
	first.drain(t)
	assert.Equal(t, 1, first.messages(ports.MessageConfirmation, id))
	other := first.do(t, "POST", "/v1/clubs/demo/bookings", bookingJSON(first.demo.Courts[1].ID, start, 60, "Carla", "carla@example.com"), nil)
	require.Equal(t, http.StatusCreated, other.status, other.raw)
	checkout := other.body["checkout_url"].(string)
	require.Equal(t, http.StatusOK, first.do(t, "POST", checkout+"/pay", "", nil).status)
	auth := map[string]string{"Authorization": "Bearer " + other.body["access_token"].(string)}
	cancelled := first.do(t, "POST", "/v1/bookings/"+obj(t, other.body, "booking")["id"].(string)+"/cancel", "", auth)
	require.Equal(t, http.StatusOK, cancelled.status, cancelled.raw)
	first.drain(t)
	pay, err := first.Sandbox.GetPayment(context.Background(), strings.TrimPrefix(checkout, first.base+"/sandbox/checkout/"))
	require.NoError(t, err)
	assert.Equal(t, ports.PaymentRefunded, pay.Status, "the refund job ran")
	db, err := sql.Open("pgx", url)
	require.NoError(t, err)
	defer db.Close()
	var refunds int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'payment.refund' AND state = 'completed'`).Scan(&refunds))
	assert.Equal(t, 1, refunds, "the refund was a River job")

	second := startServerWith(t, env)
	assert.Empty(t, second.demo.APIKey, "the demo club exists already: no new key")
	r = second.do(t, "GET", "/v1/bookings/"+id, "", map[string]string{"Authorization": "Bearer " + token})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	assert.Equal(t, "confirmed", obj(t, r.body, "booking")["status"])
}

func TestMigrateSubcommand(t *testing.T) {
	url := testDatabase(t)
	ctx := context.Background()
	require.Error(t, runMigrate(ctx, Config{}, io.Discard), "a database URL is required")
	require.NoError(t, runMigrate(ctx, Config{DatabaseURL: url}, io.Discard))
	require.NoError(t, runMigrate(ctx, Config{DatabaseURL: url}, io.Discard), "migrating again changes nothing")

	// Without MATCHPOINT_MIGRATE=auto the server expects a migrated database.
	s := startServerWith(t, map[string]string{"MATCHPOINT_DATABASE_URL": url})
	assert.NotEmpty(t, s.demo.APIKey)
}
