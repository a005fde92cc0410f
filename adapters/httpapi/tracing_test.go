package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/matchpoint/matchpoint/adapters/httpapi"
)

func TestTheRequestSpanIsNamedAfterTheRoute(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	e := newEnv(t, func(o *httpapi.Config) {
		o.Extra = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	})
	h := otelhttp.NewHandler(e.handler, "matchpoint", otelhttp.WithTracerProvider(tp))

	for _, tc := range []struct {
		method, path string
		status       int
		name, route  string
	}{
		{http.MethodGet, "/healthz", http.StatusOK, "GET /healthz", "/healthz"},
		{http.MethodGet, "/v1/bookings/nope", http.StatusUnauthorized, "GET /v1/bookings/{id}", "/v1/bookings/{id}"},
		{http.MethodPost, "/v1/clubs/" + clubSlug + "/quotes", http.StatusBadRequest, "POST /v1/clubs/{club}/quotes", "/v1/clubs/{club}/quotes"},
		{http.MethodGet, "/sandbox/checkout/x", http.StatusNoContent, "GET /sandbox/", "/sandbox/"},
		{http.MethodGet, "/nowhere", http.StatusNotFound, "GET", ""}, // no route: the method alone, as otelhttp names it
	} {
		exp.Reset()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, strings.NewReader("{")))
		require.Equal(t, tc.status, rec.Code, tc.path)
		spans := exp.GetSpans()
		require.Len(t, spans, 1, tc.path)
		s := spans[0]
		assert.Equal(t, tc.name, s.Name, tc.path)
		assert.Equal(t, trace.SpanKindServer, s.SpanKind)
		route := ""
		for _, kv := range s.Attributes {
			if kv.Key == "http.route" {
				route = kv.Value.AsString()
			}
		}
		assert.Equal(t, tc.route, route, tc.path)
	}
}
