package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

var bookingListCases = []contract{
	{"OccupancyOverlappingInAnyState", testListOccupancy},
	{"FilterFields", testListBookingsFilters},
	{"FilterCreatedBefore", testListBookingsCreatedBefore},
	{"FilterCreatedAfter", testListBookingsCreatedAfter},
	{"DefaultLimit", testListBookingsDefaultLimit},
	{"ExpiredHolds", testListExpiredHolds},
}

func testListOccupancy(t *testing.T, f *fixture) {
	held := f.create(t, spec{court: f.court, start: at(10, 0)})
	confirmed := f.create(t, spec{court: f.other, start: at(11, 0)})
	f.update(t, confirmed.ID(), now, confirm(now))
	cancelled := f.create(t, spec{court: f.court, start: at(12, 0)})
	f.update(t, cancelled.ID(), now, cancel(now))
	lapsed := f.create(t, spec{court: f.other, start: at(9, 0), dur: time.Hour, made: now.Add(-time.Hour)})
	f.create(t, spec{court: f.court, start: at(8, 0)})  // ends at 9:30, as the interval starts
	f.create(t, spec{court: f.court, start: at(14, 0)}) // starts after the interval ends
	club := f.saveClub(t)
	f.create(t, spec{club: club, court: f.saveCourt(t, club, "Alpha"), start: at(10, 0)})

	got, err := f.store.ListOccupancy(f.ctx, f.club.ID, domain.Interval{Start: at(9, 30), End: at(12, 30)})
	require.NoError(t, err)
	for i := range got {
		got[i] = normalOccupancy(got[i])
	}
	occupancy := func(id string) domain.Occupancy {
		b, err := f.store.GetBooking(f.ctx, id)
		require.NoError(t, err)
		return normalOccupancy(b.Occupancy())
	}
	assert.Equal(t, []domain.Occupancy{occupancy(lapsed.ID()), occupancy(held.ID()), occupancy(confirmed.ID()), occupancy(cancelled.ID())}, got)

	empty, err := f.store.ListOccupancy(f.ctx, f.club.ID, domain.Interval{Start: at(20, 0), End: at(22, 0)})
	require.NoError(t, err)
	assert.Empty(t, empty)
}

func normalOccupancy(o domain.Occupancy) domain.Occupancy {
	o.Interval = domain.Interval{Start: o.Interval.Start.UTC(), End: o.Interval.End.UTC()}
	o.HoldExpiresAt = o.HoldExpiresAt.UTC()
	return o
}

func testListBookingsFilters(t *testing.T, f *fixture) {
	a := f.create(t, spec{court: f.court, start: at(10, 0)})                     // 10:00–11:30, pending
	b := f.create(t, spec{court: f.other, start: at(10, 0)})                     // 10:00–11:30, confirmed
	c := f.create(t, spec{court: f.court, start: at(12, 0), dur: time.Hour})     // 12:00–13:00, cancelled
	d := f.create(t, spec{court: f.other, start: at(14, 0), dur: 2 * time.Hour}) // 14:00–16:00, pending
	f.update(t, b.ID(), now, confirm(now))
	f.update(t, c.ID(), now, cancel(now))
	club := f.saveClub(t)
	x := f.create(t, spec{club: club, court: f.saveCourt(t, club, "Alpha"), start: at(10, 0)})

	byID := func(bs ...*domain.Booking) []string {
		out := ids(bs)
		slices.Sort(out)
		return out
	}
	ab := byID(a, b) // same start: ordered by id
	for _, tc := range []struct {
		name   string
		filter ports.BookingFilter
		want   []string
	}{
		{"club", ports.BookingFilter{ClubID: f.club.ID}, slices.Concat(ab, ids([]*domain.Booking{c, d}))},
		{"court", ports.BookingFilter{ClubID: f.club.ID, CourtID: f.court.ID}, ids([]*domain.Booking{a, c})},
		{"court without club", ports.BookingFilter{CourtID: f.other.ID}, ids([]*domain.Booking{b, d})},
		{"status pending", ports.BookingFilter{ClubID: f.club.ID, Status: domain.StatusPending}, ids([]*domain.Booking{a, d})},
		{"status confirmed", ports.BookingFilter{ClubID: f.club.ID, Status: domain.StatusConfirmed}, ids([]*domain.Booking{b})},
		{"ending after from", ports.BookingFilter{ClubID: f.club.ID, From: at(11, 30)}, ids([]*domain.Booking{c, d})},
		{"starting before to", ports.BookingFilter{ClubID: f.club.ID, To: at(12, 0)}, ab},
		{"from and to", ports.BookingFilter{ClubID: f.club.ID, From: at(11, 0), To: at(14, 0)}, slices.Concat(ab, ids([]*domain.Booking{c}))},
		{"limit", ports.BookingFilter{ClubID: f.club.ID, Limit: 3}, slices.Concat(ab, ids([]*domain.Booking{c}))},
		{"every club", ports.BookingFilter{}, slices.Concat(byID(a, b, x), ids([]*domain.Booking{c, d}))},
		{"nothing", ports.BookingFilter{ClubID: f.club.ID, Status: domain.StatusNoShow}, []string{}},
	} {
		got, err := f.store.ListBookings(f.ctx, tc.filter)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, ids(got), tc.name)
	}

	got, err := f.store.ListBookings(f.ctx, ports.BookingFilter{ClubID: f.club.ID, Status: domain.StatusConfirmed})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, f.get(t, b.ID()), normal(got[0].Record()), "listed bookings are whole")
}

