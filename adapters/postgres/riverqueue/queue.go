package riverqueue

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivertype"

	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// Defaults for the zero values of Config.
const (
	DefaultConcurrency = 4
	DefaultMaxAttempts = 5
)

// Config configures a Queue. Every field has a working default: the zero value is a
// queue that enqueues and cancels jobs, and runs them once started with workers.
type Config struct {
	// Reporter receives the failure of a job's last attempt, after which the job is
	// discarded. Nil means the failure is only logged, at error level.
	Reporter ports.ErrorReporter
	// Logger receives River's own log and the failed attempts that will be retried.
	// Nil means slog.Default().
	Logger *slog.Logger
	// MaxAttempts is how many times a job runs before it is given up and reported,
	// the first run included; it is stored with each job when it is enqueued. Zero
	// (or less) means DefaultMaxAttempts.
	MaxAttempts int
	// Concurrency is how many jobs this process runs at once. Zero (or less) means
	// DefaultConcurrency.
	Concurrency int
	// Backoff returns how long to wait before running a job again after its
	// attempt-th attempt failed. Nil means River's default policy: attempt⁴ seconds
	// (1s, 16s, 81s, …), with jitter.
	Backoff func(attempt int) time.Duration
	// JobTimeout bounds one attempt: its context is cancelled after it. Zero means
	// River's default, one minute; a negative value means no bound.
	JobTimeout time.Duration
	// RescueAfter is how long a job may stay running before River's rescuer, run by
	// the elected leader among the started Queues, takes it for stuck (its process
	// died mid-run) and schedules it again as a retry: a job whose worker process was
	// killed runs again only after this. It must exceed the attempt's bound, JobTimeout
	// (River's one minute when JobTimeout is zero), or a job still running would be run
	// a second time meanwhile; a value that does not, or a negative one, is an error of
	// New. Zero means River's default: one hour, or JobTimeout plus one hour when
	// JobTimeout is longer than that. The rescuer looks every 30 seconds, and when the
	// leader itself died another Queue takes over once its 15-second term has run out,
	// so a job may wait that much longer.
	RescueAfter time.Duration
	// RescuedCheck is how often a started Queue looks for jobs River discarded on rescue
	// — left running by a process that died, on their last attempt — which River does
	// not report; each is reported to Reporter once, by whichever Queue finds it. Zero
	// means every 30 seconds, the pace of River's rescuer.
	RescuedCheck time.Duration
	// FetchPollInterval is how often the workers look for jobs that are due. The
	// database/sql driver has no LISTEN connection, so polling is how jobs are found:
	// a job waits up to this long after it is due. Zero means River's default, one
	// second; a value under River's minimum (1ms) is an error of New.
	FetchPollInterval time.Duration
	// PollOnly keeps River from relying on LISTEN/NOTIFY at all. Set it when the
	// database is reached through PgBouncer in transaction pooling mode (or any pooler
	// that hands a session's connection to others between transactions), where a
	// LISTEN does not stay with the session that issued it. With the database/sql
	// driver River does not LISTEN in any case, so today it changes little; it keeps
	// the setting explicit should the driver gain a listener. False means River's
	// default.
	PollOnly bool
	// Periodic are jobs enqueued on a schedule by the started queues on the database:
	// River elects one leader among every started Queue of the database, and only the
	// leader enqueues them, so each runs on schedule once however many processes run
	// workers. Each is enqueued with the unique key "periodic:" and its kind, so that
	// one still waiting or running keeps the next from piling up behind it. Their
	// kinds need a worker in the Workers given to Start. Nil means none.
	Periodic []Periodic
}

// Periodic is a job that the queues' leader enqueues every Interval.
type Periodic struct {
	// Args are the job's arguments, enqueued as they are each time.
	Args ports.JobArgs
	// Interval is the time between two runs; it must be positive.
	Interval time.Duration
	// RunOnStart enqueues the job also when a queue becomes the leader, rather than
	// only an Interval later.
	RunOnStart bool
}

