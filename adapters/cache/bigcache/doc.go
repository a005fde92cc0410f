// Package bigcache is the embedded default ports.Cache: an in-process cache over
// github.com/allegro/bigcache/v3. It serves a single process; the tiered cache puts
// it in front of Redis to share invalidations between instances.
//
// # Time to live
//
// bigcache evicts entries by one life window for the whole cache. Each value is
// therefore stored with its own deadline, and a Get after the deadline is a miss, so a
// TTL shorter than the window holds. A TTL longer than the window is cut to the
// window, because bigcache would evict the entry then anyway.
//
// # Prefix invalidation
//
// bigcache cannot list the keys under a prefix, so DeletePrefix does not remove
// entries; it records an invalidation mark instead. Every Set draws a number from one
// increasing write sequence and stores it with the value. DeletePrefix draws a number
// too and records it as the mark of the prefix. A Get looks up the marks of every
// prefix of its key (one map lookup per distinct marked prefix length) and treats the
// value as a miss when it was written before the newest of them. A value set before
// DeletePrefix was called therefore never comes back, while one set after it returns
// is served as usual. Marks live in an immutable map replaced as a whole by
// DeletePrefix, so Get reads them without a lock. A mark is forgotten once every value
// it could hide has passed its deadline (one life window after the mark), which keeps
// the marks bounded by the prefixes invalidated within one window. Invalidated values
// stay in memory until bigcache evicts them at the end of the window.
//
// The package imports ports, domain, bigcache, Wire (for its ProviderSet) and the
// standard library; it must not import another adapter.
package bigcache
