// Package fallback is a ports.RateLimiter that asks a primary limiter (the Redis one,
// shared by every instance) and, while the primary fails, answers from a secondary
// (the in-process one), so that an outage of Redis neither stops the requests nor
// lifts the limits: each instance then limits on its own count, which allows up to
// the limit per instance instead of per deployment.
//
// An outage is logged once when it starts, with its cause, and once when the primary
// answers again, with how many calls the secondary answered meanwhile. While it lasts
// the primary is tried again by one call every Config.Probe; the other calls go
// straight to the secondary, so that a server that hangs slows no more than those
// probes, each bounded by Config.Timeout. Fallbacks and Outages are counters for
// metrics.
//
// The package builds on the ports.RateLimiter interface only: it imports ports,
// domain and the standard library, and no other adapter (the composition root hands
// it the two limiters).
package fallback

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// Defaults of Config.
const (
	DefaultTimeout = 250 * time.Millisecond
	DefaultProbe   = time.Second
)

// Config configures a Limiter. Primary and Secondary are required; the zero value of
// every other field is its documented default.
type Config struct {
	// Primary answers while it can: the Redis limiter.
	Primary ports.RateLimiter
	// Secondary answers while the primary fails: the in-process limiter.
	Secondary ports.RateLimiter
	// Timeout bounds a call of the primary (within the caller's own deadline); a
	// primary that has not answered by then has failed. Zero means DefaultTimeout.
	Timeout time.Duration
	// Probe is how often, during an outage, one call tries the primary again. Zero
	// means DefaultProbe.
	Probe time.Duration
	// Logger receives the start and the end of each outage; nil means
	// slog.Default().
	Logger *slog.Logger
}

// Limiter is the fallback ports.RateLimiter. It is safe for concurrent use.
type Limiter struct {
	primary, secondary ports.RateLimiter
	timeout, probe     time.Duration
	log                *slog.Logger

	fallbacks atomic.Uint64
	outages   atomic.Uint64
	down      atomic.Bool // an outage is on; mu guards its details

	mu        sync.Mutex
	since     time.Time // the outage's start
	atStart   uint64    // fallbacks when it started
	nextProbe time.Time // when a call may try the primary again
}

var _ ports.RateLimiter = (*Limiter)(nil)

// New returns a limiter over cfg.Primary and cfg.Secondary; without either, or with a
// negative duration, it returns an invalid error.
func New(cfg Config) (*Limiter, error) {
	if cfg.Primary == nil || cfg.Secondary == nil {
		return nil, domain.Errorf(domain.CodeInvalid, "fallback rate limiter: Primary and Secondary are required")
	}
	if cfg.Timeout < 0 || cfg.Probe < 0 {
		return nil, domain.Errorf(domain.CodeInvalid, "fallback rate limiter: Timeout and Probe must not be negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Probe == 0 {
		cfg.Probe = DefaultProbe
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Limiter{primary: cfg.Primary, secondary: cfg.Secondary, timeout: cfg.Timeout, probe: cfg.Probe, log: cfg.Logger}, nil
}

// Fallbacks returns how many calls the secondary has answered since New.
func (l *Limiter) Fallbacks() uint64 { return l.fallbacks.Load() }

// Outages returns how many outages of the primary have started since New.
func (l *Limiter) Outages() uint64 { return l.outages.Load() }

// Degraded reports whether an outage of the primary is on: the secondary answers.
func (l *Limiter) Degraded() bool { return l.down.Load() }

// Allow asks the primary and, if it fails, the secondary. An invalid key or limit is
// refused without asking either; a caller's context that ends during the primary's
// call ends the call with the context's error.
func (l *Limiter) Allow(ctx context.Context, key string, limit ports.Limit) (ports.Decision, error) {
	if err := ports.CheckRateLimit(key, limit); err != nil {
		return ports.Decision{}, err
	}
	if l.tryPrimary() {
		pctx, cancel := context.WithTimeout(ctx, l.timeout)
		d, err := l.primary.Allow(pctx, key, limit)
		cancel()
		if err == nil {
			l.recovered()
			return d, nil
		}
		if ctx.Err() != nil {
			return ports.Decision{}, ctx.Err()
		}
		var de *domain.Error
		if errors.As(err, &de) && de.Kind() == domain.KindInvalid {
			return ports.Decision{}, err // the primary refused the input: the secondary would too
		}
		l.failed(err)
	}
	l.fallbacks.Add(1)
	return l.secondary.Allow(ctx, key, limit)
}

// tryPrimary tells whether this call asks the primary: always outside an outage,
// during one a single call every probe interval.
func (l *Limiter) tryPrimary() bool {
	if !l.down.Load() {
		return true
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.down.Load() || !now.Before(l.nextProbe) {
		l.nextProbe = now.Add(l.probe)
		return true
	}
	return false
}

// failed records a failure of the primary, logging it if it starts an outage.
func (l *Limiter) failed(err error) {
	now := time.Now()
	l.mu.Lock()
	l.nextProbe = now.Add(l.probe)
	if l.down.Load() {
		l.mu.Unlock()
		return
	}
	l.down.Store(true)
	l.since, l.atStart = now, l.fallbacks.Load()
	l.outages.Add(1)
	l.mu.Unlock()
	l.log.Warn("rate limiter: the primary limiter failed; the secondary answers until it recovers",
		slog.Any("err", err), slog.Duration("probe", l.probe))
}

// recovered ends the outage, if one is on, and logs how long it lasted.
func (l *Limiter) recovered() {
	if !l.down.Load() {
		return
	}
	l.mu.Lock()
	if !l.down.Load() {
		l.mu.Unlock()
		return
	}
	l.down.Store(false)
	lasted, answered := time.Since(l.since), l.fallbacks.Load()-l.atStart
	l.mu.Unlock()
	l.log.Info("rate limiter: the primary limiter answers again",
		slog.Duration("outage", lasted.Round(time.Millisecond)), slog.Uint64("fallbacks", answered))
}
