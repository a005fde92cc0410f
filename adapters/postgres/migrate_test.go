package postgres_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"github.com/matchpoint/matchpoint/adapters/postgres"
)

// emptyDatabase returns a pool on a new, empty database dropped after the test.
func emptyDatabase(t *testing.T) *bun.DB {
	t.Helper()
	ctx := context.Background()
	admin, err := postgres.Open(ctx, adminURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })
	name, drop, err := createDatabase(ctx, admin, "matchpoint_migrate")
	require.NoError(t, err)
	db, err := postgres.Open(ctx, databaseURL(name, ""), postgres.WithMaxOpenConns(2))
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = db.Close()
		drop()
	})
	return db
}

func TestMigrateEmptyDatabaseTwice(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := emptyDatabase(t)

	require.NoError(t, postgres.Migrate(ctx, db))
	var tables []string
	require.NoError(t, db.NewRaw(`SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_name NOT LIKE 'bun_%' ORDER BY table_name COLLATE "C"`).Scan(ctx, &tables))
	assert.Equal(t, []string{"api_keys", "bookings", "closures", "clubs", "courts", "payment_events", "price_rules", "refunds", "reports", "seasons", "sent_messages"}, tables)
	applied := appliedMigrations(t, db)
	ms, err := postgres.Migrations()
	require.NoError(t, err)
	assert.Len(t, applied, len(ms.Sorted()), "every migration is applied")

	require.NoError(t, postgres.Migrate(ctx, db), "migrating an up-to-date database")
	assert.Equal(t, applied, appliedMigrations(t, db), "the second run applied nothing")
}

// TestEachMigrationFromThePreviousVersion applies every migration to a database at the
// version before it (the first to an empty database), rolls it back to that version,
// and applies it again.
func TestEachMigrationFromThePreviousVersion(t *testing.T) {
	t.Parallel()
	ms, err := postgres.Migrations()
	require.NoError(t, err)
	all := ms.Sorted()
	require.NotEmpty(t, all)
	for i, m := range all {
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			db := emptyDatabase(t)
			if i > 0 {
				_, err := migrator(t, db, all[:i]).Migrate(ctx)
				require.NoError(t, err, "bring the database to the previous version")
			}
			before := schemaOf(t, db)

			this := migrator(t, db, all[:i+1])
			group, err := this.Migrate(ctx)
			require.NoError(t, err)
			require.Len(t, group.Migrations, 1, "only this migration was left to apply")
			assert.Equal(t, m.Name, group.Migrations[0].Name)
			after := schemaOf(t, db)
			assert.NotEqual(t, before, after, "the migration changes the schema")

			_, err = this.Rollback(ctx)
			require.NoError(t, err)
			assert.Equal(t, before, schemaOf(t, db), "rolling back returns to the previous version")
			_, err = this.Migrate(ctx)
			require.NoError(t, err, "the migration applies again after its rollback")
			assert.Equal(t, after, schemaOf(t, db))
		})
	}
}

// migrator returns a migrator over ms only.
func migrator(t *testing.T, db *bun.DB, ms migrate.MigrationSlice) *migrate.Migrator {
	t.Helper()
	sub := migrate.NewMigrations()
	for _, m := range ms {
		sub.Add(m)
	}
	mg := migrate.NewMigrator(db, sub, migrate.WithMarkAppliedOnSuccess(true))
	require.NoError(t, mg.Init(t.Context()))
	return mg
}

// schemaOf describes the public schema's columns and constraints, leaving out the
// migration bookkeeping.
func schemaOf(t *testing.T, db *bun.DB) []string {
	t.Helper()
	var out []string
	require.NoError(t, db.NewRaw(`
		SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
		FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE 'bun_%'
		UNION ALL
		SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
		FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text NOT LIKE 'bun_%'
		UNION ALL
		SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT LIKE 'bun_%'
		ORDER BY 1`).Scan(t.Context(), &out))
	return out
}

func appliedMigrations(t *testing.T, db *bun.DB) []string {
	t.Helper()
	var names []string
	require.NoError(t, db.NewRaw(`SELECT name || ':' || group_id FROM bun_migrations ORDER BY id`).Scan(t.Context(), &names))
	return names
}

// The database refuses bad rows on its own, whatever writes them.
func TestSchemaRejectsBadData(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := emptyDatabase(t)
	require.NoError(t, postgres.Migrate(ctx, db))
	_, err := db.ExecContext(ctx, `
		INSERT INTO clubs (id, slug, name, time_zone, currency, policy) VALUES ('c1', 'c1', 'Club', 'UTC', 'EUR', '{}');
		INSERT INTO courts (id, club_id, name, sport) VALUES ('k1', 'c1', 'Alpha', 'padel')`)
	require.NoError(t, err)

	insert := func(id, status, from, to string, total int64) error {
		_, err := db.NewRaw(`INSERT INTO bookings (id, club_id, court_id, sport, customer_name, customer_email,
				customer_category, during, currency, quote_total, quote_lines, status, hold_expires_at, version,
				created_at, updated_at)
			VALUES (?, 'c1', 'k1', 'padel', 'Ana', 'ana@example.com', 'guest', tstzrange(?, ?, '[)'), 'EUR', ?, '[]',
				?, '2030-03-05 10:00Z', 1, now(), now())`, id, from, to, total, status).Exec(ctx)
		return err
	}
	require.NoError(t, insert("ok", "confirmed", "2030-03-05 10:00Z", "2030-03-05 11:00Z", 1600))
	for name, err := range map[string]error{
		"a negative amount":       insert("b1", "pending", "2030-03-05 12:00Z", "2030-03-05 13:00Z", -1),
		"an unknown status":       insert("b2", "paid", "2030-03-05 12:00Z", "2030-03-05 13:00Z", 1600),
		"an end before the start": insert("b3", "pending", "2030-03-05 13:00Z", "2030-03-05 12:00Z", 1600),
		"an empty interval":       insert("b4", "pending", "2030-03-05 12:00Z", "2030-03-05 12:00Z", 1600),
		"an overlap":              insert("b5", "pending", "2030-03-05 10:30Z", "2030-03-05 11:30Z", 1600),
	} {
		assert.Error(t, err, name)
	}
	assert.NoError(t, insert("b6", "cancelled", "2030-03-05 10:30Z", "2030-03-05 11:30Z", 1600), "an inactive booking may overlap")
}
