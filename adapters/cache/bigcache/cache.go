package bigcache

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/allegro/bigcache/v3"
	"github.com/google/wire"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// ProviderSet provides a *Cache as ports.Cache from a Config; the injector's cleanup
// closes it.
var ProviderSet = wire.NewSet(Provide, wire.Bind(new(ports.Cache), new(*Cache)))

// Defaults for the zero values of Config.
const (
	DefaultShards       = 64
	DefaultLifeWindow   = 10 * time.Minute
	DefaultMaxEntrySize = 1024
)

// maxKeyLen is the longest key bigcache can store: it keeps the length in 16 bits.
const maxKeyLen = 1<<16 - 1

// Config configures a Cache. The zero value is a usable cache.
type Config struct {
	// Shards is the number of independently locked shards, a power of two. Zero means
	// DefaultShards.
	Shards int
	// LifeWindow is the longest an entry lives: bigcache evicts entries this long after
	// they were written, and a longer TTL is cut to it. It must be at least a second,
	// since bigcache counts whole seconds. Zero means DefaultLifeWindow.
	LifeWindow time.Duration
	// MaxEntrySize is the expected size of a value in bytes; bigcache uses it to size
	// its shards up front, and larger values are still stored. Zero means
	// DefaultMaxEntrySize.
	MaxEntrySize int
	// MaxSizeMB bounds the memory of the entries in megabytes; once it is reached the
	// oldest entries make room for new ones, and a value larger than a shard's share
	// of it is refused. Zero means no bound.
	MaxSizeMB int
	// Now returns the current time for entries' deadlines. Nil means the monotonic
	// clock; tests pass a fake to expire entries without waiting.
	Now func() time.Time
}

// Cache is a ports.Cache in process memory. It is safe for concurrent use. Close it
// to stop its background clean-up.
type Cache struct {
	bc     *bigcache.BigCache
	now    func() time.Time // nil: the monotonic clock
	base   time.Time        // the instant clock counts from
	window time.Duration

	seq   atomic.Uint64             // the write sequence shared by Set and DeletePrefix
	marks atomic.Pointer[markTable] // never nil
	mu    sync.Mutex                // serialises writers of marks

	closeOnce sync.Once
}

// markTable is an immutable set of invalidation marks.
type markTable struct {
	all      uint64 // the mark of the empty prefix, kept apart since it is checked on every Get
	byPrefix map[string]mark
	lengths  []int // the distinct lengths of the prefixes, ascending
}

// mark hides values under a prefix written with a sequence number below seq.
type mark struct {
	seq uint64
	at  int64 // when it was made (clock); it can hide nothing after at plus the life window
}

// New returns an empty cache configured by cfg.
func New(cfg Config) (*Cache, error) {
	if cfg.Shards == 0 {
		cfg.Shards = DefaultShards
	}
	if cfg.LifeWindow == 0 {
		cfg.LifeWindow = DefaultLifeWindow
	}
	if cfg.MaxEntrySize == 0 {
		cfg.MaxEntrySize = DefaultMaxEntrySize
	}
	switch {
	case cfg.Shards < 0 || bits.OnesCount(uint(cfg.Shards)) != 1:
		return nil, domain.Errorf(domain.CodeInvalid, "bigcache: shards %d must be a power of two", cfg.Shards)
	case cfg.LifeWindow < time.Second:
		return nil, domain.Errorf(domain.CodeInvalid, "bigcache: life window %s must be at least 1s", cfg.LifeWindow)
	case cfg.MaxEntrySize < 0:
		return nil, domain.Errorf(domain.CodeInvalid, "bigcache: max entry size %d must not be negative", cfg.MaxEntrySize)
	case cfg.MaxSizeMB < 0:
		return nil, domain.Errorf(domain.CodeInvalid, "bigcache: max size %d MB must not be negative", cfg.MaxSizeMB)
	}

	bcfg := bigcache.DefaultConfig(cfg.LifeWindow)
	bcfg.Shards = cfg.Shards
	bcfg.CleanWindow = cleanWindow(cfg.LifeWindow)
	bcfg.MaxEntrySize = cfg.MaxEntrySize + headerLen
	bcfg.MaxEntriesInWindow = cfg.Shards * 16
	bcfg.HardMaxCacheSize = cfg.MaxSizeMB
	bcfg.Verbose = false
	bc, err := bigcache.New(context.Background(), bcfg)
	if err != nil {
		return nil, fmt.Errorf("bigcache: %w", err)
	}

	c := &Cache{bc: bc, now: cfg.Now, base: time.Now(), window: cfg.LifeWindow}
	if cfg.Now != nil {
		c.base = cfg.Now()
	}
	c.marks.Store(&markTable{})
	return c, nil
}

// Provide is New for Wire: it returns the cache with a cleanup that closes it.
func Provide(cfg Config) (*Cache, func(), error) {
	c, err := New(cfg)
	if err != nil {
		return nil, nil, err
	}
	return c, func() { _ = c.Close() }, nil
}

