// Package queuetest is the contract suite of ports.JobQueue together with the workers
// that run its jobs. Every queue adapter (in this repository, the in-process queue)
// runs it from its own tests through a Harness, since building a queue, starting it
// and waiting for it are specific to each adapter:
//
//	func TestContract(t *testing.T) {
//		queuetest.Run(t, func(t *testing.T, reporter ports.ErrorReporter) queuetest.Harness { … })
//	}
//
// For each case the suite calls that function, which builds a new, empty queue that
// reports the jobs that fail their last attempt to reporter (the suite reads what it
// was told), and returns a Harness:
//
//   - Queue, the queue itself, for Enqueue and Cancel;
//   - Start, which starts the queue with the suite's workers (jobs enqueued before Start
//     wait for it) and stops it when the test ends (t.Cleanup);
//   - WaitIdle, which returns once every job whose time has come has run;
//   - MinBackoff, the least delay the queue waits before a job's second attempt;
//   - BeginTx, a transaction Enqueue and Cancel join (nil: ports.WithCommitHooks).
//
// The queue must tell time by the system clock (the suite uses it for RunAt), make at
// least two attempts of a job, and run out of them within a few seconds: with a
// backoff of at most a second or so and a handful of attempts.
package queuetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/ports"
)

// Harness is one queue, new for each case.
type Harness struct {
	// Queue enqueues and cancels jobs.
	Queue ports.JobQueue
	// Start starts the queue with ws, the workers of the suite's jobs; the suite calls
	// it once. Jobs enqueued before Start wait for it. The harness stops the queue
	// with t.Cleanup.
	Start func(ws *ports.Workers)
	// WaitIdle returns once no job is due or running: every job whose time has come
	// has run (or failed and been scheduled for a retry). It fails the test if that
	// does not happen within a few seconds.
	WaitIdle func()
	// MinBackoff is the least time the queue waits after a job's first failed attempt
	// before it runs the second: the suite checks the retry does not come sooner. It
	// must be positive.
	MinBackoff time.Duration
	// BeginTx opens a transaction whose context Enqueue and Cancel join, and returns
	// the function that ends it: committed or rolled back. Nil means
	// ports.WithCommitHooks, the boundary the in-process stores use.
	BeginTx func(ctx context.Context) (context.Context, func(committed bool))
}

// Run runs the contract suite. newHarness is called once per case with the reporter
// the queue must report its dead jobs to (see the package doc).
func Run(t *testing.T, newHarness func(t *testing.T, reporter ports.ErrorReporter) Harness) {
	cases := []struct {
		name string
		fn   func(t *testing.T, h Harness, rep *reports)
	}{
		{"RunsWithArgs", plain(testRunsWithArgs)},
		{"RunsJobsEnqueuedAfterStart", plain(testRunsJobsEnqueuedAfterStart)},
		{"RunAtInTheFuture", plain(testRunAtInTheFuture)},
		{"RunAtInThePast", plain(testRunAtInThePast)},
		{"ScheduledAt", plain(testScheduledAt)},
		{"UniqueWhileWaiting", plain(testUniqueWhileWaiting)},
		{"UniqueWhileRunning", plain(testUniqueWhileRunning)},
		{"RetryAfterFailure", plain(testRetryAfterFailure)},
		{"RetryWithBackoff", testRetryWithBackoff},
		{"PanicRetriedThenReported", testPanicRetriedThenReported},
		{"ErrorOfTheLastAttemptReported", testErrorOfTheLastAttemptReported},
		{"CommittedTransaction", plain(testCommittedTransaction)},
		{"RolledBackTransaction", plain(testRolledBackTransaction)},
		{"CancelScheduled", plain(testCancelScheduled)},
		{"CancelUnknownKey", plain(testCancelUnknownKey)},
		{"CancelInCommittedTransaction", plain(testCancelInCommittedTransaction)},
		{"CancelInRolledBackTransaction", plain(testCancelInRolledBackTransaction)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep := &reports{}
			h := newHarness(t, rep)
			if h.BeginTx == nil {
				h.BeginTx = ports.WithCommitHooks
			}
			require.Positive(t, h.MinBackoff, "the harness must tell the queue's least backoff")
			tc.fn(t, h, rep)
		})
	}
}

