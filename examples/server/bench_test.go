package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/cache/bigcache"
	"github.com/matchpoint/matchpoint/adapters/cache/redis"
	"github.com/matchpoint/matchpoint/adapters/cache/redis/redistest"
	"github.com/matchpoint/matchpoint/adapters/cache/tiered"
	"github.com/matchpoint/matchpoint/adapters/httpapi"
	"github.com/matchpoint/matchpoint/adapters/notify/outbox"
	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/adapters/queue/inproc"
	"github.com/matchpoint/matchpoint/adapters/system"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// noCache misses every time: each request computes availability from the database.
type noCache struct{}

func (noCache) Get(context.Context, string) ([]byte, bool, error)        { return nil, false, nil }
func (noCache) Set(context.Context, string, []byte, time.Duration) error { return nil }
func (noCache) Delete(context.Context, ...string) error                  { return nil }
func (noCache) DeletePrefix(context.Context, string) error               { return nil }

// BenchmarkAvailabilityOverHTTP serves one day's padel availability of the demo club
// (four padel courts) on Postgres through the whole HTTP handler, in one run: cold,
// with no cache (six reads of the database per request), and warm, from the
// in-process cache alone and from the tiered cache (L1 over Redis).
func BenchmarkAvailabilityOverHTTP(b *testing.B) {
	dbURL := testDatabase(b)
	db, err := postgres.Open(b.Context(), dbURL, postgres.WithMaxOpenConns(4))
	require.NoError(b, err)
	b.Cleanup(func() { _ = db.Close() })
	require.NoError(b, postgres.Migrate(b.Context(), db))
	store := postgres.New(db)

	l1, err := bigcache.New(bigcache.Config{})
	require.NoError(b, err)
	b.Cleanup(func() { _ = l1.Close() })
	r := redistest.Start(b)
	rdb, err := redis.Open(r.URL())
	require.NoError(b, err)
	b.Cleanup(func() { _ = rdb.Close() })
	tl1, err := bigcache.New(bigcache.Config{})
	require.NoError(b, err)
	b.Cleanup(func() { _ = tl1.Close() })
	two, err := tiered.New(tiered.Config{L1: tl1, L2: redis.New(rdb, redis.Config{Prefix: "mp:"}), Family: app.CacheFamily})
	require.NoError(b, err)
	b.Cleanup(func() { _ = two.Close() })
	require.NoError(b, two.WaitSubscribed(b.Context()))

	var path string
	for i, c := range []struct {
		name  string
		cache ports.Cache
	}{{"cold/no-cache", noCache{}}, {"warm/in-process", l1}, {"warm/tiered", two}} {
		h, mp := handlerOn(b, store, c.cache)
		if i == 0 {
			demo, err := SeedDemo(b.Context(), mp, time.Now())
			require.NoError(b, err)
			day := domain.DateOf(time.Now(), demo.Club.Location).AddDays(3)
			path = "/v1/clubs/demo/availability?date=" + day.String() + "&sport=padel&duration=90"
		}
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// handlerOn composes the use cases and the HTTP API over store and cache, as the
// server does.
func handlerOn(b *testing.B, store ports.Store, cache ports.Cache) (http.Handler, *app.App) {
	log := slog.New(slog.DiscardHandler)
	clock, ids := system.NewClock(), system.NewIDs()
	gw, err := sandbox.New(sandbox.Config{BaseURL: "http://127.0.0.1:1", Secret: strings.Repeat("s", 32), Clock: clock, IDs: ids, Logger: log})
	require.NoError(b, err)
	mp, err := app.New(app.Deps{
		Store: store, Cache: cache, Gateways: ports.OneGateway(gw), Notifier: outbox.New(outbox.Config{Logger: log}),
		Jobs: inproc.New(inproc.Config{Logger: log, Clock: clock}), Clock: clock, IDs: ids,
		Reporter: system.NewReporter(log), Logger: log,
	}, app.Config{TokenSecret: []byte(strings.Repeat("t", 32))})
	require.NoError(b, err)
	return httpapi.New(mp, httpapi.Config{Logger: log, Extra: gw.Handler()}), mp
}
