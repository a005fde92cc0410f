package crashtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata" // the club's zone must not depend on the host

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/adapters/cache/bigcache"
	"github.com/matchpoint/matchpoint/adapters/notify/outbox"
	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
	"github.com/matchpoint/matchpoint/adapters/system"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

const (
	clubSlug      = "crash-club"
	webhookSecret = "whsec_crashtest"
	// slotsPerCourtDay is the one-hour games a court has from 08:00 to 24:00.
	slotsPerCourtDay = 16
	// firstDay is how many days ahead the first game is: far enough that its reminder
	// (24 hours before) is not due while a test runs.
	firstDay = 2
	// bookingDays is how many days from firstDay take games, within the policy's
	// 14-day horizon.
	bookingDays = 11
)

// harness is the test's own side: the use cases over a database of their own, with
// the sandbox gateway taking payments (its webhooks handed straight to the use cases)
// and a queue that only enqueues, so every job waits in River for the workers; the
// provider stand-in the workers refund through; and one club with courts open every
// day from 08:00 to 24:00.
type harness struct {
	dbURL    string
	db       *bun.DB
	store    *postgres.Store
	sandbox  *sandbox.Gateway
	provider *provider
	app      *app.App
	club     domain.Club
	courts   []domain.Court
	slots    atomic.Int64
}

// newHarness builds a harness whose club has the given number of courts.
func newHarness(t *testing.T, courts int) *harness {
	t.Helper()
	ctx := context.Background()
	h := &harness{dbURL: newDatabase(t)}
	var err error
	h.db, err = postgres.Open(ctx, h.dbURL, postgres.WithMaxOpenConns(16))
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.db.Close() })
	h.store = postgres.New(h.db)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	queue, err := riverqueue.New(h.store, h.db.DB, riverqueue.Config{Logger: log})
	require.NoError(t, err)
	h.sandbox, err = sandbox.New(sandbox.Config{
		BaseURL: "http://sandbox.test", Secret: webhookSecret, Logger: log,
		Client: &http.Client{Transport: webhookTransport{h}},
	})
	require.NoError(t, err)
	h.provider = startProvider(t, h.sandbox)
	cache, err := bigcache.New(bigcache.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = cache.Close() })
	h.app, err = app.New(app.Deps{
		Store: h.store, Cache: cache, Gateways: ports.OneGateway(h.sandbox), Jobs: queue,
		Notifier: outbox.New(outbox.Config{Logger: log}), // never called: the workers send
		Clock:    system.NewClock(), IDs: system.NewIDs(), Reporter: system.NewReporter(log), Logger: log,
	}, app.Config{TokenSecret: tokenSecret})
	require.NoError(t, err)

	created, err := h.app.Admin.CreateClub(ctx, app.CreateClubCommand{
		Slug: clubSlug, Name: "Crash Padel", Zone: "America/Argentina/Buenos_Aires", Currency: "ARS", Policy: domain.DefaultPolicy(),
	})
	require.NoError(t, err)
	h.club = created.Club
	for i := range courts {
		c, err := h.app.Admin.SaveCourt(ctx, h.club, domain.Court{Name: fmt.Sprintf("Court %d", i+1), Sport: domain.Padel, Active: true})
		require.NoError(t, err)
		h.courts = append(h.courts, c)
	}
	today := domain.DateOf(time.Now(), h.club.Location)
	season := domain.Season{Name: "All year", From: today.AddDays(-1), To: today.AddDays(30)}
	for wd := range season.Week {
		season.Week[wd] = &domain.Hours{Open: domain.MustClock("08:00"), Close: domain.MustClock("01:00")}
	}
	_, err = h.app.Admin.SaveSeason(ctx, h.club, season)
	require.NoError(t, err)
	_, err = h.app.Admin.SavePriceRule(ctx, h.club, domain.PriceRule{
		Sport: domain.Padel, Weekdays: domain.EveryDay, Priority: 1,
		Window: domain.Window{From: domain.MustClock("08:00"), To: domain.MustClock("01:00")},
		Rate:   domain.NewMoney(400000, h.club.Currency),
	})
	require.NoError(t, err)
	return h
}

