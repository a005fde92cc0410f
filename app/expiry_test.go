package app_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

func TestHoldExpiryJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.book(t, e.bookingCmd())
	id := res.Booking.ID()

	e.clock.Set(res.Booking.HoldExpiresAt().Add(-time.Second))
	e.drain(t)
	assert.Equal(t, domain.StatusPending, e.stored(t, id).Status(), "the hold is still running")
	assert.Empty(t, e.messages(id))

	e.clock.Set(res.Booking.HoldExpiresAt())
	e.drain(t)
	b := e.stored(t, id)
	assert.Equal(t, domain.StatusExpired, b.Status())
	assert.Equal(t, []ports.MessageKind{ports.MessageExpiry}, e.messages(id))
	assert.Contains(t, e.message(t, id, ports.MessageExpiry).Text, "Padel 1")
	assert.Empty(t, e.gateway.refundCalls(id))

	// The customer can still read the booking; cancelling it is no longer possible.
	got, err := e.app.Bookings.Get(context.Background(), id, res.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, domain.StatusExpired, got.Booking.Status())
	_, err = e.app.Bookings.Cancel(context.Background(), id, res.AccessToken)
	requireCode(t, err, domain.KindConflict, domain.CodeInvalidTransition)
}

func TestHoldExpiryJobLeavesAPaidBookingAlone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.book(t, e.bookingCmd())
	e.payAndConfirm(t, res.Booking)

	e.clock.Set(res.Booking.HoldExpiresAt().Add(time.Hour))
	e.drain(t)
	assert.Equal(t, domain.StatusConfirmed, e.stored(t, res.Booking.ID()).Status())
	assert.Contains(t, e.messages(res.Booking.ID()), ports.MessageConfirmation)
	assert.NotContains(t, e.messages(res.Booking.ID()), ports.MessageExpiry)
}

func TestExpireHoldsSweeps(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	// Three holds: one made now, two five minutes later. The queue has not started,
	// so only the sweep can expire them.
	first := e.book(t, e.bookingCmd())
	e.clock.Advance(5 * time.Minute)
	cmd := e.bookingCmd()
	cmd.CourtID = e.padel2.ID
	second := e.book(t, cmd)
	cmd.CourtID, cmd.Duration = e.tennis.ID, time.Hour
	third := e.book(t, cmd)

	n, err := e.app.Payments.ExpireHolds(ctx, 10)
	require.NoError(t, err)
	assert.Zero(t, n, "no hold has run out")

	e.clock.Advance(5 * time.Minute)
	n, err = e.app.Payments.ExpireHolds(ctx, 10)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, domain.StatusExpired, e.stored(t, first.Booking.ID()).Status())
	assert.Equal(t, domain.StatusPending, e.stored(t, second.Booking.ID()).Status())

	e.clock.Advance(5 * time.Minute)
	n, err = e.app.Payments.ExpireHolds(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, 2, n, "every due hold, in batches of one")
	n, err = e.app.Payments.ExpireHolds(ctx, 10)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing left to sweep")

	// The expiry jobs then find nothing to do: one message per booking.
	e.drain(t)
	for _, b := range []*domain.Booking{first.Booking, second.Booking, third.Booking} {
		assert.Equal(t, domain.StatusExpired, e.stored(t, b.ID()).Status())
		assert.Equal(t, []ports.MessageKind{ports.MessageExpiry}, e.messages(b.ID()))
	}
}

func TestAnExpiredHoldNoLongerBlocks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	ana := e.book(t, e.bookingCmd())

	_, err := e.app.Bookings.Create(ctx, e.brunoCmd())
	requireCode(t, err, domain.KindConflict, domain.CodeSlotUnavailable)

	// The hold runs out; nothing has marked it expired yet.
	e.clock.Set(ana.Booking.HoldExpiresAt())
	require.Equal(t, domain.StatusPending, e.stored(t, ana.Booking.ID()).Status())
	assert.Contains(t, e.offered(t, tomorrow, e.padel1.ID), "10:00", "the slot is offered again")

	bruno := e.book(t, e.brunoCmd())
	assert.Equal(t, domain.StatusPending, bruno.Booking.Status())
	assert.Equal(t, domain.StatusPending, e.stored(t, ana.Booking.ID()).Status())

	e.drain(t)
	assert.Equal(t, domain.StatusExpired, e.stored(t, ana.Booking.ID()).Status())
	assert.Equal(t, domain.StatusPending, e.stored(t, bruno.Booking.ID()).Status())
	assert.Equal(t, []ports.MessageKind{ports.MessageExpiry}, e.messages(ana.Booking.ID()))
	assert.Empty(t, e.messages(bruno.Booking.ID()))
}

