package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/cache/bigcache"
	"github.com/matchpoint/matchpoint/adapters/notify/outbox"
	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/adapters/queue/inproc"
	"github.com/matchpoint/matchpoint/adapters/system"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/clocktest"
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
	name := "matchpoint_lambda_" + hex.EncodeToString(b)
	_, err = db.Exec("CREATE DATABASE " + name)
	require.NoError(t, err, "the local Postgres server must run (make services)")
	t.Cleanup(func() { _, _ = db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") })
	return strings.Replace(admin, "/postgres?", "/"+name+"?", 1)
}

// closedURL returns an http:// URL on a loopback port nothing listens on: webhooks
// sent there are lost.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return "http://" + addr
}

// harness is the function composed on a fresh, migrated database, a fake clock, and
// "the server": the use cases over the same database and the function's sandbox
// gateway, with a queue that never runs, as if its jobs went to SQS.
type harness struct {
	fn     *Function
	invoke func(ctx context.Context, payload []byte) ([]byte, error) // as the Lambda runtime calls the handler
	server *app.App
	store  *postgres.Store
	clock  *clocktest.Clock
	club   domain.Club
	courts []domain.Court
	public string
	next   int // the next booking's slot
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := t.Context()
	url := testDatabase(t)
	db, err := postgres.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, postgres.Migrate(ctx, db))

	public := closedURL(t)
	cfg, err := LoadConfig(mapEnv(map[string]string{
		"MATCHPOINT_DATABASE_URL": url, "MATCHPOINT_PUBLIC_URL": public,
		"MATCHPOINT_TOKEN_SECRET": strings.Repeat("t", 32), "MATCHPOINT_SANDBOX_SECRET": strings.Repeat("s", 32),
	}))
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	clock := clocktest.New(time.Now())
	fn, cleanup, err := NewFunction(ctx, cfg, log, clock)
	require.NoError(t, err)
	t.Cleanup(cleanup)

	cache, err := bigcache.New(bigcache.Config{MaxSizeMB: 16})
	require.NoError(t, err)
	t.Cleanup(func() { _ = cache.Close() })
	store := postgres.New(db)
	server, err := app.New(app.Deps{
		Store: store, Cache: cache, Gateways: ports.OneGateway(fn.Sandbox), Notifier: outbox.New(outbox.Config{Logger: log}),
		Jobs: inproc.New(inproc.Config{Logger: log, Clock: clock}), Clock: clock, IDs: system.NewIDs(),
		Reporter: system.NewReporter(log), Logger: log,
	}, app.Config{TokenSecret: cfg.TokenSecret})
	require.NoError(t, err)

	h := &harness{fn: fn, invoke: lambda.NewHandler(fn.Handle).Invoke, server: server, store: store, clock: clock, public: public}
	h.seedClub(t)
	return h
}

func mapEnv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// seedClub creates a padel club in UTC, open 08:00–23:00 every day, with two courts,
// 10-minute holds, and one price.
func (h *harness) seedClub(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	created, err := h.server.Admin.CreateClub(ctx, app.CreateClubCommand{
		Slug: "club", Name: "Club", Zone: "UTC", Currency: "ARS", Policy: domain.DefaultPolicy(),
	})
	require.NoError(t, err)
	h.club = created.Club
	require.Equal(t, 10*time.Minute, h.club.Policy.Hold)
	for _, name := range []string{"Padel 1", "Padel 2"} {
		c, err := h.server.Admin.SaveCourt(ctx, h.club, domain.Court{Name: name, Sport: domain.Padel, Active: true})
		require.NoError(t, err)
		h.courts = append(h.courts, c)
	}
	today := domain.DateOf(h.clock.Now(), h.club.Location)
	season := domain.Season{Name: "All year", From: today.AddDays(-1), To: today.AddDays(30)}
	for wd := range season.Week {
		season.Week[wd] = &domain.Hours{Open: domain.MustClock("08:00"), Close: domain.MustClock("23:00")}
	}
	_, err = h.server.Admin.SaveSeason(ctx, h.club, season)
	require.NoError(t, err)
	_, err = h.server.Admin.SavePriceRule(ctx, h.club, domain.PriceRule{
		Name: "Padel", Sport: domain.Padel, Weekdays: domain.EveryDay,
		Window:   domain.Window{From: domain.MustClock("08:00"), To: domain.MustClock("23:00")},
		Priority: 10, Rate: domain.NewMoney(400000, h.club.Currency),
	})
	require.NoError(t, err)
}

