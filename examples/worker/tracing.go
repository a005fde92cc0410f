package main

import (
	"context"

	"github.com/matchpoint/matchpoint/examples/internal/compose"
)

// provideTracing is the worker's OpenTelemetry tracing, off unless the OTEL_*
// variables name an OTLP collector (compose.ReadTracingConfig); its spans come from
// the service matchpoint-worker unless OTEL_SERVICE_NAME says otherwise.
func provideTracing(ctx context.Context, cfg Config) (*compose.Tracing, func(), error) {
	return compose.NewTracing(ctx, cfg.Tracing, "matchpoint-worker")
}
