package storetest

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/ports"
)

var sentMessageCases = []contract{
	{"NewKeyIsNew", testSentMessageNew},
	{"KeysAreIndependent", testSentMessageKeys},
	{"RolledBackWithTx", testSentMessageRollback},
	{"CommittedWithTx", testSentMessageCommit},
	{"RaceRecordsOnce", testSentMessageRace},
}

// recordSent records a message key as sent at now and returns whether it was new.
func (f *fixture) recordSent(t *testing.T, ctx context.Context, key string) bool {
	t.Helper()
	fresh, err := f.store.RecordMessageSent(ctx, key, now)
	require.NoError(t, err)
	return fresh
}

// sent reports whether a message key is recorded as sent.
func (f *fixture) sent(t *testing.T, ctx context.Context, key string) bool {
	t.Helper()
	sent, err := f.store.MessageSent(ctx, key)
	require.NoError(t, err)
	return sent
}

func testSentMessageNew(t *testing.T, f *fixture) {
	key := ports.MessageKey(newID(), ports.MessageConfirmation, "")
	assert.False(t, f.sent(t, f.ctx, key), "nothing is recorded yet")
	assert.True(t, f.recordSent(t, f.ctx, key), "the first record")
	assert.True(t, f.sent(t, f.ctx, key))
	assert.False(t, f.recordSent(t, f.ctx, key), "the same key again")
	assert.True(t, f.sent(t, f.ctx, key))
}

func testSentMessageKeys(t *testing.T, f *fixture) {
	booking, other := newID(), newID()
	keys := []string{
		ports.MessageKey(booking, ports.MessageConfirmation, ""),
		ports.MessageKey(booking, ports.MessageReminder, ""),
		ports.MessageKey(other, ports.MessageConfirmation, ""),
		ports.MessageKey(booking, ports.MessageRefund, "payment:pi_1"),
		ports.MessageKey(booking, ports.MessageRefund, "payment:pi_2"),
		ports.MessageKey(booking, ports.MessageRefund, ""),
	}
	for i, key := range keys {
		for _, later := range keys[i:] {
			assert.False(t, f.sent(t, f.ctx, later), "%s before %s is recorded", later, key)
		}
		assert.True(t, f.recordSent(t, f.ctx, key), key)
		for _, earlier := range keys[:i+1] {
			assert.True(t, f.sent(t, f.ctx, earlier), earlier)
		}
	}
}

func testSentMessageRollback(t *testing.T, f *fixture) {
	key := ports.MessageKey(newID(), ports.MessageCancellation, "")
	err := f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		assert.True(t, f.recordSent(t, ctx, key))
		assert.True(t, f.sent(t, ctx, key), "the transaction sees its own record")
		assert.False(t, f.recordSent(t, ctx, key), "nor records it twice")
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	assert.False(t, f.sent(t, f.ctx, key), "the record was rolled back")
	assert.True(t, f.recordSent(t, f.ctx, key), "the key is free after the rollback")
}

func testSentMessageCommit(t *testing.T, f *fixture) {
	key := ports.MessageKey(newID(), ports.MessageExpiry, "")
	require.NoError(t, f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		assert.True(t, f.recordSent(t, ctx, key))
		return nil
	}))
	assert.True(t, f.sent(t, f.ctx, key))
	assert.False(t, f.recordSent(t, f.ctx, key))
}

// Two workers recording one message at once: exactly one record is new.
func testSentMessageRace(t *testing.T, f *fixture) {
	key := ports.MessageKey(newID(), ports.MessageConfirmation, "")
	const n = 8
	fresh := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { fresh[i], errs[i] = f.store.RecordMessageSent(f.ctx, key, now) })
	}
	wg.Wait()
	count := 0
	for i := range n {
		require.NoError(t, errs[i])
		if fresh[i] {
			count++
		}
	}
	assert.Equal(t, 1, count, "one record of the key is new")
}
