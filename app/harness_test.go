package app_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the club's zone must not depend on the host

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/cache/bigcache"
	"github.com/matchpoint/matchpoint/adapters/memory"
	"github.com/matchpoint/matchpoint/adapters/notify/outbox"
	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/adapters/queue/inproc"
	"github.com/matchpoint/matchpoint/adapters/system"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/clocktest"
)

// The harness runs app.App over the embedded adapters — the memory store, bigcache, the
// in-process queue, the outbox and the sandbox gateway — with a fake clock, and seeds
// one club through the admin use cases:
//
//	club-one, Buenos Aires (UTC−3 all year), ARS, the default policy: 30-minute slots,
//	padel 60/90/120 minutes, 15 minutes' lead, 14 days' horizon, a 10-minute hold,
//	full refund up to 24 hours before the start and half after, 4 active bookings
//	courts: Padel 1, Padel 2 (padel), Tennis 1 (tennis)
//	season: all of 2026, open 08:00–01:00 every day
//	prices per slot: padel 4 000.00 off-peak (08–18), 6 000.00 peak (18–01);
//	members 3 200.00 and 4 800.00; tennis 3 500.00
//
// The clock starts on Tuesday 10 March 2026 at 09:00 at the club. The queue starts on
// the first drain, so a test decides when jobs may run: until then, moving the clock
// past a job's time runs nothing.

const (
	clubSlug      = "club-one"
	zone          = "America/Argentina/Buenos_Aires"
	webhookSecret = "whsec_app_tests"
	sandboxBase   = "http://sandbox.test"
)

var (
	ars         = domain.MustCurrency("ARS")
	usd         = domain.MustCurrency("USD")
	startTime   = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	tomorrow    = domain.MustDate("2026-03-11")
	tokenSecret = []byte("app tests: a token secret of at least 32 bytes")
	discard     = slog.New(slog.DiscardHandler)
)

// env is one app over its own adapters, seeded with club-one.
type env struct {
	clock    *clocktest.Clock
	store    *spyStore
	cache    *bigcache.Cache
	queue    *inproc.Queue
	outbox   *outbox.Outbox
	mail     *failingNotifier // the outbox, failing when a test says
	sandbox  *sandbox.Gateway
	gateway  *recordingGateway
	hooks    *webhookCatcher
	reporter *recordingReporter
	metrics  *recordingMetrics
	app      *app.App

	started sync.Once
	tokens  map[string]string // access tokens by booking id, for cases that need them

	tomorrow domain.LocalDate // the day after the clock's start: bookingCmd's day
	gateways ports.Gateways

	club   domain.Club
	apiKey string
	padel1 domain.Court
	padel2 domain.Court
	tennis domain.Court
	season domain.Season
}

// newEnv builds an env; policy, if given, adjusts the club's default policy.
func newEnv(t *testing.T, policy ...func(*domain.Policy)) *env {
	t.Helper()
	return newEnvWith(t, envOptions{}, policy...)
}

// envOptions change what newEnvWith builds.
type envOptions struct {
	// start is when the env's clock starts; zero means startTime. Its club's season
	// then runs from the day before to a year after, and bookingCmd books the day after.
	start time.Time
	// gateways returns the gateways the use cases take payments through; nil means the
	// recording sandbox alone, for every club.
	gateways func(e *env) ports.Gateways
}

