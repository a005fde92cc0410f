package httpapi_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the club's zone must not depend on the host

	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/cache/bigcache"
	"github.com/matchpoint/matchpoint/adapters/httpapi"
	"github.com/matchpoint/matchpoint/adapters/memory"
	"github.com/matchpoint/matchpoint/adapters/notify/outbox"
	"github.com/matchpoint/matchpoint/adapters/queue/inproc"
	"github.com/matchpoint/matchpoint/adapters/system"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/clocktest"
)

// The harness runs the Handler over a real app.App on the embedded adapters, with a
// fake clock and a small signing payment gateway, and seeds one club:
//
//	club-one, Buenos Aires (UTC−3, no daylight saving), ARS, default policy
//	courts: Padel 1–4 (padel), Tennis 1 (tennis)
//	season: all of 2026, open 08:00–01:00 every day
//	prices per 30-minute slot: padel 4 000.00 off-peak (08–18) and 6 000.00 peak
//	(18–01); members 3 200.00 and 4 800.00; tennis 3 500.00 all day
//
// The clock starts on Tuesday 10 March 2026 at 09:00 in the club, so a day ahead is
// well within the lead time and the horizon.

const (
	clubSlug  = "club-one"
	zone      = "America/Argentina/Buenos_Aires"
	provider  = "testpay"
	sigHeader = "X-Test-Signature"
)

var (
	startTime = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	ars       = domain.MustCurrency("ARS")
	secret    = []byte("a token secret of at least thirty-two bytes")
	whSecret  = []byte("webhook signing secret")
)

// testGateway is a ports.PaymentGateway that signs its webhooks with HMAC-SHA256.
type testGateway struct {
	mu      sync.Mutex
	fail    bool  // CreateCheckout fails, as a provider that does not answer
	refuse  error // Refund fails with it, if set, as a provider that refuses refunds
	refunds []ports.RefundRequest
}

func (g *testGateway) Provider() string { return provider }

func (g *testGateway) CreateCheckout(_ context.Context, req ports.CheckoutRequest) (ports.Checkout, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fail {
		return ports.Checkout{}, errors.New("testpay: connection refused")
	}
	return ports.Checkout{Ref: "co_" + req.BookingID, URL: "https://pay.example/checkout/co_" + req.BookingID}, nil
}

func (g *testGateway) GetPayment(_ context.Context, ref string) (ports.Payment, error) {
	return ports.Payment{}, domain.Errorf(domain.CodeNotFound, "payment %q not found", ref)
}

// ExpireCheckout closes nothing: the gateway keeps no checkouts.
func (g *testGateway) ExpireCheckout(context.Context, string) error { return nil }

func (g *testGateway) Refund(_ context.Context, req ports.RefundRequest) (ports.Refund, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refunds = append(g.refunds, req)
	if g.refuse != nil {
		return ports.Refund{}, g.refuse
	}
	return ports.Refund{ID: "re_" + req.IdempotencyKey, Amount: req.Amount}, nil
}

// webhookEvent is the body of a testpay webhook.
type webhookEvent struct {
	EventID   string `json:"event_id"`
	Type      string `json:"type"`
	BookingID string `json:"booking_id"`
	Ref       string `json:"ref"`
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
}

func sign(body []byte) string {
	m := hmac.New(sha256.New, whSecret)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func (g *testGateway) ParseWebhook(h http.Header, body []byte) (ports.PaymentEvent, error) {
	if !hmac.Equal([]byte(h.Get(sigHeader)), []byte(sign(body))) {
		return ports.PaymentEvent{}, domain.Errorf(domain.CodeBadSignature, "the webhook signature does not match")
	}
	var ev webhookEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return ports.PaymentEvent{}, domain.Errorf(domain.CodeInvalid, "the webhook body is not an event")
	}
	cur, err := domain.ParseCurrency(ev.Currency)
	if err != nil {
		return ports.PaymentEvent{}, err
	}
	return ports.PaymentEvent{
		Provider: provider, EventID: ev.EventID, Type: ports.PaymentEventType(ev.Type), BookingID: ev.BookingID,
		PaymentRef: ev.Ref, Amount: domain.NewMoney(ev.Amount, cur), At: startTime,
	}, nil
}

