package riverqueue_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// TestWaitIdle waits for a job that another queue runs: it blocks while the job runs,
// returns once it is done, and does not wait for a job scheduled for later.
func TestWaitIdle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	var done atomic.Int32
	ws := workers(ports.WorkFunc[pingArgs](func(context.Context, *ports.Job[pingArgs]) error {
		close(started)
		<-release
		done.Add(1)
		return nil
	}))
	runner := e.newQueue(t, riverqueue.Config{})
	waiter := e.newQueue(t, riverqueue.Config{}) // never started: it only looks
	require.NoError(t, waiter.WaitIdle(ctx), "an empty queue is idle")

	require.NoError(t, waiter.Enqueue(ctx, pingArgs{Name: "later"}, ports.EnqueueOptions{RunAt: time.Now().Add(time.Hour)}))
	require.NoError(t, waiter.Enqueue(ctx, pingArgs{Name: "now"}, ports.EnqueueOptions{}))
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, waiter.WaitIdle(short), context.DeadlineExceeded, "a job due and not run keeps it waiting")

	require.NoError(t, runner.Start(ctx, ws))
	<-started
	short, cancel = context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, waiter.WaitIdle(short), context.DeadlineExceeded, "a running job keeps it waiting")

	close(release)
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, waiter.WaitIdle(wait))
	assert.Equal(t, int32(1), done.Load(), "WaitIdle returned before the job was done")
	assert.Contains(t, e.states(t), "scheduled", "the job scheduled for later still waits")
}

// TestPeriodic runs a periodic job on two started queues of one database: the leader
// enqueues it every interval, and a Periodic without a worker or an interval is refused.
func TestPeriodic(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	var runs atomic.Int32
	ws := workers(ports.WorkFunc[pingArgs](func(_ context.Context, job *ports.Job[pingArgs]) error {
		if job.Args.Name == "tick" {
			runs.Add(1)
		}
		return nil
	}))
	periodic := []riverqueue.Periodic{{Args: pingArgs{Name: "tick"}, Interval: 300 * time.Millisecond, RunOnStart: true}}
	for range 2 {
		q := e.newQueue(t, riverqueue.Config{Periodic: periodic})
		require.NoError(t, q.Start(ctx, ws))
	}
	require.Eventually(t, func() bool { return runs.Load() >= 3 }, 20*time.Second, 20*time.Millisecond,
		"the periodic job runs again and again")

	for _, p := range []riverqueue.Periodic{{Args: pingArgs{}}, {Interval: time.Second}} {
		_, err := riverqueue.New(e.store, e.db.DB, riverqueue.Config{Periodic: []riverqueue.Periodic{p}})
		require.ErrorContains(t, err, "Periodic[0]")
	}
	q, err := riverqueue.New(e.store, e.db.DB, riverqueue.Config{Periodic: []riverqueue.Periodic{{Args: spacedArgs{}, Interval: time.Second}}})
	require.NoError(t, err)
	err = q.Start(ctx, ws)
	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), "a periodic job without a worker: %v", err)
}
