package tiered

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"

	"github.com/matchpoint/matchpoint/adapters/cache/redis"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// Defaults for the zero values of Config.
const (
	DefaultAckTimeout  = time.Second
	DefaultDegradedTTL = 2 * time.Second
)

// Config configures a Cache.
type Config struct {
	// L1 is this instance's cache, normally the bigcache adapter. The tiered cache
	// owns it: nothing else may write to it.
	L1 ports.Cache
	// L2 is the cache shared by the instances. Its client also carries the
	// invalidation channel, named after its key prefix.
	L2 *redis.Cache
	// AckTimeout bounds how long an invalidation waits for the instances'
	// acknowledgements. Zero means DefaultAckTimeout.
	AckTimeout time.Duration
	// DegradedTTL bounds the life of L1 entries while the subscription is down. Zero
	// means DefaultDegradedTTL.
	DegradedTTL time.Duration
	// Family names the key family of a key for the counters; nil counts every key
	// under "all".
	Family func(key string) string
	// Logger receives the changes of state; nil means slog.Default().
	Logger *slog.Logger
	// Now returns the current time for deadlines; nil means time.Now.
	Now func() time.Time
}

// Cache is the tiered ports.Cache. It is safe for concurrent use; Close stops its
// subscription.
type Cache struct {
	l1, l2     ports.Cache
	rdb        goredis.UniversalClient
	channel    string
	ackPrefix  string
	ackTimeout time.Duration
	degraded   time.Duration
	family     func(string) string
	log        *slog.Logger
	now        func() time.Time

	// mu orders L1 fills after the invalidations they could undo: a fill holds it for
	// reading and checks epoch, an invalidation holds it for writing and bumps epoch.
	mu    sync.RWMutex
	epoch atomic.Uint64
	reads singleflight.Group

	subscribed atomic.Bool // the subscription is up and L1 has been emptied since it came up
	redisUp    atomic.Bool // the last Redis command succeeded (for logging changes only)

	pendingMu sync.Mutex
	pending   []invalidation // not yet delivered: Redis was unreachable
	serverID  string         // the run_id of the Redis last subscribed to; the listener's own

	families   atomic.Pointer[map[string]*events] // never nil
	familiesMu sync.Mutex                         // serialises adding a family
	pubsub     [pubsubEvents]atomic.Uint64

	subscription *goredis.PubSub
	stop         context.CancelFunc
	done         chan struct{} // closed when listen returns
	retried      chan struct{} // closed when retryPending returns
	ready        chan struct{} // closed at the first subscription
	readyOnce    sync.Once
}

var _ ports.Cache = (*Cache)(nil)

// invalidation is what an instance broadcasts: keys, or a prefix.
type invalidation struct {
	ID     string   `json:"id"`
	Keys   []string `json:"keys,omitempty"`
	Prefix *string  `json:"prefix,omitempty"`
}

