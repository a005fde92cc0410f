// Package tiered is the ports.Cache of a deployment with several instances: an
// in-process L1 (the bigcache adapter) in front of a shared L2 (the Redis adapter), with
// invalidations broadcast to every instance's L1 over Redis pub/sub.
//
// # Reads
//
// Get reads L1, then L2 (filling L1 for what is left of the value's TTL, which travels
// with the value), and reports a miss after that; the caller loads and Sets. Concurrent
// L1 misses of one key share one L2 read.
//
// # The promise: no stale value after an invalidation returns
//
// Delete and DeletePrefix delete in L2, publish the keys on the instances' channel and
// wait until every subscriber has dropped them from its L1 and acknowledged (PUBLISH
// says how many subscribers received the message; each pushes an acknowledgement onto a
// list the writer pops from). Only then do they return, so no instance serves a deleted
// value afterwards, and an L1 hit needs no round trip: it costs what a bigcache Get
// costs, plus a counter. The price is on invalidation: a publish and one pop per
// instance, a few hundred microseconds on a local network, bounded by AckTimeout for an
// instance that does not answer (its delay is logged and counted).
//
// An L1 fill races with invalidations: a value read from L2 just before a delete could
// land in L1 just after it. Every invalidation applied to L1 bumps an epoch under a
// lock, and a fill is made under the same lock only if the epoch has not moved since
// before its L2 read; concurrent misses share an L2 read only within one epoch.
//
// Set writes L2 and this instance's L1 and tells no one: values under one key are
// interchangeable in Match Point's key scheme (a value key names its generation), and
// what must reach every instance is a Delete.
//
// # When Redis is unreachable
//
// Reads fall back to L1 and then to the caller's loader, writes go to L1 only, and no
// operation returns an error: a cache is allowed to miss. While the subscription is down
// the cache does not ask Redis at all, so that requests do not wait on a dead server;
// only the subscription keeps trying to reconnect, with a backoff. While the subscription is
// down, this instance can miss other instances' invalidations, so it empties its L1 and
// keeps new L1 entries for at most DegradedTTL; the invalidations it could not send are
// kept and sent once Redis answers again. When the subscription comes back, L1 is
// emptied again (it may hold what others invalidated meanwhile), the keys this instance
// could not invalidate are deleted in Redis before L1 may be filled again, and normal
// TTLs resume. If Redis is another server than before (its run_id changed: a restart
// that reloaded its data, a failover), keys deleted just before may have come back, so
// the cache's keys in Redis are dropped. An invalidation that fails while the channel
// is up (a timeout, a busy server) is sent again before the next one and every second
// until it is delivered; at most a thousand wait, beyond which they collapse into one
// that empties every tier. Each change of state is logged once and counted.
//
// A subscription whose connection dies silently (no reset) is noticed by TCP keepalive,
// within about 45 seconds; until then the instance may miss invalidations.
//
// # Metrics
//
// Hits, misses, errors and skips (L2 not asked while the channel is down) are counted per tier ("l1", "l2") and key family (Config.Family),
// with the subscription's events under tier "pubsub"; Snapshot returns them.
//
// The package is built on the two cache adapters (see adapterAllowList in the
// architecture test) and go-redis.
package tiered