func TestExpireHoldsCountsOnlyWhatItExpired(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	res := e.book(t, e.bookingCmd())
	e.clock.Set(res.Booking.HoldExpiresAt())
	late := e.pay(t, res.Booking, 0)

	// The payment lands between the sweep's listing and its expiry of the hold.
	var done atomic.Bool
	e.store.onListExpiredHolds(func() {
		if done.CompareAndSwap(false, true) {
			got, err := e.deliver(late)
			assert.NoError(t, err)
			assert.Equal(t, app.OutcomeConfirmed, got.Outcome)
		}
	})
	n, err := e.app.Payments.ExpireHolds(ctx, 10)
	require.NoError(t, err)
	assert.Zero(t, n, "the hold was paid, not expired")
	assert.Equal(t, domain.StatusConfirmed, e.stored(t, res.Booking.ID()).Status())
}

func TestAConfirmedBookingIsCompletedWhenItEnds(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.book(t, e.bookingCmd()).Booking
	e.payAndConfirm(t, b)

	e.clock.Set(b.Interval().End.Add(-time.Second))
	e.drain(t)
	assert.Equal(t, domain.StatusConfirmed, e.stored(t, b.ID()).Status(), "not before its end")
	e.clock.Set(b.Interval().End)
	e.drain(t)
	assert.Equal(t, domain.StatusCompleted, e.stored(t, b.ID()).Status())
}

func TestMarkNoShow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	b := e.book(t, e.bookingCmd()).Booking
	e.payAndConfirm(t, b)

	_, err := e.app.Admin.MarkNoShow(ctx, e.club, b.ID())
	requireCode(t, err, domain.KindConflict, domain.CodeInvalidTransition) // not started yet

	other, _ := e.seedClub(t, "club-two", domain.DefaultPolicy())
	e.clock.Set(b.Interval().Start.Add(10 * time.Minute))
	_, err = e.app.Admin.MarkNoShow(ctx, other, b.ID())
	requireCode(t, err, domain.KindNotFound, domain.CodeNotFound)

	got, err := e.app.Admin.MarkNoShow(ctx, e.club, b.ID())
	require.NoError(t, err)
	assert.Equal(t, domain.StatusNoShow, got.Status())
	e.clock.Set(b.Interval().End)
	e.drain(t)
	assert.Equal(t, domain.StatusNoShow, e.stored(t, b.ID()).Status(), "the completion job leaves a no-show alone")
}

func TestExpireHoldsSweepsEveryDueHold(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	now := e.clock.Now()
	first := e.at(tomorrow, "00:00")
	// 250 holds of an hour each, one after the other on Padel 1, stored directly: the
	// sweep, not the booking rules, is under test.
	for i := range 250 {
		iv := domain.Interval{Start: first.Add(time.Duration(i) * time.Hour), End: first.Add(time.Duration(i+1) * time.Hour)}
		customer, err := domain.NewCustomer("Ana Pérez", fmt.Sprintf("ana%d@example.com", i), "", domain.CategoryGuest)
		require.NoError(t, err)
		b, err := domain.NewBooking(domain.NewBookingParams{
			ID: fmt.Sprintf("hold-%03d", i), Club: e.club, Court: e.padel1, Customer: customer, Interval: iv, Now: now,
			Quote: domain.Quote{Lines: []domain.QuoteLine{{Start: iv.Start, End: iv.End, RuleID: "r", Amount: money(100)}}, Total: money(100)},
		})
		require.NoError(t, err)
		require.NoError(t, e.store.Store.CreateBooking(ctx, b, ports.CreateBookingOptions{Now: now}))
	}
	e.clock.Advance(e.club.Policy.Hold)

	n, err := e.app.Payments.ExpireHolds(ctx, 100)
	require.NoError(t, err)
	assert.Equal(t, 250, n, "one sweep expires every due hold, in batches")
	left, err := e.store.Store.ListExpiredHolds(ctx, e.clock.Now(), 1000)
	require.NoError(t, err)
	assert.Empty(t, left)

	_, err = e.app.Payments.ExpireHolds(ctx, 0)
	requireCode(t, err, domain.KindInvalid, domain.CodeInvalid)
}
