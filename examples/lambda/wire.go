//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/matchpoint/matchpoint/adapters/notify/outbox"
	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/adapters/queue/inproc"
	"github.com/matchpoint/matchpoint/adapters/system"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/ports"
)

// NewFunction composes the function on the Postgres store of MATCHPOINT_DATABASE_URL:
// the use cases with the cache, notifier and payment gateways the servers use, and an
// in-process queue, started, for the jobs they schedule. clock is the time the use
// cases and the queue go by (the system clock in production). The cleanup stops the
// queue and closes the database and the cache.
func NewFunction(ctx context.Context, cfg Config, log *slog.Logger, clock ports.Clock) (*Function, func(), error) {
	wire.Build(
		postgres.ProviderSet, provideDB,
		provideCache,
		inproc.ProviderSet, provideQueueConfig,
		outbox.New, provideOutboxConfig, provideNotifier,
		system.NewIDs, wire.Bind(new(ports.IDs), new(system.IDs)), provideReporter,
		sandbox.New, provideSandboxConfig, configuredPublicURL, provideGateways,
		app.ProviderSet, provideAppConfig,
		provideWorkers, noAppMetrics,
		wire.Struct(new(Function), "*"),
	)
	return nil, nil, nil
}