// uniqueStates are the states in which a job holds its unique key: waiting (for its
// first run, its RunAt time or a retry) or running. A completed, cancelled or
// discarded job frees it. River requires available, pending, running and scheduled.
var uniqueStates = []rivertype.JobState{
	rivertype.JobStateAvailable,
	rivertype.JobStatePending,
	rivertype.JobStateRetryable,
	rivertype.JobStateRunning,
	rivertype.JobStateScheduled,
}

// envelope is the River arguments of every job: the port's kind, its unique key (the
// only field River's uniqueness looks at) and the JSON of the port's arguments.
type envelope struct {
	kind string
	Key  string          `json:"key,omitempty" river:"unique"`
	Args json.RawMessage `json:"args"`
}

// Kind is the kind of the port's arguments.
func (e envelope) Kind() string { return e.kind }

// Queue is a ports.JobQueue on River, storing its jobs in the bookings' database and
// running them with the Workers of its Config. It is safe for concurrent use.
type Queue struct {
	store    *postgres.Store
	db       *sql.DB
	cfg      Config
	river    river.Config           // the configuration of the working client, Workers aside
	inserter *river.Client[*sql.Tx] // enqueues and cancels; has no workers

	mu         sync.Mutex
	worker     *river.Client[*sql.Tx] // built by Start from its workers
	stopReport context.CancelFunc     // ends reportRescued
}

var _ ports.JobQueue = (*Queue)(nil)

