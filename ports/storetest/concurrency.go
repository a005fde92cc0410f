package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

var concurrencyCases = []contract{
	{"CreateBookingRace", func(t *testing.T, f *fixture) { testCreateRace(t, f, false) }},
	{"CreateBookingRaceInTx", func(t *testing.T, f *fixture) { testCreateRace(t, f, true) }},
	{"UpdateBookingRace", func(t *testing.T, f *fixture) { testUpdateRace(t, f, false) }},
	{"UpdateBookingRaceInTx", func(t *testing.T, f *fixture) { testUpdateRace(t, f, true) }},
	{"IdempotencyKeyRace", testIdempotencyKeyRace},
	{"IdempotencyKeyRaceSameSlot", testIdempotencyKeyRaceSameSlot},
	{"MaxActiveRace", testMaxActiveRace},
	{"SeasonOverlapRace", testSeasonOverlapRace},
	{"PaymentEventRace", testPaymentEventRace},
}

// race runs fn(0) … fn(n-1) on n goroutines released together and returns their
// errors by i.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-gate
			errs[i] = fn(i)
		})
	}
	close(gate)
	wg.Wait()
	return errs
}

// in runs fn with the fixture's context, or inside a transaction when tx is true.
func (f *fixture) in(tx bool, fn func(ctx context.Context) error) error {
	if tx {
		return f.store.WithinTx(f.ctx, fn)
	}
	return fn(f.ctx)
}

// testCreateRace has 64 customers try for 10 slots of 90 minutes on one court at
// once. Each slot is asked for whole, by its first hour or by its last hour; any two
// of those overlap, and none crosses into another slot, so exactly one booking per
// slot must win.
func testCreateRace(t *testing.T, f *fixture, tx bool) {
	const workers, slots = 64, 10
	bookings := make([]*domain.Booking, workers)
	for i := range workers {
		slot := at(8, 0).Add(time.Duration(i%slots) * 90 * time.Minute)
		start, dur := slot, 90*time.Minute
		switch i / slots % 3 {
		case 1:
			dur = time.Hour
		case 2:
			start, dur = slot.Add(30*time.Minute), time.Hour
		}
		bookings[i] = f.booking(t, spec{start: start, dur: dur})
	}

	errs := race(workers, func(i int) error {
		return f.in(tx, func(ctx context.Context) error {
			return f.store.CreateBooking(ctx, bookings[i], ports.CreateBookingOptions{Now: now, MaxActivePerCustomer: 4})
		})
	})
	won := make(map[int]int)
	for i, err := range errs {
		if err == nil {
			won[i%slots]++
			continue
		}
		assertError(t, err, domain.KindConflict, domain.CodeSlotUnavailable)
	}
	assert.Len(t, won, slots, "every slot was booked")
	for slot, n := range won {
		assert.Equal(t, 1, n, "winners of slot %d", slot)
	}

	stored, err := f.store.ListBookings(f.ctx, ports.BookingFilter{ClubID: f.club.ID, CourtID: f.court.ID, Limit: workers})
	require.NoError(t, err)
	assert.Len(t, stored, slots, "only the winners are stored")
	assertNoOverlap(t, stored, now)
}

// assertNoOverlap checks the invariant: no two bookings active at now overlap on a court.
func assertNoOverlap(t *testing.T, bs []*domain.Booking, now time.Time) {
	t.Helper()
	for i, a := range bs {
		for _, b := range bs[i+1:] {
			if a.CourtID() == b.CourtID() && a.IsActive(now) && b.IsActive(now) {
				assert.False(t, a.Interval().Overlaps(b.Interval()), "active bookings %s and %s overlap", a.ID(), b.ID())
			}
		}
	}
}

// testUpdateRace has 32 goroutines give back a one-cent payment of a booking at once:
// no update may be lost.
func testUpdateRace(t *testing.T, f *fixture, tx bool) {
	const workers = 32
	b := f.create(t, spec{})
	cent := domain.NewMoney(1, f.club.Currency)

	errs := race(workers, func(int) error {
		return f.in(tx, func(ctx context.Context) error {
			return f.store.UpdateBooking(ctx, b.ID(), now, func(nb *domain.Booking) error {
				return nb.ReturnPayment(cent)
			})
		})
	})
	for _, err := range errs {
		assert.NoError(t, err)
	}
	got := f.get(t, b.ID())
	assert.Equal(t, 1+workers, got.Version)
	assert.Equal(t, domain.NewMoney(workers, f.club.Currency), got.Refund)
}

