package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// TestCreateBookingInTx runs CreateBooking as the app does, in a WithinTx, where it
// sends its savepoint, the customer's lock (for a club with a limit) and the insert in
// one round trip and leaves the savepoint open: with a limit and without, exactly one
// booking of a contested slot wins, the limit holds exactly however many bookings of
// one customer race, and a call that fails afterwards, or in that round trip, leaves
// the transaction and what it stored as they were.
func TestCreateBookingInTx(t *testing.T) {
	for _, most := range []int{0, 4} {
		t.Run(fmt.Sprintf("ContestedSlotsLimit%d", most), func(t *testing.T) {
			t.Parallel()
			s, db := newStore(t)
			testContestedInTx(t, newCourtFixture(t, s, db), most)
		})
	}
	t.Run("LimitRace", func(t *testing.T) {
		t.Parallel()
		s, db := newStore(t)
		testLimitRaceInTx(t, newCourtFixture(t, s, db))
	})
	t.Run("LaterFailureKeepsBooking", func(t *testing.T) {
		t.Parallel()
		s, db := newStore(t)
		testLaterFailureKeepsBooking(t, newCourtFixture(t, s, db))
	})
	t.Run("FailedInsertLeavesTxUsable", func(t *testing.T) {
		t.Parallel()
		s, db := newStore(t)
		testFailedInsertLeavesTxUsable(t, newCourtFixture(t, s, db))
	})
}

// bookInTx creates b in a transaction of its own, with the limit most.
func (f *courtFixture) bookInTx(ctx context.Context, b *domain.Booking, most int) error {
	return f.store.WithinTx(ctx, func(ctx context.Context) error {
		return f.store.CreateBooking(ctx, b, ports.CreateBookingOptions{Now: bookingNow, MaxActivePerCustomer: most})
	})
}

// testContestedInTx has 48 customers, over a pool of 8 connections, ask for 8 slots
// of one court, each slot whole, by its first hour or by its last hour, each in a
// transaction of its own: one booking per slot wins, the others are refused with
// slot_unavailable, and no deadlock or serialization failure reaches a caller.
func testContestedInTx(t *testing.T, f *courtFixture, most int) {
	const bookers, slots = 48, 8
	f.db.SetMaxOpenConns(8)
	bookings := make([]*domain.Booking, bookers)
	for i := range bookers {
		start, d := nextDay(8, 0).Add(time.Duration(i%slots)*90*time.Minute), 90*time.Minute
		switch i / slots % 3 {
		case 1:
			d = time.Hour
		case 2:
			start, d = start.Add(30*time.Minute), time.Hour
		}
		bookings[i] = f.booking(t, f.court, start, d, bookingNow)
	}
	errs := raceAll(bookers, func(i int) error { return f.bookInTx(t.Context(), bookings[i], most) })
	won := make(map[int]int)
	for i, err := range errs {
		switch {
		case err == nil:
			won[i%slots]++
		case domain.ErrorCode(err) != domain.CodeSlotUnavailable:
			t.Errorf("booker %d: unexpected error %v", i, err)
		}
	}
	for slot := range slots {
		assert.Equal(t, 1, won[slot], "winners of slot %d", slot)
	}
	assert.Equal(t, slots, f.activeCount(t, bookingNow), "active bookings on the court")
	assert.Zero(t, f.overlappingPairs(t, bookingNow), "pairs of active bookings that overlap")
}

// testLimitRaceInTx has one customer ask for 16 free slots at once, each in a
// transaction of its own, with a limit of 3: exactly 3 are stored.
func testLimitRaceInTx(t *testing.T, f *courtFixture) {
	const workers, limit = 16, 3
	f.db.SetMaxOpenConns(8)
	customer, err := domain.NewCustomer("Ana", "ana@example.com", "", domain.CategoryGuest)
	require.NoError(t, err)
	bookings := make([]*domain.Booking, workers)
	for i := range bookings {
		court, err := domain.NewCourt(randomID(), f.club.ID, fmt.Sprintf("Court %d", i), domain.Padel, true, "")
		require.NoError(t, err)
		require.NoError(t, f.store.SaveCourt(t.Context(), court))
		bookings[i] = f.bookingFor(t, court, customer, nextDay(10, 0))
	}
	errs := raceAll(workers, func(i int) error { return f.bookInTx(t.Context(), bookings[i], limit) })
	stored := 0
	for i, err := range errs {
		switch {
		case err == nil:
			stored++
		case domain.ErrorCode(err) != domain.CodeTooManyActive:
			t.Errorf("booking %d: unexpected error %v", i, err)
		}
	}
	assert.Equal(t, limit, stored, "bookings that passed the limit")
	var n int
	require.NoError(t, f.db.NewRaw(`SELECT count(*) FROM bookings WHERE club_id = ? AND customer_email = ?`,
		f.club.ID, customer.Email).Scan(t.Context(), &n))
	assert.Equal(t, limit, n, "the customer's stored bookings")
}

