package riverqueue_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/postgres/pgtest"
	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/queuetest"
)

// rawEcho is the suite's job with its arguments kept as the JSON they came in, so that
// a ports.Workers can hand them to the suite's ports.JobHandler.
type rawEcho struct{ raw []byte }

func (rawEcho) Kind() string { return queuetest.EchoArgs{}.Kind() }

func (r *rawEcho) UnmarshalJSON(b []byte) error {
	r.raw = append([]byte(nil), b...)
	return nil
}

func TestContract(t *testing.T) {
	queuetest.Run(t, func(t *testing.T) queuetest.Harness {
		return harness(t, newEnv(t), riverqueue.Config{})
	})
}

// TestThroughPgBouncer runs the suite with every connection of the queue and the
// store going through PgBouncer in transaction mode, with PollOnly set as its
// documentation asks.
func TestThroughPgBouncer(t *testing.T) {
	pb, err := pgtest.StartPgBouncer(t.Context(), adminURL, testName)
	require.NoError(t, err)
	t.Cleanup(func() { _ = pb.Stop() })
	queuetest.Run(t, func(t *testing.T) queuetest.Harness {
		return harness(t, newBouncerEnv(t, pb), riverqueue.Config{PollOnly: true})
	})
}

// harness is the suite's harness over a queue of e with cfg; the suite's handler runs
// as the worker of its kind.
func harness(t *testing.T, e *env, cfg riverqueue.Config) queuetest.Harness {
	ws := ports.NewWorkers()
	cfg.Workers = ws
	q := e.newQueue(t, cfg)
	return queuetest.Harness{
		Queue: q,
		Register: func(kind string, h ports.JobHandler) {
			require.Equal(t, rawEcho{}.Kind(), kind, "the harness bridges the suite's one kind")
			ports.AddWorker(ws, ports.WorkFunc[rawEcho](func(ctx context.Context, job *ports.Job[rawEcho]) error {
				return h(ctx, json.RawMessage(job.Args.raw))
			}))
		},
		Start:    func() { require.NoError(t, q.Start(context.Background())) },
		WaitIdle: func() { e.waitIdle(t) },
		BeginTx: func(ctx context.Context) (context.Context, func(bool)) {
			return e.beginTx(t, ctx)
		},
	}
}
