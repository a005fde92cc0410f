package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

var bookingCases = []contract{
	{"CreateAndGet", testBookingCreateAndGet},
	{"NotFound", testBookingNotFound},
	{"IDsAreUniqueAcrossClubs", testBookingIDsUnique},
	{"ActiveBookingsConflict", testBookingActiveConflicts},
	{"InactiveBookingsDoNotConflict", testBookingInactiveDoNotConflict},
	{"IdempotencyKeyUniquePerClub", testBookingIdempotencyKey},
	{"FindByIdempotencyKey", testBookingFindByIdempotencyKey},
	{"MaxActivePerCustomer", testBookingMaxActive},
	{"ValuesAreCopied", testBookingValuesAreCopied},
}

func testBookingCreateAndGet(t *testing.T, f *fixture) {
	b := f.booking(t, spec{key: "checkout-1"})
	require.NoError(t, f.store.CreateBooking(f.ctx, b, ports.CreateBookingOptions{Now: now, MaxActivePerCustomer: 4}))

	got := f.get(t, b.ID())
	assert.Equal(t, want(b, 1), got)
	assert.Equal(t, domain.StatusPending, got.Status)
	assert.Equal(t, now.Add(domain.DefaultPolicy().Hold), got.HoldExpiresAt)
}

func testBookingNotFound(t *testing.T, f *fixture) {
	f.create(t, spec{})
	_, err := f.store.GetBooking(f.ctx, newID())
	assertNotFound(t, err)
}

func testBookingIDsUnique(t *testing.T, f *fixture) {
	b := f.create(t, spec{})
	club := f.saveClub(t)
	r := f.booking(t, spec{club: club, court: f.saveCourt(t, club, "Alpha"), start: at(14, 0)}).Record()
	r.ID, r.Version = b.ID(), 1
	twin, err := domain.RestoreBooking(r)
	require.NoError(t, err)

	assert.Error(t, f.store.CreateBooking(f.ctx, twin, ports.CreateBookingOptions{Now: now}))
	assert.Equal(t, want(b, 1), f.get(t, b.ID()))
}

func testBookingActiveConflicts(t *testing.T, f *fixture) {
	confirmed := f.create(t, spec{start: at(10, 0), dur: 2 * time.Hour})
	f.update(t, confirmed.ID(), now, confirm(now))
	f.create(t, spec{start: at(14, 0), dur: time.Hour}) // pending, held until now+10m

	for _, c := range []struct {
		name  string
		start time.Time
		dur   time.Duration
	}{
		{"same interval as a confirmed booking", at(10, 0), 2 * time.Hour},
		{"overlaps its start", at(9, 0), 90 * time.Minute},
		{"overlaps its end", at(11, 0), 90 * time.Minute},
		{"inside it", at(10, 30), time.Hour},
		{"same interval as a held booking", at(14, 0), time.Hour},
		{"around a held booking", at(13, 30), 2 * time.Hour},
	} {
		b := f.booking(t, spec{start: c.start, dur: c.dur})
		assertError(t, f.store.CreateBooking(f.ctx, b, ports.CreateBookingOptions{Now: now}), domain.KindConflict, domain.CodeSlotUnavailable, c.name)
		_, err := f.store.GetBooking(f.ctx, b.ID())
		assertNotFound(t, err, "a refused booking is not stored: %s", c.name)
	}

	for _, c := range []struct {
		name  string
		court domain.Court
		start time.Time
		dur   time.Duration
	}{
		{"ends as a booking starts", f.court, at(8, 30), 90 * time.Minute},
		{"starts as a booking ends", f.court, at(12, 0), 90 * time.Minute},
		{"starts as a held booking ends", f.court, at(15, 0), time.Hour},
		{"another court", f.other, at(10, 0), 2 * time.Hour},
	} {
		b := f.booking(t, spec{court: c.court, start: c.start, dur: c.dur})
		assert.NoError(t, f.store.CreateBooking(f.ctx, b, ports.CreateBookingOptions{Now: now}), c.name)
	}
}

func testBookingInactiveDoNotConflict(t *testing.T, f *fixture) {
	// Held an hour ago: its hold has passed though nothing has expired it.
	stale := f.create(t, spec{start: at(10, 0), made: now.Add(-time.Hour)})
	// Held ten minutes ago: its hold ends now.
	f.create(t, spec{start: at(12, 0), made: now.Add(-10 * time.Minute)})
	expired := f.create(t, spec{start: at(14, 0), made: now.Add(-time.Hour)})
	f.update(t, expired.ID(), now, expire(now))
	cancelled := f.create(t, spec{start: at(16, 0)})
	f.update(t, cancelled.ID(), now, cancel(now))

	for _, start := range []time.Time{at(10, 0), at(12, 0), at(14, 0), at(16, 0)} {
		b := f.booking(t, spec{start: start})
		assert.NoError(t, f.store.CreateBooking(f.ctx, b, ports.CreateBookingOptions{Now: now}), "booking at %s", start)
	}
	// The slot the stale hold had is now held by the new booking.
	assertError(t, f.store.CreateBooking(f.ctx, f.booking(t, spec{start: at(10, 0)}), ports.CreateBookingOptions{Now: now}),
		domain.KindConflict, domain.CodeSlotUnavailable)
	assert.Equal(t, stale.Interval(), f.get(t, stale.ID()).Interval, "the stale booking is still stored")
}