// faultyStore is the memory store with a switch that breaks its court listing, to
// see what an unexpected store failure looks like from outside.
type faultyStore struct {
	*memory.Store
	mu     sync.Mutex
	broken error
}

func (s *faultyStore) ListCourts(ctx context.Context, clubID string) ([]domain.Court, error) {
	s.mu.Lock()
	err := s.broken
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s.Store.ListCourts(ctx, clubID)
}

func (s *faultyStore) breakWith(err error) {
	s.mu.Lock()
	s.broken = err
	s.mu.Unlock()
}

// syncBuffer is a bytes.Buffer safe for the handler's and the test's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// env is a seeded club served by a Handler.
type env struct {
	t       testing.TB
	app     *app.App
	handler *httpapi.Handler
	clock   *clocktest.Clock
	store   *faultyStore
	gateway *testGateway
	queue   *inproc.Queue
	logs    *syncBuffer
	club    domain.Club
	apiKey  string
	padel   []domain.Court
	tennis  domain.Court
}

// envOption changes the Handler's options before it is built.
type envOption func(*httpapi.Config)

func newEnv(tb testing.TB, opts ...envOption) *env {
	tb.Helper()
	return newEnvOn(tb, nil, opts...)
}

// newEnvOn is newEnv with the use cases over cache; nil means the bigcache adapter.
func newEnvOn(tb testing.TB, cache ports.Cache, opts ...envOption) *env {
	tb.Helper()
	quiet := slog.New(slog.DiscardHandler)
	e := &env{t: tb, clock: clocktest.New(startTime), store: &faultyStore{Store: memory.New()}, gateway: &testGateway{}, logs: &syncBuffer{}}

	var err error
	if cache == nil {
		l1, err := bigcache.New(bigcache.Config{Now: e.clock.Now})
		require.NoError(tb, err)
		tb.Cleanup(func() { _ = l1.Close() })
		cache = l1
	}
	e.queue = inproc.New(inproc.Config{Clock: e.clock, Logger: quiet})

	e.app, err = app.New(app.Deps{
		Store: e.store, Cache: cache, Gateways: ports.OneGateway(e.gateway), Notifier: outbox.New(outbox.Config{Logger: quiet}),
		Jobs: e.queue, Clock: e.clock, IDs: system.NewIDs(), Reporter: system.NewReporter(quiet), Logger: quiet,
	}, app.Config{TokenSecret: secret})
	require.NoError(tb, err)
	require.NoError(tb, e.queue.Start(context.Background(), e.app.Workers()))
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.queue.Stop(ctx)
	})

	o := httpapi.Config{Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, opt := range opts {
		opt(&o)
	}
	e.handler = httpapi.New(e.app, o)
	e.seed()
	return e
}

func (e *env) seed() {
	ctx := context.Background()
	created, err := e.app.Admin.CreateClub(ctx, app.CreateClubCommand{Slug: clubSlug, Name: "Club One", Zone: zone, Currency: "ARS", Policy: domain.DefaultPolicy()})
	require.NoError(e.t, err)
	club := created.Club
	e.club, e.apiKey = club, created.APIKey
	for _, name := range []string{"Padel 1", "Padel 2", "Padel 3", "Padel 4"} {
		c, err := e.app.Admin.SaveCourt(ctx, club, domain.Court{Name: name, Sport: domain.Padel, Indoor: true, Surface: "synthetic", Active: true})
		require.NoError(e.t, err)
		e.padel = append(e.padel, c)
	}
	e.tennis, err = e.app.Admin.SaveCourt(ctx, club, domain.Court{Name: "Tennis 1", Sport: domain.Tennis, Surface: "clay", Active: true})
	require.NoError(e.t, err)

	var week [7]*domain.Hours
	for d := range week {
		week[d] = &domain.Hours{Open: domain.MustClock("08:00"), Close: domain.MustClock("01:00")}
	}
	_, err = e.app.Admin.SaveSeason(ctx, club, domain.Season{Name: "2026", From: domain.MustDate("2026-01-01"), To: domain.MustDate("2026-12-31"), Week: week})
	require.NoError(e.t, err)

	rule := func(name string, sport domain.Sport, cat domain.CustomerCategory, from, to string, prio int, rate int64) {
		_, err := e.app.Admin.SavePriceRule(ctx, club, domain.PriceRule{
			Name: name, Sport: sport, Category: cat, Weekdays: domain.EveryDay, Priority: prio,
			Window: domain.Window{From: domain.MustClock(from), To: domain.MustClock(to)}, Rate: domain.NewMoney(rate, ars),
		})
		require.NoError(e.t, err)
	}
	rule("padel off-peak", domain.Padel, domain.CategoryAny, "08:00", "18:00", 10, 400000)
	rule("padel peak", domain.Padel, domain.CategoryAny, "18:00", "01:00", 10, 600000)
	rule("padel members off-peak", domain.Padel, domain.CategoryMember, "08:00", "18:00", 20, 320000)
	rule("padel members peak", domain.Padel, domain.CategoryMember, "18:00", "01:00", 20, 480000)
	rule("tennis", domain.Tennis, domain.CategoryAny, "08:00", "01:00", 10, 350000)
}

