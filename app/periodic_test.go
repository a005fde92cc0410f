package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

func TestPeriodicJobsHaveWorkersAndDoTheirWork(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ws := e.app.Workers()
	for _, p := range app.PeriodicJobs() {
		assert.Contains(t, ws.Kinds(), p.Args.Kind())
		assert.Positive(t, p.Interval)
	}

	// A hold whose expiry job was lost (the queue never ran it) is expired by the sweep.
	res := e.book(t, e.bookingCmd())
	e.clock.Set(res.Booking.HoldExpiresAt().Add(time.Minute))
	run := func(args ports.JobArgs) {
		t.Helper()
		require.NoError(t, ws.Work(context.Background(), ports.RawJob{ID: "1", Kind: args.Kind(), Args: []byte(`{}`), Attempt: 1}))
	}
	run(app.SweepHoldsArgs{})
	assert.Equal(t, domain.StatusExpired, e.stored(t, res.Booking.ID()).Status())
	run(app.ReconcileArgs{})
	run(app.RetryRefundsArgs{})
}
