package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/httpapi"
)

// assertProblem checks that res is a problem with the status and code.
func assertProblem(t *testing.T, res response, status int, code string) {
	t.Helper()
	require.Equal(t, status, res.Code, res.Body.String())
	assert.Equal(t, "application/problem+json", res.Header().Get("Content-Type"))
	assert.Equal(t, code, res.json["code"])
	assert.Equal(t, "https://matchpoint.dev/problems/"+code, res.json["type"])
	assert.EqualValues(t, status, res.json["status"])
	assert.NotEmpty(t, res.json["title"])
	assert.NotEmpty(t, res.json["detail"])
	assert.NotEmpty(t, res.json["instance"])
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.get("/healthz", nil)
	require.Equal(t, http.StatusOK, res.Code)
	assert.Equal(t, "ok", res.json["status"])
	assert.Equal(t, "ok", e.get("/readyz", nil).json["status"])

	var ready error
	notReady := newEnv(t, func(o *httpapi.Config) { o.Ready = func(ctx context.Context) error { return ready } })
	assert.Equal(t, http.StatusOK, notReady.get("/readyz", nil).Code)
	ready = errors.New("store: dial tcp 10.0.0.7:5432: connection refused")
	res = notReady.get("/readyz", nil)
	assertProblem(t, res, http.StatusServiceUnavailable, "unavailable")
	assert.NotContains(t, res.Body.String(), "10.0.0.7", "the cause stays in the logs")
	assert.Contains(t, notReady.logs.String(), "10.0.0.7")
}

func TestAvailability(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.get("/v1/clubs/club-one/availability?date=2026-03-11&sport=padel&duration=90", nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	assert.Equal(t, "application/json", res.Header().Get("Content-Type"))
	assert.Equal(t, "club-one", res.json["club"])
	assert.Equal(t, "2026-03-11", res.json["date"])
	assert.Equal(t, "padel", res.json["sport"])
	assert.EqualValues(t, 90, res.json["duration_minutes"])

	courts := arr(res.json, "courts")
	require.Len(t, courts, 4, "every padel court, and no tennis court")
	court := courts[0].(map[string]any)
	assert.Equal(t, e.padel[0].ID, court["court_id"])
	assert.Equal(t, "Padel 1", court["name"])
	slots := arr(court, "slots")
	// 08:00 to 23:30: the last game ends at the 01:00 closing.
	require.Len(t, slots, 32)
	first, last := slots[0].(map[string]any), slots[31].(map[string]any)
	assert.Equal(t, "2026-03-11T08:00:00-03:00", first["start"])
	assert.Equal(t, "2026-03-11T09:30:00-03:00", first["end"])
	assert.Equal(t, map[string]any{"amount": 1200000.0, "currency": "ARS"}, first["price"])
	assert.Equal(t, "2026-03-11T23:30:00-03:00", last["start"])
	assert.Equal(t, "2026-03-12T01:00:00-03:00", last["end"])
	// 17:00–18:30 is two off-peak slots and one peak slot.
	at17 := slots[18].(map[string]any)
	assert.Equal(t, "2026-03-11T17:00:00-03:00", at17["start"])
	assert.Equal(t, map[string]any{"amount": 1400000.0, "currency": "ARS"}, at17["price"])

	// Anyone could claim to be a member: the public API prices everyone as a guest.
	assertProblem(t, e.get("/v1/clubs/club-one/availability?date=2026-03-11&sport=padel&duration=90&category=member", nil),
		http.StatusForbidden, "forbidden")

	// A booking takes its court's overlapping starts away.
	e.book(e.padel[0].ID, "2026-03-11T19:30", 90, "ana@example.com")
	after := e.get("/v1/clubs/club-one/availability?date=2026-03-11&sport=padel&duration=90", nil)
	assert.Len(t, arr(arr(after.json, "courts")[0], "slots"), 32-5, "18:30 to 20:30 overlap 19:30–21:00")
	assert.Len(t, arr(arr(after.json, "courts")[1], "slots"), 32)
}

func TestAvailabilityListsAreNeverNull(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.get("/v1/clubs/club-one/availability?date=2026-03-11&sport=pickleball&duration=60", nil)
	require.Equal(t, http.StatusOK, res.Code)
	assert.Contains(t, res.Body.String(), `"courts":[]`)

	past := e.get("/v1/clubs/club-one/availability?date=2026-03-01&sport=tennis&duration=60", nil)
	require.Equal(t, http.StatusOK, past.Code)
	assert.Contains(t, past.Body.String(), `"slots":[]`)
}

func TestAvailabilityErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	assertProblem(t, e.get("/v1/clubs/nowhere/availability?date=2026-03-11&sport=padel&duration=90", nil), http.StatusNotFound, "not_found")
	assertProblem(t, e.get("/v1/clubs/club-one/availability?date=2026-03-11&sport=padel&duration=45", nil), http.StatusUnprocessableEntity, "duration_not_allowed")
}

