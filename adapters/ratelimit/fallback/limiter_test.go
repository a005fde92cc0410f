package fallback_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cache "github.com/matchpoint/matchpoint/adapters/cache/redis"
	"github.com/matchpoint/matchpoint/adapters/cache/redis/redistest"
	"github.com/matchpoint/matchpoint/adapters/ratelimit/fallback"
	"github.com/matchpoint/matchpoint/adapters/ratelimit/inproc"
	"github.com/matchpoint/matchpoint/adapters/ratelimit/redis"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/ratelimittest"
)

// logs is a slog sink the tests read, safe for the limiter's concurrent writes.
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logs) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSpace(l.buf.String()), "\n")
}

func (l *logs) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

func newInproc(t *testing.T) *inproc.Limiter {
	t.Helper()
	l, err := inproc.New(inproc.Config{})
	require.NoError(t, err)
	return l
}

// stub is a primary that fails while told to, and counts its calls.
type stub struct {
	inner ports.RateLimiter
	fail  atomic.Bool
	hang  atomic.Bool // block until the call's context ends
	calls atomic.Int64
}

func (s *stub) Allow(ctx context.Context, key string, limit ports.Limit) (ports.Decision, error) {
	s.calls.Add(1)
	if s.hang.Load() {
		<-ctx.Done()
		return ports.Decision{}, ctx.Err()
	}
	if s.fail.Load() {
		return ports.Decision{}, errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
	}
	return s.inner.Allow(ctx, key, limit)
}

// redisURL is the shared server of the contract run; MATCHPOINT_TEST_REDIS_URL
// overrides it.
func redisURL() string {
	if u := os.Getenv("MATCHPOINT_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

func newRedis(t *testing.T, url string) *redis.Limiter {
	t.Helper()
	rdb, err := cache.Open(url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = rdb.Close() })
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return redis.New(rdb, redis.Config{Prefix: "mp-test-" + hex.EncodeToString(b) + ":"})
}

// With Redis up, the fallback is the Redis limiter.
func TestContractOnRedis(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T) ports.RateLimiter {
		l, err := fallback.New(fallback.Config{Primary: newRedis(t, redisURL()), Secondary: newInproc(t)})
		require.NoError(t, err)
		return l
	})
}

// With the primary down, the secondary keeps the contract.
func TestContractOnSecondary(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T) ports.RateLimiter {
		primary := &stub{}
		primary.fail.Store(true)
		l, err := fallback.New(fallback.Config{Primary: primary, Secondary: newInproc(t), Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, err)
		return l
	})
}

// An outage is logged once when it starts and once when it ends; meanwhile the
// primary is probed once per Probe, and the secondary answers every call.
func TestOutageLoggedOnceAndProbed(t *testing.T) {
	var out logs
	primary := &stub{inner: newInproc(t)}
	l, err := fallback.New(fallback.Config{Primary: primary, Secondary: newInproc(t), Probe: 50 * time.Millisecond, Logger: out.logger()})
	require.NoError(t, err)
	limit := ports.Limit{Events: 1000, Per: time.Second, Burst: 1000}
	ctx := t.Context()

	_, err = l.Allow(ctx, "k", limit)
	require.NoError(t, err)
	assert.Zero(t, l.Fallbacks())
	assert.Equal(t, int64(1), primary.calls.Load())

	primary.fail.Store(true)
	start := time.Now()
	for range 200 {
		d, err := l.Allow(ctx, "k", limit)
		require.NoError(t, err)
		require.True(t, d.Allowed)
	}
	elapsed := time.Since(start)
	assert.True(t, l.Degraded())
	assert.Equal(t, uint64(200), l.Fallbacks())
	assert.Equal(t, uint64(1), l.Outages())
	probes := primary.calls.Load() - 1
	assert.GreaterOrEqual(t, probes, int64(1))
	assert.LessOrEqual(t, probes, int64(elapsed/(50*time.Millisecond))+1, "the primary is probed once per Probe, not on every call")
	require.Len(t, out.lines(), 1, "one line for the outage so far: %q", out.lines())
	assert.Contains(t, out.lines()[0], "level=WARN")
	assert.Contains(t, out.lines()[0], "connection refused")

	primary.fail.Store(false)
	require.Eventually(t, func() bool {
		_, err := l.Allow(ctx, "k", limit)
		return err == nil && !l.Degraded()
	}, 5*time.Second, 5*time.Millisecond)
	n := l.Fallbacks()
	_, _ = l.Allow(ctx, "k", limit)
	assert.Equal(t, n, l.Fallbacks(), "the primary answers again")
	lines := out.lines()
	require.Len(t, lines, 2, "%q", lines)
	assert.Contains(t, lines[1], "level=INFO")
	assert.Contains(t, lines[1], "answers again")

	primary.fail.Store(true)
	time.Sleep(60 * time.Millisecond)
	_, err = l.Allow(ctx, "k", limit)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), l.Outages())
	assert.Len(t, out.lines(), 3, "a new outage is logged again")
}

