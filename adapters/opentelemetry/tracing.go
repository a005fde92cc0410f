package opentelemetry

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/matchpoint/matchpoint/domain"
)

// ScopeName is the instrumentation scope of the spans this package starts.
const ScopeName = "github.com/matchpoint/matchpoint/adapters/opentelemetry"

// Tracing starts the spans of the decorators it makes. It is safe for concurrent use.
type Tracing struct {
	tracer trace.Tracer
}

// New returns the decorators that start their spans with tp's tracer.
func New(tp trace.TracerProvider) *Tracing {
	return &Tracing{tracer: tp.Tracer(ScopeName)}
}

// start starts an internal span named name, a child of ctx's span.
func (t *Tracing) start(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	return t.tracer.Start(ctx, name, trace.WithAttributes(attrs...))
}

// errorCode is the attribute of a domain error's code on a span.
const errorCode = attribute.Key("matchpoint.error.code")

// End ends span after a call that returned err: a failure (see IsFailure) is recorded
// on the span with the status Error; any other error is an outcome, named by its code
// alone.
func End(span trace.Span, err error) {
	if err != nil {
		span.SetAttributes(errorCode.String(domain.ErrorCode(err)))
		if IsFailure(err) {
			span.RecordError(err)
			span.SetStatus(codes.Error, domain.ErrorCode(err))
		}
	}
	span.End()
}

// IsFailure reports whether err is a failure rather than an answer the caller expects:
// an error that is not a domain.Error (a bug, a cancelled context, a driver's error),
// or a domain.Error of kind internal or unavailable. Not found, conflicts, refusals by
// policy or rights and invalid input are answers.
func IsFailure(err error) bool {
	switch domain.ErrorKind(err) {
	case "":
		return false
	case domain.KindInternal, domain.KindUnavailable:
		return true
	default:
		return false
	}
}
