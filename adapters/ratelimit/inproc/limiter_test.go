package inproc_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/ratelimit/inproc"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/clocktest"
	"github.com/matchpoint/matchpoint/ports/ratelimittest"
)

func TestContract(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T) ports.RateLimiter {
		l, err := inproc.New(inproc.Config{})
		require.NoError(t, err)
		return l
	})
}

// On a clock that moves only when told, the decisions are exact: 4 per second is a
// token every 250 ms.
func TestExactDecisions(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	l, err := inproc.New(inproc.Config{Clock: clock})
	require.NoError(t, err)
	limit := ports.Limit{Events: 4, Per: time.Second, Burst: 2}
	ctx := t.Context()

	d, err := l.Allow(ctx, "k", limit)
	require.NoError(t, err)
	assert.Equal(t, ports.Decision{Allowed: true, Limit: limit, Remaining: 1, ResetAfter: 250 * time.Millisecond}, d)

	d, _ = l.Allow(ctx, "k", limit)
	assert.Equal(t, ports.Decision{Allowed: true, Limit: limit, Remaining: 0, ResetAfter: 500 * time.Millisecond}, d)

	d, _ = l.Allow(ctx, "k", limit)
	assert.Equal(t, ports.Decision{Allowed: false, Limit: limit, RetryAfter: 250 * time.Millisecond, ResetAfter: 500 * time.Millisecond}, d)

	clock.Advance(100 * time.Millisecond)
	d, _ = l.Allow(ctx, "k", limit)
	assert.Equal(t, ports.Decision{Allowed: false, Limit: limit, RetryAfter: 150 * time.Millisecond, ResetAfter: 400 * time.Millisecond}, d)

	clock.Advance(150 * time.Millisecond)
	d, _ = l.Allow(ctx, "k", limit)
	assert.Equal(t, ports.Decision{Allowed: true, Limit: limit, Remaining: 0, ResetAfter: 500 * time.Millisecond}, d, "the token came back, and went again")

	clock.Advance(time.Hour)
	d, _ = l.Allow(ctx, "k", limit)
	assert.Equal(t, ports.Decision{Allowed: true, Limit: limit, Remaining: 1, ResetAfter: 250 * time.Millisecond}, d, "an idle key is full, not fuller")
}

// The map of buckets is bounded: past MaxKeys the least recently used is forgotten,
// and its key starts full.
func TestMaxKeysBoundsMemory(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	l, err := inproc.New(inproc.Config{MaxKeys: 100, Clock: clock})
	require.NoError(t, err)
	limit := ports.Limit{Events: 1, Per: time.Hour, Burst: 1}
	ctx := t.Context()

	d, _ := l.Allow(ctx, "first", limit)
	require.True(t, d.Allowed)
	d, _ = l.Allow(ctx, "first", limit)
	require.False(t, d.Allowed)

	for i := range 5000 {
		_, err := l.Allow(ctx, fmt.Sprintf("198.51.100.%d", i), limit)
		require.NoError(t, err)
		require.LessOrEqual(t, l.Len(), 100)
	}
	assert.Equal(t, 100, l.Len())
	d, _ = l.Allow(ctx, "first", limit)
	assert.True(t, d.Allowed, "the forgotten key starts full")
}

// A key in use is not the one forgotten.
func TestMaxKeysKeepsRecentKeys(t *testing.T) {
	l, err := inproc.New(inproc.Config{MaxKeys: 3})
	require.NoError(t, err)
	limit := ports.Limit{Events: 1, Per: time.Hour, Burst: 1}
	ctx := t.Context()

	_, _ = l.Allow(ctx, "busy", limit)
	for i := range 10 {
		_, _ = l.Allow(ctx, fmt.Sprint("idle-", i), limit)
		d, _ := l.Allow(ctx, "busy", limit)
		require.False(t, d.Allowed, "the busy key keeps its bucket after %d idle keys", i+1)
	}
}

func TestNewRefusesNegativeMaxKeys(t *testing.T) {
	_, err := inproc.New(inproc.Config{MaxKeys: -1})
	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err))
}
