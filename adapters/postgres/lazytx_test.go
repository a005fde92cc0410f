package postgres_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/postgres"
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

// TestDeferExec checks the Execs held back by DeferExec: they run, in order, with the
// transaction's COMMIT or before its next Exec or Query; one that fails fails that
// statement or the commit, and the transaction as a whole; a rollback drops them
// unsent; outside a transaction they run at once.
func TestDeferExec(t *testing.T) {
	t.Parallel()
	_, db := newStore(t)
	ctx := t.Context()
	held := postgres.DeferExec(ctx)
	_, err := db.ExecContext(ctx, `CREATE TABLE held (n int PRIMARY KEY); CREATE SEQUENCE held_sends`)
	require.NoError(t, err)
	count := func() int {
		var n int
		require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM held`).Scan(&n))
		return n
	}
	// sends is how many times a statement that calls nextval reached the server: a
	// sequence moves on whether or not its transaction commits.
	sends := func() int64 {
		var n int64
		require.NoError(t, db.QueryRowContext(ctx, `SELECT last_value - CASE WHEN is_called THEN 0 ELSE 1 END FROM held_sends`).Scan(&n))
		return n
	}

	t.Run("WithCommit", func(t *testing.T) {
		tx, err := db.DB.BeginTx(ctx, nil)
		require.NoError(t, err)
		for _, n := range []int{1, 2} {
			res, err := tx.ExecContext(held, `INSERT INTO held SELECT $1::int WHERE nextval('held_sends') > 0`, n)
			require.NoError(t, err)
			rows, err := res.RowsAffected()
			require.NoError(t, err)
			assert.Zero(t, rows, "a held statement reports no rows")
		}
		assert.Zero(t, sends(), "held until the commit")
		require.NoError(t, tx.Commit())
		assert.EqualValues(t, 2, sends())
		assert.Equal(t, 2, count(), "both committed")
	})
	t.Run("WithNextExec", func(t *testing.T) {
		tx, err := db.DB.BeginTx(ctx, nil)
		require.NoError(t, err)
		_, err = tx.ExecContext(held, `INSERT INTO held VALUES (3)`)
		require.NoError(t, err)
		// Two statements: the Exec's result is its last one's.
		res, err := tx.ExecContext(ctx, `UPDATE held SET n = n WHERE false; UPDATE held SET n = n + 10 WHERE n >= $1`, 3)
		require.NoError(t, err)
		rows, err := res.RowsAffected()
		require.NoError(t, err)
		assert.EqualValues(t, 1, rows, "the held INSERT ran first, in the transaction")
		require.NoError(t, tx.Rollback())
		assert.Equal(t, 2, count(), "rolled back")
	})
	t.Run("WithNextQuery", func(t *testing.T) {
		tx, err := db.DB.BeginTx(ctx, nil)
		require.NoError(t, err)
		_, err = tx.ExecContext(held, `INSERT INTO held VALUES (4)`)
		require.NoError(t, err)
		var n int
		require.NoError(t, tx.QueryRowContext(ctx, `SELECT count(*) FROM held`).Scan(&n))
		assert.Equal(t, 3, n, "the query saw the held INSERT")
		require.NoError(t, tx.Commit())
		assert.Equal(t, 3, count())
	})
	t.Run("FailsTheCommit", func(t *testing.T) {
		tx, err := db.DB.BeginTx(ctx, nil)
		require.NoError(t, err)
		_, err = tx.ExecContext(ctx, `INSERT INTO held VALUES (5)`)
		require.NoError(t, err)
		_, err = tx.ExecContext(held, `INSERT INTO held VALUES (1)`)
		require.NoError(t, err, "held: the duplicate is not known yet")
		require.ErrorContains(t, tx.Commit(), "duplicate key")
		assert.Equal(t, 3, count(), "nothing of the transaction stayed")
		var one int
		require.NoError(t, db.QueryRowContext(ctx, `SELECT 1`).Scan(&one), "the pool still serves")
	})
	t.Run("FailsTheNextExec", func(t *testing.T) {
		tx, err := db.DB.BeginTx(ctx, nil)
		require.NoError(t, err)
		_, err = tx.ExecContext(held, `INSERT INTO held VALUES (1)`)
		require.NoError(t, err)
		_, err = tx.ExecContext(ctx, `INSERT INTO held VALUES (6)`)
		require.ErrorContains(t, err, "duplicate key")
		require.Error(t, tx.Commit())
		assert.Equal(t, 3, count())
	})
	t.Run("DroppedByRollback", func(t *testing.T) {
		before := sends()
		tx, err := db.DB.BeginTx(ctx, nil)
		require.NoError(t, err)
		_, err = tx.ExecContext(ctx, `INSERT INTO held VALUES (7)`)
		require.NoError(t, err)
		_, err = tx.ExecContext(held, `SELECT nextval('held_sends')`)
		require.NoError(t, err)
		require.NoError(t, tx.Rollback())
		assert.Equal(t, before, sends(), "never sent")
		tx, err = db.DB.BeginTx(ctx, nil)
		require.NoError(t, err)
		_, err = tx.ExecContext(held, `SELECT nextval('held_sends')`)
		require.NoError(t, err)
		require.NoError(t, tx.Rollback(), "nothing else was sent")
		assert.Equal(t, before, sends(), "never sent")
		assert.Equal(t, 3, count())
	})
	t.Run("OutsideATransaction", func(t *testing.T) {
		_, err := db.ExecContext(held, `INSERT INTO held VALUES (8)`)
		require.NoError(t, err)
		assert.Equal(t, 4, count(), "ran at once")
	})
}