// plain adapts a case that does not look at reports.
func plain(fn func(t *testing.T, h Harness)) func(t *testing.T, h Harness, _ *reports) {
	return func(t *testing.T, h Harness, _ *reports) { fn(t, h) }
}

// report is one call of ErrorReporter.Report.
type report struct {
	err   error
	attrs map[string]string
}

// reports is the ErrorReporter the suite gives each queue; it keeps what it is told.
type reports struct {
	mu   sync.Mutex
	list []report
}

// Report implements ports.ErrorReporter.
func (r *reports) Report(_ context.Context, err error, attrs map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, report{err: err, attrs: attrs})
}

func (r *reports) all() []report {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]report(nil), r.list...)
}

// EchoArgs are the arguments of the suite's jobs.
type EchoArgs struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Kind names the suite's job.
func (EchoArgs) Kind() string { return "queuetest.echo" }

// runs records the jobs a worker ran.
type runs struct {
	mu   sync.Mutex
	args []EchoArgs
	at   []time.Time
}

// worker returns a worker that records each job it runs.
func (r *runs) worker() ports.WorkFunc[EchoArgs] {
	return func(_ context.Context, job *ports.Job[EchoArgs]) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.args = append(r.args, job.Args)
		r.at = append(r.at, time.Now())
		return nil
	}
}

// workers returns Workers with w as the worker of EchoArgs.
func workers(w ports.Worker[EchoArgs]) *ports.Workers {
	ws := ports.NewWorkers()
	ports.AddWorker(ws, w)
	return ws
}

func (r *runs) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, 0, len(r.args))
	for _, a := range r.args {
		names = append(names, a.Name)
	}
	return names
}

func (r *runs) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.args)
}

func enqueue(t *testing.T, ctx context.Context, h Harness, a EchoArgs, opts ports.EnqueueOptions) {
	t.Helper()
	require.NoError(t, h.Queue.Enqueue(ctx, a, opts))
}

func testRunsWithArgs(t *testing.T, h Harness) {
	var r runs
	ctx := context.Background()
	enqueue(t, ctx, h, EchoArgs{Name: "confirm", Count: 1}, ports.EnqueueOptions{})
	enqueue(t, ctx, h, EchoArgs{Name: "remind", Count: 2}, ports.EnqueueOptions{})
	enqueue(t, ctx, h, EchoArgs{Name: "remind", Count: 2}, ports.EnqueueOptions{})

	h.Start(workers(r.worker()))
	h.WaitIdle()

	r.mu.Lock()
	defer r.mu.Unlock()
	assert.ElementsMatch(t, []EchoArgs{{"confirm", 1}, {"remind", 2}, {"remind", 2}}, r.args,
		"every job runs once with its arguments; jobs without a unique key are never merged")
}

func testRunsJobsEnqueuedAfterStart(t *testing.T, h Harness) {
	var r runs
	h.Start(workers(r.worker()))

	enqueue(t, context.Background(), h, EchoArgs{Name: "late"}, ports.EnqueueOptions{})
	h.WaitIdle()

	assert.Equal(t, []string{"late"}, r.names())
}

func testRunAtInTheFuture(t *testing.T, h Harness) {
	var r runs
	h.Start(workers(r.worker()))
	ctx := context.Background()

	runAt := time.Now().Add(time.Second)
	enqueue(t, ctx, h, EchoArgs{Name: "later"}, ports.EnqueueOptions{RunAt: runAt})
	enqueue(t, ctx, h, EchoArgs{Name: "now"}, ports.EnqueueOptions{})
	h.WaitIdle()

	assert.Equal(t, []string{"now"}, r.names(), "a job ran before its time")
	require.Eventually(t, func() bool { return r.count() == 2 }, 10*time.Second, 20*time.Millisecond,
		"a job with RunAt in the future never ran")
	r.mu.Lock()
	defer r.mu.Unlock()
	assert.Equal(t, "later", r.args[1].Name)
	assert.False(t, r.at[1].Before(runAt.Add(-50*time.Millisecond)), "ran at %s, before its time %s", r.at[1], runAt)
}

func testRunAtInThePast(t *testing.T, h Harness) {
	var r runs
	h.Start(workers(r.worker()))

	enqueue(t, context.Background(), h, EchoArgs{Name: "overdue"}, ports.EnqueueOptions{RunAt: time.Now().Add(-time.Hour)})
	h.WaitIdle()

	assert.Equal(t, []string{"overdue"}, r.names())
}