// workerOptions returns the settings of a worker on the harness's database and
// provider, sending mail to smtpURL.
func (h *harness) workerOptions(smtpURL string, concurrency int, jobTimeout, rescueAfter time.Duration) workerOptions {
	return workerOptions{DatabaseURL: h.dbURL, SMTPURL: smtpURL, ProviderURL: h.provider.URL(), Concurrency: concurrency, JobTimeout: jobTimeout, RescueAfter: rescueAfter}
}

// booking is a booking the test made, with what it needs to act on it.
type booking struct {
	id, token, checkout string
	paid                domain.Money
	event               string // the id of the payment's webhook event
	paymentRef          string // the sandbox's reference of the payment
}

// book holds the next free game (one hour, on its own court and hour) for a customer
// of its own, so that no policy limit per customer is reached.
func (h *harness) book(ctx context.Context) (booking, error) {
	n := int(h.slots.Add(1) - 1)
	perDay := len(h.courts) * slotsPerCourtDay
	if n >= perDay*bookingDays {
		return booking{}, fmt.Errorf("no game left for booking %d", n)
	}
	day := domain.DateOf(time.Now(), h.club.Location).AddDays(firstDay + n/perDay)
	court := h.courts[n%perDay/slotsPerCourtDay]
	start, _ := day.At(domain.MustClock(fmt.Sprintf("%02d:00", 8+n%slotsPerCourtDay)), h.club.Location) // Buenos Aires keeps no summer time: every hour exists
	res, err := h.app.Bookings.Create(ctx, app.CreateBookingCommand{
		ClubSlug: clubSlug, CourtID: court.ID, Start: start, Duration: time.Hour,
		Customer: app.CustomerInput{Name: fmt.Sprintf("Customer %d", n), Email: fmt.Sprintf("customer%d@example.com", n)},
	})
	if err != nil {
		return booking{}, fmt.Errorf("book game %d: %w", n, err)
	}
	u, err := url.Parse(res.CheckoutURL)
	if err != nil {
		return booking{}, err
	}
	return booking{id: res.Booking.ID(), token: res.AccessToken, checkout: u.Path, paid: res.Booking.Quote().Total}, nil
}

// pay pays b's checkout on the sandbox, whose webhook confirms the booking.
func (h *harness) pay(b *booking) error {
	var res struct {
		PaymentRef string `json:"payment_ref"`
		EventID    string `json:"event_id"`
		Delivered  bool   `json:"delivered"`
		Status     int    `json:"webhook_status"`
	}
	if err := h.sandboxPost(b.checkout+"/pay", &res); err != nil {
		return err
	}
	if !res.Delivered {
		return fmt.Errorf("payment of %s: webhook answered %d", b.id, res.Status)
	}
	b.event, b.paymentRef = res.EventID, res.PaymentRef
	return nil
}

// payAgain delivers the payment's webhook event once more, as a provider retrying it.
func (h *harness) payAgain(b booking) error {
	var res struct {
		Delivered bool `json:"delivered"`
		Status    int  `json:"webhook_status"`
	}
	if err := h.sandboxPost("/sandbox/events/"+b.event+"/resend", &res); err != nil {
		return err
	}
	if !res.Delivered {
		return fmt.Errorf("payment of %s sent again: webhook answered %d", b.id, res.Status)
	}
	return nil
}

// sandboxPost posts to the sandbox's provider side and decodes its JSON answer.
func (h *harness) sandboxPost(path string, v any) error {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, path, nil)
	req.Header.Set("Accept", "application/json")
	h.sandbox.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return fmt.Errorf("sandbox %s: %d %s", path, rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	return json.Unmarshal(rec.Body.Bytes(), v)
}

