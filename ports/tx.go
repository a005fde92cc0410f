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
