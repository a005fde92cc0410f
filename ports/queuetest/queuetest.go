// Package queuetest is the contract suite of ports.JobQueue together with the worker
// that runs its jobs. Every queue adapter (in this repository, the in-process queue)
// runs it from its own tests through a Harness, since starting workers and waiting for
// them is specific to each adapter:
//
//	func TestContract(t *testing.T) {
//		queuetest.Run(t, func(t *testing.T) queuetest.Harness { … })
//	}
package queuetest

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/ports"
)

// Harness is one queue and its workers, new for each case.
type Harness struct {
	// Queue enqueues jobs.
	Queue ports.JobQueue
	// Register sets the handler of a kind; the suite calls it before Start.
	Register func(kind string, h ports.JobHandler)
	// Start starts the workers. Jobs enqueued before Start wait for it. The harness
	// stops them with t.Cleanup.
	Start func()
	// WaitIdle returns once no job is due or running: every job whose time has come
	// has run (or failed and been scheduled for a retry). It fails the test if that
	// does not happen within a few seconds.
	WaitIdle func()
	// BeginTx opens a transaction whose context Enqueue joins, and returns the function
	// that ends it: committed or rolled back. Nil means ports.WithCommitHooks, the
	// boundary the in-process stores use.
	BeginTx func(ctx context.Context) (context.Context, func(committed bool))
}

// Run runs the contract suite. newHarness is called once per case. The harness's
// queue must retry a failed job within a few seconds, with at least two attempts, and
// tell time by the system clock, which the suite uses for RunAt.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	cases := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"RunsWithArgs", testRunsWithArgs},
		{"RunsJobsEnqueuedAfterStart", testRunsJobsEnqueuedAfterStart},
		{"RunAtInTheFuture", testRunAtInTheFuture},
		{"RunAtInThePast", testRunAtInThePast},
		{"UniqueWhileWaiting", testUniqueWhileWaiting},
		{"UniqueWhileRunning", testUniqueWhileRunning},
		{"RetryAfterFailure", testRetryAfterFailure},
		{"CommittedTransaction", testCommittedTransaction},
		{"RolledBackTransaction", testRolledBackTransaction},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			if h.BeginTx == nil {
				h.BeginTx = ports.WithCommitHooks
			}
			tc.fn(t, h)
		})
	}
}

// EchoArgs are the arguments of the suite's jobs.
type EchoArgs struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Kind names the suite's job.
func (EchoArgs) Kind() string { return "queuetest.echo" }

// runs records the jobs a handler ran.
type runs struct {
	mu   sync.Mutex
	args []EchoArgs
	at   []time.Time
}

func (r *runs) handler(t *testing.T) ports.JobHandler {
	return func(_ context.Context, raw []byte) error {
		var a EchoArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			t.Errorf("job arguments %q are not the JSON of EchoArgs: %v", raw, err)
			return nil
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.args = append(r.args, a)
		r.at = append(r.at, time.Now())
		return nil
	}
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
	h.Register(EchoArgs{}.Kind(), r.handler(t))
	ctx := context.Background()
	enqueue(t, ctx, h, EchoArgs{Name: "confirm", Count: 1}, ports.EnqueueOptions{})
	enqueue(t, ctx, h, EchoArgs{Name: "remind", Count: 2}, ports.EnqueueOptions{})
	enqueue(t, ctx, h, EchoArgs{Name: "remind", Count: 2}, ports.EnqueueOptions{})

	h.Start()
	h.WaitIdle()

	r.mu.Lock()
	defer r.mu.Unlock()
	assert.ElementsMatch(t, []EchoArgs{{"confirm", 1}, {"remind", 2}, {"remind", 2}}, r.args,
		"every job runs once with its arguments; jobs without a unique key are never merged")
}

func testRunsJobsEnqueuedAfterStart(t *testing.T, h Harness) {
	var r runs
	h.Register(EchoArgs{}.Kind(), r.handler(t))
	h.Start()

	enqueue(t, context.Background(), h, EchoArgs{Name: "late"}, ports.EnqueueOptions{})
	h.WaitIdle()

	assert.Equal(t, []string{"late"}, r.names())
}

func testRunAtInTheFuture(t *testing.T, h Harness) {
	var r runs
	h.Register(EchoArgs{}.Kind(), r.handler(t))
	h.Start()
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
	h.Register(EchoArgs{}.Kind(), r.handler(t))
	h.Start()

	enqueue(t, context.Background(), h, EchoArgs{Name: "overdue"}, ports.EnqueueOptions{RunAt: time.Now().Add(-time.Hour)})
	h.WaitIdle()

	assert.Equal(t, []string{"overdue"}, r.names())
}

func testUniqueWhileWaiting(t *testing.T, h Harness) {
	var r runs
	h.Register(EchoArgs{}.Kind(), r.handler(t))
	ctx := context.Background()
	unique := ports.EnqueueOptions{UniqueKey: "expire:b1"}
	enqueue(t, ctx, h, EchoArgs{Name: "first"}, unique)
	enqueue(t, ctx, h, EchoArgs{Name: "second"}, unique)
	enqueue(t, ctx, h, EchoArgs{Name: "other key"}, ports.EnqueueOptions{UniqueKey: "expire:b2"})

	h.Start()
	h.WaitIdle()
	assert.ElementsMatch(t, []string{"first", "other key"}, r.names(), "a job with a waiting job's key was enqueued")

	enqueue(t, ctx, h, EchoArgs{Name: "after"}, unique)
	h.WaitIdle()
	assert.ElementsMatch(t, []string{"first", "other key", "after"}, r.names(), "a finished job kept its key")
}

func testUniqueWhileRunning(t *testing.T, h Harness) {
	var r runs
	record := r.handler(t)
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	h.Register(EchoArgs{}.Kind(), func(ctx context.Context, raw []byte) error {
		select {
		case started <- struct{}{}:
		default:
		}
		<-release
		return record(ctx, raw)
	})
	h.Start()
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
	h.Register(EchoArgs{}.Kind(), func(_ context.Context, raw []byte) error {
		mu.Lock()
		defer mu.Unlock()
		attempts++
		if attempts == 1 {
			return errors.New("smtp: 421 try again later")
		}
		var a EchoArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return err
		}
		succeeded = append(succeeded, a)
		return nil
	})
	h.Start()

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
	h.Register(EchoArgs{}.Kind(), r.handler(t))
	h.Start()

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
	h.Register(EchoArgs{}.Kind(), r.handler(t))
	h.Start()
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
