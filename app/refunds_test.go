package app_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// paidBooking books bookingCmd and pays it; a cancellation now refunds all of it.
func (e *env) paidBooking(t *testing.T) app.CreatedBooking {
	t.Helper()
	res := e.book(t, e.bookingCmd())
	e.payAndConfirm(t, res.Booking)
	return res
}

// refunds returns the club's refunds, newest first.
func (e *env) refunds(t *testing.T, state domain.RefundState) []*domain.Refund {
	t.Helper()
	rs, err := e.app.Admin.ListRefunds(context.Background(), e.club, state, 0)
	require.NoError(t, err)
	return rs
}

// oneRefund returns the club's one refund.
func (e *env) oneRefund(t *testing.T) *domain.Refund {
	t.Helper()
	rs := e.refunds(t, "")
	require.Len(t, rs, 1, "refunds owed")
	return rs[0]
}

// cancel cancels a booking for its customer and requires it to succeed.
func (e *env) cancel(t *testing.T, res app.CreatedBooking) app.Cancelled {
	t.Helper()
	c, err := e.app.Bookings.Cancel(context.Background(), res.Booking.ID(), res.AccessToken)
	require.NoError(t, err)
	return c
}

var providerDown = domain.Errorf(domain.CodeUnavailable, "the provider is not answering")

func TestRefundOwedThroughALongOutageIsIssuedOnceWithItsKey(t *testing.T) {
	e := newEnv(t)
	res := e.paidBooking(t)
	e.gateway.failRefunds(providerDown, providerDown, providerDown)

	cancelled := e.cancel(t, res)
	require.Equal(t, int64(bookingTotal), cancelled.Refund.Amount())
	owed := e.oneRefund(t)
	assert.Equal(t, domain.RefundOwed, owed.State(), "owed with the cancellation, before any job ran")
	assert.Equal(t, "cancellation", owed.Reason())
	assert.Equal(t, money(bookingTotal), owed.Amount())

	e.drain(t) // the job's attempt fails: owed, due a minute later
	r := e.oneRefund(t)
	assert.Equal(t, domain.RefundOwed, r.State())
	assert.Equal(t, 1, r.Attempts())
	assert.Contains(t, r.LastError(), "not answering")
	assert.Equal(t, e.clock.Now().Add(time.Minute), r.NextAttemptAt())

	sweep, err := e.app.Payments.RetryRefunds(context.Background(), 10)
	require.NoError(t, err)
	assert.Equal(t, app.RefundRetryResult{}, sweep, "nothing is due yet")

	// The sweep takes the refund up each time it is due: after 1, 5 and 15 minutes.
	for i, wait := range []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute} {
		e.clock.Advance(wait)
		sweep, err := e.app.Payments.RetryRefunds(context.Background(), 10)
		require.NoError(t, err)
		if i < 2 {
			assert.Equal(t, app.RefundRetryResult{Retried: 1, Owed: 1}, sweep, "retry %d", i+1)
			assert.Equal(t, e.clock.Now().Add(domain.RefundBackoff(i+2)), e.oneRefund(t).NextAttemptAt())
		} else {
			assert.Equal(t, app.RefundRetryResult{Retried: 1, Issued: 1}, sweep)
		}
	}
	r = e.oneRefund(t)
	assert.Equal(t, domain.RefundIssued, r.State())
	assert.NotEmpty(t, r.ProviderID())
	assert.True(t, r.NextAttemptAt().IsZero())

	calls := e.gateway.refundCalls(res.Booking.ID())
	require.Len(t, calls, 4)
	for _, c := range calls {
		assert.Equal(t, "cancel:"+res.Booking.ID(), c.req.IdempotencyKey, "every attempt sends the same key")
		assert.Equal(t, money(bookingTotal), c.req.Amount)
	}
	assert.NoError(t, calls[3].err)
	assert.Equal(t, ports.PaymentRefunded, e.payment(t, res.Booking).Status, "the provider gave the money back")
	assert.Empty(t, e.reporter.all(), "nothing to report: the refund was never dropped")

	e.clock.Advance(24 * time.Hour)
	sweep, err = e.app.Payments.RetryRefunds(context.Background(), 10)
	require.NoError(t, err)
	assert.Equal(t, app.RefundRetryResult{}, sweep, "an issued refund is not retried")
	e.drain(t)
	assert.Len(t, e.gateway.refundCalls(res.Booking.ID()), 4)
	assert.NotContains(t, e.messages(res.Booking.ID()), ports.MessageRefundFailed)
}

