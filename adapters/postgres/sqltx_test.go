package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/domain"
)

func TestWithSQLTx(t *testing.T) {
	t.Parallel()
	s, db := newStore(t)
	ctx := context.Background()
	_, err := db.ExecContext(ctx, "CREATE TABLE lent (v text)")
	require.NoError(t, err)
	insert := func(v string) func(ctx context.Context, tx *sql.Tx) error {
		return func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO lent VALUES ($1)", v)
			return err
		}
	}
	rows := func() []string {
		var out []string
		require.NoError(t, db.NewRaw("SELECT v FROM lent ORDER BY v").Scan(ctx, &out))
		return out
	}

	joined, err := s.WithSQLTx(ctx, func(context.Context, *sql.Tx) error {
		t.Error("fn ran without a transaction")
		return nil
	})
	require.NoError(t, err)
	assert.False(t, joined, "a context without a transaction joined one")

	boom := errors.New("refused")
	rollback := errors.New("roll back")
	err = s.WithinTx(ctx, func(ctx context.Context) error {
		joined, err := s.WithSQLTx(ctx, insert("rolled back"))
		require.True(t, joined)
		require.NoError(t, err)
		return rollback
	})
	require.ErrorIs(t, err, rollback)
	assert.Empty(t, rows(), "a write of a rolled-back transaction stayed")

	var ended context.Context
	require.NoError(t, s.WithinTx(ctx, func(ctx context.Context) error {
		ended = ctx
		_, err := s.WithSQLTx(ctx, insert("committed"))
		require.NoError(t, err)
		// A failing fn is rolled back to its savepoint; the transaction goes on.
		_, err = s.WithSQLTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			require.NoError(t, insert("undone")(ctx, tx))
			return boom
		})
		require.ErrorIs(t, err, boom)
		_, err = s.WithSQLTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO lent VALUES (1/0)")
			return err
		})
		require.Error(t, err)
		_, err = s.WithSQLTx(ctx, insert("after a failed statement"))
		return err
	}))
	assert.Equal(t, []string{"after a failed statement", "committed"}, rows())

	joined, err = s.WithSQLTx(ended, insert("too late"))
	assert.True(t, joined)
	var de *domain.Error
	require.ErrorAs(t, err, &de, "an ended transaction is refused")
	assert.Equal(t, domain.KindInternal, de.Kind())
	assert.Equal(t, []string{"after a failed statement", "committed"}, rows())
}

// lastInsert is a BeforeCommit hook that inserts what it gathered.
type lastInsert struct {
	vs   []string
	fail error
}

func (h *lastInsert) BeforeCommit(ctx context.Context, tx *sql.Tx) error {
	if h.fail != nil {
		return h.fail
	}
	for _, v := range h.vs {
		if _, err := tx.ExecContext(ctx, "INSERT INTO lent VALUES ($1)", v); err != nil {
			return err
		}
	}
	return nil
}

func TestBeforeCommit(t *testing.T) {
	t.Parallel()
	s, db := newStore(t)
	ctx := context.Background()
	_, err := db.ExecContext(ctx, "CREATE TABLE lent (v text)")
	require.NoError(t, err)
	rows := func() []string {
		var out []string
		require.NoError(t, db.NewRaw("SELECT v FROM lent ORDER BY v").Scan(ctx, &out))
		return out
	}
	type hookKey struct{}
	gather := func(ctx context.Context, v string) *lastInsert {
		h, joined, err := s.BeforeCommit(ctx, hookKey{}, func() postgres.BeforeCommitHook { return &lastInsert{} })
		require.True(t, joined)
		require.NoError(t, err)
		h.(*lastInsert).vs = append(h.(*lastInsert).vs, v)
		return h.(*lastInsert)
	}

	_, joined, err := s.BeforeCommit(ctx, hookKey{}, func() postgres.BeforeCommitHook {
		t.Error("a hook was made without a transaction")
		return nil
	})
	require.NoError(t, err)
	assert.False(t, joined)

	var ended context.Context
	require.NoError(t, s.WithinTx(ctx, func(ctx context.Context) error {
		ended = ctx
		first := gather(ctx, "a")
		assert.Same(t, first, gather(ctx, "b"), "one hook per key and transaction")
		assert.Empty(t, rows(), "the hook runs at the commit, not before")
		return nil
	}))
	assert.Equal(t, []string{"a", "b"}, rows(), "what the hook gathered committed with the transaction")

	rollback := errors.New("roll back")
	require.ErrorIs(t, s.WithinTx(ctx, func(ctx context.Context) error {
		gather(ctx, "rolled back")
		return rollback
	}), rollback)
	assert.Equal(t, []string{"a", "b"}, rows(), "a transaction that rolls back runs no hook")

	refused := domain.Errorf(domain.CodeUnavailable, "the hook failed")
	err = s.WithinTx(ctx, func(ctx context.Context) error {
		gather(ctx, "c").fail = refused
		_, err := s.WithSQLTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO lent VALUES ('written before the hook')")
			return err
		})
		return err
	})
	require.ErrorIs(t, err, refused, "a hook's error is the transaction's")
	assert.Equal(t, []string{"a", "b"}, rows(), "and the transaction's writes rolled back")

	_, joined, err = s.BeforeCommit(ended, hookKey{}, func() postgres.BeforeCommitHook { return &lastInsert{} })
	assert.True(t, joined)
	assert.Equal(t, domain.KindInternal, domain.ErrorKind(err), "a transaction that has ended takes no hook")
}
