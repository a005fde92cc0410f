package domain_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
)

// availabilityLoad is a busy padel club for one day: courts open 08:00–01:30 on a
// 30-minute grid, a base rate with a peak rate over it from 18:00 to 22:00, three
// 90-minute bookings per court, and a query for 90-minute games.
func availabilityLoad(b *testing.B, courts int) domain.AvailabilityQuery {
	b.Helper()
	ba := loadLocation(b, buenosAires)
	base := rateRule("base", "00:00", "24:00", pesos(400000))
	peak := rateRule("peak", "18:00", "22:00", pesos(600000))
	peak.Sport, peak.Priority = domain.Padel, 10
	q := domain.AvailabilityQuery{
		Schedule: padelSchedule(b, []domain.PriceRule{base, peak}, yearRound("08:00", "01:30")),
		Date:     domain.MustDate(tuesday),
		Sport:    domain.Padel,
		Duration: 90 * time.Minute,
		Category: domain.CategoryGuest,
		Now:      localTime(b, ba, "2026-03-09 12:00"),
	}
	for i := range courts {
		c := testCourt(b, fmt.Sprintf("c%02d", i+1), domain.Padel)
		q.Courts = append(q.Courts, c)
		for j, at := range []string{"10:00", "14:30", "19:00"} {
			start := localTime(b, ba, tuesday+" "+at).Add(time.Duration(i%3) * 30 * time.Minute)
			q.Occupancy = append(q.Occupancy, domain.Occupancy{
				BookingID: fmt.Sprintf("b-%d-%d", i, j), CourtID: c.ID, Status: domain.StatusConfirmed,
				Interval: domain.Interval{Start: start, End: start.Add(90 * time.Minute)},
			})
		}
	}
	return q
}

func BenchmarkAvailability(b *testing.B) {
	for _, courts := range []int{5, 20, 80} {
		b.Run(fmt.Sprintf("courts=%d", courts), func(b *testing.B) {
			q := availabilityLoad(b, courts)
			res, err := domain.Availability(q)
			require.NoError(b, err)
			require.Len(b, res, courts)
			require.NotEmpty(b, res[0].Slots)

			b.ReportAllocs()
			for b.Loop() {
				if _, err := domain.Availability(q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
