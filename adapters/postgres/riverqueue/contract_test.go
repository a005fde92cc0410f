package riverqueue_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/postgres/pgtest"
	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/queuetest"
)

func TestContract(t *testing.T) {
	queuetest.Run(t, func(t *testing.T, reporter ports.ErrorReporter) queuetest.Harness {
		return harness(t, newEnv(t), riverqueue.Config{Reporter: reporter})
	})
}

// TestThroughPgBouncer runs the suite with every connection of the queue and the
// store going through PgBouncer in transaction mode, with PollOnly set as its
// documentation asks.
func TestThroughPgBouncer(t *testing.T) {
	pb, err := pgtest.StartPgBouncer(t.Context(), adminURL, testName)
	require.NoError(t, err)
	t.Cleanup(func() { _ = pb.Stop() })
	queuetest.Run(t, func(t *testing.T, reporter ports.ErrorReporter) queuetest.Harness {
		return harness(t, newBouncerEnv(t, pb), riverqueue.Config{PollOnly: true, Reporter: reporter})
	})
}

// harness is the suite's harness over a queue of e with cfg, retrying a failed job
// after backoff and giving up after MaxAttempts (2 unless cfg says).
func harness(t *testing.T, e *env, cfg riverqueue.Config) queuetest.Harness {
	const backoff = 100 * time.Millisecond
	cfg.Backoff = func(int) time.Duration { return backoff }
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 2
	}
	q := e.newQueue(t, cfg)
	return queuetest.Harness{
		Queue:      q,
		Start:      func(ws *ports.Workers) { require.NoError(t, q.Start(context.Background(), ws)) },
		WaitIdle:   func() { e.waitIdle(t) },
		MinBackoff: backoff,
		BeginTx: func(ctx context.Context) (context.Context, func(bool)) {
			return e.beginTx(t, ctx)
		},
	}
}
