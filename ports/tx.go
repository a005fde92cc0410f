package ports

import (
	"context"
	"sync"
)

type commitHooksKey struct{}

type commitHooks struct {
	mu    sync.Mutex
	fns   []func()
	ended bool // the transaction has ended
	ok    bool // it committed
}

// WithCommitHooks returns a context for a new transaction and a function the
// Transactor calls once the transaction has ended: with committed true it runs the
// hooks registered with AfterCommit, in order; with false it drops them. A Transactor
// whose context already carries hooks (a nested transaction) should not call it.
func WithCommitHooks(ctx context.Context) (context.Context, func(committed bool)) {
	h := &commitHooks{}
	return context.WithValue(ctx, commitHooksKey{}, h), func(committed bool) {
		h.mu.Lock()
		fns := h.fns
		h.fns, h.ended, h.ok = nil, true, committed
		h.mu.Unlock()
		if committed {
			for _, fn := range fns {
				fn()
			}
		}
	}
}

// InTx reports whether ctx carries a transaction that has not ended.
func InTx(ctx context.Context) bool {
	h, ok := ctx.Value(commitHooksKey{}).(*commitHooks)
	if !ok {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return !h.ended
}

// AfterCommit runs fn once the transaction carried by ctx commits, and never if it
// rolls back; outside a transaction, or after one that committed, it runs fn at once. Adapters that cannot join a
// store's transaction (an in-process queue, a cache) use it to act only on committed
// state.
func AfterCommit(ctx context.Context, fn func()) {
	h, ok := ctx.Value(commitHooksKey{}).(*commitHooks)
	if !ok {
		fn()
		return
	}
	h.mu.Lock()
	if !h.ended {
		h.fns = append(h.fns, fn)
		h.mu.Unlock()
		return
	}
	committed := h.ok
	h.mu.Unlock()
	if committed {
		fn()
	}
}

// TxRunner is what a Transactor gives RunTx: how to find its own transaction in a
// context, and how to open and end one.
type TxRunner struct {
	// Joined reports whether ctx carries a transaction of this Transactor (found), and
	// whether that transaction has ended.
	Joined func(ctx context.Context) (found, ended bool)
	// Begin opens a transaction and returns a context carrying it, derived from ctx.
	Begin func(ctx context.Context) (context.Context, error)
	// End ends the transaction Begin opened, once: committing it when commit is true
	// (an error means it did not commit), rolling it back otherwise (also when fn
	// panicked). After End, Joined must report the transaction ended.
	End func(commit bool) error
	// ContextErr maps the error of a cancelled or expired context to the error
	// WithinTx returns. Nil returns it as it is.
	ContextErr func(error) error
	// Ended is the error returned to a call made with the context of a transaction
	// that has ended, which would otherwise run outside any transaction.
	Ended error
}

// RunTx runs fn in a transaction the way every Transactor's WithinTx does. A context
// that carries one of the Transactor's running transactions joins it (fn runs in it,
// and the outer call commits); one that carries an ended transaction is refused with
// r.Ended. Otherwise RunTx opens commit hooks (unless ctx is inside another
// Transactor's transaction, whose hooks are then shared), begins a transaction, runs
// fn, and commits only if fn returned nil and ctx is still live, rolling back on an
// error, a cancelled context or a panic. Hooks registered with AfterCommit run after
// End has committed, and are dropped otherwise.
func RunTx(ctx context.Context, r TxRunner, fn func(ctx context.Context) error) error {
	ctxErr := func(err error) error {
		if r.ContextErr != nil {
			return r.ContextErr(err)
		}
		return err
	}
	if err := ctx.Err(); err != nil {
		return ctxErr(err)
	}
	if found, ended := r.Joined(ctx); found {
		if ended {
			return r.Ended
		}
		return fn(ctx)
	}
	var end func(committed bool)
	if !InTx(ctx) {
		ctx, end = WithCommitHooks(ctx)
	}
	committed := false
	if end != nil {
		defer func() { end(committed) }()
	}
	txCtx, err := r.Begin(ctx)
	if err != nil {
		return err
	}
	ended := false
	defer func() {
		if !ended { // fn failed or panicked, or the context was cancelled
			_ = r.End(false)
		}
	}()
	if err := fn(txCtx); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil { // a cancelled transaction does not commit
		return ctxErr(err)
	}
	ended = true
	if err := r.End(true); err != nil {
		return err
	}
	committed = true
	return nil
}
