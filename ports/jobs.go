package ports

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// JobArgs are the typed arguments of a job; Kind names the worker that runs it and
// never changes meaning. Arguments are stored as their JSON encoding. (The method set
// is River's JobArgs, so a River queue takes them as they are.)
type JobArgs interface {
	Kind() string
}

// EnqueueOptions tune one job. The zero value runs the job now, with the queue's
// default attempts, and no uniqueness.
type EnqueueOptions struct {
	RunAt     time.Time // zero: now
	UniqueKey string    // while a job with this key waits, runs or waits for a retry, enqueueing another is a no-op
}

// JobQueue schedules background work, which the Workers given to the queue run. Enqueued
// inside a transaction (see Transactor), a job is stored with the transaction and runs
// only if it commits.
//
// A job whose attempt fails (its worker returns an error or panics) is logged and run
// again after a backoff, until it runs out of attempts; its last failure is then
// reported through the queue's ErrorReporter with the attributes "kind", "job_id" (the
// Job's ID) and "attempts" (how many attempts were made), and an error that carries
// the worker's.
type JobQueue interface {
	// Enqueue schedules a job with args, to run at opts.RunAt.
	Enqueue(ctx context.Context, args JobArgs, opts EnqueueOptions) error
	// Cancel cancels the job enqueued with uniqueKey if it has not started: it never
	// runs, and the key is free for another Enqueue. A running job is not interrupted.
	// No such job is not an error. Inside a transaction the cancellation takes effect
	// only when the transaction commits, and not at all if it rolls back.
	Cancel(ctx context.Context, uniqueKey string) error
}

// Job is one run of a job, as its worker sees it.
type Job[T JobArgs] struct {
	ID      string // the queue's id of the job, stable across its attempts
	Args    T
	Attempt int // 1 on the first run
	// ScheduledAt is when this attempt was due: its RunAt time, when it was enqueued,
	// or when its retry was due. Zero when the queue does not say.
	ScheduledAt time.Time
}

// Worker runs the jobs of one kind: the kind of T. An error (or a panic) means the
// attempt failed and the queue retries it later, with backoff, until it runs out of
// attempts and reports it.
type Worker[T JobArgs] interface {
	Work(ctx context.Context, job *Job[T]) error
}

// WorkFunc is a Worker made of a function.
type WorkFunc[T JobArgs] func(ctx context.Context, job *Job[T]) error

// Work calls f.
func (f WorkFunc[T]) Work(ctx context.Context, job *Job[T]) error { return f(ctx, job) }

// Workers are the workers a queue runs, one per kind. A queue adapter takes them when
// it is built or started and calls Work for each job it runs. Add every worker before
// the queue starts: a Workers is safe for concurrent Work, not for AddWorker meanwhile.
type Workers struct {
	byKind  map[string]func(ctx context.Context, job RawJob) error
	around  []AroundJob // see Around
	metrics Metrics     // nil: not observed
	clock   Clock
}

// AroundJob runs around every run of a job: it calls run, with ctx or a context
// derived from it, to run the job's worker, and returns run's error or one of its own.
// run turns a panic of the worker into an error, so that what AroundJob does after
// run (end a span, count a failure) always happens.
type AroundJob func(ctx context.Context, job RawJob, run func(ctx context.Context) error) error

// NewWorkers returns an empty set of workers.
func NewWorkers() *Workers {
	return &Workers{byKind: make(map[string]func(context.Context, RawJob) error)}
}

// AddWorker adds the worker of T's kind. Like River's AddWorker, it panics on a kind
// added twice or an empty one: those are wiring mistakes.
func AddWorker[T JobArgs](ws *Workers, w Worker[T]) {
	var zero T
	kind := zero.Kind()
	if kind == "" || w == nil {
		panic("ports: AddWorker needs a worker of arguments with a kind")
	}
	if _, dup := ws.byKind[kind]; dup {
		panic(fmt.Sprintf("ports: a worker for %q is already added", kind))
	}
	ws.byKind[kind] = func(ctx context.Context, raw RawJob) error {
		job := &Job[T]{ID: raw.ID, Attempt: raw.Attempt, ScheduledAt: raw.ScheduledAt}
		if err := json.Unmarshal(raw.Args, &job.Args); err != nil {
			return fmt.Errorf("decode the arguments of %s: %w", kind, err)
		}
		return w.Work(ctx, job)
	}
}

// RawJob is a job as a queue stores it: its kind and the JSON of its arguments.
type RawJob struct {
	ID      string
	Kind    string
	Args    []byte
	Attempt int
	// ScheduledAt is when this attempt was due (see Job.ScheduledAt); zero when the
	// queue does not say.
	ScheduledAt time.Time
}

// Observe makes ws tell m of every job it runs: its kind ("unknown" for a kind without
// a worker), its outcome, how long after it was due it started, by clock (the clock
// the queue goes by), and how long it ran. Call it before the queue starts, as
// AddWorker.
func (ws *Workers) Observe(m Metrics, clock Clock) {
	if clock == nil {
		clock = SystemClock{}
	}
	ws.metrics, ws.clock = m, clock
}

// Kinds returns the kinds that have a worker, sorted.
func (ws *Workers) Kinds() []string {
	kinds := make([]string, 0, len(ws.byKind))
	for k := range ws.byKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	return kinds
}

// Around adds fn around every run of a job that has a worker (tracing, metrics): the
// first added is the outermost. Like AddWorker, call it before the queue starts.
func (ws *Workers) Around(fn AroundJob) {
	if fn == nil {
		panic("ports: Around needs a function")
	}
	ws.around = append(ws.around, fn)
}

// Work decodes a job's arguments and runs the worker of its kind, inside the functions
// added with Around. A kind without a worker, arguments that do not decode and a panic
// of the worker are errors.
func (ws *Workers) Work(ctx context.Context, job RawJob) error {
	work, ok := ws.byKind[job.Kind]
	if !ok {
		if ws.metrics != nil {
			ws.metrics.Job("unknown", JobFailed, ws.lag(job), 0)
		}
		return fmt.Errorf("no worker for jobs of kind %q", job.Kind)
	}
	run := func(ctx context.Context) error { return ws.run(ctx, job, work) }
	for i := len(ws.around) - 1; i >= 0; i-- {
		fn, next := ws.around[i], run
		run = func(ctx context.Context) error { return fn(ctx, job, next) }
	}
	return run(ctx)
}

// run runs work on job, turning a panic into an error, and tells the metrics of it.
func (ws *Workers) run(ctx context.Context, job RawJob, work func(context.Context, RawJob) error) (err error) {
	var lag time.Duration
	var start time.Time
	if ws.metrics != nil {
		lag, start = ws.lag(job), time.Now()
	}
	defer func() {
		outcome := JobSucceeded
		if r := recover(); r != nil {
			err = fmt.Errorf("worker of %s panicked: %v", job.Kind, r)
			outcome = JobPanicked
		} else if err != nil {
			outcome = JobFailed
		}
		if ws.metrics != nil {
			ws.metrics.Job(job.Kind, outcome, lag, time.Since(start))
		}
	}()
	return work(ctx, job)
}

// lag is how long after it was due job starts now; zero when the queue did not say
// when it was due.
func (ws *Workers) lag(job RawJob) time.Duration {
	if job.ScheduledAt.IsZero() {
		return 0
	}
	return max(ws.clock.Now().Sub(job.ScheduledAt), 0)
}
