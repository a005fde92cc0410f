package ports_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/clocktest"
)

type greetArgs struct {
	Name string `json:"name"`
}

func (greetArgs) Kind() string { return "test.greet" }

type otherArgs struct{}

func (otherArgs) Kind() string { return "test.other" }

func TestWorkersDecodeAndRunTheWorkerOfTheKind(t *testing.T) {
	ws := ports.NewWorkers()
	var got *ports.Job[greetArgs]
	ports.AddWorker(ws, ports.WorkFunc[greetArgs](func(_ context.Context, j *ports.Job[greetArgs]) error {
		got = j
		return nil
	}))
	ports.AddWorker(ws, ports.WorkFunc[otherArgs](func(context.Context, *ports.Job[otherArgs]) error {
		panic("boom")
	}))
	assert.Equal(t, []string{"test.greet", "test.other"}, ws.Kinds())

	ctx := context.Background()
	require.NoError(t, ws.Work(ctx, ports.RawJob{ID: "j1", Kind: "test.greet", Args: []byte(`{"name":"Ana"}`), Attempt: 2}))
	assert.Equal(t, &ports.Job[greetArgs]{ID: "j1", Args: greetArgs{Name: "Ana"}, Attempt: 2}, got)

	assert.ErrorContains(t, ws.Work(ctx, ports.RawJob{Kind: "test.greet", Args: []byte(`{"name":`)}), "decode the arguments of test.greet")
	assert.ErrorContains(t, ws.Work(ctx, ports.RawJob{Kind: "test.missing", Args: []byte(`{}`)}), `no worker for jobs of kind "test.missing"`)
	assert.ErrorContains(t, ws.Work(ctx, ports.RawJob{Kind: "test.other", Args: []byte(`{}`)}), "panicked: boom", "a panic is an error of the attempt")

	assert.Panics(t, func() {
		ports.AddWorker(ws, ports.WorkFunc[greetArgs](func(context.Context, *ports.Job[greetArgs]) error { return errors.New("again") }))
	}, "a kind added twice is a wiring mistake")
}

// jobRun is one call of Metrics.Job.
type jobRun struct {
	kind      string
	outcome   ports.JobOutcome
	lag, took time.Duration
}

// jobMetrics records the jobs it is told of; the other counts are not looked at here.
type jobMetrics struct {
	ports.NoMetrics
	runs []jobRun
}

func (m *jobMetrics) Job(kind string, outcome ports.JobOutcome, lag, took time.Duration) {
	m.runs = append(m.runs, jobRun{kind, outcome, lag, took})
}

func TestObservedWorkersTellEachRunItsOutcomeAndLag(t *testing.T) {
	ws := ports.NewWorkers()
	ports.AddWorker(ws, ports.WorkFunc[greetArgs](func(_ context.Context, j *ports.Job[greetArgs]) error {
		if j.Args.Name == "" {
			return errors.New("nobody to greet")
		}
		return nil
	}))
	ports.AddWorker(ws, ports.WorkFunc[otherArgs](func(context.Context, *ports.Job[otherArgs]) error {
		panic("boom")
	}))
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	m := &jobMetrics{}
	ws.Observe(m, clocktest.New(now))

	ctx := context.Background()
	require.NoError(t, ws.Work(ctx, ports.RawJob{Kind: "test.greet", Args: []byte(`{"name":"Ana"}`), ScheduledAt: now.Add(-3 * time.Second)}))
	require.Error(t, ws.Work(ctx, ports.RawJob{Kind: "test.greet", Args: []byte(`{}`), ScheduledAt: now.Add(time.Second)}))
	require.Error(t, ws.Work(ctx, ports.RawJob{Kind: "test.other", Args: []byte(`{}`)}))
	require.Error(t, ws.Work(ctx, ports.RawJob{Kind: "test.missing", Args: []byte(`{}`), ScheduledAt: now.Add(-time.Minute)}))

	require.Len(t, m.runs, 4)
	for i := range m.runs {
		assert.GreaterOrEqual(t, m.runs[i].took, time.Duration(0))
		m.runs[i].took = 0
	}
	assert.Equal(t, []jobRun{
		{kind: "test.greet", outcome: ports.JobSucceeded, lag: 3 * time.Second},
		{kind: "test.greet", outcome: ports.JobFailed}, // started before it was due: no lag
		{kind: "test.other", outcome: ports.JobPanicked},
		{kind: "unknown", outcome: ports.JobFailed, lag: time.Minute}, // kinds stay the workers'
	}, m.runs)
}

func TestScheduledAtReachesTheTypedJob(t *testing.T) {
	ws := ports.NewWorkers()
	var got time.Time
	ports.AddWorker(ws, ports.WorkFunc[greetArgs](func(_ context.Context, j *ports.Job[greetArgs]) error {
		got = j.ScheduledAt
		return nil
	}))
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	require.NoError(t, ws.Work(context.Background(), ports.RawJob{Kind: "test.greet", Args: []byte(`{}`), ScheduledAt: at}))
	assert.Equal(t, at, got)
}

func TestWorkersRunJobsInsideAround(t *testing.T) {
	ws := ports.NewWorkers()
	type ctxKey struct{}
	var seen []string
	ports.AddWorker(ws, ports.WorkFunc[greetArgs](func(ctx context.Context, j *ports.Job[greetArgs]) error {
		seen = append(seen, "work "+j.Args.Name+" "+ctx.Value(ctxKey{}).(string))
		if j.Args.Name == "Bo" {
			panic("boom")
		}
		return nil
	}))
	ws.Around(func(ctx context.Context, job ports.RawJob, run func(context.Context) error) error {
		seen = append(seen, "outer in "+job.Kind)
		err := run(context.WithValue(ctx, ctxKey{}, "from outer"))
		seen = append(seen, "outer out")
		return err
	})
	ws.Around(func(ctx context.Context, job ports.RawJob, run func(context.Context) error) error {
		seen = append(seen, "inner in "+job.ID)
		err := run(ctx)
		if err != nil {
			seen = append(seen, "inner saw "+err.Error())
		}
		return err
	})

	ctx := context.Background()
	require.NoError(t, ws.Work(ctx, ports.RawJob{ID: "j1", Kind: "test.greet", Args: []byte(`{"name":"Ana"}`), Attempt: 1}))
	assert.Equal(t, []string{"outer in test.greet", "inner in j1", "work Ana from outer", "outer out"}, seen)

	seen = nil
	err := ws.Work(ctx, ports.RawJob{ID: "j2", Kind: "test.greet", Args: []byte(`{"name":"Bo"}`), Attempt: 1})
	require.ErrorContains(t, err, "panicked: boom")
	assert.Equal(t, []string{"outer in test.greet", "inner in j2", "work Bo from outer", "inner saw worker of test.greet panicked: boom", "outer out"}, seen,
		"a panic of the worker reaches the functions around it as an error")

	seen = nil
	require.Error(t, ws.Work(ctx, ports.RawJob{Kind: "test.missing"}))
	assert.Empty(t, seen, "a job without a worker runs nothing")
}