func TestRefundFailingForDaysNeedsAttention(t *testing.T) {
	e := newEnv(t)
	res := e.paidBooking(t)
	fails := make([]error, domain.RefundGiveUpAfter)
	for i := range fails {
		fails[i] = providerDown
	}
	e.gateway.failRefunds(fails...)
	e.cancel(t, res)
	e.drain(t)
	began := e.clock.Now()
	for e.oneRefund(t).State() == domain.RefundOwed {
		e.clock.Set(e.oneRefund(t).NextAttemptAt())
		_, err := e.app.Payments.RetryRefunds(context.Background(), 10)
		require.NoError(t, err)
	}
	r := e.oneRefund(t)
	assert.Equal(t, domain.RefundAttention, r.State())
	assert.Len(t, e.gateway.refundCalls(res.Booking.ID()), domain.RefundGiveUpAfter)
	spent := e.clock.Now().Sub(began)
	assert.Greater(t, spent, 2*24*time.Hour, "owed for days")
	assert.Less(t, spent, 4*24*time.Hour)

	reports := e.reporter.all()
	require.Len(t, reports, 1)
	assert.Equal(t, "refund failed for days", reports[0].attrs["problem"])
	assert.Equal(t, r.ID(), reports[0].attrs["refund"])
	e.drain(t)
	assert.Contains(t, e.messages(res.Booking.ID()), ports.MessageRefundFailed, "the customer is told")
}

func TestRefundRefusedNeedsAttentionAndTheClubRetriesIt(t *testing.T) {
	e := newEnv(t)
	res := e.paidBooking(t)
	e.gateway.failRefunds(domain.Errorf(domain.CodeInvalid, "the account cannot refund"))
	e.cancel(t, res)
	e.drain(t)

	r := e.oneRefund(t)
	assert.Equal(t, domain.RefundAttention, r.State(), "a refusal is not retried")
	assert.Contains(t, r.LastError(), "cannot refund")
	assert.Equal(t, []string{r.ID()}, refundIDs(e.refunds(t, domain.RefundAttention)))
	assert.Empty(t, e.refunds(t, domain.RefundOwed))
	reports := e.reporter.all()
	require.Len(t, reports, 1)
	assert.Equal(t, "refund refused", reports[0].attrs["problem"])
	assert.Equal(t, res.Booking.ID(), reports[0].attrs["booking"])
	assert.ElementsMatch(t, []ports.MessageKind{ports.MessageConfirmation, ports.MessageCancellation, ports.MessageRefundFailed}, e.messages(res.Booking.ID()),
		"the cancellation's message and the refund's run as jobs side by side, in either order")

	e.clock.Advance(time.Hour)
	sweep, err := e.app.Payments.RetryRefunds(context.Background(), 10)
	require.NoError(t, err)
	assert.Zero(t, sweep.Retried, "the sweep leaves a refund in attention alone")

	// The club fixed its account: the retry issues it, with the same key.
	retried, err := e.app.Admin.RetryRefund(context.Background(), e.club, r.ID())
	require.NoError(t, err)
	assert.Equal(t, domain.RefundIssued, retried.State())
	calls := e.gateway.refundCalls(res.Booking.ID())
	require.Len(t, calls, 2)
	assert.Equal(t, calls[0].req.IdempotencyKey, calls[1].req.IdempotencyKey)
	e.drain(t)
	assert.Len(t, e.messages(res.Booking.ID()), 3, "the customer is told once")

	_, err = e.app.Admin.RetryRefund(context.Background(), e.club, r.ID())
	requireCode(t, err, domain.KindConflict, domain.CodeInvalidTransition)
	_, err = e.app.Admin.RetryRefund(context.Background(), e.club, "no-such-refund")
	requireCode(t, err, domain.KindNotFound, domain.CodeNotFound)
	other, _ := e.seedClub(t, "club-two", domain.DefaultPolicy())
	_, err = e.app.Admin.RetryRefund(context.Background(), other, r.ID())
	requireCode(t, err, domain.KindNotFound, domain.CodeNotFound)
	rs, err := e.app.Admin.ListRefunds(context.Background(), other, "", 0)
	require.NoError(t, err)
	assert.Empty(t, rs, "a club sees its own refunds")

	_, err = e.app.Admin.ListRefunds(context.Background(), e.club, "lost", 0)
	requireCode(t, err, domain.KindInvalid, domain.CodeInvalid)
}

