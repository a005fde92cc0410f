package main

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/adapters/postgres"
)

// Readiness reports whether the server can take traffic; nil means always.
type Readiness func(ctx context.Context) error

func noReadiness() Readiness { return nil }

// provideDB opens the Postgres database of MATCHPOINT_DATABASE_URL, with the read
// replicas of MATCHPOINT_DATABASE_REPLICA_URLS, and, with MATCHPOINT_MIGRATE=auto,
// brings its schema up to date.
func provideDB(ctx context.Context, cfg Config) (*bun.DB, func(), error) {
	// The pool's bounds (MATCHPOINT_DATABASE_MAX_CONNS and its kin) hold for the
	// primary and for each replica alike.
	maxConns, maxIdle := cfg.DBMaxConns, cfg.DBMaxIdleConns
	if maxConns <= 0 { // a Config not made by LoadConfig
		maxConns, maxIdle = defaultDBMaxConns(), defaultDBMaxConns()
	}
	opts := []postgres.Option{
		postgres.WithMaxOpenConns(maxConns),
		postgres.WithMaxIdleConns(maxIdle),
		postgres.WithConnMaxLifetime(cfg.DBConnMaxLifetime),
		postgres.WithConnMaxIdleTime(cfg.DBConnMaxIdleTime),
	}
	if len(cfg.ReplicaURLs) > 0 {
		replicas, err := postgres.OpenReplicas(cfg.ReplicaURLs, opts...)
		if err != nil {
			return nil, nil, fmt.Errorf("MATCHPOINT_DATABASE_REPLICA_URLS: %w", err)
		}
		opts = append(opts, postgres.WithReplicas(replicas))
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("MATCHPOINT_DATABASE_URL: %w", err)
	}
	if cfg.MigrateAtStart {
		if err := postgres.Migrate(ctx, db); err != nil {
			_ = db.Close()
			return nil, nil, fmt.Errorf("migrate the database: %w", err)
		}
	}
	return db, func() { _ = db.Close() }, nil
}

func dbReadiness(db *bun.DB) Readiness { return db.PingContext }

// runMigrate is the `migrate` subcommand: it applies the migrations and exits.
func runMigrate(ctx context.Context, cfg Config) error {
	if cfg.DatabaseURL == "" {
		return fmt.Errorf("migrate: MATCHPOINT_DATABASE_URL is not set")
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("MATCHPOINT_DATABASE_URL: %w", err)
	}
	defer db.Close()
	return postgres.Migrate(ctx, db)
}
