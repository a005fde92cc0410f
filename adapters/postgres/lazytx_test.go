package postgres_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLazyBegin checks the pool's transactions, whose BEGIN goes with their first
// statement: an Exec first and a Query first both run in the transaction, a rollback
// undoes them, a transaction that sent nothing commits and rolls back, and the commit
// of a transaction the server aborted fails.
func TestLazyBegin(t *testing.T) {
	t.Parallel()
	_, db := newStore(t)
	ctx := t.Context()
	_, err := db.ExecContext(ctx, `CREATE TABLE lazy (n int PRIMARY KEY)`)
	require.NoError(t, err)
	count := func() int {
		var n int
		require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM lazy`).Scan(&n))
		return n
	}

	t.Run("ExecFirst", func(t *testing.T) {
		tx, err := db.DB.BeginTx(ctx, nil)
		require.NoError(t, err)
		_, err = tx.ExecContext(ctx, `SET LOCAL statement_timeout = '1234ms'`)
		require.NoError(t, err)
		_, err = tx.ExecContext(ctx, `INSERT INTO lazy VALUES (1)`)
		require.NoError(t, err)
		var s string
		require.NoError(t, tx.QueryRowContext(ctx, `SHOW statement_timeout`).Scan(&s))
		assert.Equal(t, "1234ms", s, "SET LOCAL took: the first statement ran in the transaction")
		assert.Equal(t, 0, count(), "uncommitted")
		require.NoError(t, tx.Rollback())
		assert.Equal(t, 0, count(), "rolled back")
	})
	t.Run("QueryFirst", func(t *testing.T) {
		tx, err := db.DB.BeginTx(ctx, nil)
		require.NoError(t, err)
		var first, second int64
		require.NoError(t, tx.QueryRowContext(ctx, `SELECT txid_current()`).Scan(&first))
		_, err = tx.ExecContext(ctx, `INSERT INTO lazy VALUES (2)`)
		require.NoError(t, err)
		require.NoError(t, tx.QueryRowContext(ctx, `SELECT txid_current()`).Scan(&second))
		assert.Equal(t, first, second, "one transaction")
		require.NoError(t, tx.Commit())
		assert.Equal(t, 1, count(), "committed")
	})
	t.Run("Empty", func(t *testing.T) {
		tx, err := db.DB.BeginTx(ctx, nil)
		require.NoError(t, err)
		require.NoError(t, tx.Commit())
		tx, err = db.DB.BeginTx(ctx, nil)
		require.NoError(t, err)
		require.NoError(t, tx.Rollback())
		assert.Equal(t, 1, count(), "the pool's connection serves the next caller")
	})
	t.Run("CommitOfAbortedFails", func(t *testing.T) {
		tx, err := db.DB.BeginTx(ctx, nil)
		require.NoError(t, err)
		_, err = tx.ExecContext(ctx, `INSERT INTO lazy VALUES (3)`)
		require.NoError(t, err)
		_, err = tx.ExecContext(ctx, `INSERT INTO lazy VALUES (2)`)
		require.Error(t, err, "duplicate key")
		require.ErrorIs(t, tx.Commit(), pgx.ErrTxCommitRollback)
		assert.Equal(t, 1, count(), "nothing of the aborted transaction stayed")
	})
}
