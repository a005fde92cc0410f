package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cache "github.com/matchpoint/matchpoint/adapters/cache/redis"
	"github.com/matchpoint/matchpoint/adapters/cache/redis/redistest"
	"github.com/matchpoint/matchpoint/adapters/ratelimit/redis"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/ratelimittest"
)

// redisURL is the server the tests use; MATCHPOINT_TEST_REDIS_URL overrides it. Each
// limiter gets a key prefix of its own; its keys expire with their budgets.
func redisURL() string {
	if u := os.Getenv("MATCHPOINT_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

func randomPrefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "mp-test-" + hex.EncodeToString(b) + ":"
}

func newLimiter(t *testing.T) *redis.Limiter {
	t.Helper()
	rdb, err := cache.Open(redisURL())
	require.NoError(t, err)
	require.NoError(t, rdb.Ping(t.Context()).Err(), "the local Redis server must run (make services)")
	t.Cleanup(func() { _ = rdb.Close() })
	return redis.New(rdb, redis.Config{Prefix: randomPrefix()})
}

func TestContract(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T) ports.RateLimiter { return newLimiter(t) })
}

// Two instances on one server and prefix share a budget: together they allow the
// burst once, not once each.
func TestInstancesShareBudget(t *testing.T) {
	prefix := randomPrefix()
	limit := ports.Limit{Events: 1, Per: time.Hour, Burst: 6}
	var instances []*redis.Limiter
	for range 3 {
		rdb, err := cache.Open(redisURL())
		require.NoError(t, err)
		t.Cleanup(func() { _ = rdb.Close() })
		instances = append(instances, redis.New(rdb, redis.Config{Prefix: prefix}))
	}

	var mu sync.Mutex
	allowed := 0
	var wg sync.WaitGroup
	for _, l := range instances {
		wg.Go(func() {
			for range 10 {
				d, err := l.Allow(context.Background(), "203.0.113.7", limit)
				assert.NoError(t, err)
				if d.Allowed {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, limit.Burst, allowed)
}

// The state is stored under the prefix and expires once the budget is full again.
func TestKeysAreNamespacedAndExpire(t *testing.T) {
	rdb, err := cache.Open(redisURL())
	require.NoError(t, err)
	defer rdb.Close()
	l := redis.New(rdb, redis.Config{Prefix: randomPrefix()})
	limit := ports.Limit{Events: 2, Per: time.Minute, Burst: 2}

	_, err = l.Allow(t.Context(), "k", limit)
	require.NoError(t, err)
	ttl, err := rdb.TTL(t.Context(), "rate:"+l.Key("k", limit)).Result()
	require.NoError(t, err)
	assert.Positive(t, ttl, "the state expires")
	assert.LessOrEqual(t, ttl, time.Minute, "no later than a full budget's refill")
}

// A server that is down is an error, not an invalid request, and not a decision.
func TestServerDown(t *testing.T) {
	srv := redistest.Start(t)
	rdb, err := cache.Open(srv.URL())
	require.NoError(t, err)
	defer rdb.Close()
	l := redis.New(rdb, redis.Config{})
	limit := ports.Limit{Events: 1, Per: time.Second, Burst: 1}

	_, err = l.Allow(t.Context(), "k", limit)
	require.NoError(t, err)
	srv.Stop()
	_, err = l.Allow(t.Context(), "k", limit)
	require.Error(t, err)
	assert.Equal(t, domain.KindInternal, domain.ErrorKind(err))
}