// request is one HTTP request to the Handler.
type request struct {
	method, path string
	body         string
	header       map[string]string
	remote       string // the peer's "ip:port"; empty means httptest's 192.0.2.1:1234
}

// response is a recorded response with its decoded JSON body.
type response struct {
	*httptest.ResponseRecorder
	json map[string]any
}

func (e *env) do(req request) response {
	e.t.Helper()
	var body io.Reader = http.NoBody
	if req.body != "" {
		body = strings.NewReader(req.body)
	}
	r := httptest.NewRequest(req.method, req.path, body)
	if req.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range req.header {
		r.Header.Set(k, v)
	}
	if req.remote != "" {
		r.RemoteAddr = req.remote
	}
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, r)
	res := response{ResponseRecorder: rec}
	if ct := rec.Header().Get("Content-Type"); strings.HasPrefix(ct, "application/json") || strings.HasPrefix(ct, "application/problem+json") {
		require.NoError(e.t, json.Unmarshal(rec.Body.Bytes(), &res.json), "body: %s", rec.Body.String())
	}
	return res
}

func (e *env) get(path string, header map[string]string) response {
	e.t.Helper()
	return e.do(request{method: http.MethodGet, path: path, header: header})
}

func (e *env) post(path, body string, header map[string]string) response {
	e.t.Helper()
	return e.do(request{method: http.MethodPost, path: path, body: body, header: header})
}

// admin returns the header that authenticates the club's API key.
func (e *env) admin() map[string]string {
	return map[string]string{"Authorization": "Bearer " + e.apiKey}
}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// bookingBody is a booking request for court at start (club-local "2006-01-02T15:04").
func bookingBody(courtID, start string, minutes int, email string) string {
	return `{"court_id":"` + courtID + `","start":"` + start + `:00-03:00","duration_minutes":` + strconv.Itoa(minutes) +
		`,"customer":{"name":"Ana Pérez","email":"` + email + `","phone":"+54 11 5555 0000","category":"guest"}}`
}

// book makes a booking and returns its id and access token.
func (e *env) book(courtID, start string, minutes int, email string) (id, token string) {
	e.t.Helper()
	res := e.post("/v1/clubs/"+clubSlug+"/bookings", bookingBody(courtID, start, minutes, email), nil)
	require.Equal(e.t, http.StatusCreated, res.Code, res.Body.String())
	return obj(res.json, "booking")["id"].(string), res.json["access_token"].(string)
}

// webhook posts a signed testpay event.
func (e *env) webhook(ev webhookEvent) response {
	e.t.Helper()
	body, err := json.Marshal(ev)
	require.NoError(e.t, err)
	return e.post("/v1/webhooks/"+provider, string(body), map[string]string{sigHeader: sign(body)})
}

// obj and arr walk decoded JSON.
func obj(v any, key string) map[string]any {
	m, _ := v.(map[string]any)
	o, _ := m[key].(map[string]any)
	return o
}

func arr(v any, key string) []any {
	m, _ := v.(map[string]any)
	a, _ := m[key].([]any)
	return a
}
