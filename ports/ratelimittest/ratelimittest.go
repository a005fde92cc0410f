// Package ratelimittest is the contract suite of ports.RateLimiter. Every rate limiter
// adapter (in-process, Redis, the fallback between them) runs it from its own tests:
//
//	func TestContract(t *testing.T) {
//		ratelimittest.Run(t, func(t *testing.T) ports.RateLimiter { return newLimiter(t) })
//	}
//
// The suite uses real time. Counting cases use limits whose tokens take an hour to come
// back, so that no token returns while they count; refill cases use short periods
// (10 per 200 ms) and poll with generous deadlines, never asserting a tight timing.
//
// The concurrent case states the tolerance of the contract: callers on one key, however
// many, are allowed at most Burst + elapsed×Events/Per requests, plus one for rounding,
// where elapsed runs from before the first call to after the last; and at least Burst.
package ratelimittest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// Run runs the contract suite. newLimiter is called once per case and must return a
// limiter that no other case uses (a fresh instance, or a key prefix of its own on a
// shared server); it cleans up with t.Cleanup.
func Run(t *testing.T, newLimiter func(t *testing.T) ports.RateLimiter) {
	cases := []struct {
		name string
		fn   func(t *testing.T, l ports.RateLimiter)
	}{
		{"BurstThenDeny", testBurstThenDeny},
		{"DeniedConsumesNothing", testDeniedConsumesNothing},
		{"RefillAfterInterval", testRefillAfterInterval},
		{"RefillToFullBurst", testRefillToFullBurst},
		{"KeysIndependent", testKeysIndependent},
		{"LimitsIndependent", testLimitsIndependent},
		{"Concurrent", testConcurrent},
		{"InvalidInput", testInvalidInput},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newLimiter(t))
		})
	}
}

// slow is a limit whose tokens take an hour each to come back: counting cases use it
// so that none returns while they count.
var slow = ports.Limit{Events: 1, Per: time.Hour, Burst: 5}

func allow(t *testing.T, l ports.RateLimiter, key string, limit ports.Limit) ports.Decision {
	t.Helper()
	d, err := l.Allow(context.Background(), key, limit)
	require.NoError(t, err)
	require.Equal(t, limit, d.Limit, "the decision names its limit")
	return d
}

// exhaust makes requests on key until one is denied and returns that decision and how
// many were allowed.
func exhaust(t *testing.T, l ports.RateLimiter, key string, limit ports.Limit) (ports.Decision, int) {
	t.Helper()
	for n := 0; n < 10*limit.Burst+1000; n++ {
		if d := allow(t, l, key, limit); !d.Allowed {
			return d, n
		}
	}
	t.Fatalf("key %q was never denied under %s", key, limit)
	return ports.Decision{}, 0
}

func testBurstThenDeny(t *testing.T, l ports.RateLimiter) {
	interval := slow.Interval()
	for i := 1; i <= slow.Burst; i++ {
		d := allow(t, l, "client", slow)
		require.True(t, d.Allowed, "request %d of a burst of %d", i, slow.Burst)
		assert.Equal(t, slow.Burst-i, d.Remaining, "remaining after request %d", i)
		assert.Zero(t, d.RetryAfter, "an allowed request has nothing to wait for")
		// The budget is full again once the i tokens taken have come back.
		assert.LessOrEqual(t, d.ResetAfter, time.Duration(i)*interval+time.Millisecond, "reset after request %d", i)
		assert.Greater(t, d.ResetAfter, time.Duration(i)*interval-time.Minute, "reset after request %d", i)
	}

	d := allow(t, l, "client", slow)
	require.False(t, d.Allowed, "the request after the burst is denied")
	assert.Zero(t, d.Remaining)
	assert.Positive(t, d.RetryAfter)
	assert.LessOrEqual(t, d.RetryAfter, interval+time.Millisecond, "the next token comes back within one interval")
	assert.Greater(t, d.RetryAfter, interval-time.Minute, "the first token taken comes back an interval after it was taken")
	assert.LessOrEqual(t, d.ResetAfter, time.Duration(slow.Burst)*interval+time.Millisecond)
	assert.Greater(t, d.ResetAfter, time.Duration(slow.Burst)*interval-time.Minute)
}

