package redis_test

import (
	"context"
	"fmt"
	"time"

	cache "github.com/matchpoint/matchpoint/adapters/cache/redis"
	"github.com/matchpoint/matchpoint/adapters/ratelimit/redis"
	"github.com/matchpoint/matchpoint/ports"
)

// The Redis limiter shares each client's budget between every instance of a
// deployment. The example needs a Redis server, so it is compiled but not run.
func ExampleNew() {
	client, err := cache.Open("redis://127.0.0.1:6379/0")
	if err != nil {
		panic(err)
	}
	defer client.Close()
	limiter := redis.New(client, redis.Config{Prefix: "mp:"})

	d, err := limiter.Allow(context.Background(), "203.0.113.7", ports.Limit{Events: 60, Per: time.Minute, Burst: 10})
	if err != nil {
		panic(err) // Redis is down: see adapters/ratelimit/fallback
	}
	fmt.Println(d.Allowed, d.Remaining)
}
