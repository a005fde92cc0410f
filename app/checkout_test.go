package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// tryPay has the customer try to pay a booking's checkout on the sandbox and returns
// the status the sandbox answered.
func (e *env) tryPay(b *domain.Booking) int {
	rec := httptest.NewRecorder()
	e.sandbox.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/sandbox/checkout/"+url.PathEscape(b.PaymentRef())+"/pay", nil))
	return rec.Code
}

// When a hold expires, its checkout is closed at the gateway: it can no longer be paid.
func TestAnExpiredHoldClosesItsCheckout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.book(t, e.bookingCmd()).Booking

	e.clock.Set(b.HoldExpiresAt())
	e.drain(t)

	assert.Equal(t, domain.StatusExpired, e.stored(t, b.ID()).Status())
	calls := e.gateway.expireCalls(b.PaymentRef())
	require.Len(t, calls, 1)
	assert.NoError(t, calls[0].err)
	assert.Equal(t, ports.PaymentExpired, e.payment(t, b).Status)
	assert.Equal(t, http.StatusConflict, e.tryPay(b), "the closed checkout took a payment")
	assert.Equal(t, []ports.MessageKind{ports.MessageExpiry}, e.messages(b.ID()))
}

// The sweep closes the checkouts of the holds it expires, as the expiry job does.
func TestExpireHoldsClosesTheCheckouts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.book(t, e.bookingCmd()).Booking
	e.clock.Set(b.HoldExpiresAt())

	n, err := e.app.Payments.ExpireHolds(context.Background(), 10)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	assert.Empty(t, e.gateway.expireCalls(b.PaymentRef()), "closed outside the transaction's job")
	e.drain(t)

	assert.Len(t, e.gateway.expireCalls(b.PaymentRef()), 1, "closed once, though the expiry job ran as well")
	assert.Equal(t, ports.PaymentExpired, e.payment(t, b).Status)
}

// A confirmed booking's hold never expires, and neither does its checkout.
func TestAConfirmedBookingKeepsItsCheckout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.book(t, e.bookingCmd()).Booking
	e.payAndConfirm(t, b)

	e.clock.Set(b.HoldExpiresAt().Add(time.Hour))
	e.drain(t)
	_, err := e.app.Payments.ExpireHolds(context.Background(), 10)
	require.NoError(t, err)
	e.drain(t)

	assert.Equal(t, domain.StatusConfirmed, e.stored(t, b.ID()).Status())
	assert.Empty(t, e.gateway.expireCalls(b.PaymentRef()), "the checkout was closed")
	assert.Equal(t, ports.PaymentPaid, e.payment(t, b).Status)
}

// A checkout paid before it could be closed ends the job: the payment's webhook then
// arrives as a late payment and is refunded when the booking cannot take it.
func TestACheckoutPaidBeforeItClosedIsRefundedByItsWebhook(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.book(t, e.bookingCmd()).Booking
	e.clock.Set(b.HoldExpiresAt())
	wh := e.pay(t, b, 0) // as the hold ended; the webhook is slow

	e.drain(t)
	calls := e.gateway.expireCalls(b.PaymentRef())
	require.Len(t, calls, 1, "a refused close is not retried")
	assert.Equal(t, domain.CodeCheckoutPaid, domain.ErrorCode(calls[0].err))
	e.book(t, e.brunoCmd())

	got, err := e.deliver(wh)
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeRefunded, got.Outcome)
	e.drain(t)
	assert.Len(t, e.gateway.refundCalls(b.ID()), 1)
	assert.Equal(t, domain.StatusExpired, e.stored(t, b.ID()).Status())
}

// A gateway that cannot answer is asked again later; a checkout it does not know ends
// the job.
func TestClosingACheckoutIsRetriedWhileTheGatewayIsDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.book(t, e.bookingCmd()).Booking
	e.gateway.failExpiries(domain.Errorf(domain.CodeUnavailable, "sandbox: down"))
	e.clock.Set(b.HoldExpiresAt())

	e.drain(t)
	require.Len(t, e.gateway.expireCalls(b.PaymentRef()), 1)
	assert.Equal(t, ports.PaymentPending, e.payment(t, b).Status)

	e.clock.Advance(time.Minute) // past the queue's backoff
	e.drain(t)
	calls := e.gateway.expireCalls(b.PaymentRef())
	require.Len(t, calls, 2)
	assert.NoError(t, calls[1].err)
	assert.Equal(t, ports.PaymentExpired, e.payment(t, b).Status)

	// Run directly, the handler ends on an unknown checkout and fails on an outage.
	ws := e.app.Workers()
	require.Contains(t, ws.Kinds(), app.KindExpireCheckout)
	handle := func(ctx context.Context, raw []byte) error {
		return ws.Work(ctx, ports.RawJob{ID: "1", Kind: app.KindExpireCheckout, Args: raw, Attempt: 1})
	}
	assert.NoError(t, handle(context.Background(), []byte(`{"booking_id":"b-gone","gateway":"","checkout_ref":"cs_unknown"}`)), "a booking that is gone")
	assert.NoError(t, handle(context.Background(), []byte(`{"booking_id":"`+b.ID()+`","gateway":"sandbox","checkout_ref":"cs_unknown"}`)))
	e.gateway.failExpiries(domain.Errorf(domain.CodeUnavailable, "sandbox: down"))
	err := handle(context.Background(), []byte(`{"booking_id":"`+b.ID()+`","gateway":"sandbox","checkout_ref":"`+b.PaymentRef()+`"}`))
	assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err), "%v", err)
}