// book holds a free hour two days ahead, with a checkout at the sandbox.
func (h *harness) book(t *testing.T) app.CreatedBooking {
	t.Helper()
	n := h.next
	h.next++
	day := domain.DateOf(h.clock.Now(), h.club.Location).AddDays(2)
	start, ok := day.At(domain.MustClock("09:00"), h.club.Location)
	require.True(t, ok)
	start = start.Add(time.Duration(n/2) * time.Hour)
	created, err := h.server.Bookings.Create(t.Context(), app.CreateBookingCommand{
		ClubSlug: h.club.Slug, CourtID: h.courts[n%2].ID, Start: start, Duration: time.Hour,
		Customer: app.CustomerInput{Name: "Player", Email: "player" + string(rune('a'+n)) + "@example.com"},
	})
	require.NoError(t, err)
	require.Equal(t, domain.StatusPending, created.Booking.Status())
	require.NotEmpty(t, created.CheckoutURL)
	return created
}

func (h *harness) status(t *testing.T, id string) domain.Status {
	t.Helper()
	b, err := h.store.GetBooking(t.Context(), id)
	require.NoError(t, err)
	return b.Status()
}

// sqsRecord is an SQS message carrying body, as Lambda delivers it.
func sqsRecord(id, body string) events.SQSMessage {
	return events.SQSMessage{
		MessageId: id, ReceiptHandle: "handle-" + id, Body: body, EventSource: "aws:sqs",
		EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:matchpoint-jobs", AWSRegion: "us-east-1",
		Attributes: map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": "1767225600000"},
	}
}

