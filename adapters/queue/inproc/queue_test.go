package inproc_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/queue/inproc"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/clocktest"
	"github.com/matchpoint/matchpoint/ports/queuetest"
)

var _ ports.JobQueue = (*inproc.Queue)(nil)

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// start starts q with ws and stops it when the test ends.
func start(t *testing.T, q *inproc.Queue, ws *ports.Workers) {
	t.Helper()
	require.NoError(t, q.Start(context.Background(), ws))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, q.Stop(ctx))
	})
}

func drain(t *testing.T, q *inproc.Queue) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, q.Drain(ctx), "the queue did not become idle")
}

func TestContract(t *testing.T) {
	const backoff = 50 * time.Millisecond
	queuetest.Run(t, func(t *testing.T, reporter ports.ErrorReporter) queuetest.Harness {
		q := inproc.New(inproc.Config{
			Workers:     2,
			MaxAttempts: 3,
			Backoff:     func(int) time.Duration { return backoff },
			Logger:      quiet(),
			Reporter:    reporter,
		})
		return queuetest.Harness{
			Queue:      q,
			Start:      func(ws *ports.Workers) { start(t, q, ws) },
			WaitIdle:   func() { drain(t, q) },
			MinBackoff: backoff,
		}
	})
}

type reminder struct {
	BookingID string `json:"booking_id"`
}

func (reminder) Kind() string { return "booking.reminder" }

// reminders returns Workers whose worker of reminders is fn.
func reminders(fn func(ctx context.Context, job *ports.Job[reminder]) error) *ports.Workers {
	ws := ports.NewWorkers()
	ports.AddWorker(ws, ports.WorkFunc[reminder](fn))
	return ws
}

// TestRetriesWithBackoffThenDies runs in a synctest bubble: time moves only when every
// goroutine waits, so the backoff is measured exactly and nothing sleeps for real.
func TestRetriesWithBackoffThenDies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		rep := &reporter{}
		q := inproc.New(inproc.Config{MaxAttempts: 4, Logger: slog.New(slog.NewTextHandler(&logs, nil)), Reporter: rep})
		var mu sync.Mutex
		var at []time.Time
		var ids []string
		var ns []int
		require.NoError(t, q.Start(context.Background(), reminders(func(_ context.Context, job *ports.Job[reminder]) error {
			mu.Lock()
			defer mu.Unlock()
			at = append(at, time.Now())
			ids = append(ids, job.ID)
			ns = append(ns, job.Attempt)
			return errors.New("smtp: connection refused")
		})))
		defer func() { require.NoError(t, q.Stop(context.Background())) }()

		require.NoError(t, q.Enqueue(context.Background(), reminder{BookingID: "b1"}, ports.EnqueueOptions{UniqueKey: "remind:b1"}))
		time.Sleep(time.Hour)
		synctest.Wait()

		mu.Lock()
		require.Len(t, at, 4, "a job runs MaxAttempts times")
		assert.Equal(t, time.Second, at[1].Sub(at[0]))
		assert.Equal(t, 2*time.Second, at[2].Sub(at[1]))
		assert.Equal(t, 4*time.Second, at[3].Sub(at[2]))
		s := q.Stats()
		assert.Equal(t, int64(1), s.Dead)
		assert.Equal(t, int64(3), s.Retried)
		assert.Zero(t, s.Scheduled+s.Ready+s.Running)
		assert.Equal(t, 3, strings.Count(logs.String(), "level=WARN msg=\"job failed; retrying\" kind=booking.reminder"), "every failed attempt is logged")
		assert.Contains(t, logs.String(), "level=ERROR msg=\"job failed for good\" kind=booking.reminder")
		assert.Contains(t, logs.String(), "smtp: connection refused")
		assert.Equal(t, []string{ids[0], ids[0], ids[0], ids[0]}, ids, "a job keeps its id across attempts")
		assert.Equal(t, []int{1, 2, 3, 4}, ns)
		reported := rep.all()
		require.Len(t, reported, 1, "a dead job is reported once")
		assert.ErrorContains(t, reported[0].err, "smtp: connection refused")
		assert.Equal(t, map[string]string{"kind": "booking.reminder", "job_id": ids[0], "attempts": "4"}, reported[0].attrs)
		mu.Unlock()

		// A dead job gives its unique key back.
		require.NoError(t, q.Enqueue(context.Background(), reminder{BookingID: "b1"}, ports.EnqueueOptions{UniqueKey: "remind:b1"}))
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		assert.Len(t, at, 5)
		assert.Equal(t, 1, ns[4], "a new job starts at its first attempt")
		assert.NotEqual(t, ids[0], ids[4], "a new job has a new id")
	})
}

