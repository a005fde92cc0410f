package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/adapters/notify/outbox"
	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/examples/internal/compose"
	"github.com/matchpoint/matchpoint/ports"
)

// The providers below are the worker's Wire providers; what they share with
// examples/server and examples/lambda is in examples/internal/compose.

// PublicURL is the base URL customers reach the servers at.
type PublicURL string

func providePublicURL(cfg Config) PublicURL { return PublicURL(cfg.PublicURL) }

func provideListener(cfg Config) (net.Listener, func(), error) {
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("MATCHPOINT_HTTP_ADDR=%q: %w", cfg.HTTPAddr, err)
	}
	return ln, func() { _ = ln.Close() }, nil
}

// provideDB opens the database of MATCHPOINT_DATABASE_URL and checks that it is
// migrated, the store's tables and River's: a worker never migrates; `server migrate`
// (or a server with MATCHPOINT_MIGRATE=auto) does.
func provideDB(ctx context.Context, cfg Config) (*bun.DB, func(), error) {
	db, err := postgres.Open(ctx, cfg.DatabaseURL,
		postgres.WithMaxOpenConns(max(cfg.DBMaxConns, 1)),
		postgres.WithMaxIdleConns(cfg.DBMaxIdleConns),
		postgres.WithConnMaxLifetime(cfg.DBConnMaxLifetime),
		postgres.WithConnMaxIdleTime(cfg.DBConnMaxIdleTime))
	if err != nil {
		return nil, nil, fmt.Errorf("MATCHPOINT_DATABASE_URL: %w", err)
	}
	if err := requireMigrated(ctx, db); err != nil {
		_ = db.Close()
		return nil, nil, err
	}
	return db, func() { _ = db.Close() }, nil
}

// errNotMigrated stops a worker on a database whose schema is behind its binary.
var errNotMigrated = errors.New("the database is not migrated: run `server migrate` or start a server with MATCHPOINT_MIGRATE=auto")

// requireMigrated fails with errNotMigrated unless db has applied every migration of
// the store and of the River queue.
func requireMigrated(ctx context.Context, db *bun.DB) error {
	return compose.RequireMigrated(ctx, db, errNotMigrated)
}

// provideRiverQueue is the River queue on the servers' database, with the periodic
// sweeps.
func provideRiverQueue(cfg Config, store *postgres.Store, db *bun.DB, reporter ports.ErrorReporter, log *slog.Logger) (*riverqueue.Queue, error) {
	return compose.RiverQueue(store, db, cfg.QueuePollOnly, reporter, log)
}

func provideAppConfig(cfg Config) app.Config { return app.Config{TokenSecret: cfg.TokenSecret} }

// provideCache returns the in-process cache, or with MATCHPOINT_REDIS_URL the tiered
// cache over Redis, so that what the worker's jobs change is invalidated in every
// server.
func provideCache(ctx context.Context, cfg Config, log *slog.Logger) (ports.Cache, func(), error) {
	return compose.Cache(ctx, cfg.RedisURL, 64, log)
}

func provideOutboxConfig(log *slog.Logger) outbox.Config { return outbox.Config{Logger: log} }

// provideNotifier sends customers' email by SMTP when MATCHPOINT_SMTP_URL is set, and
// otherwise keeps the messages in the outbox, which logs them.
func provideNotifier(cfg Config, box *outbox.Outbox) (ports.Notifier, error) {
	return compose.Notifier(cfg.SMTPURL, cfg.SMTPFrom, box)
}

// provideSandboxConfig configures the worker's sandbox gateway. The sandbox keeps its
// checkouts and payments in the memory of the server that serves its pages, so a
// worker's sandbox knows none of them: a refund of a sandbox payment run here is
// refused and reported. Use a real provider (Stripe, MercadoPago) with workers apart.
func provideSandboxConfig(cfg Config, url PublicURL, clock ports.Clock, ids ports.IDs, log *slog.Logger) sandbox.Config {
	return compose.SandboxConfig(string(url), cfg.SandboxSecret, clock, ids, log)
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