// testLaterFailureKeepsBooking stores a booking in a transaction, then makes calls
// that fail in the same transaction, each rolling back to a savepoint of its own: the
// booking, whose savepoint is still open under theirs, commits.
func testLaterFailureKeepsBooking(t *testing.T, f *courtFixture) {
	errBoom := errors.New("boom")
	b := f.booking(t, f.court, nextDay(10, 0), 90*time.Minute, bookingNow)
	require.NoError(t, f.store.WithinTx(t.Context(), func(ctx context.Context) error {
		require.NoError(t, f.store.CreateBooking(ctx, b, ports.CreateBookingOptions{Now: bookingNow, MaxActivePerCustomer: 4}))
		require.ErrorIs(t, f.store.UpdateBooking(ctx, b.ID(), bookingNow, func(*domain.Booking) error { return errBoom }), errBoom)
		joined, err := f.store.WithSQLTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `SELECT 1/0`)
			return err
		})
		require.True(t, joined)
		require.Error(t, err, "division by zero")
		overlap := f.booking(t, f.court, nextDay(10, 30), time.Hour, bookingNow)
		err = f.store.CreateBooking(ctx, overlap, ports.CreateBookingOptions{Now: bookingNow, MaxActivePerCustomer: 4})
		assert.Equal(t, domain.CodeSlotUnavailable, domain.ErrorCode(err), "error %v", err)
		return nil
	}))
	got, err := f.store.GetBooking(t.Context(), b.ID())
	require.NoError(t, err)
	assert.Equal(t, 1, got.Version())
	assert.Equal(t, 1, f.activeCount(t, bookingNow))
}

// testFailedInsertLeavesTxUsable makes the round trip of the savepoint, the lock and
// the insert fail (the customer's lock is held elsewhere, past the transaction's
// lock_timeout): the call fails, and the transaction goes on to store another booking.
func testFailedInsertLeavesTxUsable(t *testing.T, f *courtFixture) {
	ctx := t.Context()
	blocked := f.booking(t, f.court, nextDay(10, 0), 90*time.Minute, bookingNow)
	other := f.booking(t, f.court, nextDay(14, 0), 90*time.Minute, bookingNow)
	holder, err := f.db.DB.Conn(ctx)
	require.NoError(t, err)
	defer holder.Close()
	key := "customer:" + f.club.ID + ":" + blocked.Customer().Email
	_, err = holder.ExecContext(ctx, `SELECT pg_advisory_lock(hashtextextended($1, 0))`, key)
	require.NoError(t, err)
	defer func() {
		_, _ = holder.ExecContext(context.Background(), `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, key)
	}()

	require.NoError(t, f.store.WithinTx(ctx, func(ctx context.Context) error {
		_, err := f.store.WithSQLTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `SET LOCAL lock_timeout = '100ms'`)
			return err
		})
		require.NoError(t, err)
		err = f.store.CreateBooking(ctx, blocked, ports.CreateBookingOptions{Now: bookingNow, MaxActivePerCustomer: 4})
		require.Error(t, err, "the customer's lock is held elsewhere")
		return f.store.CreateBooking(ctx, other, ports.CreateBookingOptions{Now: bookingNow, MaxActivePerCustomer: 4})
	}))
	_, err = f.store.GetBooking(ctx, blocked.ID())
	assert.Equal(t, domain.CodeNotFound, domain.ErrorCode(err), "the failed booking was not stored: %v", err)
	_, err = f.store.GetBooking(ctx, other.ID())
	assert.NoError(t, err, "the transaction went on after the failed call")
}

// bookingFor returns a new pending booking of court for customer, 90 minutes from
// start, made at bookingNow; it is not stored.
func (f *courtFixture) bookingFor(tb testing.TB, court domain.Court, customer domain.Customer, start time.Time) *domain.Booking {
	tb.Helper()
	r := f.booking(tb, court, start, 90*time.Minute, bookingNow).Record()
	b, err := domain.NewBooking(domain.NewBookingParams{
		ID: r.ID, Club: f.club, Court: court, Customer: customer, Interval: r.Interval, Quote: r.Quote,
		TokenHash: r.TokenHash, RequestHash: r.RequestHash, Now: bookingNow,
	})
	require.NoError(tb, err)
	return b
}

// raceAll runs fn(0) … fn(n-1) at once and returns their errors.
func raceAll(n int, fn func(i int) error) []error {
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
