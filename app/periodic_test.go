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

func TestMonthlyReportsAreRequestedOnceAMonthForEveryClub(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	_, err := e.app.Admin.CreateClub(ctx, app.CreateClubCommand{Slug: "second", Name: "Second", Zone: "Europe/Madrid", Currency: "EUR", Policy: domain.DefaultPolicy()})
	require.NoError(t, err)

	n, err := e.app.Admin.RequestMonthlyReports(ctx) // 10 March 2026: February has ended
	require.NoError(t, err)
	assert.Equal(t, 4, n, "revenue and occupancy for each of the two clubs")
	n, err = e.app.Admin.RequestMonthlyReports(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "requested already")

	e.drain(t)
	reports, err := e.app.Admin.ListReports(ctx, e.club)
	require.NoError(t, err)
	require.Len(t, reports, 2)
	for _, r := range reports {
		assert.Equal(t, "2026-02", r.From.String())
		assert.Equal(t, r.From, r.To)
		got, err := e.app.Admin.Report(ctx, e.club, r.ID)
		require.NoError(t, err)
		assert.Equal(t, ports.ReportReady, got.State)
		assert.NotEmpty(t, got.CSV)
	}

	// March ends at midnight in Buenos Aires, three hours before it does in UTC.
	e.clock.Set(time.Date(2026, 4, 1, 3, 30, 0, 0, time.UTC))
	n, err = e.app.Admin.RequestMonthlyReports(ctx)
	require.NoError(t, err)
	assert.Equal(t, 4, n, "March, for both clubs")
}
