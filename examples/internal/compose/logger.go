package compose

import (
	"io"
	"log/slog"

	"github.com/matchpoint/matchpoint/adapters/httpapi"
	"github.com/matchpoint/matchpoint/adapters/opentelemetry"
)

// NewLogger returns the logger of level and format (MATCHPOINT_LOG_LEVEL,
// MATCHPOINT_LOG_FORMAT: "text", else JSON), writing to w; every line logged while
// serving a request carries the request's id (httpapi.LogHandler), and every line
// logged inside a span its trace_id and span_id (opentelemetry.LogHandler).
func NewLogger(level slog.Level, format string, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewJSONHandler(w, opts)
	if format == "text" {
		h = slog.NewTextHandler(w, opts)
	}
	// httpapi.LogHandler outermost: the request's own line relies on it to add the id.
	return slog.New(httpapi.LogHandler(opentelemetry.LogHandler(h)))
}
