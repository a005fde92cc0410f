//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/matchpoint/matchpoint/adapters/httpapi"
	"github.com/matchpoint/matchpoint/adapters/memory"
	"github.com/matchpoint/matchpoint/adapters/notify/outbox"
	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
	"github.com/matchpoint/matchpoint/adapters/queue/inproc"
	"github.com/matchpoint/matchpoint/adapters/system"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/examples/internal/compose"
	"github.com/matchpoint/matchpoint/ports"
)

// NewServer composes the example server on its embedded default: the memory store.
func NewServer(ctx context.Context, cfg Config, log *slog.Logger) (*Server, func(), error) {
	wire.Build(memory.ProviderSet, noReadiness, noDBPool, inprocSet, embeddedSet)
	return nil, nil, nil
}

// NewPostgresServer composes the example server on the Postgres store of
// MATCHPOINT_DATABASE_URL, with its jobs in River on the same database; it is ready
// while the database answers.
func NewPostgresServer(ctx context.Context, cfg Config, log *slog.Logger) (*Server, func(), error) {
	wire.Build(postgresSet, dbReadiness, primaryDBPool, wire.Bind(new(JobRunner), new(*riverqueue.Queue)), embeddedSet)
	return nil, nil, nil
}

// NewAdminTool composes what the operators' commands (clubs, keys, demo) work with:
// the use cases over the Postgres store of MATCHPOINT_DATABASE_URL, with the cache the
// servers share, and no listener, HTTP API or running queue.
func NewAdminTool(ctx context.Context, cfg Config, log *slog.Logger) (*AdminTool, func(), error) {
	wire.Build(postgresSet, configuredPublicURL, useCaseSet, noAppMetrics, wire.Struct(new(AdminTool), "*"))
	return nil, nil, nil
}

// embeddedSet is everything but the store: the use cases and their adapters
// (useCaseSet), the listener, the metrics (the server's and the use cases') and the
// HTTP API.
var embeddedSet = wire.NewSet(
	useCaseSet,
	provideListener, providePublicURL, provideMetrics, provideAppMetrics,
	httpapi.ProviderSet, provideHTTPConfig, provideRateLimit, newDrain,
	wire.Struct(new(Server), "*"),
)

// inprocSet is the in-process queue, the memory store's.
var inprocSet = wire.NewSet(inproc.ProviderSet, provideQueueConfig, wire.Bind(new(JobRunner), new(*inproc.Queue)))

// postgresSet is the Postgres store of MATCHPOINT_DATABASE_URL and the River queue on
// the same database.
var postgresSet = wire.NewSet(
	postgres.ProviderSet, provideDB,
	provideRiverQueue, wire.Bind(new(ports.JobQueue), new(*riverqueue.Queue)),
)

// useCaseSet is the use cases and every adapter they need but the store and the
// queue: the cache (in process, or tiered over Redis with MATCHPOINT_REDIS_URL), the
// notifier, and the payment gateways, all traced when OTEL_* asks for it.
var useCaseSet = wire.NewSet(
	provideCache,
	outbox.New, provideOutboxConfig, provideNotifier,
	system.ProviderSet, provideReporter,
	sandbox.New, provideSandboxConfig, provideGateways,
	wire.Struct(new(app.Deps), "*"), compose.NewApp, provideAppConfig, provideTracing,
)