// New returns a tiered cache and starts its subscription; WaitSubscribed waits for it.
func New(cfg Config) (*Cache, error) {
	if cfg.L1 == nil || cfg.L2 == nil {
		return nil, domain.Errorf(domain.CodeInvalid, "tiered: L1 and L2 are required")
	}
	if cfg.AckTimeout == 0 {
		cfg.AckTimeout = DefaultAckTimeout
	}
	if cfg.DegradedTTL == 0 {
		cfg.DegradedTTL = DefaultDegradedTTL
	}
	if cfg.Family == nil {
		cfg.Family = func(string) string { return "all" }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	ctx, stop := context.WithCancel(context.Background())
	c := &Cache{
		l1: cfg.L1, l2: cfg.L2, rdb: cfg.L2.Client(),
		channel: cfg.L2.Key("invalidations"), ackPrefix: cfg.L2.Key("invalidation-ack:"),
		ackTimeout: cfg.AckTimeout, degraded: cfg.DegradedTTL, family: cfg.Family, log: cfg.Logger, now: cfg.Now,
		stop: stop, done: make(chan struct{}), retried: make(chan struct{}), ready: make(chan struct{}),
	}
	c.redisUp.Store(true)
	c.families.Store(&map[string]*events{})
	c.subscription = c.rdb.Subscribe(ctx, c.channel)
	go c.listen(ctx)
	go c.retryPending(ctx)
	return c, nil
}

// WaitSubscribed waits until the cache has subscribed to the invalidations once, or
// ctx ends.
func (c *Cache) WaitSubscribed(ctx context.Context) error {
	select {
	case <-c.ready:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("tiered: waiting for the invalidation channel: %w", ctx.Err())
	}
}

// Subscribed reports whether the subscription is up now.
func (c *Cache) Subscribed() bool { return c.subscribed.Load() }

// Close stops the subscription. It does not close L1 or the Redis client.
func (c *Cache) Close() error {
	c.stop()
	err := c.subscription.Close()
	<-c.done
	<-c.retried
	return err
}

// An L2 value carries its deadline (Unix nanoseconds, big-endian) before the bytes, so
// that an L1 fill keeps only what is left of the TTL.
const headerLen = 8

// Get reads L1, then L2; an unreachable Redis is a miss.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	ev := c.eventsOf(key)
	if v, hit, err := c.l1.Get(ctx, key); err != nil {
		ev.l1Error.Add(1)
	} else if hit {
		ev.l1Hit.Add(1)
		return v, true, nil
	}
	ev.l1Miss.Add(1)
	if !c.subscribed.Load() {
		// Without the channel Redis is likely gone: do not wait on it for every read.
		ev.l2Skipped.Add(1)
		return nil, false, nil
	}

	epoch := c.epoch.Load()
	shared, err, _ := c.reads.Do(strconv.FormatUint(epoch, 10)+"|"+key, func() (any, error) {
		raw, hit, err := c.l2.Get(ctx, key)
		if err != nil || !hit {
			return nil, err
		}
		return raw, nil
	})
	if err != nil {
		ev.l2Error.Add(1)
		c.redisFailed(err)
		return nil, false, nil
	}
	c.redisAnswered()
	raw, _ := shared.([]byte)
	if len(raw) < headerLen {
		ev.l2Miss.Add(1)
		return nil, false, nil
	}
	left := time.Duration(int64(binary.BigEndian.Uint64(raw)) - c.now().UnixNano())
	if left <= 0 {
		ev.l2Miss.Add(1)
		return nil, false, nil
	}
	ev.l2Hit.Add(1)
	value := bytes.Clone(raw[headerLen:]) // the callers sharing the read each own a copy
	c.fill(ctx, key, value, left, epoch)
	return value, true, nil
}

// Set stores value in L2 and in this instance's L1.
func (c *Cache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if ttl <= 0 {
		return domain.Errorf(domain.CodeInvalid, "tiered: ttl %s of %q must be positive", ttl, key)
	}
	epoch := c.epoch.Load()
	raw := make([]byte, headerLen+len(value))
	binary.BigEndian.PutUint64(raw, uint64(c.now().Add(ttl).UnixNano()))
	copy(raw[headerLen:], value)
	if !c.subscribed.Load() {
		c.eventsOf(key).l2Skipped.Add(1)
	} else if err := c.l2.Set(ctx, key, raw, ttl); err != nil {
		c.eventsOf(key).l2Error.Add(1)
		c.redisFailed(err)
	} else {
		c.redisAnswered()
	}
	c.fill(ctx, key, value, ttl, epoch)
	return nil
}

