package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/matchpoint/matchpoint/adapters/httpapi"
	"github.com/matchpoint/matchpoint/adapters/ratelimit/inproc"
	"github.com/matchpoint/matchpoint/ports"
)

// BenchmarkAvailabilityHandler serves one day's padel availability of the seeded club
// (four padel courts, 32 starts each) through the whole Handler — routing, query
// parsing, the use case over a warm cache, and JSON — again and again.
func BenchmarkAvailabilityHandler(b *testing.B) {
	e := newEnv(b, func(o *httpapi.Config) { o.Logger = slog.New(slog.DiscardHandler) })
	req := httptest.NewRequest(http.MethodGet, "/v1/clubs/club-one/availability?date=2026-03-11&sport=padel&duration=90", nil)
	warm := httptest.NewRecorder()
	e.handler.ServeHTTP(warm, req)
	if warm.Code != http.StatusOK {
		b.Fatalf("status %d: %s", warm.Code, warm.Body)
	}
	size := warm.Body.Len()

	b.ReportAllocs()
	b.SetBytes(int64(size))
	for b.Loop() {
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || rec.Body.Len() != size {
			b.Fatalf("status %d, %d bytes", rec.Code, rec.Body.Len())
		}
	}
}

// BenchmarkAvailabilityHandlerRateLimited is BenchmarkAvailabilityHandler with the
// rate limits on, on the in-process limiter, with a budget the loop never uses up:
// the difference is what the limits cost a request.
func BenchmarkAvailabilityHandlerRateLimited(b *testing.B) {
	lim, err := inproc.New(inproc.Config{})
	if err != nil {
		b.Fatal(err)
	}
	e := newEnv(b, func(o *httpapi.Config) {
		o.Logger = slog.New(slog.DiscardHandler)
		o.RateLimit = httpapi.RateLimit{Limiter: lim, Public: ports.Limit{Events: 1 << 30, Per: time.Second, Burst: 1 << 30}}
	})
	req := httptest.NewRequest(http.MethodGet, "/v1/clubs/club-one/availability?date=2026-03-11&sport=padel&duration=90", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || rec.Header().Get("RateLimit-Limit") == "" {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// missingCache misses every time: every request reads the club and the day from the
// store, as the first request of a day does.
type missingCache struct{}

func (missingCache) Get(context.Context, string) ([]byte, bool, error)        { return nil, false, nil }
func (missingCache) Set(context.Context, string, []byte, time.Duration) error { return nil }
func (missingCache) Delete(context.Context, ...string) error                  { return nil }
func (missingCache) DeletePrefix(context.Context, string) error               { return nil }

// BenchmarkAvailabilityServed serves one day's padel availability of the seeded club
// (four padel courts, 16 KB of JSON) over real HTTP on the loopback, 64 connections at
// once as a load tool would, in one run:
//
//   - bare: a bare net/http handler writing the same bytes, the ceiling;
//   - kept: the Handler serving the answer it keeps (200, the whole body);
//   - not-modified: the same with If-None-Match naming the answer's tag (304);
//   - gzip: the kept answer compressed, for a client that accepts gzip;
//   - computed: the Handler keeping no answers, computing each one over the warm
//     catalog and encoding it (what every request did before answers were kept);
//   - cold: computing each answer with a cache that always misses, so that every
//     request reads the club's configuration and the day from the store.
//
// Each op is one request answered. Compare ns/op within one run: kept/bare and
// not-modified/bare are the figures the issue asks for.
func BenchmarkAvailabilityServed(b *testing.B) {
	quiet := func(o *httpapi.Config) { o.Logger = slog.New(slog.DiscardHandler) }
	kept := newEnv(b, quiet)
	computed := newEnv(b, quiet, func(o *httpapi.Config) { o.AvailabilityCache.Entries = -1 })
	cold := newEnvOn(b, missingCache{}, quiet, func(o *httpapi.Config) { o.AvailabilityCache.Entries = -1 })
	const path = "/v1/clubs/club-one/availability?date=2026-03-11&sport=padel&duration=90"

	warm := httptest.NewRecorder()
	kept.handler.ServeHTTP(warm, httptest.NewRequest(http.MethodGet, path, nil))
	if warm.Code != http.StatusOK {
		b.Fatalf("status %d: %s", warm.Code, warm.Body)
	}
	body, etag := warm.Body.Bytes(), warm.Header().Get("ETag")
	bare := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	})

	for _, c := range []struct {
		name    string
		handler http.Handler
		header  map[string]string
		status  int
	}{
		{"bare", bare, nil, http.StatusOK},
		{"kept", kept.handler, nil, http.StatusOK},
		{"not-modified", kept.handler, map[string]string{"If-None-Match": etag}, http.StatusNotModified},
		{"gzip", kept.handler, map[string]string{"Accept-Encoding": "gzip"}, http.StatusOK},
		{"computed", computed.handler, nil, http.StatusOK},
		{"cold", cold.handler, nil, http.StatusOK},
	} {
		b.Run(c.name, func(b *testing.B) {
			srv := httptest.NewServer(c.handler)
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
			defer client.CloseIdleConnections()
			get := func() error {
				req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
				for k, v := range c.header {
					req.Header.Set(k, v)
				}
				res, err := client.Do(req)
				if err != nil {
					return err
				}
				_, _ = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
				if res.StatusCode != c.status {
					return fmt.Errorf("status %d", res.StatusCode)
				}
				return nil
			}
			var mu sync.Mutex
			var latencies []time.Duration
			b.SetParallelism(32) // 64 connections on two cores, as wrk -c64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					start := time.Now()
					if err := get(); err != nil {
						b.Error(err)
						return
					}
					mine = append(mine, time.Since(start))
				}
				mu.Lock()
				latencies = append(latencies, mine...)
				mu.Unlock()
			})
			b.StopTimer()
			slices.Sort(latencies)
			if n := len(latencies); n > 0 {
				b.ReportMetric(float64(latencies[n*99/100].Microseconds()), "p99-µs")
			}
			// One request alone, as the first request of a day meets it.
			var alone time.Duration
			const rounds = 20
			for range rounds {
				start := time.Now()
				if err := get(); err != nil {
					b.Fatal(err)
				}
				alone += time.Since(start)
			}
			b.ReportMetric(float64(alone.Microseconds())/rounds, "alone-µs")
		})
	}
}