func TestRefundRefusedAgainAfterARetryIsReportedNotToldTwice(t *testing.T) {
	e := newEnv(t)
	res := e.paidBooking(t)
	refused := domain.Errorf(domain.CodeNotFound, "no such payment")
	e.gateway.failRefunds(refused, refused)
	e.cancel(t, res)
	e.drain(t)
	r := e.oneRefund(t)
	retried, err := e.app.Admin.RetryRefund(context.Background(), e.club, r.ID())
	require.NoError(t, err)
	assert.Equal(t, domain.RefundAttention, retried.State())
	assert.Len(t, e.reporter.all(), 2)
	e.drain(t)
	assert.ElementsMatch(t, []ports.MessageKind{ports.MessageConfirmation, ports.MessageCancellation, ports.MessageRefundFailed}, e.messages(res.Booking.ID()),
		"the cancellation's message and the refund's run as jobs side by side, in either order")
}

func TestCancellationRepeatedOwesOneRefund(t *testing.T) {
	e := newEnv(t)
	res := e.paidBooking(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			_, err := e.app.Bookings.Cancel(context.Background(), res.Booking.ID(), res.AccessToken)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	e.cancel(t, res)
	e.drain(t)
	r := e.oneRefund(t)
	assert.Equal(t, domain.RefundIssued, r.State())
	assert.Len(t, e.gateway.refundCalls(res.Booking.ID()), 1)
	assert.Equal(t, money(bookingTotal), e.stored(t, res.Booking.ID()).Refund())
}

func TestRolledBackCancellationOwesNoRefund(t *testing.T) {
	e := newEnv(t)
	res := e.paidBooking(t)
	e.store.failAfterSavingRefunds(domain.Errorf(domain.CodeUnavailable, "the database went away"))

	_, err := e.app.Bookings.Cancel(context.Background(), res.Booking.ID(), res.AccessToken)
	requireCode(t, err, domain.KindUnavailable, domain.CodeUnavailable)
	assert.Equal(t, domain.StatusConfirmed, e.stored(t, res.Booking.ID()).Status(), "the cancellation rolled back")
	assert.Empty(t, e.refunds(t, ""), "and the refund saved in it with it")
	e.drain(t)
	assert.Empty(t, e.gateway.refundCalls(res.Booking.ID()), "no job was left behind")

	e.cancel(t, res)
	e.drain(t)
	assert.Equal(t, domain.RefundIssued, e.oneRefund(t).State())
	assert.Len(t, e.gateway.refundCalls(res.Booking.ID()), 1)
}

func TestPaymentThatCannotConfirmOwesItsRefund(t *testing.T) {
	e := newEnv(t)
	b := e.book(t, e.bookingCmd()).Booking
	e.gateway.failRefunds(providerDown)
	got, err := e.deliver(e.pay(t, b, bookingTotal-100))
	require.NoError(t, err)
	require.Equal(t, app.OutcomeRefunded, got.Outcome)
	r := e.oneRefund(t)
	assert.Equal(t, "amount_mismatch", r.Reason())
	assert.Equal(t, money(bookingTotal-100), r.Amount())
	assert.Equal(t, b.ID(), r.BookingID())
	e.drain(t)
	assert.Equal(t, domain.RefundOwed, e.oneRefund(t).State(), "the provider was down")

	// Reconciliation retries it too, and counts it.
	e.clock.Advance(time.Minute)
	res, err := e.app.Payments.Reconcile(context.Background(), 5*time.Minute, 10)
	require.NoError(t, err)
	assert.Equal(t, app.RefundRetryResult{Retried: 1, Issued: 1}, res.Refunds)
	assert.Equal(t, domain.RefundIssued, e.oneRefund(t).State())
}

func TestRefundJobOfAnOlderVersionStillRefunds(t *testing.T) {
	e := newEnv(t)
	res := e.paidBooking(t)
	b := e.stored(t, res.Booking.ID())
	// A job queued before refunds were stored names no refund.
	require.NoError(t, e.queue.Enqueue(context.Background(), app.RefundArgs{
		BookingID: b.ID(), PaymentRef: b.PaymentRef(), Amount: money(1000), Reason: "cancellation", IdempotencyKey: "legacy:" + b.ID(),
	}, ports.EnqueueOptions{}))
	e.drain(t)
	calls := e.gateway.refundCalls(b.ID())
	require.Len(t, calls, 1)
	assert.NoError(t, calls[0].err)
	assert.Equal(t, "legacy:"+b.ID(), calls[0].req.IdempotencyKey)
	assert.Empty(t, e.refunds(t, ""))
}

func TestRetryRefundsNeedsALimit(t *testing.T) {
	e := newEnv(t)
	_, err := e.app.Payments.RetryRefunds(context.Background(), 0)
	requireCode(t, err, domain.KindInvalid, domain.CodeInvalid)
}

func refundIDs(rs []*domain.Refund) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID()
	}
	return out
}
