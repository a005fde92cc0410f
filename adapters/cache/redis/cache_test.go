package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/cache/redis"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/cachetest"
)

// redisURL is the server the tests use; MATCHPOINT_TEST_REDIS_URL overrides it. Each
// cache gets a key prefix of its own, removed at the end.
func redisURL() string {
	if u := os.Getenv("MATCHPOINT_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

func newCache(t *testing.T) *redis.Cache {
	t.Helper()
	rdb, err := redis.Open(redisURL())
	require.NoError(t, err)
	require.NoError(t, rdb.Ping(t.Context()).Err(), "the local Redis server must run (make services)")
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	c := redis.New(rdb, redis.Config{Prefix: "mp-test-" + hex.EncodeToString(b) + ":"})
	t.Cleanup(func() {
		_ = c.DeletePrefix(context.Background(), "")
		_ = rdb.Close()
	})
	return c
}

func TestContract(t *testing.T) {
	cachetest.Run(t, func(t *testing.T) ports.Cache { return newCache(t) })
}

// Keys are stored under the prefix, and a prefix with glob characters deletes only
// what it names.
func TestKeysAreNamespaced(t *testing.T) {
	ctx := t.Context()
	c := newCache(t)
	require.NoError(t, c.Set(ctx, "a*", []byte("1"), time.Minute))
	require.NoError(t, c.Set(ctx, "ab", []byte("2"), time.Minute))
	n, err := c.Client().Exists(ctx, c.Key("a*"), c.Key("ab")).Result()
	require.NoError(t, err)
	assert.Equal(t, int64(2), n)

	require.NoError(t, c.DeletePrefix(ctx, "a*"))
	_, hit, err := c.Get(ctx, "a*")
	require.NoError(t, err)
	assert.False(t, hit)
	_, hit, err = c.Get(ctx, "ab")
	require.NoError(t, err)
	assert.True(t, hit, "the * of the prefix is a character, not a wildcard")
}
