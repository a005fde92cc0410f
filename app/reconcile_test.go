package app_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// TestReconcile has payments whose webhook was lost: reconciliation asks the gateway
// and ends each booking where the webhook would have.
func TestReconcile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const olderThan = 5 * time.Minute

	t.Run("a paid checkout whose webhook was lost confirms the booking", func(t *testing.T) {
		e := newEnv(t)
		b := e.book(t, e.bookingCmd()).Booking
		lost := e.pay(t, b, 0) // paid on the sandbox, never delivered
		e.clock.Advance(olderThan + time.Minute)

		res, err := e.app.Payments.Reconcile(ctx, olderThan, 100)
		require.NoError(t, err)
		assert.Equal(t, app.ReconcileResult{Checked: 1, Confirmed: 1}, res)
		e.drain(t)
		got := e.stored(t, b.ID())
		assert.Equal(t, domain.StatusConfirmed, got.Status())
		assert.Equal(t, int64(bookingTotal), got.Paid().Amount())
		assert.Equal(t, []ports.MessageKind{ports.MessageConfirmation}, e.messages(b.ID()))

		// The provider delivers the webhook at last (signed anew, as a retry is), and a
		// second run finds nothing left to do.
		late, err := e.deliver(e.signed(t, decode(t, lost)))
		require.NoError(t, err)
		assert.Equal(t, app.OutcomeIgnored, late.Outcome)
		res, err = e.app.Payments.Reconcile(ctx, olderThan, 100)
		require.NoError(t, err)
		assert.Equal(t, app.ReconcileResult{}, res)
		e.drain(t)
		assert.Empty(t, e.gateway.refundCalls(b.ID()))
		assert.Equal(t, []ports.MessageKind{ports.MessageConfirmation}, e.messages(b.ID()))
	})

	t.Run("a lost payment for a slot taken since is refunded in full, once", func(t *testing.T) {
		e := newEnv(t)
		b := e.book(t, e.bookingCmd()).Booking
		e.clock.Set(b.HoldExpiresAt())
		e.book(t, e.brunoCmd()) // the hold ran out and Bruno took the slot
		e.pay(t, b, 0)          // Ana paid anyway; the webhook is lost
		e.clock.Advance(olderThan)

		res, err := e.app.Payments.Reconcile(ctx, olderThan, 100)
		require.NoError(t, err)
		assert.Equal(t, 1, res.Refunded)
		e.drain(t)
		assert.Equal(t, domain.StatusExpired, e.stored(t, b.ID()).Status())
		require.Len(t, e.gateway.refundCalls(b.ID()), 1)
		assert.Equal(t, int64(bookingTotal), e.gateway.refundCalls(b.ID())[0].req.Amount.Amount())

		res, err = e.app.Payments.Reconcile(ctx, olderThan, 100)
		require.NoError(t, err)
		assert.Zero(t, res.Refunded)
		e.drain(t)
		assert.Len(t, e.gateway.refundCalls(b.ID()), 1)
	})

	t.Run("an expired checkout lets a hold that ran out expire", func(t *testing.T) {
		e := newEnv(t)
		b := e.book(t, e.bookingCmd()).Booking
		e.post(t, "/sandbox/checkout/"+url.PathEscape(b.PaymentRef())+"/expire")
		e.clock.Set(b.HoldExpiresAt())

		res, err := e.app.Payments.Reconcile(ctx, 0, 100)
		require.NoError(t, err)
		assert.Equal(t, app.ReconcileResult{Checked: 1, Expired: 1}, res)
		assert.Equal(t, domain.StatusExpired, e.stored(t, b.ID()).Status())
	})

	t.Run("a checkout younger than the threshold, or still open, is left alone", func(t *testing.T) {
		e := newEnv(t)
		b := e.book(t, e.bookingCmd()).Booking
		e.pay(t, b, 0)
		res, err := e.app.Payments.Reconcile(ctx, olderThan, 100)
		require.NoError(t, err)
		assert.Equal(t, app.ReconcileResult{}, res, "younger than the threshold")

		other := e.brunoCmd()
		other.CourtID = e.padel2.ID
		open := e.book(t, other).Booking
		e.clock.Advance(olderThan + time.Minute)
		res, err = e.app.Payments.Reconcile(ctx, olderThan, 100)
		require.NoError(t, err)
		assert.Equal(t, app.ReconcileResult{Checked: 2, Confirmed: 1}, res)
		assert.Equal(t, domain.StatusPending, e.stored(t, open.ID()).Status(), "an open checkout stays pending")
	})

	t.Run("a payment at an expired booking's checkout whose webhook was lost is refunded once", func(t *testing.T) {
		e := newEnv(t)
		b := e.book(t, e.bookingCmd()).Booking
		e.clock.Set(b.HoldExpiresAt())
		e.pay(t, b, 0) // as the hold ended, before the checkout closed; the webhook is lost
		e.drain(t)     // the hold expires; closing the checkout finds it paid
		require.Equal(t, domain.StatusExpired, e.stored(t, b.ID()).Status())
		e.book(t, e.brunoCmd()) // Bruno takes the slot
		e.clock.Advance(olderThan)

		res, err := e.app.Payments.Reconcile(ctx, olderThan, 100)
		require.NoError(t, err)
		assert.Equal(t, app.ReconcileResult{CheckedExpired: 1, Refunded: 1}, res)
		e.drain(t)
		require.Len(t, e.gateway.refundCalls(b.ID()), 1)
		assert.Equal(t, int64(bookingTotal), e.gateway.refundCalls(b.ID())[0].req.Amount.Amount())
		assert.Equal(t, domain.StatusExpired, e.stored(t, b.ID()).Status())
		assert.Equal(t, []ports.MessageKind{ports.MessageExpiry, ports.MessageRefund}, e.messages(b.ID()))

		res, err = e.app.Payments.Reconcile(ctx, olderThan, 100)
		require.NoError(t, err)
		assert.Equal(t, app.ReconcileResult{CheckedExpired: 1}, res, "asked again, applied once")
		e.drain(t)
		assert.Len(t, e.gateway.refundCalls(b.ID()), 1, "refunded twice")
	})

	t.Run("a payment at an expired booking's checkout confirms it while the slot is free", func(t *testing.T) {
		e := newEnv(t)
		b := e.book(t, e.bookingCmd()).Booking
		e.clock.Set(b.HoldExpiresAt())
		e.pay(t, b, 0)
		e.drain(t)
		e.clock.Advance(olderThan)

		res, err := e.app.Payments.Reconcile(ctx, olderThan, 100)
		require.NoError(t, err)
		assert.Equal(t, app.ReconcileResult{CheckedExpired: 1, Confirmed: 1}, res)
		assert.Equal(t, domain.StatusConfirmed, e.stored(t, b.ID()).Status(), "as the webhook would have")
	})

	t.Run("expired bookings are asked about within the lookback and the limit", func(t *testing.T) {
		e := newEnv(t)
		b := e.book(t, e.bookingCmd()).Booking
		e.clock.Set(b.HoldExpiresAt())
		e.drain(t)
		pending := e.brunoCmd()
		pending.CourtID = e.padel2.ID
		e.book(t, pending)
		e.clock.Advance(olderThan + time.Minute)

		res, err := e.app.Payments.Reconcile(ctx, olderThan, 1)
		require.NoError(t, err)
		assert.Equal(t, app.ReconcileResult{Checked: 1}, res, "the pending booking used up the limit")
		res, err = e.app.Payments.Reconcile(ctx, olderThan, 2)
		require.NoError(t, err)
		assert.Equal(t, app.ReconcileResult{Checked: 1, CheckedExpired: 1}, res)

		e.clock.Set(b.Record().CreatedAt.Add(app.DefaultExpiredLookback + time.Second))
		res, err = e.app.Payments.Reconcile(ctx, olderThan, 100)
		require.NoError(t, err)
		assert.Zero(t, res.CheckedExpired, "an expired booking older than the lookback")
	})
}
