package httpapi

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// nameSpan names the request's span, when an OpenTelemetry middleware in front of the
// Handler (otelhttp) started one, after the route that matched: "POST
// /v1/clubs/{club}/bookings", with that path as http.route. The middleware cannot see
// the route itself: the Handler routes with a ServeMux of its own. Without a span it
// does nothing.
func nameSpan(r *http.Request, pattern string) {
	span := trace.SpanFromContext(r.Context())
	if !span.IsRecording() {
		return
	}
	route := pattern
	if _, path, ok := strings.Cut(pattern, " "); ok { // "GET /v1/…": the method is apart
		route = path
	}
	span.SetName(r.Method + " " + route)
	span.SetAttributes(attribute.String("http.route", route))
}