func TestDefaultBackoff(t *testing.T) {
	t.Parallel()
	for attempt, want := range map[int]time.Duration{
		1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 8: 128 * time.Second,
		9: 256 * time.Second, 10: 5 * time.Minute, 1000: 5 * time.Minute,
	} {
		assert.Equal(t, want, inproc.DefaultBackoff(attempt), "attempt %d", attempt)
	}
}

func TestRunAtWaitsOnATimer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := inproc.New(inproc.Config{Logger: quiet()})
		var ran atomic.Int32
		require.NoError(t, q.Start(context.Background(), reminders(func(context.Context, *ports.Job[reminder]) error { ran.Add(1); return nil })))
		defer func() { require.NoError(t, q.Stop(context.Background())) }()
		runAt := time.Now().Add(24 * time.Hour)

		require.NoError(t, q.Enqueue(context.Background(), reminder{}, ports.EnqueueOptions{RunAt: runAt}))
		// An earlier job enqueued later moves the timer forward.
		require.NoError(t, q.Enqueue(context.Background(), reminder{}, ports.EnqueueOptions{RunAt: time.Now().Add(time.Hour)}))

		time.Sleep(time.Hour - time.Nanosecond)
		synctest.Wait()
		assert.Zero(t, ran.Load(), "a job ran early")
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		assert.Equal(t, int32(1), ran.Load())

		time.Sleep(23*time.Hour - time.Nanosecond)
		synctest.Wait()
		assert.Equal(t, int32(1), ran.Load(), "a job ran early")
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		assert.Equal(t, int32(2), ran.Load())
	})
}

func TestDrainRunsJobsAFakeClockMadeDue(t *testing.T) {
	t.Parallel()
	clock := clocktest.New(time.Date(2030, 1, 5, 18, 0, 0, 0, time.UTC))
	q := inproc.New(inproc.Config{Clock: clock, Logger: quiet()})
	var ran atomic.Int32
	start(t, q, reminders(func(context.Context, *ports.Job[reminder]) error { ran.Add(1); return nil }))

	require.NoError(t, q.Enqueue(context.Background(), reminder{}, ports.EnqueueOptions{RunAt: clock.Now().Add(10 * time.Minute)}))
	drain(t, q)
	assert.Zero(t, ran.Load())
	assert.Equal(t, 1, q.Stats().Scheduled)

	clock.Advance(10 * time.Minute)
	drain(t, q)
	assert.Equal(t, int32(1), ran.Load())
}

func TestStopWaitsForRunningJobs(t *testing.T) {
	t.Parallel()
	q := inproc.New(inproc.Config{Workers: 1, Logger: quiet()})
	started, release := make(chan struct{}), make(chan struct{})
	var finished atomic.Bool
	require.NoError(t, q.Start(context.Background(), reminders(func(context.Context, *ports.Job[reminder]) error {
		close(started)
		<-release
		finished.Store(true)
		return nil
	})))
	require.NoError(t, q.Enqueue(context.Background(), reminder{BookingID: "running"}, ports.EnqueueOptions{}))
	<-started
	require.NoError(t, q.Enqueue(context.Background(), reminder{BookingID: "waiting"}, ports.EnqueueOptions{}))

	stopped := make(chan error, 1)
	go func() { stopped <- q.Stop(context.Background()) }()
	select {
	case <-stopped:
		t.Fatal("Stop returned while a job was running")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)

	require.NoError(t, <-stopped)
	assert.True(t, finished.Load())
	assert.Equal(t, int64(1), q.Stats().Succeeded, "a job started after Stop")
	err := q.Enqueue(context.Background(), reminder{}, ports.EnqueueOptions{})
	assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err))
}

func TestStopCancelsJobsWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	q := inproc.New(inproc.Config{Logger: quiet()})
	started := make(chan struct{})
	require.NoError(t, q.Start(context.Background(), reminders(func(ctx context.Context, _ *ports.Job[reminder]) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})))
	require.NoError(t, q.Enqueue(context.Background(), reminder{}, ports.EnqueueOptions{}))
	<-started

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, q.Stop(ctx), context.DeadlineExceeded)
	assert.NoError(t, q.Stop(context.Background()), "the cancelled job returns and Stop completes")
}

func TestCancellingStartContextStops(t *testing.T) {
	t.Parallel()
	q := inproc.New(inproc.Config{Logger: quiet()})
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, q.Start(ctx, ports.NewWorkers()))

	cancel()

	require.Eventually(t, func() bool {
		err := q.Enqueue(context.Background(), reminder{}, ports.EnqueueOptions{})
		return domain.ErrorKind(err) == domain.KindUnavailable
	}, 5*time.Second, 5*time.Millisecond)
	assert.NoError(t, q.Stop(context.Background()))
}

func TestWorkersRunJobsConcurrently(t *testing.T) {
	t.Parallel()
	q := inproc.New(inproc.Config{Workers: 3, Logger: quiet()})
	release := make(chan struct{})
	start(t, q, reminders(func(context.Context, *ports.Job[reminder]) error { <-release; return nil }))
	for range 4 {
		require.NoError(t, q.Enqueue(context.Background(), reminder{}, ports.EnqueueOptions{}))
	}

	require.Eventually(t, func() bool { return q.Stats().Running == 3 }, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, 1, q.Stats().Ready)
	close(release)
	drain(t, q)
	assert.Equal(t, int64(4), q.Stats().Succeeded)
}

func TestPanicsAndUnknownKindsAreFailures(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))
	rep := &reporter{}
	q := inproc.New(inproc.Config{MaxAttempts: 2, Backoff: func(int) time.Duration { return time.Millisecond }, Logger: log, Reporter: rep})
	start(t, q, reminders(func(context.Context, *ports.Job[reminder]) error { panic("nil booking") }))

	require.NoError(t, q.Enqueue(context.Background(), reminder{}, ports.EnqueueOptions{}))
	require.NoError(t, q.Enqueue(context.Background(), unknown{}, ports.EnqueueOptions{}))

	require.Eventually(t, func() bool { return q.Stats().Dead == 2 }, 5*time.Second, 5*time.Millisecond)
	drain(t, q) // a dead job is running until it has been reported
	mu.Lock()
	defer mu.Unlock()
	assert.Contains(t, logs.String(), "worker of booking.reminder panicked: nil booking")
	assert.Contains(t, logs.String(), `no worker for jobs of kind \"nobody.handles\"`)
	kinds := []string{}
	for _, r := range rep.all() {
		kinds = append(kinds, r.attrs["kind"])
	}
	assert.ElementsMatch(t, []string{"booking.reminder", "nobody.handles"}, kinds, "every dead job is reported")
}

type unknown struct{}

func (unknown) Kind() string { return "nobody.handles" }

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

type unencodable struct {
	C chan int
}

func (unencodable) Kind() string { return "bad" }

type nameless struct{}

func (nameless) Kind() string { return "" }

func TestEnqueueRefusesBadArguments(t *testing.T) {
	t.Parallel()
	q := inproc.New(inproc.Config{Logger: quiet()})
	for name, args := range map[string]ports.JobArgs{
		"nil":         nil,
		"no kind":     nameless{},
		"not encoded": unencodable{C: make(chan int)},
	} {
		err := q.Enqueue(context.Background(), args, ports.EnqueueOptions{})
		assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), name)
	}
	assert.Zero(t, q.Stats().Ready)
}

