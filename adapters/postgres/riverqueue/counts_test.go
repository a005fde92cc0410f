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

func TestCountsTheWaitingJobsByStateAndKind(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	q := e.newQueue(t, riverqueue.Config{})
	ctx := context.Background()

	counts, err := q.Counts(ctx)
	require.NoError(t, err)
	assert.Empty(t, counts)

	require.NoError(t, q.Enqueue(ctx, pingArgs{Name: "a"}, ports.EnqueueOptions{}))
	require.NoError(t, q.Enqueue(ctx, pingArgs{Name: "b"}, ports.EnqueueOptions{}))
	require.NoError(t, q.Enqueue(ctx, pingArgs{Name: "later"}, ports.EnqueueOptions{RunAt: time.Now().Add(time.Hour)}))
	counts, err = q.Counts(ctx)
	require.NoError(t, err)
	assert.Equal(t, []riverqueue.Count{
		{State: "available", Kind: "riverqueue_test.ping", N: 2},
		{State: "scheduled", Kind: "riverqueue_test.ping", N: 1},
	}, counts, "nothing runs them: the queue is not started")

	var r ran
	require.NoError(t, q.Start(ctx, workers(r.worker("q", nil))))
	e.waitIdle(t)
	counts, err = q.Counts(ctx)
	require.NoError(t, err)
	assert.Equal(t, []riverqueue.Count{{State: "scheduled", Kind: "riverqueue_test.ping", N: 1}}, counts, "completed jobs wait no more")
}
