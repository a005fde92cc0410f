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
	"github.com/matchpoint/matchpoint/adapters/queue/inproc"
	"github.com/matchpoint/matchpoint/adapters/system"
	"github.com/matchpoint/matchpoint/app"
)

// NewServer composes the example server on its embedded default: the memory store.
func NewServer(ctx context.Context, cfg Config, log *slog.Logger) (*Server, func(), error) {
	wire.Build(memory.ProviderSet, noReadiness, embeddedSet)
	return nil, nil, nil
}

// NewPostgresServer composes the example server on the Postgres store of
// MATCHPOINT_DATABASE_URL; it is ready while the database answers.
func NewPostgresServer(ctx context.Context, cfg Config, log *slog.Logger) (*Server, func(), error) {
	wire.Build(postgres.ProviderSet, provideDB, dbReadiness, embeddedSet)
	return nil, nil, nil
}

// embeddedSet is everything but the store: the cache (in process, or tiered over Redis
// with MATCHPOINT_REDIS_URL), the in-process queue and notifier,
// the sandbox gateway, the use cases and the HTTP API.
var embeddedSet = wire.NewSet(
	provideCache,
	inproc.ProviderSet, provideQueueOptions,
	outbox.ProviderSet, provideOutboxOptions,
	system.ProviderSet, system.ReporterSet,
	sandbox.New, provideSandboxConfig, provideGateways,
	provideListener, providePublicURL,
	app.ProviderSet, provideAppConfig,
	httpapi.ProviderSet, provideHTTPOptions,
	wire.Struct(new(Server), "*"),
)
