package bigcache_test

import (
	"context"
	"fmt"
	"time"

	"github.com/matchpoint/matchpoint/adapters/cache/bigcache"
)

// The bigcache adapter is a ports.Cache in process memory, bounded in size and in
// the life of its entries. Close it to stop its background clean-up.
func ExampleNew() {
	ctx := context.Background()
	cache, err := bigcache.New(bigcache.Config{LifeWindow: time.Hour, MaxSizeMB: 64})
	if err != nil {
		panic(err)
	}
	defer cache.Close()

	if err := cache.Set(ctx, "club:riverside", []byte("Riverside Padel"), 10*time.Minute); err != nil {
		panic(err)
	}
	v, ok, err := cache.Get(ctx, "club:riverside")
	fmt.Println(string(v), ok, err)

	// Invalidating a family of keys at once.
	if err := cache.DeletePrefix(ctx, "club:"); err != nil {
		panic(err)
	}
	_, ok, _ = cache.Get(ctx, "club:riverside")
	fmt.Println(ok)
	// Output:
	// Riverside Padel true <nil>
	// false
}