func TestQuote(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.post("/v1/clubs/club-one/quotes", `{"court_id":"`+e.padel[1].ID+`","start":"2026-03-11T20:00:00Z","duration_minutes":90}`, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	assert.Equal(t, e.padel[1].ID, res.json["court_id"])
	assert.Equal(t, "2026-03-11T17:00:00-03:00", res.json["start"], "given in UTC, answered in the club's offset")
	assert.Equal(t, "2026-03-11T18:30:00-03:00", res.json["end"])
	q := obj(res.json, "quote")
	lines := arr(q, "lines")
	require.Len(t, lines, 3)
	var amounts []float64
	for _, l := range lines {
		line := l.(map[string]any)
		amounts = append(amounts, line["amount"].(float64))
		assert.NotEmpty(t, line["rule_id"])
	}
	assert.Equal(t, []float64{400000, 400000, 600000}, amounts)
	assert.Equal(t, "2026-03-11T18:00:00-03:00", lines[2].(map[string]any)["start"])
	assert.Equal(t, map[string]any{"amount": 1400000.0, "currency": "ARS"}, q["total"])

	member := e.post("/v1/clubs/club-one/quotes", `{"court_id":"`+e.padel[1].ID+`","start":"2026-03-11T17:00:00-03:00","duration_minutes":60,"customer":{"category":"member"}}`, nil)
	assertProblem(t, member, http.StatusForbidden, "forbidden")
	booking := e.post("/v1/clubs/club-one/bookings", `{"court_id":"`+e.padel[1].ID+`","start":"2026-03-11T17:00:00-03:00","duration_minutes":60,"customer":{"name":"Ana","email":"ana@example.com","category":"member"}}`, nil)
	assertProblem(t, booking, http.StatusForbidden, "forbidden")

	assertProblem(t, e.post("/v1/clubs/club-one/quotes", `{"court_id":"`+e.padel[1].ID+`","start":"2026-03-11T17:10:00-03:00","duration_minutes":60}`, nil),
		http.StatusUnprocessableEntity, "misaligned_start")
	assertProblem(t, e.post("/v1/clubs/club-one/quotes", `{"court_id":"nope","start":"2026-03-11T17:00:00-03:00","duration_minutes":60}`, nil),
		http.StatusNotFound, "not_found")
}

func TestBookingLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	court := e.padel[0].ID
	res := e.post("/v1/clubs/club-one/bookings", bookingBody(court, "2026-03-11T19:30", 90, "Ana@Example.com"), nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	assert.Equal(t, "no-store", res.Header().Get("Cache-Control"))
	b := obj(res.json, "booking")
	id := b["id"].(string)
	token := res.json["access_token"].(string)
	assert.NotEmpty(t, token)
	assert.Equal(t, "/v1/bookings/"+id, res.Header().Get("Location"))
	assert.Equal(t, "https://pay.example/checkout/co_"+id, res.json["checkout_url"])
	assert.Equal(t, "club-one", b["club"])
	assert.Equal(t, court, b["court_id"])
	assert.Equal(t, "pending", b["status"])
	assert.Equal(t, "2026-03-11T19:30:00-03:00", b["start"])
	assert.Equal(t, "2026-03-11T21:00:00-03:00", b["end"])
	assert.Equal(t, "2026-03-10T09:10:00-03:00", b["hold_expires_at"], "held for the policy's ten minutes")
	assert.Equal(t, map[string]any{"name": "Ana Pérez", "email": "ana@example.com", "phone": "+54 11 5555 0000", "category": "guest"}, b["customer"])
	assert.Equal(t, map[string]any{"amount": 1800000.0, "currency": "ARS"}, obj(b, "quote")["total"])
	assert.Len(t, arr(obj(b, "quote"), "lines"), 3)
	assert.Equal(t, map[string]any{"amount": 0.0, "currency": "ARS"}, b["paid"])
	assert.Equal(t, map[string]any{"amount": 0.0, "currency": "ARS"}, b["refund"])

	got := e.get("/v1/bookings/"+id, bearer(token))
	require.Equal(t, http.StatusOK, got.Code, got.Body.String())
	assert.Equal(t, b, obj(got.json, "booking"))

	paid := webhookEvent{EventID: "evt_1", Type: "paid", BookingID: id, Ref: "co_" + id, Amount: 1800000, Currency: "ARS"}
	wh := e.webhook(paid)
	require.Equal(t, http.StatusOK, wh.Code, wh.Body.String())
	assert.Equal(t, map[string]any{"received": true, "duplicate": false, "outcome": "confirmed"}, wh.json)
	again := e.webhook(paid)
	require.Equal(t, http.StatusOK, again.Code)
	assert.Equal(t, map[string]any{"received": true, "duplicate": true, "outcome": "duplicate"}, again.json)

	confirmed := obj(e.get("/v1/bookings/"+id, bearer(token)).json, "booking")
	assert.Equal(t, "confirmed", confirmed["status"])
	assert.NotContains(t, confirmed, "hold_expires_at", "only a pending booking has a hold")
	assert.Equal(t, map[string]any{"amount": 1800000.0, "currency": "ARS"}, confirmed["paid"])

	// More than a day ahead: the whole payment comes back.
	cancel := e.post("/v1/bookings/"+id+"/cancel", "", bearer(token))
	require.Equal(t, http.StatusOK, cancel.Code, cancel.Body.String())
	assert.Equal(t, "cancelled", obj(cancel.json, "booking")["status"])
	assert.Equal(t, map[string]any{"amount": 1800000.0, "currency": "ARS"}, cancel.json["refund"])
	assert.Equal(t, map[string]any{"amount": 1800000.0, "currency": "ARS"}, obj(cancel.json, "booking")["refund"])
	twice := e.post("/v1/bookings/"+id+"/cancel", "", bearer(token))
	require.Equal(t, http.StatusOK, twice.Code)
	assert.Equal(t, cancel.json, twice.json, "cancelling again changes nothing")
}

func TestBookingIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := bookingBody(e.padel[2].ID, "2026-03-12T10:00", 60, "ana@example.com")
	key := map[string]string{"Idempotency-Key": "3f1d7c2e-booking-1"}
	first := e.post("/v1/clubs/club-one/bookings", body, key)
	require.Equal(t, http.StatusCreated, first.Code, first.Body.String())
	replay := e.post("/v1/clubs/club-one/bookings", body, key)
	require.Equal(t, http.StatusOK, replay.Code, replay.Body.String())
	assert.Equal(t, first.json, replay.json, "a replay answers with the same booking, token and checkout")

	other := e.post("/v1/clubs/club-one/bookings", bookingBody(e.padel[2].ID, "2026-03-12T11:00", 60, "ana@example.com"), key)
	assertProblem(t, other, http.StatusConflict, "idempotency_key_reused")

	long := e.post("/v1/clubs/club-one/bookings", body, map[string]string{"Idempotency-Key": strings.Repeat("k", 256)})
	assertProblem(t, long, http.StatusBadRequest, "invalid")
}

