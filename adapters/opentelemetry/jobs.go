package opentelemetry

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/matchpoint/matchpoint/ports"
)

// Attributes of a job's span.
const (
	jobKind    = attribute.Key("matchpoint.job.kind")
	jobID      = attribute.Key("matchpoint.job.id")
	jobAttempt = attribute.Key("matchpoint.job.attempt")
)

// Workers adds to ws a span around every run of a job, a consumer span named "job "
// and the job's kind ("job booking.expire_hold") with its kind, id and attempt; the
// calls the worker makes are its children. A run that fails records the failure, a
// domain.Error of any kind included: the queue will run the job again. Call it before
// the queue starts, and once per Workers.
func (t *Tracing) Workers(ws *ports.Workers) {
	ws.Around(func(ctx context.Context, job ports.RawJob, run func(context.Context) error) (err error) {
		ctx, span := t.tracer.Start(ctx, "job "+job.Kind, trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithAttributes(jobKind.String(job.Kind), jobID.String(job.ID), jobAttempt.Int(job.Attempt)))
		defer func() {
			if err != nil {
				span.RecordError(err)
				span.SetStatus(codes.Error, "the job's attempt failed")
			}
			span.End()
		}()
		return run(ctx)
	})
}
