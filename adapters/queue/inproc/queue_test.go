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

// start starts q and stops it when the test ends.
func start(t *testing.T, q *inproc.Queue) {
	t.Helper()
	require.NoError(t, q.Start(context.Background()))
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
	queuetest.Run(t, func(t *testing.T) queuetest.Harness {
		q := inproc.New(inproc.Config{
			Workers: 2,
			Backoff: func(int) time.Duration { return 50 * time.Millisecond },
			Logger:  quiet(),
		})
		return queuetest.Harness{
			Queue:    q,
			Register: q.Register,
			Start:    func() { start(t, q) },
			WaitIdle: func() { drain(t, q) },
		}
	})
}

type reminder struct {
	BookingID string `json:"booking_id"`
}

func (reminder) Kind() string { return "booking.reminder" }

// TestRetriesWithBackoffThenDies runs in a synctest bubble: time moves only when every
// goroutine waits, so the backoff is measured exactly and nothing sleeps for real.
func TestRetriesWithBackoffThenDies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		q := inproc.New(inproc.Config{MaxAttempts: 4, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		var mu sync.Mutex
		var at []time.Time
		q.Register(reminder{}.Kind(), func(context.Context, []byte) error {
			mu.Lock()
			defer mu.Unlock()
			at = append(at, time.Now())
			return errors.New("smtp: connection refused")
		})
		require.NoError(t, q.Start(context.Background()))
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
		assert.Contains(t, logs.String(), "level=ERROR msg=\"job failed for good\" kind=booking.reminder")
		assert.Contains(t, logs.String(), "smtp: connection refused")
		mu.Unlock()

		// A dead job gives its unique key back.
		require.NoError(t, q.Enqueue(context.Background(), reminder{BookingID: "b1"}, ports.EnqueueOptions{UniqueKey: "remind:b1"}))
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		assert.Len(t, at, 5)
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
		q.Register(reminder{}.Kind(), func(context.Context, []byte) error { ran.Add(1); return nil })
		require.NoError(t, q.Start(context.Background()))
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
	q.Register(reminder{}.Kind(), func(context.Context, []byte) error { ran.Add(1); return nil })
	start(t, q)

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
	q.Register(reminder{}.Kind(), func(context.Context, []byte) error {
		close(started)
		<-release
		finished.Store(true)
		return nil
	})
	require.NoError(t, q.Start(context.Background()))
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
	q.Register(reminder{}.Kind(), func(ctx context.Context, _ []byte) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})
	require.NoError(t, q.Start(context.Background()))
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
	require.NoError(t, q.Start(ctx))

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
	q.Register(reminder{}.Kind(), func(context.Context, []byte) error { <-release; return nil })
	start(t, q)
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
	q := inproc.New(inproc.Config{MaxAttempts: 2, Backoff: func(int) time.Duration { return time.Millisecond }, Logger: log})
	q.Register(reminder{}.Kind(), func(context.Context, []byte) error { panic("nil booking") })
	start(t, q)

	require.NoError(t, q.Enqueue(context.Background(), reminder{}, ports.EnqueueOptions{}))
	require.NoError(t, q.Enqueue(context.Background(), unknown{}, ports.EnqueueOptions{}))

	require.Eventually(t, func() bool { return q.Stats().Dead == 2 }, 5*time.Second, 5*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	assert.Contains(t, logs.String(), "handler panicked: nil booking")
	assert.Contains(t, logs.String(), `no handler registered for kind \"nobody.handles\"`)
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
	require.NoError(t, q.Start(context.Background()))
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
	require.NoError(t, q.Start(context.Background()))
	require.NoError(t, q.Enqueue(context.Background(), reminder{}, ports.EnqueueOptions{RunAt: time.Now().Add(time.Hour)}))

	require.NoError(t, q.Stop(context.Background()))

	assert.True(t, strings.Contains(logs.String(), "jobs that had not started are lost") && strings.Contains(logs.String(), "jobs=1"), logs.String())
}

func TestStartTwiceFails(t *testing.T) {
	t.Parallel()
	q := inproc.New(inproc.Config{Logger: quiet()})
	start(t, q)
	assert.Error(t, q.Start(context.Background()))
}

func TestRegisterRefusesWiringMistakes(t *testing.T) {
	t.Parallel()
	q := inproc.New(inproc.Config{Logger: quiet()})
	h := func(context.Context, []byte) error { return nil }
	q.Register("a", h)
	assert.Panics(t, func() { q.Register("a", h) })
	assert.Panics(t, func() { q.Register("", h) })
	assert.Panics(t, func() { q.Register("b", nil) })
}

func TestMergedCountsDuplicates(t *testing.T) {
	t.Parallel()
	q := inproc.New(inproc.Config{Logger: quiet()})
	q.Register(reminder{}.Kind(), func(context.Context, []byte) error { return nil })
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
	q.Register(reminder{}.Kind(), func(_ context.Context, raw []byte) error {
		mu.Lock()
		defer mu.Unlock()
		ran = append(ran, string(raw))
		return nil
	})
	start(t, q)

	committed, commit := ports.WithCommitHooks(context.Background())
	commit(true)
	rolledBack, rollback := ports.WithCommitHooks(context.Background())
	rollback(false)
	require.NoError(t, q.Enqueue(committed, reminder{BookingID: "after commit"}, ports.EnqueueOptions{}))
	require.NoError(t, q.Enqueue(rolledBack, reminder{BookingID: "after rollback"}, ports.EnqueueOptions{}))
	drain(t, q)

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{`{"booking_id":"after commit"}`}, ran, "a job enqueued with a rolled-back transaction's context ran")
}
