package catalog

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// Config tunes a Store.
type Config struct {
	// TTL bounds how long a club's configuration may stay cached; zero means 10 minutes.
	TTL time.Duration
	// DayTTL bounds how long a day's bookings and closures may stay cached; zero means
	// 1 minute.
	DayTTL time.Duration
	// Logger receives cache failures, which never fail a call; nil means slog.Default().
	Logger *slog.Logger
	// Metrics counts the lookups of each tier, the decoded values and the cache
	// (ports.CacheTierDecoded, ports.CacheTierShared), per family (Family); nil counts
	// nothing.
	Metrics ports.Metrics
}

// Store is a ports.Store that keeps the cache of its reads in step with its writes.
// Its methods of ports.Store are the wrapped store's; those that change a cached
// family also invalidate it after commit (see the package documentation).
type Store struct {
	ports.Store
	cache   ports.Cache
	clock   ports.Clock
	ttl     time.Duration
	dayTTL  time.Duration
	log     *slog.Logger
	metrics ports.Metrics
	zones   sync.Map // zone name → *time.Location
	loads   singleflight.Group
	decoded *lru.Cache[string, decodedValue]
}

// decodedEntries bounds the decoded values a process keeps: enough for the
// configuration and bookable days of a few dozen clubs.
const decodedEntries = 4096

// New returns store with its reads cached in cache; clock decides which days are
// bookable, and so cached.
func New(store ports.Store, cache ports.Cache, clock ports.Clock, cfg Config) *Store {
	if cfg.TTL == 0 {
		cfg.TTL = 10 * time.Minute
	}
	if cfg.DayTTL == 0 {
		cfg.DayTTL = time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = ports.NoMetrics{}
	}
	decoded, err := lru.New[string, decodedValue](decodedEntries)
	if err != nil {
		panic(err) // only for a size below 1
	}
	return &Store{Store: store, cache: cache, clock: clock, ttl: cfg.TTL, dayTTL: cfg.DayTTL, log: cfg.Logger, metrics: cfg.Metrics, decoded: decoded}
}

// cached returns the value of a family, loading and storing it on a miss; concurrent
// misses of one key in this process load it once. A cache error is logged and treated
// as a miss: the store is the truth.
//
// A value under a generation never changes, so the process also keeps it decoded, with
// its generation, for the value's TTL: a request reads the generation from the cache
// (which is what invalidation changes) and skips decoding the value. The process keeps
// one decoded value a family, that of the generation it read last, so the values of
// generations gone are dropped as their families are read again.
func cached[T any](ctx context.Context, s *Store, family string, ttl time.Duration, load func() (T, error)) (T, error) {
	v, _, err := cachedGen(ctx, s, family, ttl, load)
	return v, err
}

// cachedGen is cached, also returning the generation the value belongs to: "" when the
// cache is failing and the value was loaded without it.
func cachedGen[T any](ctx context.Context, s *Store, family string, ttl time.Duration, load func() (T, error)) (T, string, error) {
	var v T
	gen, ok := s.generation(ctx, family)
	if !ok {
		v, err := load()
		return v, "", err
	}
	key := family + "@" + gen
	label := Family(key)
	now := time.Now()
	if m, ok := s.decoded.Get(family); ok && m.gen == gen && now.Before(m.expires) {
		s.metrics.CacheLookup(ports.CacheTierDecoded, label, true)
		return m.value.(T), gen, nil
	}
	s.metrics.CacheLookup(ports.CacheTierDecoded, label, false)
	if b, hit, err := s.cache.Get(ctx, key); err != nil {
		s.metrics.CacheLookup(ports.CacheTierShared, label, false)
		s.log.WarnContext(ctx, "cache get failed", "key", key, "err", err)
	} else if hit {
		if err := json.Unmarshal(b, &v); err == nil {
			s.metrics.CacheLookup(ports.CacheTierShared, label, true)
			s.decoded.Add(family, decodedValue{value: v, gen: gen, expires: now.Add(ttl)})
			return v, gen, nil
		}
		s.metrics.CacheLookup(ports.CacheTierShared, label, false)
		s.log.WarnContext(ctx, "cache value undecodable", "key", key)
	} else {
		s.metrics.CacheLookup(ports.CacheTierShared, label, false)
	}
	// The callers sharing a load each decode their own copy of its encoding.
	shared, err, _ := s.loads.Do(key, func() (any, error) {
		v, err := load()
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("catalog: encode %s for the cache: %w", family, err)
		}
		if err := s.cache.Set(ctx, key, b, ttl); err != nil {
			s.log.WarnContext(ctx, "cache set failed", "key", key, "err", err)
		}
		return b, nil
	})
	if err != nil && ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// The load ran under another request's context, which ended: load for this one.
		v, err := load()
		return v, "", err
	}
	if err != nil {
		return v, "", err
	}
	if err := json.Unmarshal(shared.([]byte), &v); err != nil {
		return v, "", fmt.Errorf("catalog: decode %s: %w", family, err)
	}
	s.decoded.Add(family, decodedValue{value: v, gen: gen, expires: now.Add(ttl)})
	return v, gen, nil
}

// decodedValue is a cached value already decoded, shared by the requests that read it
// while its generation lives: nobody may modify it.
type decodedValue struct {
	value   any
	gen     string
	expires time.Time
}

// generationTTL outlives every cached value: a generation that has run out only costs
// its family one miss.
const generationTTL = 24 * time.Hour

// generation returns the current generation of a family, starting a new one if it has
// none. It must be read before the value is loaded from the store. false means the
// cache is failing: load without caching.
func (s *Store) generation(ctx context.Context, family string) (string, bool) {
	key := family + "#gen"
	b, hit, err := s.cache.Get(ctx, key)
	s.metrics.CacheLookup(ports.CacheTierShared, Family(key), hit && err == nil)
	if err != nil {
		s.log.WarnContext(ctx, "cache get failed", "key", key, "err", err)
		return "", false
	}
	if hit {
		return string(b), true
	}
	// Concurrent readers of this process start one generation between them, so that
	// they share the load of its value.
	gen, err, _ := s.loads.Do(key, func() (any, error) {
		gen := newGeneration()
		return gen, s.cache.Set(ctx, key, []byte(gen), generationTTL)
	})
	if err != nil {
		s.log.WarnContext(ctx, "cache set failed", "key", key, "err", err)
		return "", false
	}
	return gen.(string), true
}

func newGeneration() string {
	b := make([]byte, 9)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// invalidate deletes each family's generation once the surrounding transaction
// commits (at once outside one), before the write returns to its caller.
func (s *Store) invalidate(ctx context.Context, families ...string) {
	if len(families) == 0 {
		return
	}
	slices.Sort(families)
	families = slices.Compact(families) // a booking's old and new days are often the same
	keys := make([]string, len(families))
	for i, f := range families {
		keys[i] = f + "#gen"
	}
	ports.AfterCommit(ctx, func() {
		if err := s.cache.Delete(context.WithoutCancel(ctx), keys...); err != nil {
			// The old generation may be served until its values run out.
			s.log.ErrorContext(ctx, "cache invalidation failed", "families", families, "err", err)
		}
	})
}

// invalidateDays invalidates the day families of the club that iv can affect.
func (s *Store) invalidateDays(ctx context.Context, club domain.Club, ivs ...domain.Interval) {
	now := s.clock.Now()
	var keys []string
	for _, iv := range ivs {
		for _, d := range datesAffectedBy(iv, club, now) {
			keys = append(keys, dayKey(club.ID, d))
		}
	}
	s.invalidate(ctx, keys...)
}
