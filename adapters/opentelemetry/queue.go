package opentelemetry

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/matchpoint/matchpoint/ports"
)

// jobRunAt is the attribute of the instant a job is enqueued to run at.
const jobRunAt = attribute.Key("matchpoint.job.run_at")

// Queue returns next with a span around each call: "queue.Enqueue" with the job's
// kind (and the instant it is to run at, when it is not now), and "queue.Cancel". The
// job's run is a trace of its own (see Workers): these spans show, in the trace of
// the request, which jobs it scheduled.
func (t *Tracing) Queue(next ports.JobQueue) ports.JobQueue { return &queue{t: t, next: next} }

// queue is a ports.JobQueue that traces every call of next.
type queue struct {
	t    *Tracing
	next ports.JobQueue
}

var _ ports.JobQueue = (*queue)(nil)

func (q *queue) Enqueue(ctx context.Context, args ports.JobArgs, opts ports.EnqueueOptions) error {
	attrs := []attribute.KeyValue{jobKind.String(args.Kind())}
	if !opts.RunAt.IsZero() {
		attrs = append(attrs, jobRunAt.String(opts.RunAt.UTC().Format(time.RFC3339)))
	}
	return tracedErr(q.t, ctx, "queue.Enqueue", func(ctx context.Context) error { return q.next.Enqueue(ctx, args, opts) }, attrs...)
}

func (q *queue) Cancel(ctx context.Context, uniqueKey string) error {
	return tracedErr(q.t, ctx, "queue.Cancel", func(ctx context.Context) error { return q.next.Cancel(ctx, uniqueKey) })
}