// New returns a queue on db, the *sql.DB under store's *bun.DB (postgres.Open's
// db.DB), whose River tables Migrate has created. Enqueue and Cancel work at once;
// jobs run once Start is called with their workers: a process that only enqueues (an
// API server whose jobs other processes run) never calls it. A Config River refuses
// (such as a FetchPollInterval under its minimum) is an error.
func New(store *postgres.Store, db *sql.DB, cfg Config) (*Queue, error) {
	if store == nil || db == nil {
		return nil, errors.New("riverqueue: New needs the store and its *sql.DB")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.JobTimeout < 0 {
		cfg.JobTimeout = -1 // River's "no bound"
	}
	if err := checkRescueAfter(cfg); err != nil {
		return nil, err
	}
	q := &Queue{store: store, db: db, cfg: cfg}
	q.river = river.Config{
		Logger:       cfg.Logger,
		MaxAttempts:  cfg.MaxAttempts,
		JobTimeout:   cfg.JobTimeout,
		PollOnly:     cfg.PollOnly,
		ErrorHandler: &errorHandler{reporter: cfg.Reporter, log: cfg.Logger},
		Middleware:   []rivertype.Middleware{&soonAvailable{}},

		// River's rescuer takes a job for stuck once it has run this long.
		RescueStuckJobsAfter: cfg.RescueAfter,
	}
	if cfg.FetchPollInterval != 0 {
		if cfg.FetchPollInterval < river.FetchPollIntervalMin {
			return nil, fmt.Errorf("riverqueue: FetchPollInterval %s is under River's minimum, %s", cfg.FetchPollInterval, river.FetchPollIntervalMin)
		}
		q.river.FetchPollInterval = cfg.FetchPollInterval
		q.river.FetchCooldown = min(cfg.FetchPollInterval, river.FetchCooldownDefault)
	}
	if cfg.Backoff != nil {
		q.river.RetryPolicy = backoffPolicy(cfg.Backoff)
	}
	for i, p := range cfg.Periodic {
		if p.Args == nil || p.Args.Kind() == "" || p.Interval <= 0 {
			return nil, fmt.Errorf("riverqueue: Periodic[%d] needs arguments with a kind and a positive interval", i)
		}
		if _, err := json.Marshal(p.Args); err != nil {
			return nil, fmt.Errorf("riverqueue: Periodic[%d]: encode arguments of %s: %w", i, p.Args.Kind(), err)
		}
	}
	// The client that enqueues has no workers: it stores jobs of any kind, also of
	// kinds that only another process runs. It never fetches, so its fetch intervals
	// only pace River's insert notification: a NOTIFY, sent in the enqueueing
	// transaction at most once per FetchCooldown, that wakes producers listening on
	// the database. Those of this package do not listen (the database/sql driver has
	// no listener; they poll), and a NOTIFY costs the transaction a round trip and its
	// commit a database-wide lock, so it is sent once per insertNotifyEvery at most.
	insertCfg := q.river
	insertCfg.FetchCooldown, insertCfg.FetchPollInterval = insertNotifyEvery, insertNotifyEvery
	var err error
	q.inserter, err = river.NewClient(riverdatabasesql.New(db), &insertCfg)
	if err != nil {
		return nil, fmt.Errorf("riverqueue: %w", err)
	}
	return q, nil
}

// insertNotifyEvery is how often at most the enqueueing client lets River send its
// insert notification, which no Queue listens to.
const insertNotifyEvery = time.Hour

// checkRescueAfter refuses a Config.RescueAfter that is negative or does not exceed
// the attempt's bound, which River would take for stuck while it still runs.
func checkRescueAfter(cfg Config) error {
	switch timeout := cmp.Or(cfg.JobTimeout, river.JobTimeoutDefault); {
	case cfg.RescueAfter < 0:
		return fmt.Errorf("riverqueue: RescueAfter %s must not be negative", cfg.RescueAfter)
	case cfg.RescueAfter > 0 && timeout > 0 && cfg.RescueAfter <= timeout:
		return fmt.Errorf("riverqueue: RescueAfter %s must exceed JobTimeout %s, or a running job would be rescued and run again meanwhile", cfg.RescueAfter, timeout)
	}
	return nil
}

// newWorker builds the client that runs the jobs of ws.
func (q *Queue) newWorker(ws *ports.Workers) (*river.Client[*sql.Tx], error) {
	if ws == nil || len(ws.Kinds()) == 0 {
		return nil, domain.Errorf(domain.CodeInvalid, "riverqueue: Start needs workers")
	}
	workers := river.NewWorkers()
	for _, kind := range ws.Kinds() {
		if err := addWorker(workers, kind, ws); err != nil {
			return nil, fmt.Errorf("riverqueue: worker of %q: %w", kind, err)
		}
	}
	cfg := q.river
	cfg.Workers = workers
	cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: q.cfg.Concurrency}}
	for _, p := range q.cfg.Periodic {
		if !slices.Contains(ws.Kinds(), p.Args.Kind()) {
			return nil, domain.Errorf(domain.CodeInvalid, "riverqueue: the periodic job %q has no worker", p.Args.Kind())
		}
		raw, _ := json.Marshal(p.Args) // New checked that it encodes
		env := envelope{kind: p.Args.Kind(), Key: "periodic:" + p.Args.Kind(), Args: raw}
		cfg.PeriodicJobs = append(cfg.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(p.Interval),
			func() (river.JobArgs, *river.InsertOpts) {
				return env, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ExcludeKind: true, ByState: uniqueStates}}
			}, &river.PeriodicJobOpts{RunOnStart: p.RunOnStart}))
	}
	c, err := river.NewClient(riverdatabasesql.New(q.db), &cfg)
	if err != nil {
		return nil, fmt.Errorf("riverqueue: %w", err)
	}
	return c, nil
}

// addWorker registers the River worker of one kind, turning River's panic on a kind
// it refuses into an error.
func addWorker(workers *river.Workers, kind string, ws *ports.Workers) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	river.AddWorkerArgs(workers, envelope{kind: kind}, &worker{ws: ws})
	return nil
}

// worker runs a River job with the port's workers.
type worker struct {
	river.WorkerDefaults[envelope]
	ws *ports.Workers
}

func (w *worker) Work(ctx context.Context, job *river.Job[envelope]) error {
	return w.ws.Work(ctx, ports.RawJob{
		ID:      strconv.FormatInt(job.ID, 10),
		Kind:    job.Kind,
		Args:    job.Args.Args,
		Attempt: job.Attempt,
		// When this attempt was due: its RunAt time, when it was inserted, or when its
		// retry was due.
		ScheduledAt: job.ScheduledAt,
	})
}

