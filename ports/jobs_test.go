package ports_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/ports"
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