func testScheduledAt(t *testing.T, h Harness) {
	var mu sync.Mutex
	due := map[string]time.Time{}
	h.Start(workers(ports.WorkFunc[EchoArgs](func(_ context.Context, job *ports.Job[EchoArgs]) error {
		mu.Lock()
		defer mu.Unlock()
		due[job.Args.Name] = job.ScheduledAt
		return nil
	})))
	ctx := context.Background()

	runAt := time.Now().Add(300 * time.Millisecond).Truncate(time.Millisecond)
	enqueue(t, ctx, h, EchoArgs{Name: "later"}, ports.EnqueueOptions{RunAt: runAt})
	before := time.Now()
	enqueue(t, ctx, h, EchoArgs{Name: "now"}, ports.EnqueueOptions{})
	after := time.Now()
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(due) == 2 }, 10*time.Second, 20*time.Millisecond)

	mu.Lock()
	defer mu.Unlock()
	assert.WithinDuration(t, runAt, due["later"], time.Millisecond, "a job with RunAt was due at RunAt")
	// A job due now was due when it was enqueued (by the queue's clock, which may be
	// its database's: a little slack).
	assert.WithinRange(t, due["now"], before.Add(-time.Second), after.Add(time.Second), "a job without RunAt was due when it was enqueued")
}

func testUniqueWhileWaiting(t *testing.T, h Harness) {
	var r runs
	ctx := context.Background()
	unique := ports.EnqueueOptions{UniqueKey: "expire:b1"}
	enqueue(t, ctx, h, EchoArgs{Name: "first"}, unique)
	enqueue(t, ctx, h, EchoArgs{Name: "second"}, unique)
	enqueue(t, ctx, h, EchoArgs{Name: "other key"}, ports.EnqueueOptions{UniqueKey: "expire:b2"})

	h.Start(workers(r.worker()))
	h.WaitIdle()
	assert.ElementsMatch(t, []string{"first", "other key"}, r.names(), "a job with a waiting job's key was enqueued")

	enqueue(t, ctx, h, EchoArgs{Name: "after"}, unique)
	h.WaitIdle()
	assert.ElementsMatch(t, []string{"first", "other key", "after"}, r.names(), "a finished job kept its key")
}

func testUniqueWhileRunning(t *testing.T, h Harness) {
	var r runs
	record := r.worker()
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	h.Start(workers(ports.WorkFunc[EchoArgs](func(ctx context.Context, job *ports.Job[EchoArgs]) error {
		select {
		case started <- struct{}{}:
		default:
		}
		<-release
		return record(ctx, job)
	})))
	ctx := context.Background()
	unique := ports.EnqueueOptions{UniqueKey: "reconcile:b1"}

	enqueue(t, ctx, h, EchoArgs{Name: "running"}, unique)
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("the job never started")
	}
	enqueue(t, ctx, h, EchoArgs{Name: "duplicate"}, unique)
	close(release)
	h.WaitIdle()

	assert.Equal(t, []string{"running"}, r.names(), "a job with a running job's key was enqueued")
}

func testRetryAfterFailure(t *testing.T, h Harness) {
	var mu sync.Mutex
	attempts := 0
	var succeeded []EchoArgs
	h.Start(workers(ports.WorkFunc[EchoArgs](func(_ context.Context, job *ports.Job[EchoArgs]) error {
		mu.Lock()
		defer mu.Unlock()
		attempts++
		if attempts == 1 {
			return errors.New("smtp: 421 try again later")
		}
		succeeded = append(succeeded, job.Args)
		return nil
	})))

	enqueue(t, context.Background(), h, EchoArgs{Name: "flaky", Count: 7}, ports.EnqueueOptions{})

	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(succeeded) == 1
	}, 10*time.Second, 20*time.Millisecond, "a failed job was not retried")
	h.WaitIdle()
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 2, attempts, "a job ran again after it succeeded")
	assert.Equal(t, []EchoArgs{{"flaky", 7}}, succeeded, "the retry lost the arguments")
}

func testCommittedTransaction(t *testing.T, h Harness) {
	var r runs
	h.Start(workers(r.worker()))

	txCtx, end := h.BeginTx(context.Background())
	enqueue(t, txCtx, h, EchoArgs{Name: "committed"}, ports.EnqueueOptions{UniqueKey: "k"})
	h.WaitIdle()
	assert.Empty(t, r.names(), "a job ran before its transaction committed")

	end(true)
	h.WaitIdle()
	assert.Equal(t, []string{"committed"}, r.names())
}

