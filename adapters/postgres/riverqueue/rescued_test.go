package riverqueue_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
	"github.com/matchpoint/matchpoint/ports"
)

// TestJobsDiscardedOnRescueAreReportedOnce: River's rescuer discards a job whose
// process died on its last attempt without telling the error handler. The rows are
// made here as the rescuer leaves them (state discarded, its error last); two started
// Queues on the database report each once between them, and leave other discarded
// jobs, whose failures the error handler reported, alone.
func TestJobsDiscardedOnRescueAreReportedOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	var repA, repB reporter
	noop := ports.WorkFunc[pingArgs](func(context.Context, *ports.Job[pingArgs]) error { return nil })
	qa := e.newQueue(t, riverqueue.Config{Reporter: &repA, RescuedCheck: 20 * time.Millisecond})
	qb := e.newQueue(t, riverqueue.Config{Reporter: &repB, RescuedCheck: 20 * time.Millisecond})

	for _, key := range []string{"rescued", "failed"} {
		require.NoError(t, qa.Enqueue(ctx, pingArgs{Name: key}, ports.EnqueueOptions{UniqueKey: key, RunAt: time.Now().Add(time.Hour)}))
	}
	for key, last := range map[string]string{"rescued": "Stuck job rescued by JobRescuer", "failed": "smtp: 550 no such mailbox"} {
		_, err := e.db.ExecContext(ctx, `UPDATE river_job SET state = 'discarded', finalized_at = now(), attempt = 5,
			errors = ARRAY[jsonb_build_object('at', now(), 'attempt', 5, 'error', ?::text, 'trace', '')]
			WHERE args->>'key' = ?`, last, key)
		require.NoError(t, err)
	}
	require.NoError(t, qa.Start(ctx, workers(noop)))
	require.NoError(t, qb.Start(ctx, workers(noop)))

	count := func() int {
		a, _ := repA.reports()
		b, _ := repB.reports()
		return len(a) + len(b)
	}
	require.Eventually(t, func() bool { return count() == 1 }, 10*time.Second, 20*time.Millisecond, "the rescued job is reported")
	time.Sleep(200 * time.Millisecond) // ten more looks by each Queue
	assert.Equal(t, 1, count(), "once, by one of the two Queues")
	errs, attrs := repA.reports()
	if len(errs) == 0 {
		errs, attrs = repB.reports()
	}
	assert.Contains(t, errs[0].Error(), "left running by a process that stopped")
	assert.Equal(t, pingArgs{}.Kind(), attrs[0]["kind"])
	assert.Equal(t, "5", attrs[0]["attempts"])
}
