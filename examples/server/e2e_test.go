package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
	"github.com/matchpoint/matchpoint/adapters/queue/inproc"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// testServer is the example server composed by its Wire injector, serving on a random
// loopback port.
type testServer struct {
	*Server
	demo Demo
	base string
}

func startServer(t *testing.T) *testServer {
	t.Helper()
	return startServerWith(t, nil)
}

// startServerWith starts the server with extra environment; with
// MATCHPOINT_DATABASE_URL it runs on Postgres.
func startServerWith(t *testing.T, env map[string]string) *testServer {
	t.Helper()
	return startServerLogging(t, env, io.Discard)
}

// startServerLogging starts the server on env (on Postgres when it names a database)
// with its warnings and errors logged to logs, and stops it when the test ends.
func startServerLogging(t *testing.T, env map[string]string, logs io.Writer) *testServer {
	t.Helper()
	// The tests fire many requests from one loopback address: rate limits are off
	// unless a test is about them and sets MATCHPOINT_RATE_LIMIT itself.
	vars := map[string]string{"MATCHPOINT_HTTP_ADDR": "127.0.0.1:0", "MATCHPOINT_RATE_LIMIT": "off", "MATCHPOINT_SHUTDOWN_DELAY": "0"}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := LoadConfig(func(k string) string { return vars[k] })
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	compose := NewServer
	if cfg.DatabaseURL != "" {
		compose = NewPostgresServer
	}
	srv, cleanup, err := compose(ctx, cfg, log)
	require.NoError(t, err)
	return runTestServer(t, ctx, cancel, srv, cleanup)
}

// runTestServer runs srv until the test ends, when it cancels ctx, requires a graceful
// shutdown and runs cleanup; it returns once the demo club is seeded.
func runTestServer(t *testing.T, ctx context.Context, cancel context.CancelFunc, srv *Server, cleanup func()) *testServer {
	t.Helper()
	ready := make(chan Demo, 1)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, func(d Demo) { ready <- d }) }()
	var demo Demo
	select {
	case demo = <-ready:
	case err := <-done:
		t.Fatalf("server stopped: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done, "graceful shutdown")
		cleanup()
	})
	return &testServer{Server: srv, demo: demo, base: srv.URL()}
}

type reply struct {
	status int
	body   map[string]any
	raw    string
}

func (s *testServer) do(t *testing.T, method, path, body string, header map[string]string) reply {
	t.Helper()
	r, _ := s.doWithHeader(t, method, path, body, header)
	return r
}

// doWithHeader is do that returns the response's header too.
func (s *testServer) doWithHeader(t *testing.T, method, path, body string, header map[string]string) (reply, http.Header) {
	t.Helper()
	url := path
	if strings.HasPrefix(path, "/") {
		url = s.base + path
	}
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	r := reply{status: res.StatusCode, raw: string(raw)}
	if len(raw) > 0 && (strings.Contains(res.Header.Get("Content-Type"), "json")) {
		require.NoError(t, json.Unmarshal(raw, &r.body), string(raw))
	}
	return r, res.Header
}

func bookingJSON(courtID string, start time.Time, minutes int, name, email string) string {
	b, _ := json.Marshal(map[string]any{
		"court_id": courtID, "start": start.Format(time.RFC3339), "duration_minutes": minutes,
		"customer": map[string]any{"name": name, "email": email, "phone": "+54 11 5555 0000"},
	})
	return string(b)
}

func obj(t *testing.T, v any, path ...string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	require.True(t, ok, "%v is not an object", v)
	for _, p := range path {
		m, ok = m[p].(map[string]any)
		require.True(t, ok, "no object at %q", p)
	}
	return m
}

func (s *testServer) drain(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	switch q := s.Queue.(type) {
	case *inproc.Queue:
		require.NoError(t, q.Drain(ctx))
	case *riverqueue.Queue:
		require.NoError(t, q.WaitIdle(ctx))
	default:
		t.Fatalf("no way to drain a %T", q)
	}
}

