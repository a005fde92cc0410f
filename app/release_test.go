package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// errUnreachable is a store failure after the booking committed.
var errUnreachable = errors.New("store: connection reset by peer")

// onlyBooking returns the one booking of club-one.
func (e *env) onlyBooking(t *testing.T) *domain.Booking {
	t.Helper()
	bs, err := e.store.Store.ListBookings(context.Background(), ports.BookingFilter{ClubID: e.club.ID})
	require.NoError(t, err)
	require.Len(t, bs, 1)
	return bs[0]
}

func TestABookingWhoseCheckoutCannotBeRecordedIsReleased(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	// The checkout opens, then recording its reference on the booking fails.
	e.store.failUpdates(errUnreachable)
	_, err := e.app.Bookings.Create(ctx, e.bookingCmd())
	requireCode(t, err, domain.KindUnavailable, domain.CodeUnavailable)
	assert.Contains(t, err.Error(), "nothing was booked")

	b := e.onlyBooking(t)
	assert.Equal(t, domain.StatusCancelled, b.Status(), "the hold is released at once")
	assert.Contains(t, e.offered(t, tomorrow, e.padel1.ID), "10:00", "the slot is offered again")
	bruno := e.book(t, e.brunoCmd())
	assert.NotEmpty(t, bruno.CheckoutURL)
}

func TestABookingWhoseCheckoutCannotBeRecordedExpiresIfItsReleaseFailsToo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.store.failUpdates(errUnreachable, errUnreachable)
	_, err := e.app.Bookings.Create(ctx, e.bookingCmd())
	requireCode(t, err, domain.KindUnavailable, domain.CodeUnavailable)

	b := e.onlyBooking(t)
	require.Equal(t, domain.StatusPending, b.Status())
	e.clock.Set(b.HoldExpiresAt())
	e.drain(t)
	assert.Equal(t, domain.StatusExpired, e.stored(t, b.ID()).Status(), "the expiry job scheduled with the hold ends it")
}

func TestABookingWhoseCheckoutCannotBeRecordedIsKeptForARetryWithItsKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	cmd := e.bookingCmd()
	cmd.IdempotencyKey = "retry-me"
	e.store.failUpdates(errUnreachable)
	_, err := e.app.Bookings.Create(ctx, cmd)
	requireCode(t, err, domain.KindUnavailable, domain.CodeUnavailable)
	assert.Contains(t, err.Error(), "Idempotency-Key")
	require.Equal(t, domain.StatusPending, e.onlyBooking(t).Status(), "the client may come back for it")

	res := e.book(t, cmd)
	assert.True(t, res.Replayed)
	assert.NotEmpty(t, res.CheckoutURL)
	assert.NotEmpty(t, e.stored(t, res.Booking.ID()).PaymentRef(), "the retry recorded the checkout")
}
