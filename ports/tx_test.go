package ports_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/ports"
)

func TestAfterCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	ran := 0
	ports.AfterCommit(ctx, func() { ran++ })
	assert.Equal(t, 1, ran, "outside a transaction a hook runs at once")
	assert.False(t, ports.InTx(ctx))

	txCtx, end := ports.WithCommitHooks(ctx)
	assert.True(t, ports.InTx(txCtx))
	var order []int
	ports.AfterCommit(txCtx, func() { order = append(order, 1) })
	ports.AfterCommit(txCtx, func() { order = append(order, 2) })
	assert.Empty(t, order, "hooks wait for the commit")
	end(true)
	assert.Equal(t, []int{1, 2}, order, "hooks run in order once committed")
	assert.False(t, ports.InTx(txCtx), "the transaction has ended")
	ports.AfterCommit(txCtx, func() { order = append(order, 3) })
	assert.Equal(t, []int{1, 2, 3}, order, "after a commit a late hook runs at once")

	rbCtx, rollback := ports.WithCommitHooks(ctx)
	dropped := false
	ports.AfterCommit(rbCtx, func() { dropped = true })
	rollback(false)
	ports.AfterCommit(rbCtx, func() { dropped = true })
	assert.False(t, dropped, "a rolled-back transaction runs no hook, early or late")
}

// fakeTx is a Transactor's side of RunTx that records what RunTx asks of it.
type fakeTx struct {
	begun, ended int
	commits      []bool
	commitErr    error
}

type fakeTxKey struct{}

func (f *fakeTx) runner() ports.TxRunner {
	return ports.TxRunner{
		Joined: func(ctx context.Context) (bool, bool) {
			_, found := ctx.Value(fakeTxKey{}).(*fakeTx)
			return found, found && f.ended == f.begun
		},
		Begin: func(ctx context.Context) (context.Context, error) {
			f.begun++
			return context.WithValue(ctx, fakeTxKey{}, f), nil
		},
		End: func(commit bool) error {
			f.ended++
			f.commits = append(f.commits, commit)
			if commit {
				return f.commitErr
			}
			return nil
		},
		Ended: errEnded,
	}
}

var errEnded = errors.New("ended")

func TestRunTxCommitsThenRunsHooks(t *testing.T) {
	t.Parallel()
	f := &fakeTx{}
	var order []string
	err := ports.RunTx(context.Background(), f.runner(), func(ctx context.Context) error {
		assert.True(t, ports.InTx(ctx))
		ports.AfterCommit(ctx, func() {
			assert.Equal(t, []bool{true}, f.commits, "a hook runs after the commit")
			order = append(order, "hook")
		})
		order = append(order, "fn")
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"fn", "hook"}, order)
	assert.Equal(t, 1, f.begun)
	assert.Equal(t, []bool{true}, f.commits)
}

func TestRunTxJoinsARunningTransactionAndRefusesAnEndedOne(t *testing.T) {
	t.Parallel()
	f := &fakeTx{}
	var inner context.Context
	require.NoError(t, ports.RunTx(context.Background(), f.runner(), func(ctx context.Context) error {
		inner = ctx
		return ports.RunTx(ctx, f.runner(), func(context.Context) error { return nil })
	}))
	assert.Equal(t, 1, f.begun, "the nested call joined the running transaction")
	assert.Equal(t, []bool{true}, f.commits, "only the outer call ended it")

	ran := false
	err := ports.RunTx(inner, f.runner(), func(context.Context) error { ran = true; return nil })
	assert.ErrorIs(t, err, errEnded)
	assert.False(t, ran)
	assert.Equal(t, 1, f.begun)
}

func TestRunTxRollsBackAndDropsHooks(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	for _, tc := range []struct {
		name    string
		f       *fakeTx
		fn      func(ctx context.Context, cancel context.CancelFunc) error
		wantErr error
		commits []bool
	}{
		{"fn fails", &fakeTx{}, func(context.Context, context.CancelFunc) error { return boom }, boom, []bool{false}},
		{"the context is cancelled", &fakeTx{}, func(_ context.Context, cancel context.CancelFunc) error { cancel(); return nil }, context.Canceled, []bool{false}},
		{"the commit fails", &fakeTx{commitErr: boom}, func(context.Context, context.CancelFunc) error { return nil }, boom, []bool{true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			hooked := false
			err := ports.RunTx(ctx, tc.f.runner(), func(ctx context.Context) error {
				ports.AfterCommit(ctx, func() { hooked = true })
				return tc.fn(ctx, cancel)
			})
			assert.ErrorIs(t, err, tc.wantErr)
			assert.Equal(t, tc.commits, tc.f.commits)
			assert.False(t, hooked, "a hook of a transaction that did not commit ran")
		})
	}
}

func TestRunTxRollsBackOnAPanic(t *testing.T) {
	t.Parallel()
	f := &fakeTx{}
	hooked := false
	assert.Panics(t, func() {
		_ = ports.RunTx(context.Background(), f.runner(), func(ctx context.Context) error {
			ports.AfterCommit(ctx, func() { hooked = true })
			panic("fn")
		})
	})
	assert.Equal(t, []bool{false}, f.commits)
	assert.False(t, hooked)
}

func TestRunTxSharesTheHooksOfAnotherTransactorsTransaction(t *testing.T) {
	t.Parallel()
	outer, inner := &fakeTx{}, &fakeTx{}
	hooked := false
	// The inner Transactor must see its own transaction only, so give it another key.
	innerRunner := inner.runner()
	innerRunner.Joined = func(context.Context) (bool, bool) { return false, false }
	require.NoError(t, ports.RunTx(context.Background(), outer.runner(), func(ctx context.Context) error {
		require.NoError(t, ports.RunTx(ctx, innerRunner, func(ctx context.Context) error {
			ports.AfterCommit(ctx, func() { hooked = true })
			return nil
		}))
		assert.False(t, hooked, "a hook ran before the outer transaction committed")
		return nil
	}))
	assert.True(t, hooked)
	assert.Equal(t, []bool{true}, inner.commits)
	assert.Equal(t, []bool{true}, outer.commits)
}
