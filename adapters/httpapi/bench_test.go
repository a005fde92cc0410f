package httpapi_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
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
