package inproc_test

import (
	"context"
	"fmt"
	"time"

	"github.com/matchpoint/matchpoint/adapters/ratelimit/inproc"
	"github.com/matchpoint/matchpoint/ports"
)

// The in-process limiter allows a burst at once, then the rate; each client address
// is a key of its own.
func ExampleNew() {
	limiter, err := inproc.New(inproc.Config{MaxKeys: 50_000})
	if err != nil {
		panic(err)
	}
	limit := ports.Limit{Events: 2, Per: time.Minute, Burst: 2}
	for range 3 {
		d, _ := limiter.Allow(context.Background(), "203.0.113.7", limit)
		fmt.Println(d.Allowed, d.Remaining, d.RetryAfter > 0)
	}
	d, _ := limiter.Allow(context.Background(), "198.51.100.1", limit)
	fmt.Println(d.Allowed, d.Remaining)
	// Output:
	// true 1 false
	// true 0 false
	// false 0 true
	// true 1
}