// A primary that hangs is given up after Timeout.
func TestHangingPrimaryTimesOut(t *testing.T) {
	primary := &stub{}
	primary.hang.Store(true)
	l, err := fallback.New(fallback.Config{Primary: primary, Secondary: newInproc(t), Timeout: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)

	start := time.Now()
	d, err := l.Allow(t.Context(), "k", ports.Limit{Events: 1, Per: time.Second, Burst: 1})
	require.NoError(t, err)
	assert.True(t, d.Allowed)
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.Equal(t, uint64(1), l.Fallbacks())
}

// A caller that gives up gets its context's error, not a decision of the secondary.
func TestCallerContextEnds(t *testing.T) {
	primary := &stub{}
	primary.hang.Store(true)
	l, err := fallback.New(fallback.Config{Primary: primary, Secondary: newInproc(t), Timeout: time.Minute})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()

	_, err = l.Allow(ctx, "k", ports.Limit{Events: 1, Per: time.Second, Burst: 1})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Zero(t, l.Fallbacks())
	assert.False(t, l.Degraded())
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, cfg := range []fallback.Config{
		{},
		{Primary: newInproc(t)},
		{Secondary: newInproc(t)},
		{Primary: newInproc(t), Secondary: newInproc(t), Timeout: -1},
		{Primary: newInproc(t), Secondary: newInproc(t), Probe: -1},
	} {
		_, err := fallback.New(cfg)
		assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), "%+v", cfg)
	}
}

// Redis killed mid-run: the limiter keeps answering, from the in-process limiter, and
// goes back to Redis when it returns.
func TestRedisKilledAndBack(t *testing.T) {
	srv := redistest.Start(t)
	var out logs
	l, err := fallback.New(fallback.Config{
		Primary: newRedis(t, srv.URL()), Secondary: newInproc(t),
		Timeout: 200 * time.Millisecond, Probe: 50 * time.Millisecond, Logger: out.logger(),
	})
	require.NoError(t, err)
	limit := ports.Limit{Events: 1, Per: time.Hour, Burst: 3}
	ctx := t.Context()

	// Redis spends the key's budget.
	for range 3 {
		d, err := l.Allow(ctx, "203.0.113.7", limit)
		require.NoError(t, err)
		require.True(t, d.Allowed)
	}
	d, err := l.Allow(ctx, "203.0.113.7", limit)
	require.NoError(t, err)
	require.False(t, d.Allowed)
	require.Zero(t, l.Fallbacks())

	srv.Stop()
	// The in-process limiter has its own, full budget for the key, and limits it.
	var allowed int
	for range 10 {
		d, err := l.Allow(ctx, "203.0.113.7", limit)
		require.NoError(t, err, "the limiter answers while Redis is down")
		if d.Allowed {
			allowed++
		}
	}
	assert.Equal(t, limit.Burst, allowed, "the in-process limiter answers, and limits")
	assert.True(t, l.Degraded())
	assert.Equal(t, uint64(10), l.Fallbacks())
	require.Len(t, out.lines(), 1, "the outage is logged once: %q", out.lines())

	srv.Restart(t) // empty: the key's budget is full in Redis again
	require.Eventually(t, func() bool {
		_, err := l.Allow(ctx, "198.51.100.1", limit)
		return err == nil && !l.Degraded()
	}, 10*time.Second, 20*time.Millisecond, "the limiter goes back to Redis")
	n := l.Fallbacks()
	for range 3 {
		d, err := l.Allow(ctx, "203.0.113.7", limit)
		require.NoError(t, err)
		assert.True(t, d.Allowed, "Redis, emptied by its restart, answers with a full budget")
	}
	assert.Equal(t, n, l.Fallbacks(), "Redis answers again")
	assert.Len(t, out.lines(), 2, "%q", out.lines())
}