func TestCommitAfterStopIsLogged(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	q := inproc.New(inproc.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, q.Start(context.Background(), ports.NewWorkers()))
	ctx, end := ports.WithCommitHooks(context.Background())
	require.NoError(t, q.Enqueue(ctx, reminder{}, ports.EnqueueOptions{}))

	require.NoError(t, q.Stop(context.Background()))
	end(true)

	assert.Contains(t, logs.String(), "job of a committed transaction lost")
	err := q.Enqueue(ctx, reminder{}, ports.EnqueueOptions{})
	assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err), "enqueueing in a transaction after Stop fails at once")
}

func TestStopLogsLostJobs(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	q := inproc.New(inproc.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, q.Start(context.Background(), ports.NewWorkers()))
	require.NoError(t, q.Enqueue(context.Background(), reminder{}, ports.EnqueueOptions{RunAt: time.Now().Add(time.Hour), UniqueKey: "remind:b1"}))

	require.NoError(t, q.Stop(context.Background()))

	assert.True(t, strings.Contains(logs.String(), "jobs that had not started are lost") && strings.Contains(logs.String(), "jobs=1"), logs.String())
	assert.NoError(t, q.Cancel(context.Background(), "remind:b1"), "after Stop there is no job to cancel")
}

func TestStartTwiceFails(t *testing.T) {
	t.Parallel()
	q := inproc.New(inproc.Config{Logger: quiet()})
	start(t, q, ports.NewWorkers())
	assert.ErrorIs(t, q.Start(context.Background(), ports.NewWorkers()), domain.ErrInvalidTransition)
}

func TestStartNeedsWorkers(t *testing.T) {
	t.Parallel()
	q := inproc.New(inproc.Config{Logger: quiet()})
	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(q.Start(context.Background(), nil)))
	start(t, q, ports.NewWorkers()) // a refused Start leaves the queue as it was
}

func TestMergedCountsDuplicates(t *testing.T) {
	t.Parallel()
	q := inproc.New(inproc.Config{Logger: quiet()})
	for range 3 {
		require.NoError(t, q.Enqueue(context.Background(), reminder{}, ports.EnqueueOptions{UniqueKey: "k"}))
	}
	assert.Equal(t, int64(2), q.Stats().Merged)
	assert.Equal(t, 1, q.Stats().Ready)
}

func TestEnqueueWithAnEndedTransaction(t *testing.T) {
	t.Parallel()
	q := inproc.New(inproc.Config{Logger: quiet()})
	var mu sync.Mutex
	var ran []string
	start(t, q, reminders(func(_ context.Context, job *ports.Job[reminder]) error {
		mu.Lock()
		defer mu.Unlock()
		ran = append(ran, job.Args.BookingID)
		return nil
	}))

	committed, commit := ports.WithCommitHooks(context.Background())
	commit(true)
	rolledBack, rollback := ports.WithCommitHooks(context.Background())
	rollback(false)
	require.NoError(t, q.Enqueue(committed, reminder{BookingID: "after commit"}, ports.EnqueueOptions{}))
	require.NoError(t, q.Enqueue(rolledBack, reminder{BookingID: "after rollback"}, ports.EnqueueOptions{}))
	drain(t, q)

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"after commit"}, ran, "a job enqueued with a rolled-back transaction's context ran")
}

// reporter is a ports.ErrorReporter that keeps what it is told.
type reporter struct {
	mu   sync.Mutex
	list []report
}

type report struct {
	err   error
	attrs map[string]string
}

func (r *reporter) Report(_ context.Context, err error, attrs map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, report{err, attrs})
}

func (r *reporter) all() []report {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]report(nil), r.list...)
}