// newEnvWith builds an env as o says.
func newEnvWith(t *testing.T, o envOptions, policy ...func(*domain.Policy)) *env {
	t.Helper()
	start := o.start
	if start.IsZero() {
		start = startTime
	}
	e := &env{
		clock:    clocktest.New(start),
		store:    &spyStore{Store: memory.New(), calls: map[string]int{}},
		outbox:   outbox.New(outbox.Config{Logger: discard}),
		hooks:    &webhookCatcher{},
		reporter: &recordingReporter{},
		metrics:  newRecordingMetrics(),
	}
	// The cache keeps real time, so that moving the fake clock never expires an entry:
	// only an invalidation can make an answer change.
	cache, err := bigcache.New(bigcache.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = cache.Close() })
	e.cache = cache
	e.sandbox, err = sandbox.New(sandbox.Config{
		BaseURL: sandboxBase, Secret: webhookSecret, Client: &http.Client{Transport: e.hooks},
		Clock: e.clock, Logger: discard,
	})
	require.NoError(t, err)
	e.gateway = &recordingGateway{Gateway: e.sandbox}
	e.queue = inproc.New(inproc.Config{Clock: e.clock, Logger: discard, Reporter: e.reporter})
	var gws ports.Gateways = ports.OneGateway(e.gateway)
	if o.gateways != nil {
		gws = o.gateways(e)
	}
	e.gateways = gws
	e.mail = &failingNotifier{Notifier: e.outbox}
	e.app, err = app.New(app.Deps{
		Store: e.store, Cache: e.cache, Gateways: gws, Notifier: e.mail, Jobs: e.queue,
		Clock: e.clock, IDs: system.IDs{}, Reporter: e.reporter, Logger: discard, Metrics: e.metrics,
	}, app.Config{TokenSecret: tokenSecret})
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, e.queue.Stop(ctx))
	})

	pol := domain.DefaultPolicy()
	for _, p := range policy {
		p(&pol)
	}
	e.club, e.apiKey = e.seedClub(t, clubSlug, pol)
	e.padel1 = e.saveCourt(t, e.club, "Padel 1", domain.Padel)
	e.padel2 = e.saveCourt(t, e.club, "Padel 2", domain.Padel)
	e.tennis = e.saveCourt(t, e.club, "Tennis 1", domain.Tennis)
	e.tomorrow = tomorrow
	if o.start.IsZero() {
		e.season = e.saveSeason(t, e.club, "2026", "2026-01-01", "2026-12-31", "08:00", "01:00")
	} else {
		today := domain.DateOf(o.start, e.club.Location)
		e.tomorrow = today.AddDays(1)
		e.season = e.saveSeason(t, e.club, "This year", today.AddDays(-1).String(), today.AddDays(365).String(), "08:00", "01:00")
	}
	for _, r := range []domain.PriceRule{
		{Name: "Padel off-peak", Sport: domain.Padel, Window: window("08:00", "18:00"), Priority: 10, Rate: domain.NewMoney(400000, ars)},
		{Name: "Padel peak", Sport: domain.Padel, Window: window("18:00", "01:00"), Priority: 10, Rate: domain.NewMoney(600000, ars)},
		{Name: "Padel members off-peak", Sport: domain.Padel, Category: domain.CategoryMember, Window: window("08:00", "18:00"), Priority: 20, Rate: domain.NewMoney(320000, ars)},
		{Name: "Padel members peak", Sport: domain.Padel, Category: domain.CategoryMember, Window: window("18:00", "01:00"), Priority: 20, Rate: domain.NewMoney(480000, ars)},
		{Name: "Tennis", Sport: domain.Tennis, Window: window("08:00", "01:00"), Priority: 10, Rate: domain.NewMoney(350000, ars)},
	} {
		r.Weekdays = domain.EveryDay
		_, err := e.app.Admin.SavePriceRule(context.Background(), e.club, r)
		require.NoError(t, err)
	}
	return e
}

func (e *env) seedClub(t *testing.T, slug string, pol domain.Policy) (domain.Club, string) {
	t.Helper()
	created, err := e.app.Admin.CreateClub(context.Background(), app.CreateClubCommand{
		Slug: slug, Name: "Club " + slug, Zone: zone, Currency: "ARS", Policy: pol,
	})
	require.NoError(t, err)
	return created.Club, created.APIKey
}

func (e *env) saveCourt(t *testing.T, club domain.Club, name string, sport domain.Sport) domain.Court {
	t.Helper()
	c, err := e.app.Admin.SaveCourt(context.Background(), club, domain.Court{Name: name, Sport: sport, Surface: "synthetic grass", Active: true})
	require.NoError(t, err)
	return c
}

func (e *env) saveSeason(t *testing.T, club domain.Club, name, from, to, opens, closes string) domain.Season {
	t.Helper()
	s := domain.Season{Name: name, From: domain.MustDate(from), To: domain.MustDate(to)}
	hours := &domain.Hours{Open: domain.MustClock(opens), Close: domain.MustClock(closes)}
	for wd := range s.Week {
		s.Week[wd] = hours
	}
	s, err := e.app.Admin.SaveSeason(context.Background(), club, s)
	require.NoError(t, err)
	return s
}

func window(from, to string) domain.Window {
	return domain.Window{From: domain.MustClock(from), To: domain.MustClock(to)}
}

// at returns the instant of a clock time on a date at the club.
func (e *env) at(d domain.LocalDate, clock string) time.Time {
	t, ok := d.At(domain.MustClock(clock), e.club.Location)
	if !ok {
		panic("no such time at the club: " + d.String() + " " + clock)
	}
	return t
}

// drain starts the queue if it has not started and waits until no job is due. The
// bound is generous: under the race detector on a busy machine, the jobs of a test
// with thousands of bookings take more than ten seconds.
func (e *env) drain(t *testing.T) {
	t.Helper()
	e.started.Do(func() { require.NoError(t, e.queue.Start(context.Background(), e.app.Workers())) })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, e.queue.Drain(ctx))
}

// bookingCmd is a booking request of Ana's for 90 minutes on Padel 1 tomorrow at 10:00,
// which costs 3 × 4 000.00.
func (e *env) bookingCmd() app.CreateBookingCommand {
	return app.CreateBookingCommand{
		ClubSlug: clubSlug, CourtID: e.padel1.ID, Start: e.at(e.tomorrow, "10:00"), Duration: 90 * time.Minute,
		Customer: app.CustomerInput{Name: "Ana Pérez", Email: "ana@example.com", Phone: "+54 11 5555 0000"},
	}
}

