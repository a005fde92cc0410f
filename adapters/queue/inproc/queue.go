package inproc

import (
	"container/heap"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/google/wire"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// ProviderSet provides a *Queue as ports.JobQueue from Config.
var ProviderSet = wire.NewSet(New, wire.Bind(new(ports.JobQueue), new(*Queue)))

// Defaults for the zero values of Config.
const (
	DefaultWorkers     = 4
	DefaultMaxAttempts = 5
)

// DefaultBackoff waits 1s after the first failed attempt and twice as long after each
// further one, at most 5 minutes.
func DefaultBackoff(attempt int) time.Duration {
	if attempt > 9 {
		return 5 * time.Minute
	}
	return min(time.Second<<max(attempt-1, 0), 5*time.Minute)
}

// Config configures a Queue. The zero value is a usable queue: DefaultWorkers workers,
// DefaultMaxAttempts attempts with DefaultBackoff between them, the system clock,
// slog.Default() and no reporter.
type Config struct {
	// Workers is how many jobs run at once. Zero means DefaultWorkers.
	Workers int
	// MaxAttempts is how many times a job runs before it is given up as dead, the
	// first run included. Zero means DefaultMaxAttempts.
	MaxAttempts int
	// Backoff returns how long to wait before running a job again after its attempt-th
	// attempt failed. Nil means DefaultBackoff.
	Backoff func(attempt int) time.Duration
	// Clock decides when a RunAt time or a retry is due. Nil means ports.SystemClock.
	// With a fake clock, Drain runs the jobs that moving it has made due.
	Clock ports.Clock
	// Logger receives every failed attempt, dead jobs and jobs lost at Stop. Nil means
	// slog.Default().
	Logger *slog.Logger
	// Reporter is told of each job that failed its last attempt, with the attributes
	// "kind", "job_id" and "attempts" (see ports.JobQueue). Nil means the log only.
	Reporter ports.ErrorReporter
}

// Stats counts a queue's jobs.
type Stats struct {
	Ready     int   // due and waiting for a worker
	Scheduled int   // waiting for their RunAt time or for a retry
	Running   int   // running now
	Succeeded int64 // finished without error
	Retried   int64 // failed attempts that will run again
	Dead      int64 // failed every attempt and were given up
	Merged    int64 // enqueues dropped because a job with their unique key was waiting or running
	Cancelled int64 // waiting jobs removed by Cancel
}

type state int

const (
	stateNew state = iota
	stateStarted
	stateStopped
)

// Queue is an in-process ports.JobQueue with its workers. It is safe for concurrent use.
type Queue struct {
	workers     int
	maxAttempts int
	backoff     func(int) time.Duration
	clock       ports.Clock
	log         *slog.Logger
	reporter    ports.ErrorReporter

	mu        sync.Mutex
	state     state
	run       *ports.Workers  // set by Start
	ready     []*job          // due jobs, oldest first
	scheduled jobHeap         // jobs waiting for their time
	keys      map[string]*job // waiting and running jobs by unique key
	nextID    int64
	stats     Stats
	work      *sync.Cond    // signalled when a job becomes ready or the queue stops
	changed   chan struct{} // closed and replaced when a job finishes or the queue stops

	wake    chan struct{} // nudges the scheduler to look at the clock again
	stop    chan struct{} // closed when the queue stops
	ctx     context.Context
	cancel  context.CancelFunc
	unwatch func() bool
	running sync.WaitGroup
}

type job struct {
	id       string // stable across attempts
	seq      int64  // orders jobs due at the same time
	kind     string
	args     []byte
	key      string
	runAt    time.Time
	attempts int  // attempts made so far
	running  bool // a worker runs it now
	index    int  // its index in scheduled, or -1
}

// New returns a queue that is not started: Start it with the workers that run its jobs.
// Jobs enqueued before Start wait for it.
func New(cfg Config) *Queue {
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.Backoff == nil {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.Clock == nil {
		cfg.Clock = ports.SystemClock{}
	}
	q := &Queue{
		workers:     cfg.Workers,
		maxAttempts: cfg.MaxAttempts,
		backoff:     cfg.Backoff,
		clock:       cfg.Clock,
		log:         cfg.Logger,
		reporter:    cfg.Reporter,
		keys:        map[string]*job{},
		changed:     make(chan struct{}),
		wake:        make(chan struct{}, 1),
		stop:        make(chan struct{}),
	}
	q.work = sync.NewCond(&q.mu)
	return q
}

func (q *Queue) logger() *slog.Logger {
	if q.log != nil {
		return q.log
	}
	return slog.Default()
}

// Enqueue schedules a job. Inside a transaction the job is added when it commits, so
// a duplicate unique key is noticed then and the job is dropped (and logged) if the
// queue has stopped meanwhile; with the context of a transaction that rolled back it
// is dropped. After Stop, Enqueue fails with unavailable.
func (q *Queue) Enqueue(ctx context.Context, args ports.JobArgs, opts ports.EnqueueOptions) error {
	if args == nil || args.Kind() == "" {
		return domain.Errorf(domain.CodeInvalid, "inproc: a job needs arguments with a kind")
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return domain.Errorf(domain.CodeInvalid, "inproc: encode arguments of %s: %w", args.Kind(), err)
	}
	j := &job{kind: args.Kind(), args: raw, key: opts.UniqueKey, runAt: opts.RunAt, index: -1}
	// AfterCommit runs the hook at once outside a transaction (or after one that
	// committed), later if the transaction is still open, and never if it rolled back.
	inTx := ports.InTx(ctx)
	if inTx && q.stopped() {
		return q.errStopped(j)
	}
	var addErr error
	ports.AfterCommit(ctx, func() {
		err := q.add(j)
		if !inTx {
			addErr = err
		} else if err != nil {
			q.logger().Error("job of a committed transaction lost", "kind", j.kind, "error", err)
		}
	})
	return addErr
}

func (q *Queue) stopped() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.state == stateStopped
}

func (q *Queue) errStopped(j *job) error {
	return domain.Errorf(domain.CodeUnavailable, "inproc: queue stopped; job %s not enqueued", j.kind)
}

// add makes j visible to the workers, unless its unique key is taken.
func (q *Queue) add(j *job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.state == stateStopped {
		return q.errStopped(j)
	}
	if j.key != "" {
		if q.keys[j.key] != nil {
			q.stats.Merged++
			return nil
		}
		q.keys[j.key] = j
	}
	q.nextID++
	j.seq = q.nextID
	j.id = strconv.FormatInt(j.seq, 10)
	now := q.clock.Now()
	if j.runAt.IsZero() {
		j.runAt = now // due now: its lag counts from here
	}
	q.place(j, now)
	return nil
}

// Cancel removes the job enqueued with uniqueKey if it waits, for its RunAt time or
// for a retry: it never runs (again) and its key is free. A running job is left to
// finish (and to be retried if it fails). No such job is not an error; an empty key
// is an invalid error. Inside a transaction (ports.InTx) the job is removed when the
// transaction commits (ports.AfterCommit), and not if it rolls back; a job enqueued
// earlier in the same transaction is then cancelled too, as hooks run in order.
func (q *Queue) Cancel(ctx context.Context, uniqueKey string) error {
	if uniqueKey == "" {
		return domain.Errorf(domain.CodeInvalid, "inproc: Cancel needs a unique key")
	}
	ports.AfterCommit(ctx, func() { q.cancelKey(uniqueKey) })
	return nil
}

// cancelKey removes the waiting job with key.
func (q *Queue) cancelKey(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	j := q.keys[key]
	if j == nil || j.running || q.state == stateStopped { // Stop has dropped the waiting jobs
		return
	}
	if j.index >= 0 {
		heap.Remove(&q.scheduled, j.index)
	} else if i := slices.Index(q.ready, j); i >= 0 {
		q.ready = slices.Delete(q.ready, i, i+1)
	}
	delete(q.keys, key)
	q.stats.Cancelled++
	q.notifyChanged()
}

// notifyChanged wakes Drain. The caller holds mu.
func (q *Queue) notifyChanged() {
	close(q.changed)
	q.changed = make(chan struct{})
}

// Start starts the workers and the scheduler and returns: from then on each due job
// runs through ws.Work, in a worker goroutine, with a context derived from ctx.
// Cancelling ctx stops the queue as Stop does, without waiting. A job of a kind ws has
// no worker for fails each attempt. Add every worker to ws before Start.
func (q *Queue) Start(ctx context.Context, ws *ports.Workers) error {
	if ws == nil {
		return domain.Errorf(domain.CodeInvalid, "inproc: Start needs the workers that run the jobs")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.state != stateNew {
		return domain.Errorf(domain.CodeInvalidTransition, "inproc: a queue starts only once")
	}
	q.state = stateStarted
	q.run = ws
	q.ctx, q.cancel = context.WithCancel(ctx)
	q.unwatch = context.AfterFunc(ctx, q.halt)
	for range q.workers {
		q.running.Go(q.worker)
	}
	q.running.Go(q.scheduler)
	return nil
}

// halt stops handing out jobs and drops the ones that have not started.
func (q *Queue) halt() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.state == stateStopped {
		return
	}
	wasStarted := q.state == stateStarted
	q.state = stateStopped
	dropped := len(q.ready) + len(q.scheduled)
	q.ready, q.scheduled = nil, nil
	if wasStarted {
		close(q.stop)
		q.work.Broadcast()
	}
	q.notifyChanged()
	if dropped > 0 {
		q.logger().Warn("in-process queue stopped; jobs that had not started are lost", "jobs", dropped)
	}
}

// Stop stops the queue gracefully: no job starts any more, the jobs that have not
// started are dropped (and counted in the log), and Stop waits for running jobs to
// finish. If ctx ends first, it cancels the running jobs' context and returns ctx's
// error without waiting further.
func (q *Queue) Stop(ctx context.Context) error {
	q.halt()
	q.mu.Lock()
	cancel, unwatch := q.cancel, q.unwatch
	q.mu.Unlock()
	if cancel == nil {
		return nil // never started
	}
	unwatch()
	done := make(chan struct{})
	go func() {
		q.running.Wait()
		close(done)
	}()
	select {
	case <-done:
		cancel()
		return nil
	case <-ctx.Done():
		cancel()
		return ctx.Err()
	}
}

// Drain waits until no job is due or running: every job whose time has come (by the
// queue's clock, read again now) has run, succeeded or failed (and been reported if
// that was its last attempt). Jobs scheduled for
// later, retries included, do not keep it waiting. The queue must be started.
func (q *Queue) Drain(ctx context.Context) error {
	for {
		q.mu.Lock()
		if q.state == stateStarted {
			q.promoteDue(q.clock.Now())
		}
		idle := len(q.ready) == 0 && q.stats.Running == 0
		changed := q.changed
		q.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Stats returns the queue's counts.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.stats
	s.Ready, s.Scheduled = len(q.ready), len(q.scheduled)
	return s
}
