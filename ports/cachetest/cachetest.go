// Package cachetest is the contract suite of ports.Cache. Every cache adapter
// (bigcache, Redis, the tiered cache) runs it from its own tests:
//
//	func TestContract(t *testing.T) {
//		cachetest.Run(t, func(t *testing.T) ports.Cache { return newCache(t) })
//	}
//
// The suite uses real time with short TTLs and polls for expiry, so it runs the same
// against an in-process cache and a server.
package cachetest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/ports"
)

// Run runs the contract suite. newCache is called once per case and must return an
// empty cache that no other case uses (a fresh instance, or a key prefix of its own on
// a shared server); it cleans up with t.Cleanup.
func Run(t *testing.T, newCache func(t *testing.T) ports.Cache) {
	cases := []struct {
		name string
		fn   func(t *testing.T, c ports.Cache)
	}{
		{"GetSetMiss", testGetSetMiss},
		{"Overwrite", testOverwrite},
		{"BinaryValues", testBinaryValues},
		{"ValuesAreCopied", testValuesAreCopied},
		{"TTLExpiry", testTTLExpiry},
		{"Delete", testDelete},
		{"DeleteSeveral", testDeleteSeveral},
		{"DeletePrefix", testDeletePrefix},
		{"SetAfterDeletePrefix", testSetAfterDeletePrefix},
		{"DeleteEverything", testDeleteEverything},
		{"Concurrent", testConcurrent},
		{"ConcurrentInvalidation", testConcurrentInvalidation},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newCache(t))
		})
	}
}

// long is a TTL no case outlives.
const long = time.Hour

func set(t *testing.T, c ports.Cache, key, value string) {
	t.Helper()
	require.NoError(t, c.Set(context.Background(), key, []byte(value), long))
}

func assertHit(t *testing.T, c ports.Cache, key, want string) {
	t.Helper()
	got, ok, err := c.Get(context.Background(), key)
	require.NoError(t, err)
	if assert.True(t, ok, "want a hit on %q", key) {
		assert.Equal(t, want, string(got), "value of %q", key)
	}
}

func assertMiss(t *testing.T, c ports.Cache, key string) {
	t.Helper()
	got, ok, err := c.Get(context.Background(), key)
	require.NoError(t, err)
	assert.False(t, ok, "want a miss on %q, got %q", key, got)
}

func testGetSetMiss(t *testing.T, c ports.Cache) {
	assertMiss(t, c, "club:1:availability")

	set(t, c, "club:1:availability", `{"courts":[]}`)

	assertHit(t, c, "club:1:availability", `{"courts":[]}`)
	assertMiss(t, c, "club:1:availabilit")
	assertMiss(t, c, "club:1:availability:2")
}

func testOverwrite(t *testing.T, c ports.Cache) {
	set(t, c, "k", "first")
	set(t, c, "k", "second, and longer than the first")
	assertHit(t, c, "k", "second, and longer than the first")

	set(t, c, "k", "3")
	assertHit(t, c, "k", "3")
}

func testBinaryValues(t *testing.T, c ports.Cache) {
	ctx := context.Background()
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	big := bytes.Repeat([]byte{0, 0xff, '\n', 0x80}, 64<<10/4) // 64 KiB

	for key, value := range map[string][]byte{"all-bytes": all, "big": big, "empty": {}} {
		require.NoError(t, c.Set(ctx, key, value, long), key)
	}
	for key, want := range map[string][]byte{"all-bytes": all, "big": big, "empty": {}} {
		got, ok, err := c.Get(ctx, key)
		require.NoError(t, err, key)
		require.True(t, ok, "want a hit on %q", key)
		assert.True(t, bytes.Equal(want, got), "value of %q differs", key)
	}
}

func testValuesAreCopied(t *testing.T, c ports.Cache) {
	ctx := context.Background()
	value := []byte("original")
	require.NoError(t, c.Set(ctx, "k", value, long))
	copy(value, "CHANGED!")

	got, ok, err := c.Get(ctx, "k")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "original", string(got), "changing the slice passed to Set changed the cache")

	copy(got, "CHANGED!")
	assertHit(t, c, "k", "original")
}

func testTTLExpiry(t *testing.T, c ports.Cache) {
	ctx := context.Background()
	const short = 200 * time.Millisecond
	require.NoError(t, c.Set(ctx, "short", []byte("v"), short))
	set(t, c, "long", "v")
	start := time.Now()

	require.Eventually(t, func() bool {
		_, ok, err := c.Get(ctx, "short")
		return err == nil && !ok
	}, 5*time.Second, 20*time.Millisecond, "an entry outlived its TTL")
	assert.GreaterOrEqual(t, time.Since(start), short/2, "an entry expired long before its TTL")
	assertHit(t, c, "long", "v")

	// A key set again after expiring lives for its new TTL.
	set(t, c, "short", "again")
	assertHit(t, c, "short", "again")
}