// Start starts running jobs with ws (App.Workers, say), until Stop: those already
// waiting and those enqueued later, by this process or another on the same database.
// ctx is used only to start; cancelling it later does not stop the queue. Start fails
// without workers and when already started.
func (q *Queue) Start(ctx context.Context, ws *ports.Workers) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.worker != nil {
		return errors.New("riverqueue: already started")
	}
	c, err := q.newWorker(ws)
	if err != nil {
		return err
	}
	if err := c.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("riverqueue: start: %w", err)
	}
	q.worker = c
	rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	q.stopReport = stop
	go q.reportRescued(rctx, cmp.Or(q.cfg.RescuedCheck, rescuedCheckEvery))
	return nil
}

// Stop stops fetching jobs and waits for the running ones to finish. If ctx ends
// first, it cancels their contexts and returns ctx's error; a job cut short this way
// is retried later, by this or another process. Jobs not started stay in the database
// for the next Start. Stop without Start does nothing; after Stop, Start may be called
// again.
func (q *Queue) Stop(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	c := q.worker
	if c == nil {
		return nil
	}
	q.stopReport()
	if err := c.Stop(ctx); err != nil {
		_ = c.StopAndCancel(ctx) // cancels the jobs' contexts, and returns at once as ctx has ended
		return fmt.Errorf("riverqueue: stop: %w", err)
	}
	q.worker = nil
	return nil
}

