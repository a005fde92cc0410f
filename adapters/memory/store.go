package memory

import (
	"context"
	"sync"
	"time"

	"github.com/google/wire"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// ProviderSet provides a *Store as the ports.Store of a Wire injector.
var ProviderSet = wire.NewSet(New, wire.Bind(new(ports.Store), new(*Store)))

// Store is an in-memory ports.Store. The zero value is not usable; call New.
//
// Calls made outside a transaction are atomic on their own. Calls made with the
// context of a WithinTx run inside that transaction, which holds the store for itself
// until it ends. The function given to UpdateBooking runs while the store is locked,
// so it must not call the store.
type Store struct {
	// mu guards everything below. A transaction holds it for writing from its start to
	// its end; calls carrying the transaction's context do not lock it again.
	mu sync.RWMutex

	clubs    map[string]domain.Club
	slugs    map[string]string                      // slug → club id
	courts   map[string]map[string]domain.Court     // club id → court id → court
	seasons  map[string]map[string]domain.Season    // club id → season id → season
	closures map[string]map[string]domain.Closure   // club id → closure id → closure
	rules    map[string]map[string]domain.PriceRule // club id → rule id → rule
	apiKeys  map[string]ports.APIKey                // hash → key
	keyHash  map[string]string                      // API key id → hash
	events   map[eventKey]time.Time                 // processed payment events
	reports  map[string]ports.Report                // report id → report
	sent     map[string]time.Time                   // message key → when it was sent
	bookings *bookingTable
	refunds  *refundTable
}

var _ ports.Store = (*Store)(nil)

type eventKey struct{ provider, id string }

// New returns an empty store.
func New() *Store {
	return &Store{
		clubs:    make(map[string]domain.Club),
		slugs:    make(map[string]string),
		courts:   make(map[string]map[string]domain.Court),
		seasons:  make(map[string]map[string]domain.Season),
		closures: make(map[string]map[string]domain.Closure),
		rules:    make(map[string]map[string]domain.PriceRule),
		apiKeys:  make(map[string]ports.APIKey),
		keyHash:  make(map[string]string),
		events:   make(map[eventKey]time.Time),
		reports:  make(map[string]ports.Report),
		sent:     make(map[string]time.Time),
		bookings: newBookingTable(),
		refunds:  newRefundTable(),
	}
}

// txKey keys a store's transaction in a context. It holds the store so that the
// transaction of one store is never mistaken for another's.
type txKey struct{ s *Store }

// tx is a transaction in progress: the store's write lock is held on its behalf.
type tx struct {
	// mu serialises the calls of goroutines that share the transaction's context.
	mu   sync.Mutex
	undo undoLog
	done bool
}

// errTxEnded refuses calls made with the context of a transaction that has ended:
// they would otherwise run without the store's lock.
var errTxEnded = domain.Errorf(domain.CodeInternal, "the transaction of this context has ended")

func (s *Store) txOf(ctx context.Context) *tx {
	t, _ := ctx.Value(txKey{s}).(*tx)
	return t
}

// WithinTx runs fn in a transaction: every write made with the context fn receives is
// kept if fn returns nil and undone if it returns an error or panics. Transactions are
// serialised; a WithinTx called with a transaction's context joins it. Hooks
// registered with ports.AfterCommit run once the transaction has committed and the
// store is unlocked, so they may use the store.
func (s *Store) WithinTx(ctx context.Context, fn func(ctx context.Context) error) error {
	var t *tx
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
			t = &tx{}
			s.mu.Lock()
			return context.WithValue(ctx, txKey{s}, t), nil
		},
		// End unlocks the store before RunTx runs the commit hooks, so they may use it.
		End: func(commit bool) error {
			t.mu.Lock()
			if !commit {
				t.undo.rollback(0)
			}
			t.undo, t.done = nil, true
			t.mu.Unlock()
			s.mu.Unlock()
			return nil
		},
		Ended: errTxEnded,
	}, fn)
}

// read runs fn with the store's state readable.
func (s *Store) read(ctx context.Context, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t := s.txOf(ctx); t != nil {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.done {
			return errTxEnded
		}
		return fn()
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return fn()
}

// write runs fn with the store's state writable. fn logs how to undo each change; if
// it fails or panics its changes are undone at once, so every call is atomic, and
// inside a transaction the log is kept until the transaction ends.
func (s *Store) write(ctx context.Context, fn func(u *undoLog) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t := s.txOf(ctx); t != nil {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.done {
			return errTxEnded
		}
		return apply(&t.undo, fn)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var u undoLog
	return apply(&u, fn)
}

func apply(u *undoLog, fn func(u *undoLog) error) error {
	mark := len(*u)
	ok := false
	defer func() {
		if !ok {
			u.rollback(mark)
		}
	}()
	if err := fn(u); err != nil {
		return err
	}
	ok = true
	return nil
}

// undoLog lists how to undo changes, oldest first.
type undoLog []func()

func (u *undoLog) add(fn func()) { *u = append(*u, fn) }

// rollback undoes the changes logged from position mark on, newest first.
func (u *undoLog) rollback(mark int) {
	for i := len(*u) - 1; i >= mark; i-- {
		(*u)[i]()
	}
	*u = (*u)[:mark]
}

// put sets m[k] to v and logs how to undo it.
func put[K comparable, V any](u *undoLog, m map[K]V, k K, v V) {
	old, had := m[k]
	m[k] = v
	u.add(func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	})
}

// del deletes m[k] and logs how to undo it.
func del[K comparable, V any](u *undoLog, m map[K]V, k K) {
	old, had := m[k]
	if !had {
		return
	}
	delete(m, k)
	u.add(func() { m[k] = old })
}

// inner returns the club's map in m, making it if needed.
func inner[V any](m map[string]map[string]V, clubID string) map[string]V {
	cm, ok := m[clubID]
	if !ok {
		cm = make(map[string]V)
		m[clubID] = cm
	}
	return cm
}

func notFound(format string, args ...any) error {
	return domain.Errorf(domain.CodeNotFound, format, args...)
}

func duplicate(format string, args ...any) error {
	return domain.Errorf(domain.CodeDuplicate, format, args...)
}
