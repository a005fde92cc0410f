//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/matchpoint/matchpoint/adapters/memory"
	"github.com/matchpoint/matchpoint/adapters/postgres"
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