func testDeniedConsumesNothing(t *testing.T, l ports.RateLimiter) {
	limit := ports.Limit{Events: 1, Per: time.Hour, Burst: 1}
	require.True(t, allow(t, l, "client", limit).Allowed)

	first := allow(t, l, "client", limit)
	require.False(t, first.Allowed)
	for range 20 {
		d := allow(t, l, "client", limit)
		require.False(t, d.Allowed)
		// A denial that took a token would push the next allowed request an hour on.
		assert.LessOrEqual(t, d.RetryAfter, first.RetryAfter, "retrying while denied does not postpone the next token")
		assert.LessOrEqual(t, d.ResetAfter, first.ResetAfter, "retrying while denied does not postpone the reset")
	}
}

// refill is 10 requests per 200 ms: a token comes back every 20 ms.
var refill = ports.Limit{Events: 10, Per: 200 * time.Millisecond, Burst: 10}

func testRefillAfterInterval(t *testing.T, l ports.RateLimiter) {
	denied, _ := exhaust(t, l, "client", refill)
	assert.Positive(t, denied.RetryAfter)
	assert.LessOrEqual(t, denied.RetryAfter, refill.Interval()+time.Millisecond)

	// Polling faster than tokens come back: the denials take nothing, so a token
	// comes back all the same.
	require.Eventually(t, func() bool {
		return allow(t, l, "client", refill).Allowed
	}, 5*time.Second, 2*time.Millisecond, "a token comes back after the interval")
}

func testRefillToFullBurst(t *testing.T, l ports.RateLimiter) {
	denied, _ := exhaust(t, l, "client", refill)
	require.LessOrEqual(t, denied.ResetAfter, refill.Per+time.Millisecond)

	// Once ResetAfter has passed the whole burst is back: Burst requests in a row are
	// allowed, however slowly they run (tokens only come back meanwhile).
	time.Sleep(denied.ResetAfter + 20*time.Millisecond)
	for i := 1; i <= refill.Burst; i++ {
		d := allow(t, l, "client", refill)
		require.True(t, d.Allowed, "request %d of the refilled burst", i)
	}
}

func testKeysIndependent(t *testing.T, l ports.RateLimiter) {
	_, n := exhaust(t, l, "203.0.113.7", slow)
	require.Equal(t, slow.Burst, n)

	for _, key := range []string{"203.0.113.70", "203.0.113.", "203.0.113.7:", "login:203.0.113.7", " "} {
		_, n := exhaust(t, l, key, slow)
		assert.Equal(t, slow.Burst, n, "key %q has its own budget", key)
	}
	assert.False(t, allow(t, l, "203.0.113.7", slow).Allowed, "the first key stays denied")
}

func testLimitsIndependent(t *testing.T, l ports.RateLimiter) {
	_, n := exhaust(t, l, "client", slow)
	require.Equal(t, slow.Burst, n)

	other := slow
	other.Burst = 3
	_, n = exhaust(t, l, "client", other)
	assert.Equal(t, other.Burst, n, "the same key under another limit starts full")
	assert.False(t, allow(t, l, "client", slow).Allowed, "the first limit stays exhausted")
}

func testConcurrent(t *testing.T, l ports.RateLimiter) {
	limit := ports.Limit{Events: 100, Per: time.Second, Burst: 20}
	const workers, calls = 8, 60
	var allowed atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers*calls)
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for range calls {
				d, err := l.Allow(context.Background(), "busy", limit)
				if err != nil {
					errs <- err
					return
				}
				if d.Allowed {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	got := int(allowed.Load())
	ceiling := limit.Burst + int(elapsed*time.Duration(limit.Events)/limit.Per) + 1
	assert.GreaterOrEqual(t, got, limit.Burst, "a full budget allows the burst")
	assert.LessOrEqual(t, got, ceiling, "allowed %d in %s; the limit allows at most %d", got, elapsed, ceiling)
}

func testInvalidInput(t *testing.T, l ports.RateLimiter) {
	ctx := context.Background()
	bad := []ports.Limit{
		{},
		{Events: 0, Per: time.Second, Burst: 1},
		{Events: -1, Per: time.Second, Burst: 1},
		{Events: 1, Per: 0, Burst: 1},
		{Events: 1, Per: -time.Second, Burst: 1},
		{Events: 1, Per: time.Second, Burst: 0},
		{Events: 1, Per: time.Second, Burst: -3},
	}
	for _, limit := range bad {
		_, err := l.Allow(ctx, "client", limit)
		assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), "limit %s: %v", limit, err)
	}
	_, err := l.Allow(ctx, "", slow)
	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), "empty key: %v", err)

	// Refusals take nothing: the key still has its whole burst.
	_, n := exhaust(t, l, "client", slow)
	assert.Equal(t, slow.Burst, n)
}