func testRolledBackTransaction(t *testing.T, h Harness) {
	var r runs
	h.Start(workers(r.worker()))
	ctx := context.Background()

	txCtx, end := h.BeginTx(ctx)
	enqueue(t, txCtx, h, EchoArgs{Name: "rolled back"}, ports.EnqueueOptions{UniqueKey: "expire:b1"})
	end(false)
	h.WaitIdle()
	assert.Empty(t, r.names(), "a job of a rolled-back transaction ran")

	enqueue(t, ctx, h, EchoArgs{Name: "retried outside"}, ports.EnqueueOptions{UniqueKey: "expire:b1"})
	h.WaitIdle()
	assert.Equal(t, []string{"retried outside"}, r.names(), "a rolled-back job kept its unique key")
}

// attempt is one run of a job, as its worker saw it.
type attempt struct {
	id  string
	n   int
	at  time.Time
	err error
}

// attempts records the attempts of the jobs a worker ran.
type attempts struct {
	mu   sync.Mutex
	list []attempt
}

// worker returns a worker that records each attempt and fails it with fail(n), n
// being the attempt's number.
func (a *attempts) worker(fail func(n int) error) ports.WorkFunc[EchoArgs] {
	return func(_ context.Context, job *ports.Job[EchoArgs]) error {
		err := fail(job.Attempt)
		a.mu.Lock()
		a.list = append(a.list, attempt{id: job.ID, n: job.Attempt, at: time.Now(), err: err})
		a.mu.Unlock()
		if errors.Is(err, errPanic) {
			panic(err.Error())
		}
		return err
	}
}

func (a *attempts) all() []attempt {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]attempt(nil), a.list...)
}

// errPanic makes the worker of attempts panic instead of returning the error.
var errPanic = errors.New("queuetest: nil booking")

func testRetryWithBackoff(t *testing.T, h Harness, rep *reports) {
	var a attempts
	h.Start(workers(a.worker(func(n int) error {
		if n == 1 {
			return errors.New("smtp: 421 try again later")
		}
		return nil
	})))

	enqueue(t, context.Background(), h, EchoArgs{Name: "flaky"}, ports.EnqueueOptions{})
	require.Eventually(t, func() bool { return len(a.all()) == 2 }, 10*time.Second, 20*time.Millisecond,
		"a job whose worker failed was not retried")
	h.WaitIdle()

	got := a.all()
	require.Len(t, got, 2, "a job ran again after it succeeded")
	assert.Equal(t, []int{1, 2}, []int{got[0].n, got[1].n}, "Job.Attempt counts the runs from 1")
	assert.NotEmpty(t, got[0].id, "a job has an id")
	assert.Equal(t, got[0].id, got[1].id, "a job keeps its id across attempts")
	assert.GreaterOrEqual(t, got[1].at.Sub(got[0].at), h.MinBackoff-10*time.Millisecond,
		"the second attempt came before the backoff")
	assert.Empty(t, rep.all(), "a job that succeeded on a retry was reported")
}

// checkDead checks that a job that failed every attempt made with got was reported
// once, with the failure of its last attempt.
func checkDead(t *testing.T, got []attempt, rep *reports, failure string) {
	t.Helper()
	require.GreaterOrEqual(t, len(got), 2, "a failed job was not retried")
	for i, at := range got {
		assert.Equal(t, i+1, at.n, "attempt %d", i+1)
		assert.Equal(t, got[0].id, at.id, "a job keeps its id across attempts")
	}
	reported := rep.all()
	require.Len(t, reported, 1, "a dead job is reported once")
	assert.ErrorContains(t, reported[0].err, failure, "the report carries the last failure")
	assert.Equal(t, map[string]string{
		"kind": EchoArgs{}.Kind(), "job_id": got[0].id, "attempts": strconv.Itoa(len(got)),
	}, reported[0].attrs)
}

func testPanicRetriedThenReported(t *testing.T, h Harness, rep *reports) {
	var a attempts
	h.Start(workers(a.worker(func(int) error { return errPanic })))

	enqueue(t, context.Background(), h, EchoArgs{Name: "doomed"}, ports.EnqueueOptions{})
	require.Eventually(t, func() bool { return len(rep.all()) > 0 }, 10*time.Second, 20*time.Millisecond,
		"a job that panicked on every attempt was not reported")
	h.WaitIdle()

	checkDead(t, a.all(), rep, errPanic.Error())
}