func TestCancelRemovesWaitingJobs(t *testing.T) {
	t.Parallel()
	clock := clocktest.New(time.Date(2030, 1, 5, 18, 0, 0, 0, time.UTC))
	q := inproc.New(inproc.Config{Workers: 1, Clock: clock, Logger: quiet()})
	ctx := context.Background()
	var mu sync.Mutex
	var ran []string
	ws := reminders(func(_ context.Context, job *ports.Job[reminder]) error {
		mu.Lock()
		defer mu.Unlock()
		ran = append(ran, job.Args.BookingID)
		return nil
	})
	// Before Start: one job is ready, three are scheduled.
	require.NoError(t, q.Enqueue(ctx, reminder{BookingID: "ready"}, ports.EnqueueOptions{UniqueKey: "ready"}))
	for i, id := range []string{"first", "middle", "last"} {
		runAt := clock.Now().Add(time.Duration(i+1) * time.Minute)
		require.NoError(t, q.Enqueue(ctx, reminder{BookingID: id}, ports.EnqueueOptions{RunAt: runAt, UniqueKey: id}))
	}

	require.NoError(t, q.Cancel(ctx, "ready"))
	require.NoError(t, q.Cancel(ctx, "middle"))
	require.NoError(t, q.Cancel(ctx, "middle"), "cancelling twice is cancelling no job")
	s := q.Stats()
	assert.Equal(t, int64(2), s.Cancelled)
	assert.Equal(t, 0, s.Ready)
	assert.Equal(t, 2, s.Scheduled)

	start(t, q, ws)
	clock.Advance(time.Hour)
	drain(t, q)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"first", "last"}, ran, "the jobs left run in their order")
	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(q.Cancel(ctx, "")), "an empty key is a mistake")
}

func TestCancelStopsRetriesButNotARunningJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rep := &reporter{}
		q := inproc.New(inproc.Config{Logger: quiet(), Reporter: rep})
		ctx := context.Background()
		started, release := make(chan struct{}), make(chan struct{})
		var attempts atomic.Int32
		require.NoError(t, q.Start(ctx, reminders(func(context.Context, *ports.Job[reminder]) error {
			if attempts.Add(1) == 1 {
				close(started)
				<-release
			}
			return errors.New("gateway: 503")
		})))
		defer func() { require.NoError(t, q.Stop(ctx)) }()

		require.NoError(t, q.Enqueue(ctx, reminder{}, ports.EnqueueOptions{UniqueKey: "refund:b1"}))
		<-started
		require.NoError(t, q.Cancel(ctx, "refund:b1"))
		assert.Zero(t, q.Stats().Cancelled, "a running job was cancelled")
		require.NoError(t, q.Enqueue(ctx, reminder{}, ports.EnqueueOptions{UniqueKey: "refund:b1"}))
		assert.Equal(t, int64(1), q.Stats().Merged, "the running job keeps its key")
		close(release)
		synctest.Wait()
		assert.Equal(t, 1, q.Stats().Scheduled, "the failed attempt waits for a retry")

		require.NoError(t, q.Cancel(ctx, "refund:b1"))
		time.Sleep(time.Hour)
		synctest.Wait()
		assert.Equal(t, int32(1), attempts.Load(), "a cancelled retry ran")
		assert.Equal(t, int64(1), q.Stats().Cancelled)
		assert.Empty(t, rep.all(), "a cancelled job is not reported")
	})
}

func TestCancelFollowsTheTransaction(t *testing.T) {
	t.Parallel()
	q := inproc.New(inproc.Config{Logger: quiet()})
	ctx := context.Background()

	// Enqueued and cancelled in one transaction: the hooks run in order at commit.
	tx, end := ports.WithCommitHooks(ctx)
	require.NoError(t, q.Enqueue(tx, reminder{}, ports.EnqueueOptions{UniqueKey: "k"}))
	require.NoError(t, q.Cancel(tx, "k"))
	end(true)
	assert.Zero(t, q.Stats().Ready)
	assert.Equal(t, int64(1), q.Stats().Cancelled)

	require.NoError(t, q.Enqueue(ctx, reminder{}, ports.EnqueueOptions{UniqueKey: "k"}))
	tx, end = ports.WithCommitHooks(ctx)
	require.NoError(t, q.Cancel(tx, "k"))
	assert.Equal(t, 1, q.Stats().Ready, "a cancellation took effect before its transaction committed")
	end(false)
	assert.Equal(t, 1, q.Stats().Ready, "the cancellation of a rolled-back transaction took effect")
}
