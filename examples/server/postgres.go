package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
	"github.com/matchpoint/matchpoint/examples/internal/compose"
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
		maxConns, maxIdle = compose.DefaultDBMaxConns(), compose.DefaultDBMaxConns()
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
		if _, err := riverqueue.Migrate(ctx, db.DB); err != nil {
			_ = db.Close()
			return nil, nil, fmt.Errorf("migrate the job queue's tables: %w", err)
		}
	}
	if err := requireMigrated(ctx, db); err != nil {
		_ = db.Close()
		return nil, nil, err
	}
	return db, func() { _ = db.Close() }, nil
}

// errNotMigrated stops a server, or a command, on a database whose schema is behind
// the binary's migrations: it would fail later, on the first query of a missing table.
var errNotMigrated = errors.New("the database is not migrated: run `server migrate` or set MATCHPOINT_MIGRATE=auto")

// requireMigrated fails with errNotMigrated, changing nothing, unless db has applied
// every migration embedded in the binary: the store's and the River queue's.
func requireMigrated(ctx context.Context, db *bun.DB) error {
	return compose.RequireMigrated(ctx, db, errNotMigrated)
}

func dbReadiness(db *bun.DB) Readiness { return db.PingContext }

// runMigrate is the `migrate` subcommand: it applies the migrations the database lacks,
// the store's and then the River queue's, and prints each one it applied and the
// versions the database is left at.
func runMigrate(ctx context.Context, cfg Config, out io.Writer) error {
	if cfg.DatabaseURL == "" {
		return fmt.Errorf("MATCHPOINT_DATABASE_URL is not set: the memory store has no schema to migrate; set it to the server's Postgres database")
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("MATCHPOINT_DATABASE_URL: %w", err)
	}
	defer db.Close()
	res, err := postgres.ApplyMigrations(ctx, db)
	for _, name := range res.Applied {
		fmt.Fprintf(out, "applied %s\n", name)
	}
	if err != nil {
		return err
	}
	if len(res.Applied) == 0 {
		fmt.Fprintf(out, "nothing to apply; database at version %s\n", res.Version)
	} else {
		fmt.Fprintf(out, "database at version %s\n", res.Version)
	}
	river, err := riverqueue.Migrate(ctx, db.DB)
	for _, name := range river.Applied {
		fmt.Fprintf(out, "applied river %s\n", name)
	}
	if err != nil {
		return err
	}
	if len(river.Applied) == 0 {
		fmt.Fprintf(out, "nothing to apply; job queue (River) at version %d\n", river.Version)
	} else {
		fmt.Fprintf(out, "job queue (River) at version %d\n", river.Version)
	}
	return nil
}
