// Package inproc is a ports.RateLimiter in the process's memory, on golang.org/x/time/rate
// (a token bucket, which allows exactly what GCRA allows). Each (key, limit) pair has a
// bucket of its own, kept in a least-recently-used map of at most Config.MaxKeys
// buckets, so that the many client addresses a public server sees cannot grow its memory
// without bound: when the map is full, the bucket used least recently is forgotten, and
// its key starts full if it comes back.
//
// A limiter counts the requests of one process only: behind several instances each
// allows the whole limit. The Redis limiter (adapters/ratelimit/redis) shares one count
// between instances; this one stands alone, or in for Redis while it is down
// (adapters/ratelimit/fallback).
//
// The package imports ports, domain, x/time/rate, golang-lru and the standard library;
// it must not import another adapter.
package inproc

import (
	"context"
	"math"
	"strconv"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// DefaultMaxKeys is the number of buckets a Limiter keeps when Config.MaxKeys is zero.
// A bucket takes about 200 bytes with its key, so the default bounds the map to a few
// MiB.
const DefaultMaxKeys = 10_000

// Config configures a Limiter. The zero value keeps DefaultMaxKeys buckets on the
// system clock.
type Config struct {
	// MaxKeys bounds how many (key, limit) buckets are kept; beyond it the least
	// recently used is forgotten. It should exceed the number of clients active
	// within one period of the limits, or a forgotten client gets a fresh burst. Zero
	// means DefaultMaxKeys; a negative value is an invalid error.
	MaxKeys int
	// Clock tells the time the buckets refill by. Nil means ports.SystemClock.
	Clock ports.Clock
}

// Limiter is a ports.RateLimiter in memory. It is safe for concurrent use.
type Limiter struct {
	clock   ports.Clock
	buckets *lru.Cache[string, *bucket]
	mu      sync.Mutex // serialises creating a bucket, so that two callers share it
}

var _ ports.RateLimiter = (*Limiter)(nil)

// bucket is the token bucket of one (key, limit) pair. Its mutex makes taking a token
// and reading what is left one step.
type bucket struct {
	mu  sync.Mutex
	lim *rate.Limiter
}

// New returns an empty limiter.
func New(cfg Config) (*Limiter, error) {
	if cfg.MaxKeys < 0 {
		return nil, domain.Errorf(domain.CodeInvalid, "inproc rate limiter: MaxKeys %d must not be negative", cfg.MaxKeys)
	}
	if cfg.MaxKeys == 0 {
		cfg.MaxKeys = DefaultMaxKeys
	}
	if cfg.Clock == nil {
		cfg.Clock = ports.SystemClock{}
	}
	buckets, err := lru.New[string, *bucket](cfg.MaxKeys)
	if err != nil {
		return nil, err
	}
	return &Limiter{clock: cfg.Clock, buckets: buckets}, nil
}

// Len returns how many buckets the limiter holds, at most Config.MaxKeys.
func (l *Limiter) Len() int { return l.buckets.Len() }

// Allow takes a token from the bucket of (key, limit), if it has one.
func (l *Limiter) Allow(_ context.Context, key string, limit ports.Limit) (ports.Decision, error) {
	if err := ports.CheckRateLimit(key, limit); err != nil {
		return ports.Decision{}, err
	}
	b := l.bucket(key, limit)
	perSecond := float64(limit.Events) / limit.Per.Seconds()
	seconds := func(tokens float64) time.Duration {
		return time.Duration(math.Ceil(tokens / perSecond * float64(time.Second)))
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	now := l.clock.Now()
	d := ports.Decision{Limit: limit, Allowed: b.lim.AllowN(now, 1)}
	// A whisker below a whole token counts as the token, so that float rounding
	// does not report 4 remaining where 5 are.
	tokens := b.lim.TokensAt(now)
	if whole := math.Round(tokens); math.Abs(tokens-whole) < 1e-9 {
		tokens = whole
	}
	if d.Allowed {
		d.Remaining = int(math.Floor(tokens))
	} else {
		d.RetryAfter = max(seconds(1-tokens), 1)
	}
	d.ResetAfter = max(seconds(float64(limit.Burst)-tokens), 0)
	return d, nil
}

// bucket returns the bucket of (key, limit), making it full if there is none.
func (l *Limiter) bucket(key string, limit ports.Limit) *bucket {
	id := strconv.Itoa(limit.Events) + "/" + strconv.FormatInt(int64(limit.Per), 10) + "/" + strconv.Itoa(limit.Burst) + ":" + key
	if b, ok := l.buckets.Get(id); ok {
		return b
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.buckets.Get(id); ok {
		return b
	}
	b := &bucket{lim: rate.NewLimiter(rate.Limit(float64(limit.Events)/limit.Per.Seconds()), limit.Burst)}
	l.buckets.Add(id, b)
	return b
}