// fill stores a value in L1 unless an invalidation has been applied since epoch.
func (c *Cache) fill(ctx context.Context, key string, value []byte, ttl time.Duration, epoch uint64) {
	if !c.subscribed.Load() {
		ttl = min(ttl, c.degraded)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.epoch.Load() != epoch {
		return
	}
	if err := c.l1.Set(ctx, key, value, ttl); err != nil {
		c.eventsOf(key).l1Error.Add(1)
	}
}

// Delete removes keys from every instance before it returns (see the package
// documentation); with Redis unreachable it removes them here and sends the
// invalidation later.
func (c *Cache) Delete(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	return c.invalidate(ctx, invalidation{Keys: keys})
}

// DeletePrefix removes every key under prefix from every instance, as Delete.
func (c *Cache) DeletePrefix(ctx context.Context, prefix string) error {
	return c.invalidate(ctx, invalidation{Prefix: &prefix})
}

func (c *Cache) invalidate(ctx context.Context, inv invalidation) error {
	if err := c.applyLocally(ctx, inv); err != nil {
		c.log.Error("cache: drop from L1", "err", err) // the other instances must still hear of it
	}
	err := errNotSubscribed
	if c.subscribed.Load() {
		c.sendPending(ctx) // what failed before goes first
		err = c.deliver(ctx, inv)
	}
	if err != nil {
		c.redisFailed(err)
		c.pubsub[evDeferred].Add(1)
		c.keepForLater(inv)
	}
	return nil
}

// maxPending bounds the invalidations kept for later: past it they collapse into one
// that empties every tier, which costs misses rather than memory.
const maxPending = 1000

// keepForLater keeps an invalidation that could not be delivered, to send it later.
func (c *Cache) keepForLater(inv invalidation) {
	c.pendingMu.Lock()
	defer c.pendingMu.Unlock()
	if len(c.pending) >= maxPending {
		c.pending = []invalidation{{Prefix: new(string)}}
		return
	}
	c.pending = append(c.pending, inv)
}

var errNotSubscribed = errors.New("the invalidation channel is down")

// applyLocally drops what inv names from this instance's L1.
func (c *Cache) applyLocally(ctx context.Context, inv invalidation) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch.Add(1)
	if inv.Prefix != nil {
		return c.l1.DeletePrefix(ctx, *inv.Prefix)
	}
	return c.l1.Delete(ctx, inv.Keys...)
}

// deleteInL2 deletes what inv names in L2.
func (c *Cache) deleteInL2(ctx context.Context, inv invalidation) error {
	if inv.Prefix != nil {
		return c.l2.DeletePrefix(ctx, *inv.Prefix)
	}
	return c.l2.Delete(ctx, inv.Keys...)
}

// checkServer empties L2 when the Redis server is not the one this instance last
// subscribed to (a restart that reloaded its data, a failover): keys deleted just
// before may have come back with it.
func (c *Cache) checkServer(ctx context.Context) {
	info, err := c.rdb.Info(ctx, "server").Result()
	if err != nil {
		c.log.Warn("cache: read the Redis server's id", "err", err)
		return
	}
	var id string
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "run_id:"); ok {
			id = v
		}
	}
	if c.serverID != "" && id != c.serverID {
		c.log.Warn("cache: Redis is another server than before; emptying what the cache keeps there")
		if err := c.l2.DeletePrefix(ctx, ""); err != nil {
			c.log.Error("cache: empty Redis", "err", err)
		}
	}
	c.serverID = id
}

