// Package redis is a ports.Cache on Redis (github.com/redis/go-redis/v9), shared by
// every process that uses the same server and key prefix. It is the L2 tier of the
// tiered cache, and a cache of its own for a deployment that wants no in-process tier.
//
// The package imports ports, domain, go-redis and the standard library; it must not
// import another adapter.
package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// Cache is a ports.Cache on a Redis server. Every key is stored under a prefix, so that
// several applications (or test runs) share one server without meeting. It is safe for
// concurrent use; closing the client is the caller's business.
type Cache struct {
	rdb    goredis.UniversalClient
	prefix string
}

var _ ports.Cache = (*Cache)(nil)

// Config configures a Cache. The zero value stores keys as they are given, with no
// prefix.
type Config struct {
	// Prefix is put before every key in Redis (for example "mp:"), so that several
	// applications or test runs share one server without meeting; a tiered cache also
	// names its invalidation channel after it. Empty means no prefix.
	Prefix string
}

// New returns a cache storing its keys in rdb, a client it needs and cannot default.
func New(rdb goredis.UniversalClient, cfg Config) *Cache {
	return &Cache{rdb: rdb, prefix: cfg.Prefix}
}

// Open returns a client for a redis:// or rediss:// URL; it does not connect yet.
func Open(url string) (*goredis.Client, error) {
	opt, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	return goredis.NewClient(opt), nil
}

// Client returns the client the cache uses.
func (c *Cache) Client() goredis.UniversalClient { return c.rdb }

// Key returns the Redis key of a cache key.
func (c *Cache) Key(key string) string { return c.prefix + key }

// Get returns the value of key, or a miss.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	b, err := c.rdb.Get(ctx, c.prefix+key).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("redis: get %q: %w", key, err)
	}
	return b, true, nil
}

// Set stores value under key for ttl, rounded up to Redis's millisecond.
func (c *Cache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if ttl <= 0 {
		return domain.Errorf(domain.CodeInvalid, "redis: ttl %s of %q must be positive", ttl, key)
	}
	ttl = max(ttl, time.Millisecond)
	if err := c.rdb.Set(ctx, c.prefix+key, value, ttl).Err(); err != nil {
		return fmt.Errorf("redis: set %q: %w", key, err)
	}
	return nil
}

// Delete removes keys.
func (c *Cache) Delete(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = c.prefix + k
	}
	if err := c.rdb.Unlink(ctx, full...).Err(); err != nil {
		return fmt.Errorf("redis: delete: %w", err)
	}
	return nil
}

// scanBatch is how many keys one SCAN step asks for, and one UNLINK removes at most.
const scanBatch = 500

// DeletePrefix removes every key under prefix. It walks the keyspace with SCAN, which
// visits every key that exists for the whole walk, so a value stored before the call
// is gone when it returns; it costs a pass over the server's keys and suits rare,
// broad invalidations.
func (c *Cache) DeletePrefix(ctx context.Context, prefix string) error {
	iter := c.rdb.Scan(ctx, 0, globEscape(c.prefix+prefix)+"*", scanBatch).Iterator()
	batch := make([]string, 0, scanBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := c.rdb.Unlink(ctx, batch...).Err()
		batch = batch[:0]
		return err
	}
	for iter.Next(ctx) {
		if batch = append(batch, iter.Val()); len(batch) == scanBatch {
			if err := flush(); err != nil {
				return fmt.Errorf("redis: delete prefix %q: %w", prefix, err)
			}
		}
	}
	if err := errors.Join(iter.Err(), flush()); err != nil {
		return fmt.Errorf("redis: delete prefix %q: %w", prefix, err)
	}
	return nil
}

// globEscape escapes the characters SCAN's MATCH pattern gives a meaning to.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