func testDelete(t *testing.T, c ports.Cache) {
	ctx := context.Background()
	set(t, c, "a", "1")
	set(t, c, "b", "2")

	require.NoError(t, c.Delete(ctx, "a"))

	assertMiss(t, c, "a")
	assertHit(t, c, "b", "2")
	require.NoError(t, c.Delete(ctx, "a"), "deleting a missing key is not an error")
	require.NoError(t, c.Delete(ctx), "deleting no keys is not an error")

	set(t, c, "a", "again")
	assertHit(t, c, "a", "again")
}

func testDeleteSeveral(t *testing.T, c ports.Cache) {
	for _, k := range []string{"a", "b", "c", "d"} {
		set(t, c, k, k)
	}

	require.NoError(t, c.Delete(context.Background(), "a", "c", "missing"))

	assertMiss(t, c, "a")
	assertMiss(t, c, "c")
	assertHit(t, c, "b", "b")
	assertHit(t, c, "d", "d")
}

func testDeletePrefix(t *testing.T, c ports.Cache) {
	ctx := context.Background()
	gone := []string{"club:1:", "club:1:availability:2030-01-05", "club:1:rules"}
	kept := []string{"club:1", "club:10:rules", "club:2:rules", "other:club:1:rules"}
	for _, k := range append(gone, kept...) {
		set(t, c, k, "v:"+k)
	}

	require.NoError(t, c.DeletePrefix(ctx, "club:1:"))

	for _, k := range gone {
		assertMiss(t, c, k)
	}
	for _, k := range kept {
		assertHit(t, c, k, "v:"+k)
	}
	require.NoError(t, c.DeletePrefix(ctx, "nothing-here:"), "a prefix without keys is not an error")
}

func testSetAfterDeletePrefix(t *testing.T, c ports.Cache) {
	ctx := context.Background()
	set(t, c, "club:1:rules", "old")
	require.NoError(t, c.DeletePrefix(ctx, "club:1:"))

	set(t, c, "club:1:rules", "new")
	set(t, c, "club:1:seasons", "new")

	assertHit(t, c, "club:1:rules", "new")
	assertHit(t, c, "club:1:seasons", "new")

	// A shorter and a longer prefix, deleted later, still apply to the new values.
	require.NoError(t, c.DeletePrefix(ctx, "club:1:r"))
	assertMiss(t, c, "club:1:rules")
	assertHit(t, c, "club:1:seasons", "new")
	require.NoError(t, c.DeletePrefix(ctx, "club"))
	assertMiss(t, c, "club:1:seasons")
}

func testDeleteEverything(t *testing.T, c ports.Cache) {
	set(t, c, "a", "1")
	set(t, c, "b:c", "2")

	require.NoError(t, c.DeletePrefix(context.Background(), ""))

	assertMiss(t, c, "a")
	assertMiss(t, c, "b:c")
}

// testConcurrent mixes every operation from several goroutines; run it with -race.
// Every hit must return a value that was written under that key.
func testConcurrent(t *testing.T, c ports.Cache) {
	ctx := context.Background()
	const workers, rounds, keys = 8, 200, 16
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				key := fmt.Sprintf("club:%d:k%d", i%2, (w+i)%keys)
				switch i % 10 {
				case 7:
					assert.NoError(t, c.Delete(ctx, key))
				case 9:
					assert.NoError(t, c.DeletePrefix(ctx, fmt.Sprintf("club:%d:", w%2)))
				default:
					assert.NoError(t, c.Set(ctx, key, []byte(key+"|"+fmt.Sprint(w)), long))
				}
				got, ok, err := c.Get(ctx, key)
				assert.NoError(t, err)
				if ok {
					assert.True(t, bytes.HasPrefix(got, []byte(key+"|")), "got %q under %q", got, key)
				}
			}
		})
	}
	wg.Wait()
}

// testConcurrentInvalidation checks the promise the cache makes to writers: once
// DeletePrefix returns, no Get returns a value set before it was called, even while
// other goroutines keep writing under other prefixes.
func testConcurrentInvalidation(t *testing.T, c ports.Cache) {
	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				assert.NoError(t, c.Set(ctx, fmt.Sprintf("noise:%d:%d", w, i%32), []byte("x"), long))
			}
		})
	}
	for round := range 50 {
		prefix := fmt.Sprintf("club:%d:", round)
		for i := range 8 {
			set(t, c, fmt.Sprintf("%savailability:%d", prefix, i), "old")
		}
		require.NoError(t, c.DeletePrefix(ctx, prefix))
		for i := range 8 {
			assertMiss(t, c, fmt.Sprintf("%savailability:%d", prefix, i))
		}
	}
	close(stop)
	wg.Wait()
}
