package fallback_test

import (
	"context"
	"fmt"
	"time"

	cache "github.com/matchpoint/matchpoint/adapters/cache/redis"
	"github.com/matchpoint/matchpoint/adapters/ratelimit/fallback"
	"github.com/matchpoint/matchpoint/adapters/ratelimit/inproc"
	"github.com/matchpoint/matchpoint/adapters/ratelimit/redis"
	"github.com/matchpoint/matchpoint/ports"
)

// The fallback asks the Redis limiter, shared by every instance, and answers from an
// in-process limiter while Redis is down. The example needs a Redis server, so it is
// compiled but not run.
func ExampleNew() {
	client, err := cache.Open("redis://127.0.0.1:6379/0")
	if err != nil {
		panic(err)
	}
	defer client.Close()
	local, err := inproc.New(inproc.Config{})
	if err != nil {
		panic(err)
	}
	limiter, err := fallback.New(fallback.Config{
		Primary:   redis.New(client, redis.Config{Prefix: "mp:"}),
		Secondary: local,
	})
	if err != nil {
		panic(err)
	}

	d, err := limiter.Allow(context.Background(), "203.0.113.7", ports.Limit{Events: 60, Per: time.Minute, Burst: 10})
	fmt.Println(d.Allowed, err, limiter.Fallbacks())
}