func testListBookingsDefaultLimit(t *testing.T, f *fixture) {
	const n = 105
	want := make([]string, 0, n)
	for i := range n {
		b := f.create(t, spec{start: at(0, 0).Add(time.Duration(i) * time.Hour), dur: time.Hour})
		want = append(want, b.ID())
	}
	got, err := f.store.ListBookings(f.ctx, ports.BookingFilter{ClubID: f.club.ID})
	require.NoError(t, err)
	assert.Equal(t, want[:100], ids(got))

	got, err = f.store.ListBookings(f.ctx, ports.BookingFilter{ClubID: f.club.ID, Limit: n})
	require.NoError(t, err)
	assert.Equal(t, want, ids(got))
}

func testListExpiredHolds(t *testing.T, f *fixture) {
	club := f.saveClub(t)
	elsewhere := f.saveCourt(t, club, "Alpha")
	first := f.create(t, spec{start: at(8, 0), made: now.Add(-30 * time.Minute)})                                // held until 8:40 today
	second := f.create(t, spec{club: club, court: elsewhere, start: at(8, 0), made: now.Add(-20 * time.Minute)}) // until 8:50
	third := f.create(t, spec{start: at(10, 0), made: now.Add(-10 * time.Minute)})                               // until now
	f.create(t, spec{start: at(12, 0)})                                                                          // held until after now
	for i, fn := range []func(time.Time) func(*domain.Booking) error{confirm, expire, cancel} {
		b := f.create(t, spec{court: f.other, start: at(8+2*i, 0), made: now.Add(-time.Hour)})
		f.update(t, b.ID(), now, fn(now))
	}

	got, err := f.store.ListExpiredHolds(f.ctx, now, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{first.ID(), second.ID(), third.ID()}, got)

	got, err = f.store.ListExpiredHolds(f.ctx, now, 2)
	require.NoError(t, err)
	assert.Equal(t, []string{first.ID(), second.ID()}, got)

	got, err = f.store.ListExpiredHolds(f.ctx, now.Add(-time.Hour), 10)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func testListBookingsCreatedAfter(t *testing.T, f *fixture) {
	old := f.create(t, spec{start: at(10, 0), made: now.Add(-2 * time.Hour)})
	recent := f.create(t, spec{start: at(8, 0), made: now.Add(-30 * time.Minute)})
	fresh := f.create(t, spec{start: at(12, 0)})
	for _, tc := range []struct {
		name          string
		after, before time.Time
		want          []*domain.Booking
	}{
		{"an hour ago", now.Add(-time.Hour), time.Time{}, []*domain.Booking{recent, fresh}},
		{"made at the instant", now.Add(-30 * time.Minute), time.Time{}, []*domain.Booking{recent, fresh}},
		{"between", now.Add(-3 * time.Hour), now.Add(-10 * time.Minute), []*domain.Booking{recent, old}},
		{"after every booking", now.Add(time.Minute), time.Time{}, nil},
		{"any time", time.Time{}, time.Time{}, []*domain.Booking{recent, old, fresh}},
	} {
		got, err := f.store.ListBookings(f.ctx, ports.BookingFilter{ClubID: f.club.ID, Status: domain.StatusPending, CreatedAfter: tc.after, CreatedBefore: tc.before})
		require.NoError(t, err, tc.name)
		assert.Equal(t, ids(tc.want), ids(got), tc.name)
	}
}

func testListBookingsCreatedBefore(t *testing.T, f *fixture) {
	old := f.create(t, spec{start: at(10, 0), made: now.Add(-2 * time.Hour)})
	recent := f.create(t, spec{start: at(8, 0), made: now.Add(-30 * time.Minute)})
	fresh := f.create(t, spec{start: at(12, 0)})
	for _, tc := range []struct {
		name   string
		before time.Time
		want   []*domain.Booking
	}{
		{"an hour ago", now.Add(-time.Hour), []*domain.Booking{old}},
		{"ten minutes ago", now.Add(-10 * time.Minute), []*domain.Booking{recent, old}},
		{"made at the instant", now, []*domain.Booking{recent, old}},
		{"any time", time.Time{}, []*domain.Booking{recent, old, fresh}},
	} {
		got, err := f.store.ListBookings(f.ctx, ports.BookingFilter{ClubID: f.club.ID, Status: domain.StatusPending, CreatedBefore: tc.before})
		require.NoError(t, err, tc.name)
		assert.Equal(t, ids(tc.want), ids(got), tc.name)
	}
}
