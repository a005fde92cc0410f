package postgres_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/postgres"
)

func TestApplyMigrationsReportsWhatItApplied(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := emptyDatabase(t)
	ms, err := postgres.Migrations()
	require.NoError(t, err)
	var names []string
	for _, m := range ms.Sorted() {
		names = append(names, m.Name+"_"+m.Comment)
	}
	latest := ms.Sorted()[len(ms.Sorted())-1].Name

	pending, err := postgres.PendingMigrations(ctx, db)
	require.NoError(t, err)
	assert.Equal(t, names, pending, "a new database has every migration to apply")
	var tables int
	require.NoError(t, db.NewRaw(`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`).Scan(ctx, &tables))
	assert.Zero(t, tables, "reading what is pending creates nothing")

	res, err := postgres.ApplyMigrations(ctx, db)
	require.NoError(t, err)
	assert.Equal(t, postgres.MigrateResult{Applied: names, Version: latest}, res)
	pending, err = postgres.PendingMigrations(ctx, db)
	require.NoError(t, err)
	assert.Empty(t, pending)

	res, err = postgres.ApplyMigrations(ctx, db)
	require.NoError(t, err)
	assert.Equal(t, postgres.MigrateResult{Version: latest}, res, "nothing left to apply")
}

func TestPendingMigrationsOfADatabaseBehind(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := emptyDatabase(t)
	ms, err := postgres.Migrations()
	require.NoError(t, err)
	all := ms.Sorted()
	require.GreaterOrEqual(t, len(all), 2)
	_, err = migrator(t, db, all[:len(all)-1]).Migrate(ctx)
	require.NoError(t, err)

	pending, err := postgres.PendingMigrations(ctx, db)
	require.NoError(t, err)
	last := all[len(all)-1]
	assert.Equal(t, []string{last.Name + "_" + last.Comment}, pending)

	res, err := postgres.ApplyMigrations(ctx, db)
	require.NoError(t, err)
	assert.Equal(t, postgres.MigrateResult{Applied: pending, Version: last.Name}, res)
}