// WaitIdle returns once no job of the database is due or running: every job whose
// time has come (available, or scheduled or retryable with its time passed) has run,
// by this process or another. Jobs scheduled for later, retries included, do not keep
// it waiting. It polls river_job, so it works whether this Queue is started or not:
// a test can wait for the jobs a worker in another process runs. It returns ctx's
// error if ctx ends first, and a database failure as unavailable.
func (q *Queue) WaitIdle(ctx context.Context) error {
	t := time.NewTicker(idlePoll)
	defer t.Stop()
	for {
		var n int
		err := q.db.QueryRowContext(ctx, `SELECT count(*) FROM river_job
			WHERE state = 'running'
			   OR (state IN ('available', 'scheduled', 'retryable') AND scheduled_at <= now())`).Scan(&n)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			return q.failed(err, "wait for idle")
		case n == 0:
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// idlePoll is how often WaitIdle looks at river_job.
const idlePoll = 20 * time.Millisecond

// Enqueue stores a job. With the context of the store's transaction (a context of
// store.WithinTx) the job is inserted in that transaction, together with the other
// jobs the transaction enqueues, in one statement just before it commits: it exists,
// and may run, only once the transaction commits, and a rollback leaves no trace of
// it; a failure of that insert fails the commit, so the transaction's writes and its
// jobs are stored together or not at all. Otherwise it is inserted at once. A unique
// key taken by a job that waits (for its first run, its RunAt time or a retry) or runs
// makes the job a no-op (for a job of the transaction, at its commit); one taken by a
// job of another open transaction makes the insert wait for that transaction to end
// (River's unique index). Enqueue works whether this Queue is started or not, and does not
// check that some process has a worker for the kind. Arguments without a kind, or that do
// not encode as JSON, are invalid; a database failure is unavailable; a context of
// another Transactor's transaction is refused as internal, since the job could not
// commit with it.
func (q *Queue) Enqueue(ctx context.Context, args ports.JobArgs, opts ports.EnqueueOptions) error {
	if args == nil || args.Kind() == "" {
		return domain.Errorf(domain.CodeInvalid, "riverqueue: a job needs arguments with a kind")
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return domain.Errorf(domain.CodeInvalid, "riverqueue: encode arguments of %s: %w", args.Kind(), err)
	}
	env := envelope{kind: args.Kind(), Key: opts.UniqueKey, Args: raw}
	insert := &river.InsertOpts{}
	if !opts.RunAt.IsZero() {
		insert.ScheduledAt = opts.RunAt.UTC()
	}
	if opts.UniqueKey != "" {
		// Only the key decides, for every kind alike: ByArgs looks at the envelope's
		// one unique field and ExcludeKind leaves the kind out.
		insert.UniqueOpts = river.UniqueOpts{ByArgs: true, ExcludeKind: true, ByState: uniqueStates}
	}
	b, joined, err := q.batchOf(ctx)
	if joined {
		if err != nil {
			return err
		}
		b.add(river.InsertManyParams{Args: env, InsertOpts: insert}, opts.UniqueKey)
		return nil
	}
	if ports.InTx(ctx) {
		return errForeignTx
	}
	if _, err := q.inserter.Insert(ctx, env, insert); err != nil {
		return q.failed(err, "enqueue %s", args.Kind())
	}
	return nil
}

// batchOf returns the jobs enqueued in the store's transaction that ctx carries, which
// are inserted together just before it commits: one statement for all the jobs of a
// booking, rather than one round trip each. joined is false outside the store's
// transactions.
func (q *Queue) batchOf(ctx context.Context) (b *batch, joined bool, err error) {
	h, joined, err := q.store.BeforeCommit(ctx, q, func() postgres.BeforeCommitHook { return &batch{q: q} })
	if !joined || err != nil {
		return nil, joined, err
	}
	return h.(*batch), true, nil
}

// batch is the jobs a transaction has enqueued, not yet inserted.
type batch struct {
	q    *Queue
	mu   sync.Mutex
	jobs []river.InsertManyParams
	keys []string // the unique key of each job; empty for none
}

// add adds a job, unless one with its unique key is in the batch already (River
// would refuse two rows of one key in one statement).
func (b *batch) add(job river.InsertManyParams, key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if key != "" && slices.Contains(b.keys, key) {
		return
	}
	b.jobs, b.keys = append(b.jobs, job), append(b.keys, key)
}

// cancel drops the batch's job of the unique key, if any.
func (b *batch) cancel(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if i := slices.Index(b.keys, key); i >= 0 {
		b.jobs, b.keys = slices.Delete(b.jobs, i, i+1), slices.Delete(b.keys, i, i+1)
	}
}

// BeforeCommit inserts the batch's jobs in the transaction; a job whose unique key
// another job holds is skipped, as Enqueue promises. It uses River's InsertManyFastTx,
// which with the database/sql driver is the same INSERT as InsertManyTx with ON
// CONFLICT DO NOTHING on the unique key and no RETURNING: the rows are not sent back
// and decoded, which Enqueue has no use for, and a job whose key is taken is not
// rewritten (InsertManyTx's DO UPDATE writes a new version of the existing row to
// return it). The store sends the INSERT with the COMMIT, in one round trip.
func (b *batch) BeforeCommit(ctx context.Context, tx *sql.Tx) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.jobs) == 0 {
		return nil
	}
	if _, err := b.q.inserter.InsertManyFastTx(ctx, tx, b.jobs); err != nil {
		return b.q.failed(err, "enqueue the %d jobs of a transaction", len(b.jobs))
	}
	return nil
}

// Cancel cancels the job enqueued with uniqueKey if it has not started: one that
// waits for its first run, its RunAt time or a retry is cancelled, never runs (again)
// and frees the key. A running job is left to finish. No such job is not an error.
// With the context of the store's transaction the cancellation commits (or rolls
// back) with it, and the job cannot start meanwhile.
func (q *Queue) Cancel(ctx context.Context, uniqueKey string) error {
	if uniqueKey == "" {
		return domain.Errorf(domain.CodeInvalid, "riverqueue: Cancel needs a unique key")
	}
	cancel := func(ctx context.Context, tx *sql.Tx) error {
		// FOR UPDATE keeps the fetchers (SELECT … FOR UPDATE SKIP LOCKED) off the rows
		// until the cancellation commits; a row they locked first is re-read and,
		// running by then, no longer matches. The GIN index on args serves @>.
		rows, err := tx.QueryContext(ctx, `SELECT id FROM river_job
			WHERE args @> jsonb_build_object('key', $1::text)
			  AND state IN ('available', 'pending', 'retryable', 'scheduled')
			FOR UPDATE`, uniqueKey)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				_ = rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := q.inserter.JobCancelTx(ctx, tx, id); err != nil && !errors.Is(err, river.ErrNotFound) {
				return err
			}
		}
		return nil
	}
	if b, joined, err := q.batchOf(ctx); joined {
		if err != nil {
			return err
		}
		b.cancel(uniqueKey) // enqueued earlier in this transaction
	}
	err := q.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if tx != nil {
			return cancel(ctx, tx)
		}
		tx, err := q.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := cancel(ctx, tx); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	})
	if err != nil {
		return q.failed(err, "cancel the job of key %q", uniqueKey)
	}
	return nil
}