func (s *testServer) messages(kind ports.MessageKind, bookingID string) int {
	n := 0
	for _, m := range s.Outbox.Messages() {
		if m.Kind == kind && m.BookingID == bookingID {
			n++
		}
	}
	return n
}

// TestReadmeFlow walks the README's walk-through over HTTP: availability, a booking, the
// sandbox payment and its webhook (twice), the confirmed booking, a conflict, and a
// cancellation with its refund.
func TestReadmeFlow(t *testing.T) {
	s := startServer(t)
	loc := s.demo.Club.Location
	day := domain.DateOf(time.Now(), loc).AddDays(3)
	start, ok := day.At(domain.MustClock("17:30"), loc)
	require.True(t, ok)
	padel1 := s.demo.Courts[0]

	// Availability: 17:30 for 90 minutes costs 4 000 + 6 000 + 6 000 pesos.
	r := s.do(t, "GET", "/v1/clubs/demo/availability?date="+day.String()+"&sport=padel&duration=90", "", nil)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	require.Len(t, r.body["courts"], 4)
	findSlot := func(r reply, courtID string, at time.Time) map[string]any {
		for _, c := range r.body["courts"].([]any) {
			if obj(t, c)["court_id"] != courtID {
				continue
			}
			for _, sl := range obj(t, c)["slots"].([]any) {
				if obj(t, sl)["start"] == at.In(loc).Format(time.RFC3339) {
					return obj(t, sl)
				}
			}
		}
		return nil
	}
	slot := findSlot(r, padel1.ID, start)
	require.NotNil(t, slot, "17:30 is offered on %s", padel1.Name)
	assert.Equal(t, map[string]any{"amount": float64(1600000), "currency": "ARS"}, slot["price"])

	// Book it, with an idempotency key.
	body := bookingJSON(padel1.ID, start, 90, "Ana Pérez", "ana@example.com")
	key := map[string]string{"Idempotency-Key": "readme-1"}
	r = s.do(t, "POST", "/v1/clubs/demo/bookings", body, key)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	booking := obj(t, r.body, "booking")
	id, token, checkout := booking["id"].(string), r.body["access_token"].(string), r.body["checkout_url"].(string)
	assert.Equal(t, "pending", booking["status"])
	assert.Equal(t, float64(1600000), obj(t, booking, "quote", "total")["amount"])
	assert.Len(t, obj(t, booking, "quote")["lines"], 3)
	require.True(t, strings.HasPrefix(checkout, s.base+"/sandbox/checkout/"), checkout)

	// The same request again answers with the same booking and token; another request
	// under the same key is refused.
	again := s.do(t, "POST", "/v1/clubs/demo/bookings", body, key)
	require.Equal(t, http.StatusOK, again.status, again.raw)
	assert.Equal(t, id, obj(t, again.body, "booking")["id"])
	assert.Equal(t, token, again.body["access_token"])
	assert.Equal(t, checkout, again.body["checkout_url"])
	other := s.do(t, "POST", "/v1/clubs/demo/bookings", bookingJSON(padel1.ID, start.Add(time.Hour), 60, "Ana Pérez", "ana@example.com"), key)
	require.Equal(t, http.StatusConflict, other.status, other.raw)
	assert.Equal(t, "idempotency_key_reused", other.body["code"])

	// The held slot is taken: another customer gets a conflict, and availability drops it.
	clash := s.do(t, "POST", "/v1/clubs/demo/bookings", bookingJSON(padel1.ID, start.Add(30*time.Minute), 60, "Bruno", "bruno@example.com"), nil)
	require.Equal(t, http.StatusConflict, clash.status, clash.raw)
	assert.Equal(t, "slot_unavailable", clash.body["code"])
	r = s.do(t, "GET", "/v1/clubs/demo/availability?date="+day.String()+"&sport=padel&duration=90", "", nil)
	assert.Nil(t, findSlot(r, padel1.ID, start), "a held slot is not offered")
	assert.NotNil(t, findSlot(r, s.demo.Courts[1].ID, start), "other courts still are")

	// Pay on the sandbox checkout page: the gateway signs and delivers the webhook.
	page := s.do(t, "GET", checkout, "", nil)
	require.Equal(t, http.StatusOK, page.status)
	assert.Contains(t, page.raw, "16000.00")
	paid := s.do(t, "POST", checkout+"/pay", "", nil)
	require.Equal(t, http.StatusOK, paid.status, paid.raw)
	assert.Equal(t, true, paid.body["delivered"])
	assert.Equal(t, float64(200), paid.body["webhook_status"])

	auth := map[string]string{"Authorization": "Bearer " + token}
	r = s.do(t, "GET", "/v1/bookings/"+id, "", auth)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	assert.Equal(t, "confirmed", obj(t, r.body, "booking")["status"])
	assert.Equal(t, float64(1600000), obj(t, r.body, "booking", "paid")["amount"])

	// The provider delivers the same event again: nothing changes.
	dup := s.do(t, "POST", "/sandbox/events/"+paid.body["event_id"].(string)+"/resend", "", nil)
	require.Equal(t, http.StatusOK, dup.status, dup.raw)
	assert.Equal(t, float64(200), dup.body["webhook_status"])
	s.drain(t)
	assert.Equal(t, 1, s.messages(ports.MessageConfirmation, id), "one confirmation, with the event delivered twice")
	r = s.do(t, "GET", "/v1/bookings/"+id, "", auth)
	assert.Equal(t, "confirmed", obj(t, r.body, "booking")["status"])

	// A forged webhook is refused and changes nothing.
	forged := s.do(t, "POST", "/v1/webhooks/sandbox", `{"id":"evt_forged","type":"paid"}`, map[string]string{"Sandbox-Signature": "t=1,v1=00"})
	assert.Equal(t, http.StatusUnauthorized, forged.status, forged.raw)

	// The token guards the booking and reveals nothing.
	assert.Equal(t, http.StatusNotFound, s.do(t, "GET", "/v1/bookings/"+id, "", map[string]string{"Authorization": "Bearer wrong"}).status)
	assert.Equal(t, http.StatusUnauthorized, s.do(t, "GET", "/v1/bookings/"+id, "", nil).status)

	// Cancel three days ahead: before the cut-off, so the whole payment comes back.
	r = s.do(t, "POST", "/v1/bookings/"+id+"/cancel", "", auth)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	assert.Equal(t, "cancelled", obj(t, r.body, "booking")["status"])
	assert.Equal(t, map[string]any{"amount": float64(1600000), "currency": "ARS"}, r.body["refund"])
	s.drain(t)
	pay, err := s.Sandbox.GetPayment(context.Background(), obj(t, r.body, "booking")["id"].(string))
	if err != nil { // the gateway knows the payment by its own reference
		pay, err = s.Sandbox.GetPayment(context.Background(), strings.TrimPrefix(checkout, s.base+"/sandbox/checkout/"))
	}
	require.NoError(t, err)
	assert.Equal(t, ports.PaymentRefunded, pay.Status)
	assert.Equal(t, 1, s.messages(ports.MessageCancellation, id))

	// Cancelling again gives the same answer and refunds nothing more.
	r = s.do(t, "POST", "/v1/bookings/"+id+"/cancel", "", auth)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	assert.Equal(t, float64(1600000), obj(t, r.body, "refund")["amount"])

	// The slot is free again.
	r = s.do(t, "POST", "/v1/clubs/demo/bookings", bookingJSON(padel1.ID, start, 90, "Bruno", "bruno@example.com"), nil)
	assert.Equal(t, http.StatusCreated, r.status, r.raw)
}

