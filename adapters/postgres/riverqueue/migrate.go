package riverqueue

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"
)

// MigrateResult is what Migrate did.
type MigrateResult struct {
	// Applied names the River migrations applied by this call, oldest first, as
	// version_name (e.g. 001_create_river_migration); empty when there was nothing to do.
	Applied []string
	// Version is the latest River migration the database has applied.
	Version int
}

// migrateLock is the key of the advisory lock that serialises Migrate calls.
const migrateLock = 0x72697665 // "rive"

// Migrate creates or updates River's tables (river_job, river_leader, …) in db, in the
// schema its search_path names first, the one the bookings' tables live in. It is
// idempotent: with nothing left to apply it changes nothing. Each migration runs in
// its own transaction (some of River's cannot share one), and the whole run holds a
// session advisory lock on a connection of its own, so two processes migrating at once
// apply each migration once. Run it beside the store's migrations (postgres.Migrate),
// on a direct connection rather than through PgBouncer in transaction mode, before a
// Queue is used.
func Migrate(ctx context.Context, db *sql.DB) (MigrateResult, error) {
	m, err := rivermigrate.New(riverdatabasesql.New(db), &rivermigrate.Config{Logger: discard})
	if err != nil {
		return MigrateResult{}, fmt.Errorf("riverqueue: migrate: %w", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return MigrateResult{}, fmt.Errorf("riverqueue: migrate: %w", err)
	}
	defer func() { _ = conn.Close() }()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrateLock); err != nil {
		return MigrateResult{}, fmt.Errorf("riverqueue: migrate: lock: %w", err)
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLock)
	}()
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	var out MigrateResult
	if res != nil {
		for _, v := range res.Versions {
			out.Applied = append(out.Applied, fmt.Sprintf("%03d_%s", v.Version, v.Name))
		}
	}
	if err != nil {
		return out, fmt.Errorf("riverqueue: migrate: %w", err)
	}
	existing, err := m.ExistingVersions(ctx)
	if err != nil {
		return out, fmt.Errorf("riverqueue: migrate: read applied versions: %w", err)
	}
	for _, v := range existing {
		out.Version = max(out.Version, v.Version)
	}
	return out, nil
}

// discard drops rivermigrate's log, which would otherwise go to standard output;
// MigrateResult says what was applied.
var discard = slog.New(slog.DiscardHandler)

// PendingMigrations names the River migrations db has not applied yet, oldest first,
// as Migrate's Applied would name them; none means the database is up to date. It
// changes nothing, so a server can refuse to start on a database that is behind.
func PendingMigrations(ctx context.Context, db *sql.DB) ([]string, error) {
	m, err := rivermigrate.New(riverdatabasesql.New(db), &rivermigrate.Config{Logger: discard})
	if err != nil {
		return nil, fmt.Errorf("riverqueue: %w", err)
	}
	existing, err := m.ExistingVersions(ctx)
	if err != nil {
		return nil, fmt.Errorf("riverqueue: read applied versions: %w", err)
	}
	applied := make(map[int]bool, len(existing))
	for _, v := range existing {
		applied[v.Version] = true
	}
	var pending []string
	for _, v := range m.AllVersions() {
		if !applied[v.Version] {
			pending = append(pending, fmt.Sprintf("%03d_%s", v.Version, v.Name))
		}
	}
	return pending, nil
}
