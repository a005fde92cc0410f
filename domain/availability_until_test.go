package domain_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
)

// TestAvailabilityUntil checks the instant at which an answer stops holding: the
// answer is the same at every instant before it and differs at it.
func TestAvailabilityUntil(t *testing.T) {
	t.Parallel()

	ba := loadLocation(t, buenosAires)
	at := func(hhmm string) time.Time { return localTime(t, ba, tuesday+" "+hhmm) }
	horizon := domain.DefaultPolicy().MaxHorizon
	tests := []struct {
		name  string
		edit  func(q *domain.AvailabilityQuery)
		until time.Time
	}{
		{
			name:  "the first listed start comes within the lead time (15 minutes) a moment after 19:15",
			edit:  func(q *domain.AvailabilityQuery) { q.Now = at("18:50") }, // 19:30 is the first start
			until: at("19:15").Add(time.Nanosecond),
		},
		{
			name:  "the first start past the horizon comes within it",
			edit:  func(q *domain.AvailabilityQuery) { q.Now = at("19:10").Add(-horizon) }, // 19:30 is the first start out
			until: at("19:30").Add(-horizon),
		},
		{
			name: "a blocking hold runs out",
			edit: func(q *domain.AvailabilityQuery) {
				q.Now = at("12:00")
				q.Occupancy = []domain.Occupancy{{BookingID: "b", CourtID: "c1", Interval: domain.Interval{Start: at("19:00"), End: at("20:00")}, Status: domain.StatusPending, HoldExpiresAt: at("12:10")}}
			},
			until: at("12:10"),
		},
		{
			name: "a confirmed booking never runs out",
			edit: func(q *domain.AvailabilityQuery) {
				q.Now = at("17:00")
				q.Occupancy = []domain.Occupancy{{BookingID: "b", CourtID: "c1", Interval: domain.Interval{Start: at("18:00"), End: at("19:00")}, Status: domain.StatusConfirmed}}
			},
			until: at("17:45").Add(time.Nanosecond), // 18:00 on c2 is still listed
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := eveningQuery(t)
			tt.edit(&q)

			courts, until, err := domain.AvailabilityUntil(q)

			require.NoError(t, err)
			assert.Equal(t, tt.until, until)
			for _, later := range []time.Time{q.Now.Add(time.Second), until.Add(-time.Second), until.Add(-time.Nanosecond)} {
				lq := q
				lq.Now = later
				same, err := domain.Availability(lq)
				require.NoError(t, err)
				assert.Equal(t, courts, same, "the answer at %s", later)
			}
			q.Now = until
			changed, err := domain.Availability(q)
			require.NoError(t, err)
			assert.NotEqual(t, courts, changed, "the answer at %s", until)
		})
	}
}

func TestAvailabilityUntilIsZeroWhenTimeChangesNothing(t *testing.T) {
	t.Parallel()

	ba := loadLocation(t, buenosAires)
	q := eveningQuery(t)
	q.Now = localTime(t, ba, tuesday+" 23:00") // the day is over: nothing is listed, nothing will be

	courts, until, err := domain.AvailabilityUntil(q)

	require.NoError(t, err)
	require.Len(t, courts, 2)
	assert.Empty(t, courts[0].Slots)
	assert.True(t, until.IsZero(), "until %s", until)
}
