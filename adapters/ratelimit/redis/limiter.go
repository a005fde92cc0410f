// Package redis is a ports.RateLimiter on Redis, with the GCRA script of
// github.com/go-redis/redis_rate/v10 over github.com/redis/go-redis/v9: every instance
// that uses the same server and prefix shares one budget per (key, limit), so a limit
// holds for a whole deployment rather than per process. The script reads the server's
// clock, so the instances' clocks do not matter.
//
// A key's state is one number (its theoretical arrival time) that expires once the
// budget is full again, so Redis holds only the keys active within their period. It is
// stored under "rate:" + Config.Prefix + the limit + ":" + key.
//
// When Redis cannot be reached, Allow returns an error; adapters/ratelimit/fallback
// answers from an in-process limiter meanwhile.
//
// The package imports ports, domain, go-redis, redis_rate and the standard library; it
// must not import another adapter.
package redis

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/go-redis/redis_rate/v10"
	goredis "github.com/redis/go-redis/v9"

	"github.com/matchpoint/matchpoint/ports"
)

// Config configures a Limiter. The zero value stores keys with no prefix of its own
// (beyond redis_rate's "rate:").
type Config struct {
	// Prefix is put before every key (for example "mp:"), so that several
	// applications or test runs share one server without meeting. Empty means none.
	Prefix string
}

// Limiter is a ports.RateLimiter on a Redis server. It is safe for concurrent use;
// closing the client is the caller's business.
type Limiter struct {
	rl     *redis_rate.Limiter
	prefix string
}

var _ ports.RateLimiter = (*Limiter)(nil)

// New returns a limiter keeping its state in rdb, a client it needs and cannot
// default (adapters/cache/redis.Open makes one from a URL).
func New(rdb goredis.UniversalClient, cfg Config) *Limiter {
	return &Limiter{rl: redis_rate.NewLimiter(rdb), prefix: cfg.Prefix}
}

// Key returns the key, after redis_rate's "rate:", under which the state of (key,
// limit) is stored.
func (l *Limiter) Key(key string, limit ports.Limit) string {
	return l.prefix + strconv.Itoa(limit.Events) + "/" + strconv.FormatInt(int64(limit.Per), 10) + "/" + strconv.Itoa(limit.Burst) + ":" + key
}

// Allow runs one step of GCRA for (key, limit) on the server.
func (l *Limiter) Allow(ctx context.Context, key string, limit ports.Limit) (ports.Decision, error) {
	if err := ports.CheckRateLimit(key, limit); err != nil {
		return ports.Decision{}, err
	}
	res, err := l.rl.Allow(ctx, l.Key(key, limit), redis_rate.Limit{Rate: limit.Events, Burst: limit.Burst, Period: limit.Per})
	if err != nil {
		return ports.Decision{}, fmt.Errorf("redis rate limiter: %w", err)
	}
	d := ports.Decision{Limit: limit, Allowed: res.Allowed > 0, ResetAfter: max(res.ResetAfter, 0)}
	if d.Allowed {
		d.Remaining = remaining(limit, d.ResetAfter)
	} else {
		d.RetryAfter = max(res.RetryAfter, 1)
	}
	return d, nil
}

// remaining is how many tokens are left when the budget is full again after
// resetAfter: Burst less the tokens still out, each an Interval. The script's own
// count truncates a float (3.9999999 tokens reads as 3); this one forgives that
// rounding.
func remaining(limit ports.Limit, resetAfter time.Duration) int {
	out := math.Ceil(float64(resetAfter)/float64(limit.Per)*float64(limit.Events) - 1e-6)
	return min(max(limit.Burst-int(out), 0), limit.Burst-1)
}