// cancel cancels b as its customer.
func (h *harness) cancel(ctx context.Context, b booking) (app.Cancelled, error) {
	return h.app.Bookings.Cancel(ctx, b.id, b.token)
}

// webhookTransport delivers the sandbox's webhooks to the use cases, as the HTTP
// adapter's webhook endpoint would.
type webhookTransport struct{ h *harness }

func (t webhookTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	status, msg := http.StatusOK, "ok"
	if _, err := t.h.app.Payments.HandleWebhook(req.Context(), sandbox.Provider, req.Header, body); err != nil {
		status, msg = http.StatusBadRequest, err.Error()
		if k := domain.ErrorKind(err); k == domain.KindUnavailable || k == domain.KindInternal {
			status = http.StatusInternalServerError
		}
	}
	return &http.Response{
		StatusCode: status, Status: http.StatusText(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Body: io.NopCloser(bytes.NewReader([]byte(msg))), Request: req,
	}, nil
}

// jobRow is a row of river_job, as the tests read them.
type jobRow struct {
	ID      int64
	Kind    string
	State   string
	Attempt int
	Key     string
	Due     bool // waiting with its time come
}

// jobs returns the jobs of the harness's database.
func (h *harness) jobs(t *testing.T) []jobRow {
	t.Helper()
	rows, err := h.db.QueryContext(context.Background(), `SELECT id, kind, state::text, attempt, coalesce(args->>'key', ''),
		state IN ('available', 'retryable', 'scheduled') AND scheduled_at <= now()
		FROM river_job ORDER BY id`)
	require.NoError(t, err)
	defer rows.Close()
	var out []jobRow
	for rows.Next() {
		var j jobRow
		require.NoError(t, rows.Scan(&j.ID, &j.Kind, &j.State, &j.Attempt, &j.Key, &j.Due))
		out = append(out, j)
	}
	require.NoError(t, rows.Err())
	return out
}

// job returns the job of a unique key; the test fails unless there is exactly one.
func (h *harness) job(t *testing.T, key string) jobRow {
	t.Helper()
	var found []jobRow
	for _, j := range h.jobs(t) {
		if j.Key == key {
			found = append(found, j)
		}
	}
	require.Len(t, found, 1, "jobs of key %q", key)
	return found[0]
}

// waitIdle waits until no job is running or due, and fails the test after timeout.
func (h *harness) waitIdle(t *testing.T, timeout time.Duration) {
	t.Helper()
	busy := func() []jobRow {
		var out []jobRow
		for _, j := range h.jobs(t) {
			if j.State == "running" || j.Due {
				out = append(out, j)
			}
		}
		return out
	}
	deadline := time.Now().Add(timeout)
	for {
		b := busy()
		if len(b) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs still running or due after %s: %+v", timeout, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sent tells whether the worker recorded the message of key as sent.
func (h *harness) sent(t *testing.T, key string) bool {
	t.Helper()
	ok, err := h.store.MessageSent(context.Background(), key)
	require.NoError(t, err)
	return ok
}

// refund returns the refund owed for a booking; the test fails unless there is exactly one.
func (h *harness) refund(t *testing.T, bookingID string) *domain.Refund {
	t.Helper()
	var ids []string
	require.NoError(t, h.db.NewRaw("SELECT id FROM refunds WHERE booking_id = ?", bookingID).Scan(context.Background(), &ids))
	require.Len(t, ids, 1, "refunds of booking %s", bookingID)
	r, err := h.store.GetRefund(context.Background(), ids[0])
	require.NoError(t, err)
	return r
}

// messageID is the Message-ID the workers' SMTP notifier gives the message of a kind
// about a booking (package smtp: kind.booking@From's domain).
func messageID(kind ports.MessageKind, bookingID string) string {
	return string(kind) + "." + bookingID + "@matchpoint.test"
}

// waitUntil polls cond until it holds, and fails the test after timeout.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
