package compose

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/matchpoint/matchpoint/adapters/opentelemetry"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/ports"
)

// TracingConfig says whether an example traces with OpenTelemetry. It is read from
// the standard OTEL_* variables (ReadTracingConfig), not from MATCHPOINT_* ones; the
// OTLP exporter and the SDK read the rest of them themselves.
type TracingConfig struct {
	// Enabled exports spans by OTLP over HTTP, as the OTEL_EXPORTER_OTLP_* variables
	// say, in batches.
	Enabled bool
	// Exporter, if set, turns tracing on and receives each span as it ends instead of
	// the OTLP exporter: tests give an in-memory one.
	Exporter sdktrace.SpanExporter
}

// ReadTracingConfig reads from getenv whether to trace. Tracing is off unless
// OTEL_TRACES_EXPORTER is otlp, or unset while OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT names a collector; OTEL_SDK_DISABLED=true and
// OTEL_TRACES_EXPORTER=none turn it off. The exporter speaks OTLP over HTTP: another
// exporter, or OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL=grpc, is an error that names the
// variable.
func ReadTracingConfig(getenv func(string) string) (TracingConfig, error) {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return TracingConfig{}, nil
	}
	on := false
	switch exp := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")); exp {
	case "none":
		return TracingConfig{}, nil
	case "otlp":
		on = true
	case "":
		on = getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
	default:
		return TracingConfig{}, fmt.Errorf("OTEL_TRACES_EXPORTER=%q: want otlp or none", exp)
	}
	if !on {
		return TracingConfig{}, nil
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		switch p := getenv(name); p {
		case "", "http/protobuf", "http/json":
		default:
			return TracingConfig{}, fmt.Errorf("%s=%q: want http/protobuf or http/json (the exporter speaks OTLP over HTTP)", name, p)
		}
	}
	return TracingConfig{Enabled: true}, nil
}

// Tracing is an example's OpenTelemetry tracing: the tracer provider and what traces
// the HTTP API, the use cases' adapters and the job runs. A nil *Tracing, or one built
// from a TracingConfig that is off, traces nothing and changes nothing it is given.
type Tracing struct {
	provider *sdktrace.TracerProvider
	spans    *opentelemetry.Tracing
}

// tracingShutdown bounds the flush of the spans not yet exported, at exit.
const tracingShutdown = 5 * time.Second

// NewTracing returns the tracing cfg asks for, its spans from the service named
// service (unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES names another),
// sampled as OTEL_TRACES_SAMPLER says (every trace by default, or as the caller's
// sampled flag says). The cleanup exports the spans still waiting, for up to five
// seconds, and stops the exporter.
func NewTracing(ctx context.Context, cfg TracingConfig, service string) (*Tracing, func(), error) {
	if !cfg.Enabled && cfg.Exporter == nil {
		return nil, func() {}, nil
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", service)),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
		resource.WithTelemetrySDK())
	if err != nil {
		return nil, nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES or OTEL_SERVICE_NAME: %w", err)
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if cfg.Exporter != nil {
		opts = append(opts, sdktrace.WithSyncer(cfg.Exporter))
	} else {
		exp, err := otlptracehttp.New(ctx) // configured by OTEL_EXPORTER_OTLP_*
		if err != nil {
			return nil, nil, fmt.Errorf("OTEL_EXPORTER_OTLP_*: %w", err)
		}
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	return &Tracing{provider: tp, spans: opentelemetry.New(tp)}, func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tracingShutdown)
		defer cancel()
		_ = tp.Shutdown(ctx)
	}, nil
}

// Enabled says whether t traces.
func (t *Tracing) Enabled() bool { return t != nil && t.provider != nil }

// Deps returns d with its store, cache, payment gateways and job queue traced.
func (t *Tracing) Deps(d app.Deps) app.Deps {
	if !t.Enabled() {
		return d
	}
	d.Store = t.spans.Store(d.Store)
	d.Cache = t.spans.Cache(d.Cache)
	d.Gateways = t.spans.Gateways(d.Gateways)
	d.Jobs = t.spans.Queue(d.Jobs)
	return d
}

// Handler returns h with a server span around each request (otelhttp), continuing
// the trace of a W3C traceparent header when the request carries one; the HTTP API
// names the span after its route.
func (t *Tracing) Handler(h http.Handler) http.Handler {
	if !t.Enabled() {
		return h
	}
	traced := otelhttp.NewHandler(h, "matchpoint",
		otelhttp.WithTracerProvider(t.provider),
		otelhttp.WithPropagators(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Pattern != "" {
			// A ServeMux in front routed the request ("/" for the API): otelhttp would
			// name the span after that pattern once h returns, over the route h named.
			r = r.WithContext(r.Context())
			r.Pattern = ""
		}
		traced.ServeHTTP(w, r)
	})
}

// Workers adds a span around every job run of ws, and returns ws.
func (t *Tracing) Workers(ws *ports.Workers) *ports.Workers {
	if t.Enabled() {
		t.spans.Workers(ws)
	}
	return ws
}

// NewApp is app.New over the dependencies as t traces them: the examples' Wire
// provider of the use cases.
func NewApp(d app.Deps, cfg app.Config, t *Tracing) (*app.App, error) {
	return app.New(t.Deps(d), cfg)
}
