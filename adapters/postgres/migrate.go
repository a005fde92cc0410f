package postgres

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// MigrateResult is what ApplyMigrations did.
type MigrateResult struct {
	// Applied names the migrations applied by this call, oldest first, as
	// version_comment (e.g. 20260101000000_schema); empty when there was nothing to do.
	Applied []string
	// Version is the latest migration the database has applied (e.g.
	// 20260101000000); empty for a database that has none.
	Version string
}

// ApplyMigrations applies the migrations db has not applied yet and reports which it
// applied; with none left it changes nothing. Each migration runs in its own
// transaction. Two processes migrating at once do not both apply a migration: the
// second fails on the migration lock.
func ApplyMigrations(ctx context.Context, db *bun.DB) (MigrateResult, error) {
	ms, err := Migrations()
	if err != nil {
		return MigrateResult{}, err
	}
	m := migrate.NewMigrator(db, ms, migrate.WithMarkAppliedOnSuccess(true))
	if err := m.Init(ctx); err != nil {
		return MigrateResult{}, fmt.Errorf("postgres: prepare migrations: %w", err)
	}
	status, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		return MigrateResult{}, fmt.Errorf("postgres: read applied migrations: %w", err)
	}
	var res MigrateResult
	if len(status.Unapplied()) > 0 {
		if err := m.Lock(ctx); err != nil {
			return MigrateResult{}, fmt.Errorf("postgres: %w", err)
		}
		defer func() { _ = m.Unlock(context.WithoutCancel(ctx)) }()
		group, err := m.Migrate(ctx)
		if group != nil {
			// Migrate reports the migration that failed as part of the group; only
			// those before it were applied.
			applied := group.Migrations
			if err != nil && len(applied) > 0 {
				applied = applied[:len(applied)-1]
			}
			for _, g := range applied {
				res.Applied = append(res.Applied, g.String())
			}
		}
		if err != nil {
			return res, fmt.Errorf("postgres: migrate: %w", err)
		}
	}
	applied, err := m.AppliedMigrations(ctx)
	if err != nil {
		return res, fmt.Errorf("postgres: read applied migrations: %w", err)
	}
	for _, a := range applied {
		res.Version = max(res.Version, a.Name)
	}
	return res, nil
}

// PendingMigrations returns the embedded migrations db has not applied, oldest first,
// as version_comment; none means the schema is up to date. It only reads: on a
// database never migrated it creates nothing and returns every migration.
func PendingMigrations(ctx context.Context, db *bun.DB) ([]string, error) {
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	var exists bool
	// bun_migrations is bun/migrate's default table, which Init creates.
	if err := db.NewRaw(`SELECT to_regclass('bun_migrations') IS NOT NULL`).Scan(ctx, &exists); err != nil {
		return nil, fmt.Errorf("postgres: read applied migrations: %w", err)
	}
	var pending migrate.MigrationSlice
	if !exists {
		pending = ms.Sorted()
	} else {
		status, err := migrate.NewMigrator(db, ms).MigrationsWithStatus(ctx)
		if err != nil {
			return nil, fmt.Errorf("postgres: read applied migrations: %w", err)
		}
		pending = status.Unapplied()
	}
	names := make([]string, 0, len(pending))
	for _, m := range pending {
		names = append(names, m.String())
	}
	return names, nil
}