func testIdempotencyKeyRace(t *testing.T, f *fixture) {
	const workers = 16
	bookings := make([]*domain.Booking, workers)
	for i := range bookings {
		bookings[i] = f.booking(t, spec{start: at(8, 0).Add(time.Duration(i) * 90 * time.Minute), key: "checkout-1"})
	}
	errs := race(workers, func(i int) error {
		return f.store.CreateBooking(f.ctx, bookings[i], ports.CreateBookingOptions{Now: now})
	})
	winner := ""
	for i, err := range errs {
		if err == nil {
			assert.Empty(t, winner, "a second booking took the key")
			winner = bookings[i].ID()
			continue
		}
		assertError(t, err, domain.KindConflict, domain.CodeDuplicate)
	}
	found, err := f.store.FindBookingByIdempotencyKey(f.ctx, f.club.ID, "checkout-1")
	require.NoError(t, err)
	assert.Equal(t, winner, found.ID())
}

// testIdempotencyKeyRaceSameSlot races the same request repeated under one key (a
// customer's retry): the losers learn that the key is taken, not that the slot is,
// so that the use case can answer with the first booking.
func testIdempotencyKeyRaceSameSlot(t *testing.T, f *fixture) {
	const workers = 16
	bookings := make([]*domain.Booking, workers)
	for i := range bookings {
		bookings[i] = f.booking(t, spec{start: at(10, 0), key: "checkout-1"})
	}
	errs := race(workers, func(i int) error {
		return f.store.CreateBooking(f.ctx, bookings[i], ports.CreateBookingOptions{Now: now})
	})
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		assertError(t, err, domain.KindConflict, domain.CodeDuplicate)
	}
	assert.Equal(t, 1, won)
}

func testMaxActiveRace(t *testing.T, f *fixture) {
	const workers, limit = 16, 3
	bookings := make([]*domain.Booking, workers)
	for i := range bookings {
		bookings[i] = f.booking(t, spec{start: at(8, 0).Add(time.Duration(i) * 90 * time.Minute), email: "ana@example.com"})
	}
	errs := race(workers, func(i int) error {
		return f.store.CreateBooking(f.ctx, bookings[i], ports.CreateBookingOptions{Now: now, MaxActivePerCustomer: limit})
	})
	n := 0
	for _, err := range errs {
		if err == nil {
			n++
			continue
		}
		assertError(t, err, domain.KindPolicy, domain.CodeTooManyActive)
	}
	assert.Equal(t, limit, n)
	stored, err := f.store.ListBookings(f.ctx, ports.BookingFilter{ClubID: f.club.ID})
	require.NoError(t, err)
	assert.Len(t, stored, limit)
}

func testSeasonOverlapRace(t *testing.T, f *fixture) {
	const workers = 16
	seasons := make([]domain.Season, workers)
	for i := range seasons {
		seasons[i] = season(f.club, "Spring", "2030-03-01", "2030-05-31")
		seasons[i].From = seasons[i].From.AddDays(i)
	}
	errs := race(workers, func(i int) error { return f.store.SaveSeason(f.ctx, seasons[i]) })
	n := 0
	for _, err := range errs {
		if err == nil {
			n++
			continue
		}
		assertError(t, err, domain.KindConflict, domain.CodeSeasonOverlap)
	}
	assert.Equal(t, 1, n)
	assert.Len(t, f.listSeasons(t), 1)
}

func testPaymentEventRace(t *testing.T, f *fixture) {
	const workers = 16
	fresh := make([]bool, workers)
	errs := race(workers, func(i int) error {
		var err error
		fresh[i], err = f.store.RecordPaymentEvent(f.ctx, "sandbox", "evt-1", now)
		return err
	})
	n := 0
	for i, err := range errs {
		assert.NoError(t, err)
		if fresh[i] {
			n++
		}
	}
	assert.Equal(t, 1, n, "exactly one goroutine recorded the event first")
}
