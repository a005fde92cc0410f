package opentelemetry

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/matchpoint/matchpoint/ports"
)

// Attributes of the cache's spans.
const (
	cacheKey  = attribute.Key("matchpoint.cache.key")
	cacheKeys = attribute.Key("matchpoint.cache.keys")
	cacheHit  = attribute.Key("matchpoint.cache.hit")
)

// Cache returns next with a span around each call: "cache.Get" (saying whether it was
// a hit), "cache.Set", "cache.Delete" and "cache.DeletePrefix", each with its key or
// keys. An error of the cache, which its callers treat as a miss, is still a failure
// of the call.
func (t *Tracing) Cache(next ports.Cache) ports.Cache { return &cache{t: t, next: next} }

// cache is a ports.Cache that traces every call of next.
type cache struct {
	t    *Tracing
	next ports.Cache
}

var _ ports.Cache = (*cache)(nil)

func (c *cache) Get(ctx context.Context, key string) (v []byte, hit bool, err error) {
	ctx, span := c.t.start(ctx, "cache.Get", cacheKey.String(key))
	defer func() {
		span.SetAttributes(cacheHit.Bool(hit))
		End(span, err)
	}()
	return c.next.Get(ctx, key)
}

func (c *cache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return tracedErr(c.t, ctx, "cache.Set", func(ctx context.Context) error { return c.next.Set(ctx, key, value, ttl) }, cacheKey.String(key))
}

func (c *cache) Delete(ctx context.Context, keys ...string) error {
	return tracedErr(c.t, ctx, "cache.Delete", func(ctx context.Context) error { return c.next.Delete(ctx, keys...) }, cacheKeys.StringSlice(keys))
}

func (c *cache) DeletePrefix(ctx context.Context, prefix string) error {
	return tracedErr(c.t, ctx, "cache.DeletePrefix", func(ctx context.Context) error { return c.next.DeletePrefix(ctx, prefix) }, cacheKey.String(prefix))
}