// cleanWindow is how often bigcache sweeps expired entries: often enough that memory
// is returned soon after the window ends, rarely enough to cost nothing.
func cleanWindow(life time.Duration) time.Duration {
	return min(max(life/2, time.Second), time.Minute)
}

// Close stops the background clean-up. The cache must not be used afterwards.
func (c *Cache) Close() error {
	c.closeOnce.Do(func() { _ = c.bc.Close() })
	return nil
}

// An entry is the value with a header: the deadline on the cache's clock and the write
// sequence number, both big-endian.
//
// The clock counts nanoseconds since the cache was made, on the monotonic clock: entries
// live in this process only, and reading it costs half of reading the wall clock, which
// matters on a path that takes a fraction of a microsecond.
const headerLen = 16

// clock returns the cache's time in nanoseconds since it was made.
func (c *Cache) clock() int64 {
	if c.now != nil {
		return int64(c.now().Sub(c.base))
	}
	return int64(time.Since(c.base))
}

// Get returns the value of key, or a miss when it is absent, past its deadline or
// invalidated by DeletePrefix.
func (c *Cache) Get(_ context.Context, key string) ([]byte, bool, error) {
	raw, err := c.bc.Get(key)
	if errors.Is(err, bigcache.ErrEntryNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("bigcache: get %q: %w", key, err)
	}
	if len(raw) < headerLen {
		return nil, false, nil
	}
	deadline := int64(binary.BigEndian.Uint64(raw[0:8]))
	if c.clock() >= deadline {
		return nil, false, nil
	}
	if c.invalidated(key, binary.BigEndian.Uint64(raw[8:16])) {
		return nil, false, nil
	}
	// bigcache copies on read, so the caller owns raw.
	return raw[headerLen:], true, nil
}

// invalidated reports whether a mark on a prefix of key hides a value written with seq.
func (c *Cache) invalidated(key string, seq uint64) bool {
	t := c.marks.Load()
	if seq < t.all {
		return true
	}
	for _, n := range t.lengths {
		if n > len(key) {
			break
		}
		if m, ok := t.byPrefix[key[:n]]; ok && seq < m.seq {
			return true
		}
	}
	return false
}

// Set stores value under key until ttl has passed (at most the life window).
func (c *Cache) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	if ttl <= 0 {
		return domain.Errorf(domain.CodeInvalid, "bigcache: ttl %s of %q must be positive", ttl, key)
	}
	if len(key) > maxKeyLen {
		return domain.Errorf(domain.CodeInvalid, "bigcache: key of %d bytes is longer than %d", len(key), maxKeyLen)
	}
	// The time is read before the sequence number is drawn: a mark that hides this
	// value then has a time no earlier than it, which lets DeletePrefix forget marks.
	deadline := c.clock() + int64(min(ttl, c.window))
	entry := make([]byte, headerLen+len(value))
	binary.BigEndian.PutUint64(entry[0:8], uint64(deadline))
	binary.BigEndian.PutUint64(entry[8:16], c.seq.Add(1))
	copy(entry[headerLen:], value)
	if err := c.bc.Set(key, entry); err != nil {
		return fmt.Errorf("bigcache: set %q: %w", key, err)
	}
	return nil
}

// Delete removes keys.
func (c *Cache) Delete(_ context.Context, keys ...string) error {
	for _, k := range keys {
		if err := c.bc.Delete(k); err != nil && !errors.Is(err, bigcache.ErrEntryNotFound) {
			return fmt.Errorf("bigcache: delete %q: %w", k, err)
		}
	}
	return nil
}

// DeletePrefix hides every value stored under prefix before it was called (see the
// package documentation). The empty prefix also empties the cache.
func (c *Cache) DeletePrefix(_ context.Context, prefix string) error {
	c.mu.Lock()
	defer c.mu.Unlock()

	// The sequence number is drawn before the time is read, so that every value the
	// mark hides read its deadline's base time no later than the mark's time.
	seq := c.seq.Add(1)
	now := c.clock()
	old := c.marks.Load()
	t := &markTable{all: old.all, byPrefix: make(map[string]mark, len(old.byPrefix)+1)}
	for p, m := range old.byPrefix {
		// Every value m hides has a deadline at most m.at plus the window; past that,
		// the deadline check hides it anyway.
		if now-m.at <= int64(c.window) {
			t.byPrefix[p] = m
		}
	}
	if prefix == "" {
		t.all = seq // it hides every value written before it, forever
	} else {
		t.byPrefix[prefix] = mark{seq: seq, at: now}
	}
	for p := range t.byPrefix {
		t.lengths = append(t.lengths, len(p))
	}
	slices.Sort(t.lengths)
	t.lengths = slices.Compact(t.lengths)
	c.marks.Store(t)

	if prefix == "" {
		// Free the memory now; the mark already hides what a concurrent Set adds.
		if err := c.bc.Reset(); err != nil {
			return fmt.Errorf("bigcache: reset: %w", err)
		}
	}
	return nil
}
