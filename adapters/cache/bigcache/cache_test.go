package bigcache_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/cache/bigcache"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/cachetest"
	"github.com/matchpoint/matchpoint/ports/clocktest"
)

var _ ports.Cache = (*bigcache.Cache)(nil)

func newCache(t *testing.T, cfg bigcache.Config) *bigcache.Cache {
	t.Helper()
	c, err := bigcache.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestContract(t *testing.T) {
	cachetest.Run(t, func(t *testing.T) ports.Cache { return newCache(t, bigcache.Config{}) })
}

func newFakeClock() *clocktest.Clock {
	return clocktest.New(time.Date(2030, 1, 5, 18, 0, 0, 0, time.UTC))
}

func hit(t *testing.T, c *bigcache.Cache, key string) bool {
	t.Helper()
	_, ok, err := c.Get(context.Background(), key)
	require.NoError(t, err)
	return ok
}

func TestTTLShorterThanLifeWindowHolds(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	c := newCache(t, bigcache.Config{LifeWindow: 10 * time.Minute, Now: clock.Now})
	ctx := context.Background()
	require.NoError(t, c.Set(ctx, "short", []byte("v"), 30*time.Second))
	require.NoError(t, c.Set(ctx, "long", []byte("v"), 5*time.Minute))

	clock.Advance(29 * time.Second)
	assert.True(t, hit(t, c, "short"), "expired before its TTL")

	clock.Advance(time.Second)
	assert.False(t, hit(t, c, "short"), "outlived its TTL")
	assert.True(t, hit(t, c, "long"))

	clock.Advance(5 * time.Minute)
	assert.False(t, hit(t, c, "long"))
}

func TestTTLIsCutToLifeWindow(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	c := newCache(t, bigcache.Config{LifeWindow: time.Minute, Now: clock.Now})
	require.NoError(t, c.Set(context.Background(), "k", []byte("v"), time.Hour))

	clock.Advance(59 * time.Second)
	assert.True(t, hit(t, c, "k"))
	clock.Advance(time.Second)
	assert.False(t, hit(t, c, "k"))
}

func TestInvalidationOutlivesForgottenMarks(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	c := newCache(t, bigcache.Config{LifeWindow: time.Minute, Now: clock.Now})
	ctx := context.Background()
	require.NoError(t, c.Set(ctx, "club:1:rules", []byte("old"), time.Hour))
	require.NoError(t, c.DeletePrefix(ctx, "club:1:"))

	// Past the window the mark on club:1: is forgotten by the next DeletePrefix; the
	// value it hid has passed its deadline by then and stays a miss.
	clock.Advance(61 * time.Second)
	require.NoError(t, c.DeletePrefix(ctx, "club:2:"))
	assert.False(t, hit(t, c, "club:1:rules"))

	require.NoError(t, c.Set(ctx, "club:1:rules", []byte("new"), time.Hour))
	assert.True(t, hit(t, c, "club:1:rules"))
}

func TestDeletePrefixKeepsMarksWithinTheWindow(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	c := newCache(t, bigcache.Config{LifeWindow: time.Minute, Now: clock.Now})
	ctx := context.Background()
	require.NoError(t, c.Set(ctx, "club:1:rules", []byte("old"), time.Minute))
	require.NoError(t, c.DeletePrefix(ctx, "club:1:"))

	clock.Advance(30 * time.Second)
	require.NoError(t, c.DeletePrefix(ctx, "club:2:"))

	assert.False(t, hit(t, c, "club:1:rules"), "a mark was forgotten while a value it hides was alive")
}

func TestSetRefusesBadInput(t *testing.T) {
	t.Parallel()
	c := newCache(t, bigcache.Config{})
	ctx := context.Background()

	for _, ttl := range []time.Duration{0, -time.Second} {
		err := c.Set(ctx, "k", []byte("v"), ttl)
		assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), "ttl %s", ttl)
	}
	err := c.Set(ctx, string(make([]byte, 1<<16)), []byte("v"), time.Minute)
	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err))
	assert.False(t, hit(t, c, "k"))
}

func TestMaxSizeRefusesValuesLargerThanAShard(t *testing.T) {
	t.Parallel()
	c := newCache(t, bigcache.Config{Shards: 4, MaxSizeMB: 1})
	ctx := context.Background()

	assert.Error(t, c.Set(ctx, "big", make([]byte, 512<<10), time.Minute))
	assert.NoError(t, c.Set(ctx, "small", make([]byte, 1<<10), time.Minute))
	assert.True(t, hit(t, c, "small"))
}

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]bigcache.Config{
		"shards not a power of two": {Shards: 3},
		"negative shards":           {Shards: -4},
		"life window under 1s":      {LifeWindow: 500 * time.Millisecond},
		"negative max entry size":   {MaxEntrySize: -1},
		"negative max size":         {MaxSizeMB: -1},
	} {
		_, err := bigcache.New(cfg)
		assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), name)
	}
}

func TestProvideClosesOnCleanup(t *testing.T) {
	t.Parallel()
	c, cleanup, err := bigcache.Provide(bigcache.Config{})
	require.NoError(t, err)
	require.NoError(t, c.Set(context.Background(), "k", []byte("v"), time.Minute))
	cleanup()
	assert.NoError(t, c.Close(), "closing twice is harmless")
}
