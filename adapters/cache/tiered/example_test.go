package tiered_test

import (
	"context"
	"strings"
	"time"

	"github.com/matchpoint/matchpoint/adapters/cache/bigcache"
	"github.com/matchpoint/matchpoint/adapters/cache/redis"
	"github.com/matchpoint/matchpoint/adapters/cache/tiered"
)

// The tiered cache keeps an in-process cache (L1) in front of Redis (L2) and
// broadcasts invalidations so that every instance drops what another one changed.
// It owns its L1. The example needs a Redis server, so it is compiled but not run.
func ExampleNew() {
	ctx := context.Background()
	client, err := redis.Open("redis://127.0.0.1:6379/0")
	if err != nil {
		panic(err)
	}
	defer client.Close()
	l1, err := bigcache.New(bigcache.Config{LifeWindow: time.Hour})
	if err != nil {
		panic(err)
	}
	defer l1.Close()
	cache, err := tiered.New(tiered.Config{
		L1: l1, L2: redis.New(client, redis.Config{Prefix: "mp:"}),
		AckTimeout: time.Second,
		// Counters per key family, such as "club" for "club:riverside".
		Family: func(key string) string { family, _, _ := strings.Cut(key, ":"); return family },
	})
	if err != nil {
		panic(err)
	}
	defer cache.Close()
	// Until the subscription is up, invalidations from other instances cannot reach
	// this one.
	if err := cache.WaitSubscribed(ctx); err != nil {
		panic(err)
	}
	_ = cache.Set(ctx, "club:riverside", []byte("Riverside Padel"), 10*time.Minute)
}