func jobBody(t *testing.T, kind string, args any) string {
	t.Helper()
	a, err := json.Marshal(args)
	require.NoError(t, err)
	b, err := json.Marshal(JobMessage{Kind: kind, Args: a, ID: "job-" + kind, Attempt: 1})
	require.NoError(t, err)
	return string(b)
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func (h *harness) invokeSQS(t *testing.T, records ...events.SQSMessage) events.SQSEventResponse {
	t.Helper()
	out, err := h.invoke(t.Context(), marshal(t, events.SQSEvent{Records: records}))
	require.NoError(t, err)
	var res events.SQSEventResponse
	require.NoError(t, json.Unmarshal(out, &res))
	return res
}

func scheduledEvent(at time.Time) events.EventBridgeEvent {
	return events.EventBridgeEvent{
		Version: "0", ID: "cdc73f9d-aea9-11e3-9d5a-835b769c0d9c", DetailType: ScheduledDetailType,
		Source: "aws.events", AccountID: "123456789012", Time: at.UTC().Truncate(time.Second), Region: "us-east-1",
		Resources: []string{"arn:aws:events:us-east-1:123456789012:rule/matchpoint-sweep"},
		Detail:    json.RawMessage(`{}`),
	}
}

func TestSQSRecordExpiresARunOutHold(t *testing.T) {
	h := newHarness(t)
	b := h.book(t)
	h.clock.Advance(11 * time.Minute) // past the 10-minute hold

	res := h.invokeSQS(t, sqsRecord("m1", jobBody(t, app.KindExpireHold, app.ExpireHoldArgs{BookingID: b.Booking.ID()})))
	assert.Empty(t, res.BatchItemFailures)
	assert.Equal(t, domain.StatusExpired, h.status(t, b.Booking.ID()))
	// The checkout was closed at the gateway by the job the expiry scheduled, run before
	// the handler returned.
	pay, err := h.fn.Sandbox.GetPayment(t.Context(), b.Booking.PaymentRef())
	require.NoError(t, err)
	assert.Equal(t, ports.PaymentExpired, pay.Status)
}

func TestSQSRecordBeforeTheHoldEndsChangesNothing(t *testing.T) {
	h := newHarness(t)
	b := h.book(t)
	res := h.invokeSQS(t, sqsRecord("m1", jobBody(t, app.KindExpireHold, app.ExpireHoldArgs{BookingID: b.Booking.ID()})))
	assert.Empty(t, res.BatchItemFailures)
	assert.Equal(t, domain.StatusPending, h.status(t, b.Booking.ID()))
}

func TestSQSBatchReportsOnlyTheFailedRecords(t *testing.T) {
	h := newHarness(t)
	good := h.book(t)
	h.clock.Advance(11 * time.Minute)

	res := h.invokeSQS(t,
		sqsRecord("bad-kind", jobBody(t, "booking.no_such_job", app.ExpireHoldArgs{BookingID: good.Booking.ID()})),
		sqsRecord("good", jobBody(t, app.KindExpireHold, app.ExpireHoldArgs{BookingID: good.Booking.ID()})),
		sqsRecord("bad-args", `{"kind":"booking.expire_hold","args":{"booking_id":42},"id":"j3","attempt":1}`),
		sqsRecord("not-json", `expire booking please`),
		sqsRecord("no-args", `{"kind":"booking.expire_hold","id":"j5","attempt":1}`),
	)
	var failed []string
	for _, f := range res.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	assert.Equal(t, []string{"bad-kind", "bad-args", "not-json", "no-args"}, failed)
	assert.Equal(t, domain.StatusExpired, h.status(t, good.Booking.ID()), "the good record ran")
}

func TestScheduledEventReconcilesAndSweeps(t *testing.T) {
	h := newHarness(t)
	unpaid := h.book(t)
	paid := h.book(t)

	// The customer pays at the gateway, but its webhook never arrives: the server is
	// not where MATCHPOINT_PUBLIC_URL says.
	path := strings.TrimPrefix(paid.CheckoutURL, h.public) + "/pay"
	rec := httptest.NewRecorder()
	h.fn.Sandbox.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, nil))
	require.Equal(t, http.StatusBadGateway, rec.Code, "the webhook must be lost: %s", rec.Body)
	require.Equal(t, domain.StatusPending, h.status(t, paid.Booking.ID()))

	h.clock.Advance(11 * time.Minute) // both holds have run out
	out, err := h.invoke(t.Context(), marshal(t, scheduledEvent(h.clock.Now())))
	require.NoError(t, err)
	var res ScheduledResult
	require.NoError(t, json.Unmarshal(out, &res))

	assert.Equal(t, domain.StatusConfirmed, h.status(t, paid.Booking.ID()), "reconciliation applied the lost payment")
	assert.Equal(t, domain.StatusExpired, h.status(t, unpaid.Booking.ID()), "the sweep expired the run-out hold")
	assert.Equal(t, 1, res.Reconciled.Confirmed)
	assert.Equal(t, 1, res.HoldsExpired)
	assert.Equal(t, 2, res.ReportsRequested, "last month's revenue and occupancy reports of the club")
	reports, err := h.fn.App.Admin.ListReports(t.Context(), h.club)
	require.NoError(t, err)
	require.Len(t, reports, 2)
	for _, r := range reports {
		got, err := h.fn.App.Admin.Report(t.Context(), h.club, r.ID)
		require.NoError(t, err)
		assert.Equal(t, ports.ReportReady, got.State, "generated before the run returned")
	}

	// A second run finds nothing more to do.
	out, err = h.invoke(t.Context(), marshal(t, scheduledEvent(h.clock.Now())))
	require.NoError(t, err)
	res = ScheduledResult{}
	require.NoError(t, json.Unmarshal(out, &res))
	assert.Zero(t, res.Reconciled.Confirmed)
	assert.Zero(t, res.HoldsExpired)
	assert.Zero(t, res.ReportsRequested)
}

func TestUnknownEventsAreErrors(t *testing.T) {
	// The shape is told before anything is run: a function with nothing composed
	// answers as well.
	invoke := lambda.NewHandler((&Function{}).Handle).Invoke
	other := scheduledEvent(time.Now())
	other.DetailType, other.Source = "EC2 Instance State-change Notification", "aws.ec2"
	s3 := events.S3Event{Records: []events.S3EventRecord{{EventSource: "aws:s3", EventName: "ObjectCreated:Put", AWSRegion: "us-east-1"}}}
	for name, payload := range map[string][]byte{
		"another EventBridge event": marshal(t, other),
		"records not from SQS":      marshal(t, s3),
		"no known field":            []byte(`{"hello":"world"}`),
		"not an object":             []byte(`[1,2,3]`),
		"null":                      []byte(`null`),
		"both shapes":               []byte(`{"Records":[],"detail-type":"Scheduled Event"}`),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := invoke(t.Context(), payload)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "unknown event")
		})
	}
}