// deliver deletes what inv names in L2, publishes it and waits for the
// acknowledgements of the instances that received it.
func (c *Cache) deliver(ctx context.Context, inv invalidation) error {
	if err := c.deleteInL2(ctx, inv); err != nil {
		return err
	}
	inv.ID = randomID()
	msg, err := json.Marshal(inv)
	if err != nil {
		return err
	}
	receivers, err := c.rdb.Publish(ctx, c.channel, msg).Result()
	if err != nil {
		return err
	}
	c.redisAnswered()
	acks := c.ackPrefix + inv.ID
	defer c.rdb.Del(context.WithoutCancel(ctx), acks)
	deadline := time.Now().Add(c.ackTimeout)
	for got := int64(0); got < receivers; got++ {
		wait := time.Until(deadline)
		if wait < time.Millisecond {
			return c.ackTimedOut(receivers, got)
		}
		// BLPOP takes fractions of a second since Redis 6 (go-redis's BLPop rounds to
		// whole seconds); the timeout stays below the client's read timeout.
		seconds := strconv.FormatFloat(wait.Seconds(), 'f', 3, 64)
		if err := c.rdb.Do(ctx, "blpop", acks, seconds).Err(); errors.Is(err, goredis.Nil) {
			return c.ackTimedOut(receivers, got)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// ackTimedOut records instances that did not acknowledge an invalidation in time. The
// invalidation is not sent again: they received it and will apply it late.
func (c *Cache) ackTimedOut(receivers, got int64) error {
	c.pubsub[evAckTimeout].Add(1)
	c.log.Warn("cache invalidation not acknowledged in time by every instance",
		"instances", receivers, "acknowledged", got, "timeout", c.ackTimeout)
	return nil
}

// listen applies the invalidations of the channel until Close.
func (c *Cache) listen(ctx context.Context) {
	defer close(c.done)
	backoff := 50 * time.Millisecond
	for {
		msg, err := c.subscription.Receive(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			c.lost(ctx, err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 2*time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		switch m := msg.(type) {
		case *goredis.Subscription:
			if m.Kind == "subscribe" {
				c.subscribedAgain(ctx)
			}
		case *goredis.Message:
			c.receive(ctx, m.Payload)
		}
	}
}

// receive applies an invalidation from the channel and acknowledges it.
func (c *Cache) receive(ctx context.Context, payload string) {
	var inv invalidation
	if err := json.Unmarshal([]byte(payload), &inv); err != nil || inv.ID == "" {
		c.log.Warn("cache: undecodable invalidation on the channel", "err", err)
		return
	}
	if err := c.applyLocally(ctx, inv); err != nil {
		c.log.Error("cache: apply an invalidation to L1", "err", err)
	}
	acks := c.ackPrefix + inv.ID
	_, err := c.rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.RPush(ctx, acks, 1)
		p.PExpire(ctx, acks, c.ackTimeout+time.Second)
		return nil
	})
	if err != nil {
		c.log.Warn("cache: acknowledge an invalidation", "err", err)
	}
}

// lost handles a broken subscription: invalidations may be missed from now on.
func (c *Cache) lost(ctx context.Context, err error) {
	if !c.subscribed.Swap(false) {
		return
	}
	c.pubsub[evLost].Add(1)
	c.log.Warn("cache: invalidation channel lost; L1 emptied, its entries now live at most "+c.degraded.String(), "err", err)
	if err := c.applyLocally(ctx, invalidation{Prefix: new(string)}); err != nil {
		c.log.Error("cache: empty L1", "err", err)
	}
}

// subscribedAgain handles a (re)subscription: L1 may hold what others invalidated
// meanwhile, and invalidations this instance could not send are sent now.
func (c *Cache) subscribedAgain(ctx context.Context) {
	if err := c.applyLocally(ctx, invalidation{Prefix: new(string)}); err != nil {
		c.log.Error("cache: empty L1", "err", err)
	}
	if c.subscribed.Load() {
		return
	}
	c.checkServer(ctx)
	// Before anyone may fill L1 from L2 again, L2 loses what this instance could not
	// invalidate meanwhile; the other instances hear of it just after.
	c.pendingMu.Lock()
	pending := slices.Clone(c.pending)
	c.pendingMu.Unlock()
	for _, inv := range pending {
		if err := c.deleteInL2(ctx, inv); err != nil {
			c.log.Warn("cache: delete a deferred invalidation in Redis", "err", err)
		}
	}
	if c.subscribed.Swap(true) {
		return
	}
	first := false
	c.readyOnce.Do(func() { first = true; close(c.ready) })
	if !first {
		c.pubsub[evRecovered].Add(1)
		c.log.Info("cache: invalidation channel back; L1 emptied")
	}
	go c.sendPending(ctx)
}

// retryPending sends, every second while the channel is up, the invalidations that
// could not be delivered: one that failed while the channel stayed up (a timeout, a
// busy server) is not left until the next reconnection.
func (c *Cache) retryPending(ctx context.Context) {
	defer close(c.retried)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if c.subscribed.Load() {
				c.sendPending(ctx)
			}
		}
	}
}

// sendPending delivers the invalidations that failed while Redis was unreachable.
func (c *Cache) sendPending(ctx context.Context) {
	c.pendingMu.Lock()
	pending := c.pending
	c.pending = nil
	c.pendingMu.Unlock()
	for i, inv := range pending {
		if err := c.deliver(ctx, inv); err != nil {
			c.redisFailed(err)
			c.pendingMu.Lock()
			c.pending = append(pending[i:], c.pending...)
			c.pendingMu.Unlock()
			return
		}
	}
}

// redisFailed logs the first failure after a success.
func (c *Cache) redisFailed(err error) {
	if c.redisUp.Swap(false) {
		c.log.Warn("cache: Redis unreachable; serving from L1 and the database", "err", err)
	}
}

// redisAnswered logs the first success after a failure.
func (c *Cache) redisAnswered() {
	if !c.redisUp.Swap(true) {
		c.log.Info("cache: Redis reachable again")
	}
}

// Counter names one count: a tier ("l1", "l2" or "pubsub"), a key family and an event
// ("hit", "miss", "error", "skipped"; "lost", "recovered", "deferred", "ack_timeout" for
// pubsub).
type Counter struct {
	Tier, Family, Event string
}

// events are the counts kept per key family: a family's counts are found with one
// lookup of its name, and each is a field, so that counting costs an L1 hit little.
type events struct {
	l1Hit, l1Miss, l1Error, l2Hit, l2Miss, l2Error, l2Skipped atomic.Uint64
}

// The pubsub events, counted under family "all".
const (
	evLost = iota
	evRecovered
	evDeferred
	evAckTimeout
	pubsubEvents
)

var pubsubNames = [pubsubEvents]string{"lost", "recovered", "deferred", "ack_timeout"}

// Snapshot returns the counts so far, the ones that are not zero.
func (c *Cache) Snapshot() map[Counter]uint64 {
	out := map[Counter]uint64{}
	put := func(tier, family, event string, v *atomic.Uint64) {
		if n := v.Load(); n > 0 {
			out[Counter{Tier: tier, Family: family, Event: event}] = n
		}
	}
	for f, e := range *c.families.Load() {
		put("l1", f, "hit", &e.l1Hit)
		put("l1", f, "miss", &e.l1Miss)
		put("l1", f, "error", &e.l1Error)
		put("l2", f, "hit", &e.l2Hit)
		put("l2", f, "miss", &e.l2Miss)
		put("l2", f, "error", &e.l2Error)
		put("l2", f, "skipped", &e.l2Skipped)
	}
	for i := range c.pubsub {
		put("pubsub", "all", pubsubNames[i], &c.pubsub[i])
	}
	return out
}

// eventsOf returns the counts of key's family. The families are few and are all met
// early, so they live in an immutable map replaced as a whole when one is added: a read
// is a plain map lookup.
func (c *Cache) eventsOf(key string) *events {
	family := c.family(key)
	if e, ok := (*c.families.Load())[family]; ok {
		return e
	}
	c.familiesMu.Lock()
	defer c.familiesMu.Unlock()
	old := *c.families.Load()
	if e, ok := old[family]; ok {
		return e
	}
	m := make(map[string]*events, len(old)+1)
	maps.Copy(m, old)
	m[family] = new(events)
	c.families.Store(&m)
	return m[family]
}

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
