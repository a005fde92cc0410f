package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/google/wire"
	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// ProviderSet provides a *Store as the ports.Store of a Wire injector.
var ProviderSet = wire.NewSet(New, wire.Bind(new(ports.Store), new(*Store)))

// Store is a ports.Store on PostgreSQL. It is safe for concurrent use.
//
// A call made outside a transaction runs in a transaction of its own (READ COMMITTED),
// retried a few times on a serialization failure or a deadlock. A call made with the
// context of a WithinTx runs in that transaction, under a savepoint when it writes, so
// that a refused write leaves the transaction usable.
//
// On a DB opened WithReplicas, the reads that show rather than decide (GetClub,
// GetClubBySlug, ListCourts, ListSeasons, ListClosures, ListPriceRules, ListOccupancy,
// ListBookings) go to a replica when their context is marked ports.ReplicaReadsOK and
// the replica has caught up (see ReplicaRouter). They are written as Bun SELECT
// queries, which is what lets the router take them; every other statement is raw SQL
// and runs on the primary, as does everything inside a transaction.
type Store struct {
	db *bun.DB
}

var _ ports.Store = (*Store)(nil)

// New returns a store over db, whose schema Migrate has brought up to date.
func New(db *bun.DB) *Store { return &Store{db: db} }

// maxAttempts bounds how often a write is tried when the database aborts it for a
// serialization failure or a deadlock.
const maxAttempts = 5

// txKey keys a store's transaction in a context; it holds the store so that one
// store's transaction is never mistaken for another's.
type txKey struct{ s *Store }

// txState is a transaction in progress.
type txState struct {
	// mu serialises the calls of goroutines sharing the transaction's context: one
	// connection runs one statement at a time, and a savepoint must not interleave
	// with another call's statements.
	mu   sync.Mutex
	tx   bun.Tx
	done bool
	// ctx is the transaction's context, for the hooks that run before it commits.
	ctx context.Context
	// hooks run just before the commit, in the order they were registered; hookKeys
	// finds a hook by the key it was registered under.
	hooks    []BeforeCommitHook
	hookKeys map[any]BeforeCommitHook
}

// errTxEnded refuses calls made with the context of a transaction that has ended.
var errTxEnded = domain.Errorf(domain.CodeInternal, "the transaction of this context has ended")

func (s *Store) txOf(ctx context.Context) *txState {
	st, _ := ctx.Value(txKey{s}).(*txState)
	return st
}

// WithinTx runs fn in a database transaction: every write made with the context fn
// receives commits if fn returns nil and rolls back if it returns an error or
// panics. A WithinTx called with a transaction's context joins it. Hooks registered
// with ports.AfterCommit run after the commit, before WithinTx returns.
func (s *Store) WithinTx(ctx context.Context, fn func(ctx context.Context) error) error {
	var st *txState
	return ports.RunTx(ctx, ports.TxRunner{
		Joined: func(ctx context.Context) (bool, bool) {
			joined := s.txOf(ctx)
			if joined == nil {
				return false, false
			}
			joined.mu.Lock()
			defer joined.mu.Unlock()
			return true, joined.done
		},
		Begin: func(ctx context.Context) (context.Context, error) {
			tx, err := s.db.BeginTx(ctx, nil)
			if err != nil {
				if errors.Is(err, context.Canceled) {
					return nil, err
				}
				return nil, unavailable("begin a transaction", err)
			}
			st = &txState{tx: tx}
			st.ctx = context.WithValue(ctx, txKey{s}, st)
			return st.ctx, nil
		},
		// End runs the hooks registered with BeforeCommit, then marks the transaction
		// ended, so that no call sharing its context issues a statement while it
		// commits or rolls back. A hook that fails rolls the transaction back. The
		// hooks' Execs go to the server with the COMMIT (DeferExec).
		End: func(commit bool) error {
			st.mu.Lock()
			var hookErr error
			if commit {
				hctx := DeferExec(st.ctx)
				for _, h := range st.hooks {
					if hookErr = h.BeforeCommit(hctx, st.tx.Tx); hookErr != nil {
						break
					}
				}
			}
			st.done = true
			st.mu.Unlock()
			if !commit || hookErr != nil {
				_ = st.tx.Rollback()
				return mapError(hookErr)
			}
			return mapError(st.tx.Commit())
		},
		ContextErr: mapError,
		Ended:      errTxEnded,
	}, fn)
}

// read runs fn on the context's transaction, or on the pool.
func (s *Store) read(ctx context.Context, fn func(ctx context.Context, db bun.IDB) error) error {
	if err := ctx.Err(); err != nil {
		return mapError(err)
	}
	ctx = withTextCheck(ctx)
	if st := s.txOf(ctx); st != nil {
		st.mu.Lock()
		defer st.mu.Unlock()
		if st.done {
			return errTxEnded
		}
		return mapCallError(ctx, fn(ctx, st.tx))
	}
	return mapCallError(ctx, fn(ctx, s.db))
}

// write runs fn atomically: in a transaction of its own, or inside the context's
// transaction under a savepoint that is rolled back if fn fails. A serialization
// failure or a deadlock runs fn again, a bounded number of times.
func (s *Store) write(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return mapError(err)
	}
	ctx = withTextCheck(ctx)
	attempt := func() error { return s.db.RunInTx(ctx, nil, fn) }
	if st := s.txOf(ctx); st != nil {
		st.mu.Lock()
		defer st.mu.Unlock()
		if st.done {
			return errTxEnded
		}
		attempt = func() error { return savepoint(ctx, st.tx, fn) }
	}
	var err error
	for range maxAttempts {
		if err = attempt(); !retryable(err) || ctx.Err() != nil {
			break
		}
	}
	return mapCallError(ctx, err)
}

// savepoint runs fn under a savepoint of tx, rolled back to if fn fails, so that the
// transaction stays usable.
func savepoint(ctx context.Context, tx bun.Tx, fn func(ctx context.Context, tx bun.Tx) error) error {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT matchpoint_call"); err != nil {
		return err
	}
	if err := fn(ctx, tx); err != nil {
		if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT matchpoint_call"); rerr != nil {
			return errors.Join(err, rerr)
		}
		if _, rerr := tx.ExecContext(ctx, "RELEASE SAVEPOINT matchpoint_call"); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	_, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT matchpoint_call")
	return err
}

func notFound(format string, args ...any) error {
	return domain.Errorf(domain.CodeNotFound, format, args...)
}

// rowsAffected returns how many rows a statement changed.
func rowsAffected(res sql.Result) (int64, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("postgres: rows affected: %w", err)
	}
	return n, nil
}

// nonNil returns an empty slice for nil, so that an empty list is never nil.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