// errForeignTx refuses a context inside a transaction that is not the store's.
var errForeignTx = domain.Errorf(domain.CodeInternal,
	"riverqueue: the context carries a transaction of another Transactor; a job can only join the postgres store's")

// inTx runs fn in the store's transaction that ctx carries, or with a nil tx when ctx
// is in no transaction.
func (q *Queue) inTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	joined, err := q.store.WithSQLTx(ctx, fn)
	if joined {
		return err
	}
	if ports.InTx(ctx) {
		return errForeignTx
	}
	return fn(ctx, nil)
}

// failed turns an error of River or the database into a domain error: the store's
// errors (an ended transaction, a cancelled context) as they are, the rest as
// unavailable.
func (q *Queue) failed(err error, format string, args ...any) error {
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	return domain.Errorf(domain.CodeUnavailable, "riverqueue: "+format+": %w", append(args, err)...)
}

// errorHandler reports the failure of a job's last attempt and logs the others.
type errorHandler struct {
	reporter ports.ErrorReporter
	log      *slog.Logger
}

func (h *errorHandler) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	h.handle(ctx, job, err)
	return nil
}

// HandlePanic is called for a panic that escaped ports.Workers.Work, which recovers
// the workers' own.
func (h *errorHandler) HandlePanic(ctx context.Context, job *rivertype.JobRow, panicVal any, _ string) *river.ErrorHandlerResult {
	h.handle(ctx, job, fmt.Errorf("panic: %v", panicVal))
	return nil
}

func (h *errorHandler) handle(ctx context.Context, job *rivertype.JobRow, err error) {
	attrs := []any{"kind", job.Kind, "job_id", job.ID, "attempt", job.Attempt, "max_attempts", job.MaxAttempts, "error", err}
	if job.Attempt < job.MaxAttempts {
		h.log.WarnContext(ctx, "riverqueue: job attempt failed; it will be retried", attrs...)
		return
	}
	h.log.ErrorContext(ctx, "riverqueue: job failed its last attempt; discarded", attrs...)
	if h.reporter != nil {
		h.reporter.Report(ctx, fmt.Errorf("job %s failed its last attempt: %w", job.Kind, err), map[string]string{
			"kind":     job.Kind,
			"job_id":   strconv.FormatInt(job.ID, 10),
			"attempts": strconv.Itoa(job.Attempt),
		})
	}
}

// backoffPolicy is a River retry policy from Config.Backoff.
type backoffPolicy func(attempt int) time.Duration

func (b backoffPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().UTC().Add(b(job.Attempt))
}

// soonAvailable inserts a job whose RunAt is at most schedulerInterval ahead as
// available, with that time, rather than scheduled. River moves scheduled jobs to
// available from its leader's scheduler, every five seconds, so a job due sooner would
// wait for it; its fetchers take an available job only once its time has come, which
// River itself relies on for retries due within the same interval.
type soonAvailable struct{ river.MiddlewareDefaults }

// schedulerInterval is River's scheduler interval (maintenance.JobSchedulerIntervalDefault).
const schedulerInterval = 5 * time.Second

func (*soonAvailable) InsertMany(ctx context.Context, params []*rivertype.JobInsertParams, doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	now := time.Now()
	for _, p := range params {
		if p.State == rivertype.JobStateScheduled && p.ScheduledAt != nil && p.ScheduledAt.Sub(now) <= schedulerInterval {
			p.State = rivertype.JobStateAvailable
		}
	}
	return doInner(ctx)
}