func testErrorOfTheLastAttemptReported(t *testing.T, h Harness, rep *reports) {
	var a attempts
	h.Start(workers(a.worker(func(n int) error { return fmt.Errorf("smtp: 550 mailbox unavailable (attempt %d)", n) })))

	enqueue(t, context.Background(), h, EchoArgs{Name: "doomed"}, ports.EnqueueOptions{})
	require.Eventually(t, func() bool { return len(rep.all()) > 0 }, 10*time.Second, 20*time.Millisecond,
		"a job that failed every attempt was not reported")
	h.WaitIdle()

	got := a.all()
	checkDead(t, got, rep, fmt.Sprintf("(attempt %d)", len(got)))
}

// scheduleWithWitness enqueues the job of a cancellation case, with the key
// "expire:b1" and RunAt a second ahead, and a witness without a key at the same time,
// after it. Once the witness has run, the job's time has come too.
func scheduleWithWitness(t *testing.T, h Harness) {
	t.Helper()
	ctx := context.Background()
	runAt := time.Now().Add(time.Second)
	enqueue(t, ctx, h, EchoArgs{Name: "expire"}, ports.EnqueueOptions{RunAt: runAt, UniqueKey: "expire:b1"})
	enqueue(t, ctx, h, EchoArgs{Name: "witness"}, ports.EnqueueOptions{RunAt: runAt})
}

// waitForWitness waits until the witness of scheduleWithWitness has run and the queue
// is idle.
func waitForWitness(t *testing.T, h Harness, r *runs) {
	t.Helper()
	require.Eventually(t, func() bool { return slices.Contains(r.names(), "witness") }, 10*time.Second, 20*time.Millisecond,
		"a scheduled job never ran")
	h.WaitIdle()
}

func testCancelScheduled(t *testing.T, h Harness) {
	var r runs
	h.Start(workers(r.worker()))
	ctx := context.Background()
	scheduleWithWitness(t, h)

	require.NoError(t, h.Queue.Cancel(ctx, "expire:b1"))
	waitForWitness(t, h, &r)
	assert.Equal(t, []string{"witness"}, r.names(), "a cancelled job ran")

	enqueue(t, ctx, h, EchoArgs{Name: "again"}, ports.EnqueueOptions{UniqueKey: "expire:b1"})
	h.WaitIdle()
	assert.Equal(t, []string{"witness", "again"}, r.names(), "a cancelled job kept its unique key")
}

func testCancelUnknownKey(t *testing.T, h Harness) {
	var r runs
	h.Start(workers(r.worker()))
	ctx := context.Background()

	assert.NoError(t, h.Queue.Cancel(ctx, "expire:nothing"), "cancelling no job is not an error")

	enqueue(t, ctx, h, EchoArgs{Name: "done"}, ports.EnqueueOptions{UniqueKey: "expire:b1"})
	h.WaitIdle()
	assert.NoError(t, h.Queue.Cancel(ctx, "expire:b1"), "cancelling a finished job is not an error")
	assert.Equal(t, []string{"done"}, r.names())
}

func testCancelInCommittedTransaction(t *testing.T, h Harness) {
	var r runs
	h.Start(workers(r.worker()))
	scheduleWithWitness(t, h)

	txCtx, end := h.BeginTx(context.Background())
	require.NoError(t, h.Queue.Cancel(txCtx, "expire:b1"))
	end(true)
	waitForWitness(t, h, &r)

	assert.Equal(t, []string{"witness"}, r.names(), "a job cancelled in a committed transaction ran")
}

func testCancelInRolledBackTransaction(t *testing.T, h Harness) {
	var r runs
	h.Start(workers(r.worker()))
	scheduleWithWitness(t, h)

	txCtx, end := h.BeginTx(context.Background())
	require.NoError(t, h.Queue.Cancel(txCtx, "expire:b1"))
	end(false)
	waitForWitness(t, h, &r)
	require.Eventually(t, func() bool { return r.count() == 2 }, 10*time.Second, 20*time.Millisecond,
		"a job cancelled in a rolled-back transaction never ran")

	assert.ElementsMatch(t, []string{"expire", "witness"}, r.names())
}