func TestOverlappingBookingIsAConflict(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.book(e.padel[0].ID, "2026-03-11T19:30", 90, "ana@example.com")
	res := e.post("/v1/clubs/club-one/bookings", bookingBody(e.padel[0].ID, "2026-03-11T20:00", 60, "bea@example.com"), nil)
	assertProblem(t, res, http.StatusConflict, "slot_unavailable")
	assert.Equal(t, "Slot unavailable", res.json["title"])
	assert.Equal(t, "/v1/clubs/club-one/bookings", res.json["instance"])

	// The neighbouring court is free.
	e.book(e.padel[1].ID, "2026-03-11T20:00", 60, "bea@example.com")
}

func TestBookingPolicyViolations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := map[string]struct{ start, code string }{
		"before opening":   {"2026-03-11T06:00", "outside_opening_hours"},
		"inside lead time": {"2026-03-10T09:00", "lead_time"},
		"past the horizon": {"2026-04-30T10:00", "horizon"},
		"off the grid":     {"2026-03-11T10:15", "misaligned_start"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			res := e.post("/v1/clubs/club-one/bookings", bookingBody(e.padel[3].ID, c.start, 60, "ana@example.com"), nil)
			assertProblem(t, res, http.StatusUnprocessableEntity, c.code)
		})
	}
}

func TestBookingAccessToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id, token := e.book(e.padel[0].ID, "2026-03-11T10:00", 60, "ana@example.com")

	missing := e.get("/v1/bookings/"+id, nil)
	assertProblem(t, missing, http.StatusUnauthorized, "unauthorized")
	assert.Equal(t, `Bearer realm="matchpoint"`, missing.Header().Get("WWW-Authenticate"))
	assertProblem(t, e.get("/v1/bookings/"+id, map[string]string{"Authorization": "Basic " + token}), http.StatusUnauthorized, "unauthorized")
	assertProblem(t, e.get("/v1/bookings/"+id, bearer(token+"x")), http.StatusNotFound, "not_found")
	assertProblem(t, e.get("/v1/bookings/unknown", bearer(token)), http.StatusNotFound, "not_found")
	assertProblem(t, e.post("/v1/bookings/"+id+"/cancel", "", nil), http.StatusUnauthorized, "unauthorized")
	assertProblem(t, e.post("/v1/bookings/"+id+"/cancel", "", bearer("guess")), http.StatusNotFound, "not_found")
	assert.Equal(t, http.StatusOK, e.get("/v1/bookings/"+id, map[string]string{"Authorization": "bearer " + token}).Code, "the scheme is case-insensitive")
}

func TestWebhookErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := `{"event_id":"evt_9","type":"paid","booking_id":"b","ref":"r","amount":1,"currency":"ARS"}`
	assertProblem(t, e.post("/v1/webhooks/"+provider, body, map[string]string{sigHeader: "forged"}), http.StatusUnauthorized, "bad_signature")
	assertProblem(t, e.post("/v1/webhooks/"+provider, body, nil), http.StatusUnauthorized, "bad_signature")
	assertProblem(t, e.post("/v1/webhooks/stripe", body, map[string]string{sigHeader: sign([]byte(body))}), http.StatusNotFound, "not_found")

	// An event for a booking nobody knows is acknowledged, so the provider stops retrying.
	res := e.post("/v1/webhooks/"+provider, body, map[string]string{sigHeader: sign([]byte(body))})
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	assert.Equal(t, "ignored", res.json["outcome"])
}

func TestCheckoutFailureIsUnavailable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gateway.mu.Lock()
	e.gateway.fail = true
	e.gateway.mu.Unlock()
	// Without an idempotency key the customer could never find the booking again, so
	// nothing stays booked.
	res := e.post("/v1/clubs/club-one/bookings", bookingBody(e.padel[0].ID, "2026-03-11T10:00", 60, "ana@example.com"), nil)
	assertProblem(t, res, http.StatusServiceUnavailable, "unavailable")
	assert.NotContains(t, res.Body.String(), "testpay", "a 5xx tells nothing of its cause")
	assert.NotEmpty(t, res.Header().Get("Retry-After"))
	assert.Contains(t, e.logs.String(), "nothing was booked", "the app's message is logged")

	// With a key the slot stays held and a retry with the key reopens the checkout.
	key := map[string]string{"Idempotency-Key": "retry-1"}
	res = e.post("/v1/clubs/club-one/bookings", bookingBody(e.padel[0].ID, "2026-03-11T10:00", 60, "ana@example.com"), key)
	assertProblem(t, res, http.StatusServiceUnavailable, "unavailable")
	assert.NotEmpty(t, res.Header().Get("Retry-After"))
	e.gateway.mu.Lock()
	e.gateway.fail = false
	e.gateway.mu.Unlock()
	res = e.post("/v1/clubs/club-one/bookings", bookingBody(e.padel[0].ID, "2026-03-11T10:00", 60, "ana@example.com"), key)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	assert.NotEmpty(t, res.json["checkout_url"])
}