// TestAdminChangesShowAtOnce checks that an admin write is visible in the next
// availability answer, with the cache warmed first.
func TestAdminChangesShowAtOnce(t *testing.T) {
	s := startServer(t)
	day := domain.DateOf(time.Now(), s.demo.Club.Location).AddDays(2)
	url := "/v1/clubs/demo/availability?date=" + day.String() + "&sport=tennis&duration=60"
	eight, _ := day.At(domain.MustClock("08:00"), s.demo.Club.Location)
	priceAtEight := func(r reply) any {
		for _, sl := range obj(t, r.body["courts"].([]any)[0])["slots"].([]any) {
			if obj(t, sl)["start"] == eight.In(s.demo.Club.Location).Format(time.RFC3339) {
				return obj(t, sl, "price")["amount"]
			}
		}
		return nil
	}
	r := s.do(t, "GET", url, "", nil)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	assert.Equal(t, float64(700000), priceAtEight(r))

	admin := map[string]string{"Authorization": "Bearer " + s.demo.APIKey}
	rule := `{"name":"Tennis promo","sport":"tennis","weekdays":["sun","mon","tue","wed","thu","fri","sat"],"from":"08:00","to":"12:00","priority":50,"rate":{"amount":100000}}`
	w := s.do(t, "POST", "/v1/admin/clubs/demo/price-rules", rule, admin)
	require.Equal(t, http.StatusCreated, w.status, w.raw)

	r = s.do(t, "GET", url, "", nil)
	assert.Equal(t, float64(200000), priceAtEight(r), "the new rule prices the next answer")

	// Without a valid key nobody administers the club.
	assert.Equal(t, http.StatusUnauthorized, s.do(t, "POST", "/v1/admin/clubs/demo/price-rules", rule, nil).status)
	assert.Equal(t, http.StatusUnauthorized, s.do(t, "POST", "/v1/admin/clubs/demo/price-rules", rule, map[string]string{"Authorization": "Bearer mpk_nope"}).status)
}

