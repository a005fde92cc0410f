//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/matchpoint/matchpoint/adapters/notify/outbox"
	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
	"github.com/matchpoint/matchpoint/adapters/system"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/examples/internal/compose"
	"github.com/matchpoint/matchpoint/ports"
)

// NewWorker composes the worker: the use cases over the Postgres store of
// MATCHPOINT_DATABASE_URL, with the servers' cache, notifier and gateways, the River
// queue on the same database, the listener of its health checks, its metrics, and its
// tracing when OTEL_* asks for it.
func NewWorker(ctx context.Context, cfg Config, log *slog.Logger) (*Worker, func(), error) {
	wire.Build(
		provideListener, providePublicURL, provideMetrics, provideAppMetrics,
		postgres.ProviderSet, provideDB,
		provideRiverQueue, wire.Bind(new(ports.JobQueue), new(*riverqueue.Queue)),
		provideCache,
		outbox.New, provideOutboxConfig, provideNotifier,
		system.ProviderSet, provideReporter,
		sandbox.New, provideSandboxConfig, provideGateways,
		wire.Struct(new(app.Deps), "*"), compose.NewApp, provideAppConfig, provideTracing,
		wire.Struct(new(Worker), "Config", "Logger", "Listener", "DB", "App", "Queue", "Metrics", "Tracing"),
	)
	return nil, nil, nil
}
