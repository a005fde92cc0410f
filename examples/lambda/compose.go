package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/adapters/notify/outbox"
	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/adapters/queue/inproc"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/examples/internal/compose"
	"github.com/matchpoint/matchpoint/ports"
)

// Function is the composed function: the use cases over the Postgres store, the
// workers of their jobs, and the in-process queue that runs the jobs the use cases
// schedule while an event is handled. NewFunction builds it once per cold start;
// Handle serves every event of that copy.
type Function struct {
	Logger *slog.Logger
	App    *app.App
	// Workers run the jobs of the SQS records, the queue's jobs too.
	Workers *ports.Workers
	// Queue runs the jobs the use cases schedule while an event is handled (an expired
	// hold's checkout to close, a message to send); Handle waits for those that are due
	// before it returns. It is started by NewFunction.
	Queue   *inproc.Queue
	Sandbox *sandbox.Gateway
	Clock   ports.Clock
	// Reporter hears of errors no caller sees; with MATCHPOINT_SENTRY_DSN it sends them
	// to Sentry, and Handle flushes it before returning, as the function may be frozen
	// between events.
	Reporter ports.ErrorReporter
}

// PublicURL is the base URL customers use to reach the server.
type PublicURL string

func configuredPublicURL(cfg Config) PublicURL { return PublicURL(cfg.PublicURL) }

// errNotMigrated stops the function on a database whose schema is behind the binary's
// migrations: every job would fail on the first query of a missing table.
var errNotMigrated = errors.New("the database is not migrated: run `server migrate` with this MATCHPOINT_DATABASE_URL")

// provideDB opens the Postgres database of MATCHPOINT_DATABASE_URL and checks that it
// has applied every migration the binary embeds.
func provideDB(ctx context.Context, cfg Config) (*bun.DB, func(), error) {
	maxConns := cfg.DBMaxConns
	if maxConns <= 0 { // a Config not made by LoadConfig
		maxConns = defaultDBMaxConns
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.WithMaxOpenConns(maxConns), postgres.WithMaxIdleConns(maxConns))
	if err != nil {
		return nil, nil, fmt.Errorf("MATCHPOINT_DATABASE_URL: %w", err)
	}
	pending, err := postgres.PendingMigrations(ctx, db)
	if err == nil && len(pending) > 0 {
		err = fmt.Errorf("%w (%d to apply: %s)", errNotMigrated, len(pending), strings.Join(pending, ", "))
	}
	if err != nil {
		_ = db.Close()
		return nil, nil, err
	}
	return db, func() { _ = db.Close() }, nil
}

// provideCache returns the in-process cache, or with MATCHPOINT_REDIS_URL the tiered
// cache over the servers' Redis, so that what the jobs change is invalidated in the
// servers' caches too.
func provideCache(ctx context.Context, cfg Config, log *slog.Logger) (ports.Cache, func(), error) {
	return compose.Cache(ctx, cfg.RedisURL, 64, log)
}

func provideAppConfig(cfg Config) app.Config {
	return app.Config{TokenSecret: cfg.TokenSecret}
}

func provideQueueConfig(log *slog.Logger, clock ports.Clock, reporter ports.ErrorReporter) inproc.Config {
	return inproc.Config{Logger: log, Clock: clock, Reporter: reporter}
}

func provideOutboxConfig(log *slog.Logger) outbox.Config {
	return outbox.Config{Logger: log}
}

// provideNotifier sends customers' email by SMTP when MATCHPOINT_SMTP_URL is set, and
// otherwise keeps the messages in the outbox.
func provideNotifier(cfg Config, box *outbox.Outbox) (ports.Notifier, error) {
	return compose.Notifier(cfg.SMTPURL, cfg.SMTPFrom, box)
}

func provideSandboxConfig(cfg Config, url PublicURL, clock ports.Clock, ids ports.IDs, log *slog.Logger) sandbox.Config {
	return compose.SandboxConfig(string(url), cfg.SandboxSecret, clock, ids, log)
}

// provideWorkers returns the workers of every job kind the use cases schedule, and
// starts the in-process queue with them; the cleanup stops it, letting running jobs
// finish.
func provideWorkers(ctx context.Context, a *app.App, q *inproc.Queue) (*ports.Workers, func(), error) {
	ws := a.Workers()
	if err := q.Start(ctx, ws); err != nil {
		return nil, nil, err
	}
	return ws, func() {
		stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = q.Stop(stop)
	}, nil
}

// provideReporter reports errors no caller sees to the log and, with
// MATCHPOINT_SENTRY_DSN, to Sentry too; the cleanup sends what is queued, for up to
// two seconds.
func provideReporter(cfg Config, log *slog.Logger) (ports.ErrorReporter, func(), error) {
	return compose.Reporter(cfg.SentryDSN, cfg.SentryEnvironment, log)
}

// provideGateways returns the deployment's payment gateways: the sandbox and those of
// the configuration, each told where its webhooks arrive.
func provideGateways(cfg Config, sb *sandbox.Gateway, url PublicURL, clock ports.Clock, log *slog.Logger) (ports.Gateways, error) {
	return compose.Gateways(cfg.Payments, sb, string(url), clock, log)
}

// noAppMetrics counts nothing: a function's invocations are short-lived and serve no
// /metrics.
func noAppMetrics() ports.Metrics { return ports.NoMetrics{} }