func testBookingIdempotencyKey(t *testing.T, f *fixture) {
	first := f.create(t, spec{key: "checkout-1"})

	dup := f.booking(t, spec{start: at(14, 0), key: "checkout-1"})
	assertError(t, f.store.CreateBooking(f.ctx, dup, ports.CreateBookingOptions{Now: now}), domain.KindConflict, domain.CodeDuplicate)
	_, err := f.store.GetBooking(f.ctx, dup.ID())
	assertNotFound(t, err)
	assert.Equal(t, want(first, 1), f.get(t, first.ID()))

	club := f.saveClub(t)
	f.create(t, spec{club: club, court: f.saveCourt(t, club, "Alpha"), key: "checkout-1"})

	// Bookings made without a key never collide on it.
	f.create(t, spec{start: at(16, 0)})
	f.create(t, spec{start: at(18, 0)})
}

func testBookingFindByIdempotencyKey(t *testing.T, f *fixture) {
	b := f.create(t, spec{key: "checkout-1"})
	f.create(t, spec{start: at(14, 0)})

	got, err := f.store.FindBookingByIdempotencyKey(f.ctx, f.club.ID, "checkout-1")
	require.NoError(t, err)
	assert.Equal(t, want(b, 1), normal(got.Record()))

	f.update(t, b.ID(), now, confirm(now))
	got, err = f.store.FindBookingByIdempotencyKey(f.ctx, f.club.ID, "checkout-1")
	require.NoError(t, err)
	assert.Equal(t, 2, got.Version())
	assert.Equal(t, domain.StatusConfirmed, got.Status())

	_, err = f.store.FindBookingByIdempotencyKey(f.ctx, f.saveClub(t).ID, "checkout-1")
	assertNotFound(t, err, "another club")
	_, err = f.store.FindBookingByIdempotencyKey(f.ctx, f.club.ID, "checkout-2")
	assertNotFound(t, err, "an unknown key")
	_, err = f.store.FindBookingByIdempotencyKey(f.ctx, f.club.ID, "")
	assertNotFound(t, err, "no key")
}

func testBookingMaxActive(t *testing.T, f *fixture) {
	const email = "ana@example.com"
	limit := func(when time.Time, n int) ports.CreateBookingOptions {
		return ports.CreateBookingOptions{Now: when, MaxActivePerCustomer: n}
	}
	createAs := func(s spec, opts ports.CreateBookingOptions) (*domain.Booking, error) {
		b := f.booking(t, s)
		return b, f.store.CreateBooking(f.ctx, b, opts)
	}

	// Neither a lapsed hold nor a cancelled booking counts.
	_, err := createAs(spec{email: email, start: at(8, 0), made: now.Add(-time.Hour)}, limit(now.Add(-time.Hour), 2))
	require.NoError(t, err)
	cancelled, err := createAs(spec{email: email, start: at(12, 0)}, limit(now, 2))
	require.NoError(t, err)
	f.update(t, cancelled.ID(), now, cancel(now))

	_, err = createAs(spec{email: email, start: at(10, 0)}, limit(now, 2))
	require.NoError(t, err)
	held, err := createAs(spec{email: email, court: f.other, start: at(10, 0)}, limit(now, 2))
	require.NoError(t, err)
	f.update(t, held.ID(), now, confirm(now))

	third, err := createAs(spec{email: email, start: at(14, 0)}, limit(now, 2))
	assertError(t, err, domain.KindPolicy, domain.CodeTooManyActive)
	_, err = f.store.GetBooking(f.ctx, third.ID())
	assertNotFound(t, err, "a refused booking is not stored")

	_, err = createAs(spec{email: "bea@example.com", start: at(14, 0)}, limit(now, 1))
	assert.NoError(t, err, "another customer")
	club := f.saveClub(t)
	_, err = createAs(spec{email: email, club: club, court: f.saveCourt(t, club, "Alpha")}, limit(now, 1))
	assert.NoError(t, err, "another club")

	// Half an hour later the first hold has passed: one active booking (the confirmed one) remains.
	later := now.Add(30 * time.Minute)
	_, err = createAs(spec{email: email, start: at(16, 0), made: later}, limit(later, 2))
	assert.NoError(t, err, "a hold that has passed stops counting")
	_, err = createAs(spec{email: email, start: at(18, 0)}, limit(now, 0))
	assert.NoError(t, err, "a limit of 0 is no limit")

	// The next day every game above has been played: confirmed bookings that have
	// ended do not count, or a regular customer could never book again.
	nextDay := at(23, 0)
	_, err = createAs(spec{email: email, start: nextDay.Add(2 * time.Hour), made: nextDay}, limit(nextDay, 1))
	assert.NoError(t, err, "bookings that have ended stop counting")
}

func testBookingValuesAreCopied(t *testing.T, f *fixture) {
	b := f.create(t, spec{})
	b.Quote().Lines[0].RuleID = "changed by the caller"
	require.NoError(t, b.SetCheckout("gateway-1", "changed by the caller"))
	stored := f.get(t, b.ID())
	assert.Equal(t, "standard", stored.Quote.Lines[0].RuleID, "the store kept the caller's quote lines")
	assert.Empty(t, stored.PaymentRef)

	got, err := f.store.GetBooking(f.ctx, b.ID())
	require.NoError(t, err)
	got.Quote().Lines[0].RuleID = "changed by the caller"
	require.NoError(t, got.Expire(now.Add(time.Hour)))
	listed, err := f.store.ListBookings(f.ctx, ports.BookingFilter{ClubID: f.club.ID})
	require.NoError(t, err)
	require.Len(t, listed, 1)
	listed[0].Quote().Lines[1].RuleID = "changed by the caller"

	assert.Equal(t, stored, f.get(t, b.ID()), "the store returned its own state")
}
