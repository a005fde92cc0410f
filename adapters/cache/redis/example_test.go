package redis_test

import (
	"context"
	"fmt"
	"time"

	"github.com/matchpoint/matchpoint/adapters/cache/redis"
)

// The Redis adapter is a ports.Cache shared by every instance of a deployment. Open
// makes a client from a URL without connecting; New stores the keys under a prefix,
// so that several applications can share a server. The example needs a Redis
// server, so it is compiled but not run.
func ExampleNew() {
	ctx := context.Background()
	client, err := redis.Open("redis://127.0.0.1:6379/0")
	if err != nil {
		panic(err)
	}
	defer client.Close()
	cache := redis.New(client, redis.Config{Prefix: "mp:"})

	if err := cache.Set(ctx, "club:riverside", []byte("Riverside Padel"), 10*time.Minute); err != nil {
		panic(err)
	}
	v, ok, err := cache.Get(ctx, "club:riverside") // stored under "mp:club:riverside"
	fmt.Println(string(v), ok, err, cache.Key("club:riverside"))
}

// Open reads a redis:// or rediss:// (TLS) URL, with its password and database, and
// returns a client that connects on its first command.
func ExampleOpen() {
	client, err := redis.Open("rediss://:a-password@cache.example.com:6380/2")
	if err != nil {
		panic(err)
	}
	defer client.Close()
	opts := client.Options()
	fmt.Println(opts.Addr, opts.DB, opts.TLSConfig != nil)
	// Output:
	// cache.example.com:6380 2 true
}
