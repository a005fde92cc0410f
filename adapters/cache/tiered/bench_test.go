package tiered_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	allegro "github.com/allegro/bigcache/v3"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/cache/bigcache"
	"github.com/matchpoint/matchpoint/adapters/cache/redis"
	"github.com/matchpoint/matchpoint/app"
)

// missingL1 is an L1 that never holds anything, so that every Get of a tiered cache
// over it reads L2.
type missingL1 struct{ *bigcache.Cache }

func (missingL1) Get(context.Context, string) ([]byte, bool, error)        { return nil, false, nil }
func (missingL1) Set(context.Context, string, []byte, time.Duration) error { return nil }

// BenchmarkTiers measures, in one run, an L1 hit of the tiered cache against a Get of
// bigcache itself, an L2 hit against a GET of go-redis itself (local Redis), and an
// invalidation (Delete) acknowledged by two subscribed instances. Values are of two
// sizes: 16 bytes, a generation (what every request reads in L1), and 2 KiB, a club's
// cached configuration. The tiered instances count per key family as the server does
// (app.CacheFamily).
func BenchmarkTiers(b *testing.B) {
	ctx := context.Background()
	const key = "club:01J:rules@gen"
	for _, size := range []int{16, 2048} {
		value := make([]byte, size)
		name := fmt.Sprintf("%dB/", size)
		b.Run(name+"raw-bigcache-get", func(b *testing.B) {
			bc, err := allegro.New(ctx, allegro.DefaultConfig(10*time.Minute))
			require.NoError(b, err)
			defer bc.Close()
			require.NoError(b, bc.Set(key, value))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.Get(key); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"l1-hit", func(b *testing.B) {
			l1, err := bigcache.New(bigcache.Config{})
			require.NoError(b, err)
			defer l1.Close()
			c := newInstanceOver(b, l1, redisURL(), newPrefix(), app.CacheFamily) // as the server counts
			require.NoError(b, c.Set(ctx, key, value, time.Hour))
			b.ReportAllocs()
			for b.Loop() {
				if _, hit, _ := c.Get(ctx, key); !hit {
					b.Fatal("miss")
				}
			}
		})
		b.Run(name+"raw-go-redis-get", func(b *testing.B) {
			rdb, err := redis.Open(redisURL())
			require.NoError(b, err)
			defer rdb.Close()
			full := newPrefix() + key
			require.NoError(b, rdb.Set(ctx, full, value, time.Hour).Err())
			defer rdb.Del(ctx, full)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := rdb.Get(ctx, full).Bytes(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"l2-hit", func(b *testing.B) {
			l1, err := bigcache.New(bigcache.Config{})
			require.NoError(b, err)
			defer l1.Close()
			c := newInstanceOver(b, missingL1{l1}, redisURL(), newPrefix(), app.CacheFamily)
			require.NoError(b, c.Set(ctx, key, value, time.Hour))
			b.ReportAllocs()
			for b.Loop() {
				if _, hit, _ := c.Get(ctx, key); !hit {
					b.Fatal("miss")
				}
			}
		})
	}
	b.Run("invalidate-two-instances", func(b *testing.B) {
		prefix := newPrefix()
		a := newInstance(b, redisURL(), prefix)
		newInstance(b, redisURL(), prefix)
		b.ReportAllocs()
		for b.Loop() {
			if err := a.Delete(ctx, "club:01J:rules#gen"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
