package app

import (
	"errors"
	"log/slog"
	"time"

	"github.com/google/wire"

	"github.com/matchpoint/matchpoint/app/internal/catalog"
	"github.com/matchpoint/matchpoint/ports"
)

// Deps are the ports the use cases need. Every field is required but Logger and
// Metrics.
type Deps struct {
	Store    ports.Store
	Cache    ports.Cache
	Gateways ports.Gateways
	Notifier ports.Notifier
	Jobs     ports.JobQueue
	Clock    ports.Clock
	IDs      ports.IDs
	Reporter ports.ErrorReporter
	Logger   *slog.Logger
	// Metrics counts what the use cases and their jobs do (see ports.Metrics); nil
	// counts nothing.
	Metrics ports.Metrics
}

// Config tunes the use cases.
type Config struct {
	// TokenSecret keys the customers' access tokens. Every instance of a deployment must
	// share it; at least 32 bytes.
	TokenSecret []byte
	// CacheTTL bounds how long a cached club configuration may live; zero means 10 minutes.
	// Writes invalidate what they change at once: the TTL is a safety net.
	CacheTTL time.Duration
	// DayCacheTTL bounds how long a day's bookings and closures may stay cached; zero means
	// 1 minute.
	DayCacheTTL time.Duration
	// ExpiredLookback is how long after they were made Payments.Reconcile still asks
	// the gateway about expired bookings, for a payment that reached a checkout as its
	// hold ended and whose webhook was lost; zero means DefaultExpiredLookback.
	ExpiredLookback time.Duration
}

// DefaultExpiredLookback is Config.ExpiredLookback's default: longer than a hold and
// the half hour a checkout may outlive it (a Stripe session lives at least 30 minutes).
const DefaultExpiredLookback = 2 * time.Hour

// App is Match Point's API: the use cases grouped by who uses them.
type App struct {
	Availability *Availability // public availability and quotes
	Bookings     *Bookings     // customers' bookings
	Payments     *Payments     // payment webhooks, hold expiry
	Admin        *Admin        // club administration
}

// core is what every use case shares.
type core struct {
	Deps
	cfg Config
	// catalog is Deps.Store with its reads cached: Deps.Store is the catalog too, so
	// that every write invalidates what it changes.
	catalog *catalog.Store
}

// New returns the use cases over deps. It fails when a dependency other than the
// Logger or Metrics is missing or the token secret is shorter than 32 bytes.
//
// New starts nothing. The use cases schedule their background work — hold expiry,
// refunds, customer messages, completion of played bookings — as jobs on deps.Jobs,
// and nothing runs them until the caller:
//
//  1. starts the queue with the workers of [App.Workers] (with inproc:
//     queue.Start(ctx, app.Workers())), so that jobs are run: each kind by its
//     typed worker;
//  2. runs [Payments.RetryRefunds] (or [Payments.Reconcile], which runs it) every
//     half minute or so, so that a refund the provider could not issue at first,
//     which stays owed in the store, is tried again when it is due;
//  3. stops the queue at shutdown (with inproc: queue.Stop(ctx)), after the last use
//     case has returned, so that running jobs finish.
//
// Build the queue with deps.Reporter as its reporter (inproc.Config.Reporter), so that
// a job that fails its every attempt is reported, not only logged. Without these,
// bookings stay held past their hold, cancellations refund nothing and
// no message is sent. Webhooks of the payment gateways reach the use cases through
// [Payments.HandleWebhook] (the HTTP adapter serves them). The example of New shows
// this wiring; the package's Example composes the embedded adapters and takes a
// booking from availability through payment to a cancellation with a refund.
func New(deps Deps, cfg Config) (*App, error) {
	if deps.Store == nil || deps.Cache == nil || deps.Gateways == nil || deps.Notifier == nil ||
		deps.Jobs == nil || deps.Clock == nil || deps.IDs == nil || deps.Reporter == nil {
		return nil, errors.New("app: every dependency is required")
	}
	if len(cfg.TokenSecret) < 32 {
		return nil, errors.New("app: the token secret must have at least 32 bytes")
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Metrics == nil {
		deps.Metrics = ports.NoMetrics{}
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = 10 * time.Minute
	}
	if cfg.DayCacheTTL == 0 {
		cfg.DayCacheTTL = time.Minute
	}
	if cfg.ExpiredLookback <= 0 {
		cfg.ExpiredLookback = DefaultExpiredLookback
	}
	cat := catalog.New(deps.Store, deps.Cache, deps.Clock, catalog.Config{TTL: cfg.CacheTTL, DayTTL: cfg.DayCacheTTL, Logger: deps.Logger, Metrics: deps.Metrics})
	deps.Store = cat
	c := &core{Deps: deps, cfg: cfg, catalog: cat}
	return &App{
		Availability: &Availability{c},
		Bookings:     &Bookings{c},
		Payments:     &Payments{c},
		Admin:        &Admin{c},
	}, nil
}

// ProviderSet provides the App from its Deps, each taken from the injector, and a Config
// the composition root provides.
var ProviderSet = wire.NewSet(New, wire.Struct(new(Deps), "*"))

// CacheFamily names the family of a key of the use cases' cache, for counters (a tiered
// cache counts its hits per family): slug, club, courts, seasons, rules or day, with
// ".gen" for a generation key, and "other" for a key that is not the use cases'.
func CacheFamily(key string) string { return catalog.Family(key) }