const bookingTotal = 1_200_000 // the price of bookingCmd, in centavos

// book creates a booking and requires it to succeed.
func (e *env) book(t *testing.T, cmd app.CreateBookingCommand) app.CreatedBooking {
	t.Helper()
	res, err := e.app.Bookings.Create(context.Background(), cmd)
	require.NoError(t, err)
	return res
}

// stored returns the booking as the store has it now.
func (e *env) stored(t *testing.T, id string) *domain.Booking {
	t.Helper()
	b, err := e.store.Store.GetBooking(context.Background(), id)
	require.NoError(t, err)
	return b
}

// payment returns what the sandbox knows of a booking's payment.
func (e *env) payment(t *testing.T, b *domain.Booking) ports.Payment {
	t.Helper()
	p, err := e.sandbox.GetPayment(context.Background(), b.PaymentRef())
	require.NoError(t, err)
	return p
}

// post sends a POST to the sandbox's provider side, as the customer's browser would.
func (e *env) post(t *testing.T, path string) {
	t.Helper()
	rec := httptest.NewRecorder()
	e.sandbox.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, nil))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
}

// pay pays a booking's checkout on the sandbox (amount 0 pays what is asked) and
// returns the signed webhook the sandbox sent, not yet delivered.
func (e *env) pay(t *testing.T, b *domain.Booking, amount int64) webhook {
	t.Helper()
	path := "/sandbox/checkout/" + url.PathEscape(b.PaymentRef()) + "/pay"
	if amount > 0 {
		path += "?amount=" + strconv.FormatInt(amount, 10)
	}
	e.post(t, path)
	return e.hooks.last(t)
}

// deliver hands a webhook to the use cases as the HTTP adapter does, at the name of
// club-one's gateway.
func (e *env) deliver(wh webhook) (app.WebhookResult, error) {
	name, _, err := e.gateways.ForClub(context.Background(), e.club)
	if err != nil {
		return app.WebhookResult{}, err
	}
	return e.app.Payments.HandleWebhook(context.Background(), name, wh.header, wh.body)
}

// payAndConfirm pays a booking in full, delivers the webhook and runs the jobs.
func (e *env) payAndConfirm(t *testing.T, b *domain.Booking) webhook {
	t.Helper()
	wh := e.pay(t, b, 0)
	res, err := e.deliver(wh)
	require.NoError(t, err)
	require.Equal(t, app.OutcomeConfirmed, res.Outcome)
	e.drain(t)
	require.Equal(t, domain.StatusConfirmed, e.stored(t, b.ID()).Status())
	return wh
}

// sandboxEvent is the body of a sandbox webhook.
type sandboxEvent struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	BookingID  string `json:"booking_id"`
	PaymentRef string `json:"payment_ref"`
	Amount     int64  `json:"amount"`
	Currency   string `json:"currency"`
	Created    int64  `json:"created"`
}

// signed returns an event as the sandbox would sign it now.
func (e *env) signed(t *testing.T, ev sandboxEvent) webhook {
	t.Helper()
	if ev.Created == 0 {
		ev.Created = e.clock.Now().Unix()
	}
	body, err := json.Marshal(ev)
	require.NoError(t, err)
	h := http.Header{}
	h.Set(sandbox.SignatureHeader, sandbox.Sign(webhookSecret, e.clock.Now(), body))
	return webhook{header: h, body: body}
}

// decode reads a sandbox webhook's body.
func decode(t *testing.T, wh webhook) sandboxEvent {
	t.Helper()
	var ev sandboxEvent
	require.NoError(t, json.Unmarshal(wh.body, &ev))
	return ev
}

// messages returns the kinds of the messages sent about a booking, in order.
func (e *env) messages(bookingID string) []ports.MessageKind {
	var out []ports.MessageKind
	for _, m := range e.outbox.Messages() {
		if m.BookingID == bookingID {
			out = append(out, m.Kind)
		}
	}
	return out
}

// message returns the one message of a kind sent about a booking.
func (e *env) message(t *testing.T, bookingID string, kind ports.MessageKind) ports.Message {
	t.Helper()
	var found []ports.Message
	for _, m := range e.outbox.Messages() {
		if m.BookingID == bookingID && m.Kind == kind {
			found = append(found, m)
		}
	}
	require.Len(t, found, 1, "%s messages about booking %s", kind, bookingID)
	return found[0]
}

func money(amount int64) domain.Money { return domain.NewMoney(amount, ars) }

// requireCode requires err to be a domain error of a kind and code.
func requireCode(t *testing.T, err error, kind domain.Kind, code string) {
	t.Helper()
	require.Error(t, err)
	assert.Equal(t, kind, domain.ErrorKind(err), "kind of %v", err)
	assert.Equal(t, code, domain.ErrorCode(err), "code of %v", err)
}
