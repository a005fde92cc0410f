package ports_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

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
