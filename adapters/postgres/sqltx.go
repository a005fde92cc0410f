package postgres

import (
	"context"
	"database/sql"

	"github.com/uptrace/bun"
)

// WithSQLTx lets code outside the store write in the store's transaction that ctx
// carries (a context of WithinTx), so that its writes commit or roll back with the
// store's: a job queue on the same database inserts its jobs this way. fn runs with
// the transaction's *sql.Tx under a savepoint, rolled back to if fn fails (leaving the
// transaction usable), and holds the transaction meanwhile, so that no other call
// sharing the context issues a statement between fn's. fn must use tx only until it
// returns, and must not commit or roll it back.
//
// With a context that carries no transaction of this store, WithSQLTx returns false
// without calling fn; the caller then works outside any transaction. With the
// context of a transaction that has ended it returns true and an internal error,
// since fn would otherwise run outside the transaction it belongs to. fn's error is
// returned as it is.
func (s *Store) WithSQLTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) (bool, error) {
	st := s.txOf(ctx)
	if st == nil {
		return false, nil
	}
	if err := ctx.Err(); err != nil {
		return true, mapError(err)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.done {
		return true, errTxEnded
	}
	return true, savepoint(ctx, st.tx, func(ctx context.Context, tx bun.Tx) error { return fn(ctx, tx.Tx) })
}

// BeforeCommitHook is work a transaction does last, inside it, just before it commits.
type BeforeCommitHook interface {
	// BeforeCommit runs with the transaction's context and *sql.Tx; an error rolls the
	// transaction back, and WithinTx returns it. The context is one of DeferExec: the
	// hook's Execs are sent with the COMMIT, in its round trip, and report no rows
	// affected; one that fails fails the commit, and WithinTx returns its error.
	BeforeCommit(ctx context.Context, tx *sql.Tx) error
}

// BeforeCommit returns the hook registered under key in the store's transaction that
// ctx carries, first registering the one mk makes if there is none. It lets code
// outside the store gather writes during a transaction and make them at once, in one
// statement, just before the transaction commits: the job queue on the same database
// inserts a transaction's jobs this way, one round trip for them all. Hooks run in the
// order they were registered, holding the transaction; a transaction that rolls back
// runs none.
//
// With a context that carries no transaction of this store BeforeCommit returns
// false, and nothing is registered; with the context of a transaction that has ended
// it returns true and an internal error.
func (s *Store) BeforeCommit(ctx context.Context, key any, mk func() BeforeCommitHook) (BeforeCommitHook, bool, error) {
	st := s.txOf(ctx)
	if st == nil {
		return nil, false, nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.done {
		return nil, true, errTxEnded
	}
	if h, ok := st.hookKeys[key]; ok {
		return h, true, nil
	}
	h := mk()
	if st.hookKeys == nil {
		st.hookKeys = make(map[any]BeforeCommitHook)
	}
	st.hookKeys[key] = h
	st.hooks = append(st.hooks, h)
	return h, true, nil
}
