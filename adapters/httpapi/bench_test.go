package httpapi_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/matchpoint/matchpoint/adapters/httpapi"
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
