//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/matchpoint/matchpoint/adapters/cache/bigcache"
	"github.com/matchpoint/matchpoint/adapters/httpapi"
	"github.com/matchpoint/matchpoint/adapters/memory"
	"github.com/matchpoint/matchpoint/adapters/notify/outbox"
	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/adapters/queue/inproc"
	"github.com/matchpoint/matchpoint/adapters/system"
	"github.com/matchpoint/matchpoint/app"
)

// NewServer composes the example server on its embedded default.
func NewServer(ctx context.Context, cfg Config, log *slog.Logger) (*Server, func(), error) {
	wire.Build(
		memory.ProviderSet,
		bigcache.ProviderSet, provideCacheConfig,
		inproc.ProviderSet, provideQueueOptions,
		outbox.ProviderSet, provideOutboxOptions,
		system.ProviderSet, system.ReporterSet,
		sandbox.ProviderSet, provideSandboxConfig,
		provideListener, providePublicURL,
		app.ProviderSet, provideAppConfig,
		httpapi.ProviderSet, provideHTTPOptions,
		wire.Struct(new(Server), "*"),
	)
	return nil, nil, nil
}