func TestConfigErrorsNameTheVariable(t *testing.T) {
	for name, val := range map[string]string{
		"MATCHPOINT_TOKEN_SECRET":          "short",
		"MATCHPOINT_SEED":                  "maybe",
		"MATCHPOINT_LOG_LEVEL":             "loud",
		"MATCHPOINT_SHUTDOWN_TIMEOUT":      "-1s",
		"MATCHPOINT_PUBLIC_URL":            "ftp://x",
		"MATCHPOINT_DATABASE_URL":          "mysql://x",
		"MATCHPOINT_MIGRATE":               "sometimes",
		"MATCHPOINT_DATABASE_REPLICA_URLS": "mysql://x",
		"MATCHPOINT_REDIS_URL":             "http://x",
		"MATCHPOINT_WORKER":                "sometimes",
		"MATCHPOINT_QUEUE_POLL_ONLY":       "maybe",
	} {
		_, err := LoadConfig(func(k string) string {
			if k == name {
				return val
			}
			return ""
		})
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), name)
	}
	for _, val := range []string{"0", "-8", "65537", "99999999999999999999", "8MB"} {
		_, err := LoadConfig(func(k string) string {
			return map[string]string{"MATCHPOINT_CACHE_MB": val}[k]
		})
		require.Error(t, err, val)
		assert.Contains(t, err.Error(), "MATCHPOINT_CACHE_MB", val)
	}
	cfg, err := LoadConfig(func(string) string { return "" })
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:8080", cfg.HTTPAddr)
	assert.True(t, cfg.Seed)
	assert.Equal(t, WorkerEmbedded, cfg.Worker)
	assert.Equal(t, 8, cfg.CacheMB)
}

// TestWorkerOffNeedsADatabase refuses to start a server on the memory store that runs
// no workers: its jobs could run nowhere else.
func TestWorkerOffNeedsADatabase(t *testing.T) {
	r := runCLI(t, map[string]string{"MATCHPOINT_WORKER": "off", "MATCHPOINT_HTTP_ADDR": "127.0.0.1:0"}, "serve")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "MATCHPOINT_WORKER=off")
	assert.Contains(t, r.stderr, "MATCHPOINT_DATABASE_URL")
	assert.Empty(t, r.stdout, "it did not serve")
	cfg, err := LoadConfig(func(k string) string {
		return map[string]string{"MATCHPOINT_WORKER": "off", "MATCHPOINT_DATABASE_URL": "postgres://x/y"}[k]
	})
	require.NoError(t, err)
	assert.Equal(t, WorkerOff, cfg.Worker)
}