func TestNewFunctionRefusesAnUnmigratedDatabase(t *testing.T) {
	cfg, err := LoadConfig(mapEnv(map[string]string{"MATCHPOINT_DATABASE_URL": testDatabase(t)}))
	require.NoError(t, err)
	_, _, err = NewFunction(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), system.NewClock())
	require.ErrorIs(t, err, errNotMigrated)
}

func TestLoadConfig(t *testing.T) {
	cfg, err := LoadConfig(mapEnv(map[string]string{"MATCHPOINT_DATABASE_URL": "postgres://db/mp"}))
	require.NoError(t, err)
	assert.Equal(t, defaultDBMaxConns, cfg.DBMaxConns)
	assert.Equal(t, "http://127.0.0.1:8080", cfg.PublicURL)
	assert.Len(t, cfg.TokenSecret, 43, "a random secret for this copy")
	assert.Equal(t, "sandbox", cfg.Payments.Default)

	for name, env := range map[string]map[string]string{
		"MATCHPOINT_DATABASE_URL":       {},
		"MATCHPOINT_DATABASE_URL=":      {"MATCHPOINT_DATABASE_URL": "mysql://db"},
		"MATCHPOINT_DATABASE_MAX_CONNS": {"MATCHPOINT_DATABASE_URL": "postgres://db/mp", "MATCHPOINT_DATABASE_MAX_CONNS": "0"},
		"MATCHPOINT_PUBLIC_URL":         {"MATCHPOINT_DATABASE_URL": "postgres://db/mp", "MATCHPOINT_PUBLIC_URL": "example.com"},
		"MATCHPOINT_TOKEN_SECRET":       {"MATCHPOINT_DATABASE_URL": "postgres://db/mp", "MATCHPOINT_TOKEN_SECRET": "short"},
		"MATCHPOINT_REDIS_URL":          {"MATCHPOINT_DATABASE_URL": "postgres://db/mp", "MATCHPOINT_REDIS_URL": "localhost:6379"},
		"MATCHPOINT_DEFAULT_GATEWAY":    {"MATCHPOINT_DATABASE_URL": "postgres://db/mp", "MATCHPOINT_DEFAULT_GATEWAY": "stripe"},
		"MATCHPOINT_LOG_LEVEL":          {"MATCHPOINT_DATABASE_URL": "postgres://db/mp", "MATCHPOINT_LOG_LEVEL": "loud"},
	} {
		_, err := LoadConfig(mapEnv(env))
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), strings.TrimSuffix(name, "="), "the error names the variable")
	}
}

func TestDecodeJob(t *testing.T) {
	msg := sqsRecord("m-1", `{"kind":"booking.complete","args":{"booking_id":"b1"}}`)
	job, err := decodeJob(msg)
	require.NoError(t, err)
	assert.Equal(t, ports.RawJob{ID: "m-1", Kind: app.KindComplete, Args: []byte(`{"booking_id":"b1"}`), Attempt: 1}, job,
		"the id defaults to the message's, the attempt to the first")

	msg = sqsRecord("m-2", `{"kind":"booking.complete","args":{"booking_id":"b1"},"id":"j-7","attempt":2}`)
	msg.Attributes["ApproximateReceiveCount"] = "3"
	job, err = decodeJob(msg)
	require.NoError(t, err)
	assert.Equal(t, "j-7", job.ID)
	assert.Equal(t, 4, job.Attempt, "sent as the second attempt, delivered a third time")

	for _, body := range []string{
		``, `{}`, `{"kind":"booking.complete"}`, `{"kind":"booking.complete","args":null}`,
		`{"kind":"booking.complete","args":[1]}`, `{"args":{}}`,
		`{"kind":"booking.complete","args":{},"arguments":{}}`, `{"kind":"booking.complete","args":{}} {}`,
	} {
		_, err := decodeJob(sqsRecord("m", body))
		assert.Error(t, err, "body %q", body)
	}
}
