package tiered_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/cache/bigcache"
	"github.com/matchpoint/matchpoint/adapters/cache/redis"
	"github.com/matchpoint/matchpoint/adapters/cache/redis/redistest"
	"github.com/matchpoint/matchpoint/adapters/cache/tiered"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/cachetest"
)

// redisURL is the shared server the tests use; MATCHPOINT_TEST_REDIS_URL overrides it.
func redisURL() string {
	if u := os.Getenv("MATCHPOINT_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// newPrefix returns a key prefix no other test uses.
func newPrefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "mp-test-" + hex.EncodeToString(b) + ":"
}

// newInstance returns a tiered cache with an L1 of its own on the Redis at url under
// prefix, subscribed, closed when the test ends.
func newInstance(tb testing.TB, url, prefix string) *tiered.Cache {
	tb.Helper()
	l1, err := bigcache.New(bigcache.Config{})
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = l1.Close() })
	return newInstanceOver(tb, l1, url, prefix, nil)
}

// newInstanceOver is newInstance with the given L1 and key families (nil: "all").
func newInstanceOver(tb testing.TB, l1 ports.Cache, url, prefix string, family func(string) string) *tiered.Cache {
	tb.Helper()
	rdb, err := redis.Open(url)
	require.NoError(tb, err)
	l2 := redis.New(rdb, redis.Config{Prefix: prefix})
	c, err := tiered.New(tiered.Config{L1: l1, L2: l2, AckTimeout: 2 * time.Second, DegradedTTL: 300 * time.Millisecond, Family: family})
	require.NoError(tb, err)
	tb.Cleanup(func() {
		_ = c.Close()
		_ = l2.DeletePrefix(context.Background(), "")
		_ = rdb.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(tb, c.WaitSubscribed(ctx), "the local Redis server must run (make services)")
	return c
}

func TestContract(t *testing.T) {
	cachetest.Run(t, func(t *testing.T) ports.Cache { return newInstance(t, redisURL(), newPrefix()) })
}

func get(t *testing.T, c ports.Cache, key string) (string, bool) {
	t.Helper()
	v, hit, err := c.Get(context.Background(), key)
	require.NoError(t, err)
	return string(v), hit
}

// TestNoInstanceServesADeletedValue has two instances, each with its own L1, on one
// Redis: once a Delete through A returns, B never serves the deleted value, although
// B held it in its L1.
func TestNoInstanceServesADeletedValue(t *testing.T) {
	prefix := newPrefix()
	a, b := newInstance(t, redisURL(), prefix), newInstance(t, redisURL(), prefix)
	ctx := context.Background()
	for i := range 300 {
		key := fmt.Sprintf("k%d", i%7)
		old := "v" + strconv.Itoa(i)
		require.NoError(t, a.Set(ctx, key, []byte(old), time.Minute))
		got, hit := get(t, b, key)
		require.True(t, hit)
		require.Equal(t, old, got)
		got, hit = get(t, b, key) // now from B's L1
		require.True(t, hit)
		require.Equal(t, old, got)

		require.NoError(t, a.Delete(ctx, key))
		got, hit = get(t, b, key)
		require.False(t, hit, "round %d: B served %q after A deleted it", i, got)
	}
	snap := b.Snapshot()
	assert.Positive(t, snap[tiered.Counter{Tier: "l1", Family: "all", Event: "hit"}], "B served from its L1")
	assert.Positive(t, snap[tiered.Counter{Tier: "l2", Family: "all", Event: "hit"}], "B filled its L1 from Redis")
}

// TestDeletePrefixReachesEveryInstance: the same for a prefix.
func TestDeletePrefixReachesEveryInstance(t *testing.T) {
	prefix := newPrefix()
	a, b := newInstance(t, redisURL(), prefix), newInstance(t, redisURL(), prefix)
	ctx := context.Background()
	require.NoError(t, a.Set(ctx, "club:1:rules", []byte("r"), time.Minute))
	require.NoError(t, a.Set(ctx, "club:2:rules", []byte("r"), time.Minute))
	_, hit := get(t, b, "club:1:rules")
	require.True(t, hit)
	require.NoError(t, a.DeletePrefix(ctx, "club:1:"))
	_, hit = get(t, b, "club:1:rules")
	assert.False(t, hit)
	_, hit = get(t, b, "club:2:rules")
	assert.True(t, hit)
}

// TestRedisDownAndBack stops the Redis of two instances mid-test: reads and writes go
// on without an error, and once Redis is back the instances subscribe again and
// invalidations reach every L1 again.
func TestRedisDownAndBack(t *testing.T) {
	r := redistest.Start(t)
	prefix := newPrefix()
	a, b := newInstance(t, r.URL(), prefix), newInstance(t, r.URL(), prefix)
	ctx := context.Background()
	require.NoError(t, a.Set(ctx, "k", []byte("v"), time.Minute))
	_, hit := get(t, b, "k")
	require.True(t, hit)

	r.Stop()
	require.Eventually(t, func() bool { return !a.Subscribed() && !b.Subscribed() }, 5*time.Second, 10*time.Millisecond,
		"both instances notice the lost subscription")
	// B emptied its L1 when it lost the channel: what it held may be invalidated by
	// others without its knowing.
	_, hit = get(t, b, "k")
	assert.False(t, hit)
	// Writes and reads work without an error; new L1 entries live only DegradedTTL.
	require.NoError(t, b.Set(ctx, "k", []byte("local"), time.Minute))
	got, hit := get(t, b, "k")
	assert.True(t, hit)
	assert.Equal(t, "local", got)
	require.Eventually(t, func() bool { _, hit := get(t, b, "k"); return !hit }, 5*time.Second, 20*time.Millisecond,
		"an L1 entry made without the channel expires after DegradedTTL")
	require.NoError(t, a.Delete(ctx, "other"), "an invalidation without Redis is kept for later, not an error")
	assert.Positive(t, a.Snapshot()[tiered.Counter{Tier: "pubsub", Family: "all", Event: "lost"}])
	assert.Positive(t, a.Snapshot()[tiered.Counter{Tier: "pubsub", Family: "all", Event: "deferred"}])
	assert.Positive(t, b.Snapshot()[tiered.Counter{Tier: "l2", Family: "all", Event: "skipped"}], "B did not wait on the dead Redis")

	r.Restart(t)
	require.Eventually(t, func() bool { return a.Subscribed() && b.Subscribed() }, 15*time.Second, 20*time.Millisecond,
		"both instances subscribe again")
	assert.Positive(t, b.Snapshot()[tiered.Counter{Tier: "pubsub", Family: "all", Event: "recovered"}])
	require.NoError(t, a.Set(ctx, "k", []byte("after"), time.Minute))
	got, hit = get(t, b, "k")
	require.True(t, hit)
	require.Equal(t, "after", got)
	require.NoError(t, a.Delete(ctx, "k"))
	_, hit = get(t, b, "k")
	assert.False(t, hit, "invalidation reaches B's L1 again")
}

// TestAFailedInvalidationIsSentAgain has an invalidation fail while the channel stays
// up: the next invalidation sends it first, and one left alone is sent within seconds.
func TestAFailedInvalidationIsSentAgain(t *testing.T) {
	prefix := newPrefix()
	a, b := newInstance(t, redisURL(), prefix), newInstance(t, redisURL(), prefix)
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	warm := func(key string) {
		t.Helper()
		require.NoError(t, a.Set(ctx, key, []byte("old"), time.Minute))
		_, hit := get(t, b, key)
		require.True(t, hit)
	}

	warm("k1")
	require.NoError(t, a.Delete(cancelled, "k1"), "a failed delivery is no error")
	assert.Positive(t, a.Snapshot()[tiered.Counter{Tier: "pubsub", Family: "all", Event: "deferred"}])
	require.NoError(t, a.Delete(ctx, "unrelated"))
	_, hit := get(t, b, "k1")
	assert.False(t, hit, "the next invalidation delivered the failed one first")

	warm("k2")
	require.NoError(t, a.Delete(cancelled, "k2"))
	require.Eventually(t, func() bool { _, hit := get(t, b, "k2"); return !hit }, 5*time.Second, 20*time.Millisecond,
		"a failed invalidation left alone is sent again")
}

// TestRedisBackWithOldData restarts Redis from a snapshot taken before a deletion, as a
// restart that reloads its data (or a failover) does: the deleted key comes back in
// Redis, and the instances, seeing another server, drop what the cache kept there.
func TestRedisBackWithOldData(t *testing.T) {
	r := redistest.Start(t)
	prefix := newPrefix()
	a, b := newInstance(t, r.URL(), prefix), newInstance(t, r.URL(), prefix)
	ctx := context.Background()
	require.NoError(t, a.Set(ctx, "k#gen", []byte("old"), time.Minute))
	raw, err := redis.Open(r.URL())
	require.NoError(t, err)
	require.NoError(t, raw.Save(ctx).Err(), "a snapshot with the key")
	require.NoError(t, raw.Close())
	require.NoError(t, a.Delete(ctx, "k#gen"))

	r.Stop()
	r.Restart(t) // from the snapshot: the key is back in Redis
	check, err := redis.Open(r.URL())
	require.NoError(t, err)
	defer check.Close()
	require.Eventually(t, func() bool { return a.Subscribed() && b.Subscribed() }, 15*time.Second, 20*time.Millisecond)
	n, err := check.Exists(ctx, prefix+"k#gen").Result()
	require.NoError(t, err)
	assert.Zero(t, n, "the key that came back with the snapshot is gone again")
	_, hit := get(t, b, "k#gen")
	assert.False(t, hit, "nobody serves the deleted value")
}
