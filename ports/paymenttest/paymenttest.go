// Package paymenttest is the contract suite of ports.PaymentGateway. Every gateway
// (the sandbox, Stripe, MercadoPago) runs it from its own tests through a Harness,
// since only the provider's side knows how to pay a checkout and sign a webhook:
//
//	func TestContract(t *testing.T) {
//		paymenttest.Run(t, func(t *testing.T) paymenttest.Harness { … })
//	}
//
// Amounts are in ARS, a currency every gateway of Match Point supports.
package paymenttest

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// Harness is a gateway and the provider behind it, new for each case.
type Harness struct {
	// Gateway is the adapter under test.
	Gateway ports.PaymentGateway
	// Pay has the customer pay a checkout in full and returns the signed webhook the
	// provider delivers for that payment: its header and its body.
	Pay func(t *testing.T, checkoutRef string) (http.Header, []byte)
	// TryPay has the customer try to pay a checkout in full, and returns the
	// provider's refusal, or nil when the payment went through. Nil skips the check
	// that a closed checkout refuses payment; GetPayment must then still report it
	// closed.
	TryPay func(t *testing.T, checkoutRef string) error
	// Forge signs body the way the provider signs webhooks, but with a secret that is
	// not the gateway's.
	Forge func(t *testing.T, body []byte) http.Header
	// Sign signs body as the provider would, with the gateway's secret. Nil skips the
	// case of a genuine signature over a body that is not an event.
	Sign func(t *testing.T, body []byte) http.Header
	// SignsIDOnly says the provider signs the notification's id, not its body
	// (MercadoPago): the gateway must then read the payment back from the provider and
	// trust nothing else of the body. The tampered-body case checks that instead of a
	// refusal: a body changed around the id may pass, but never changes the event.
	SignsIDOnly bool
}

// Run runs the contract suite. newHarness is called once per case.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	cases := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"CreateCheckout", testCreateCheckout},
		{"CreateCheckoutTwice", testCreateCheckoutTwice},
		{"GetPaymentUnknown", testGetPaymentUnknown},
		{"Pay", testPay},
		{"ParseGenuineWebhook", testParseGenuineWebhook},
		{"MissingSignature", testMissingSignature},
		{"ForgedSignature", testForgedSignature},
		{"TamperedBody", testTamperedBody},
		{"SignedBodyNotAnEvent", testSignedBodyNotAnEvent},
		{"RefundFull", testRefundFull},
		{"RefundPartial", testRefundPartial},
		{"RefundIdempotent", testRefundIdempotent},
		{"OverRefundRefused", testOverRefundRefused},
		{"RefundUnpaidRefused", testRefundUnpaidRefused},
		{"ExpireCheckout", testExpireCheckout},
		{"ExpireCheckoutTwice", testExpireCheckoutTwice},
		{"ExpireCheckoutUnknown", testExpireCheckoutUnknown},
		{"ExpirePaidCheckoutRefused", testExpirePaidCheckoutRefused},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newHarness(t))
		})
	}
}

var ars = domain.MustCurrency("ARS")

// price is what the suite's bookings cost: 16 000.00 ARS.
var price = domain.NewMoney(1_600_000, ars)

// holdEnd is when the suite's holds end: one instant for the whole run, so that two
// requests for one booking are the same request (a provider refuses an idempotent
// retry whose parameters differ).
var holdEnd = sync.OnceValue(func() time.Time { return time.Now().Add(10 * time.Minute).UTC().Truncate(time.Second) })

func request(booking string) ports.CheckoutRequest {
	return ports.CheckoutRequest{
		BookingID:     booking,
		ClubID:        "club-1",
		Description:   "Padel, court 1, Sat 5 Jan 2030 19:00–20:30",
		Amount:        price,
		CustomerEmail: "ana@example.com",
		ExpiresAt:     holdEnd(),
	}
}

func checkout(t *testing.T, h Harness, booking string) ports.Checkout {
	t.Helper()
	c, err := h.Gateway.CreateCheckout(context.Background(), request(booking))
	require.NoError(t, err)
	return c
}

// paid creates a checkout for booking, pays it and returns the parsed paid event.
func paid(t *testing.T, h Harness, booking string) (ports.Checkout, ports.PaymentEvent) {
	t.Helper()
	c := checkout(t, h, booking)
	header, body := h.Pay(t, c.Ref)
	ev, err := h.Gateway.ParseWebhook(header, body)
	require.NoError(t, err)
	require.Equal(t, ports.EventPaid, ev.Type)
	return c, ev
}

func assertCode(t *testing.T, kind domain.Kind, code string, err error) {
	t.Helper()
	if assert.Error(t, err) {
		assert.Equal(t, kind, domain.ErrorKind(err), "kind of %v", err)
		assert.Equal(t, code, domain.ErrorCode(err), "code of %v", err)
	}
}

func testCreateCheckout(t *testing.T, h Harness) {
	c := checkout(t, h, "booking-1")

	assert.NotEmpty(t, c.Ref)
	assert.True(t, strings.HasPrefix(c.URL, "https://") || strings.HasPrefix(c.URL, "http://"), "checkout URL %q is not absolute", c.URL)
	p, err := h.Gateway.GetPayment(context.Background(), c.Ref)
	require.NoError(t, err)
	assert.Equal(t, ports.PaymentPending, p.Status)
	assert.Equal(t, "booking-1", p.BookingID)
	assert.True(t, price.Equal(p.Amount), "pending payment asks %s, want %s", p.Amount, price)
	assert.NotEmpty(t, h.Gateway.Provider())
}

func testCreateCheckoutTwice(t *testing.T, h Harness) {
	first := checkout(t, h, "booking-1")
	again := checkout(t, h, "booking-1")
	other := checkout(t, h, "booking-2")

	assert.Equal(t, first, again, "a second checkout for one booking is not the first")
	assert.NotEqual(t, first.Ref, other.Ref, "two bookings share a checkout")
}

func testGetPaymentUnknown(t *testing.T, h Harness) {
	_, err := h.Gateway.GetPayment(context.Background(), "cs_does_not_exist")
	assertCode(t, domain.KindNotFound, domain.CodeNotFound, err)
}

func testPay(t *testing.T, h Harness) {
	c, ev := paid(t, h, "booking-1")
	ctx := context.Background()

	for _, ref := range []string{c.Ref, ev.PaymentRef} {
		p, err := h.Gateway.GetPayment(ctx, ref)
		require.NoError(t, err, "GetPayment(%q)", ref)
		assert.Equal(t, ports.PaymentPaid, p.Status, "GetPayment(%q)", ref)
		assert.Equal(t, "booking-1", p.BookingID)
		assert.True(t, price.Equal(p.Amount), "paid %s, want %s", p.Amount, price)
	}
}

func testParseGenuineWebhook(t *testing.T, h Harness) {
	c := checkout(t, h, "booking-1")
	header, body := h.Pay(t, c.Ref)

	ev, err := h.Gateway.ParseWebhook(header, body)
	require.NoError(t, err)
	assert.Equal(t, h.Gateway.Provider(), ev.Provider)
	assert.NotEmpty(t, ev.EventID)
	assert.Equal(t, ports.EventPaid, ev.Type)
	assert.Equal(t, "booking-1", ev.BookingID)
	assert.NotEmpty(t, ev.PaymentRef)
	assert.True(t, price.Equal(ev.Amount), "event amount %s, want %s", ev.Amount, price)
	assert.WithinDuration(t, time.Now(), ev.At, time.Hour)

	again, err := h.Gateway.ParseWebhook(header, body)
	require.NoError(t, err)
	assert.Equal(t, ev.EventID, again.EventID, "a replayed webhook has a new event id")
}

func testMissingSignature(t *testing.T, h Harness) {
	c := checkout(t, h, "booking-1")
	_, body := h.Pay(t, c.Ref)

	_, err := h.Gateway.ParseWebhook(http.Header{}, body)
	assertCode(t, domain.KindUnauthorized, domain.CodeBadSignature, err)
}

func testForgedSignature(t *testing.T, h Harness) {
	c := checkout(t, h, "booking-1")
	_, body := h.Pay(t, c.Ref)

	_, err := h.Gateway.ParseWebhook(h.Forge(t, body), body)
	assertCode(t, domain.KindUnauthorized, domain.CodeBadSignature, err)
}

func testTamperedBody(t *testing.T, h Harness) {
	c := checkout(t, h, "booking-1")
	header, body := h.Pay(t, c.Ref)

	tampered := map[string][]byte{
		// Trailing whitespace leaves the JSON meaning alone: only the signature sees it.
		"whitespace": append(bytes.Clone(body), ' '),
		"truncated":  body[:len(body)-1],
	}
	if amount := []byte(strconv.FormatInt(price.Amount(), 10)); bytes.Contains(body, amount) {
		tampered["amount"] = bytes.Replace(body, amount, []byte("1"), 1)
	}
	if bytes.Contains(body, []byte("booking-1")) {
		tampered["booking"] = bytes.Replace(body, []byte("booking-1"), []byte("booking-2"), 1)
	}
	genuine, err := h.Gateway.ParseWebhook(header, body)
	require.NoError(t, err)
	for name, b := range tampered {
		ev, err := h.Gateway.ParseWebhook(header, b)
		if h.SignsIDOnly && err == nil {
			assert.Equal(t, genuine, ev, "%s body: the event changed with the unsigned part of the body", name)
			continue
		}
		assert.Equal(t, domain.KindUnauthorized, domain.ErrorKind(err), "%s body: %v", name, err)
		assert.Equal(t, domain.CodeBadSignature, domain.ErrorCode(err), "%s body: %v", name, err)
	}
}

func testSignedBodyNotAnEvent(t *testing.T, h Harness) {
	if h.Sign == nil {
		t.Skip("the harness cannot sign arbitrary bodies")
	}
	for _, body := range []string{`not json`, `{"id":`} {
		_, err := h.Gateway.ParseWebhook(h.Sign(t, []byte(body)), []byte(body))
		assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), "body %q: %v", body, err)
	}
}

func refund(t *testing.T, h Harness, ev ports.PaymentEvent, amount int64, key string) (ports.Refund, error) {
	t.Helper()
	return h.Gateway.Refund(context.Background(), ports.RefundRequest{
		BookingID:      ev.BookingID,
		PaymentRef:     ev.PaymentRef,
		Amount:         domain.NewMoney(amount, ars),
		IdempotencyKey: key,
	})
}

func status(t *testing.T, h Harness, ref string) ports.PaymentStatus {
	t.Helper()
	p, err := h.Gateway.GetPayment(context.Background(), ref)
	require.NoError(t, err)
	return p.Status
}

func testRefundFull(t *testing.T, h Harness) {
	_, ev := paid(t, h, "booking-1")

	r, err := refund(t, h, ev, price.Amount(), "cancel:booking-1")

	require.NoError(t, err)
	assert.NotEmpty(t, r.ID)
	assert.True(t, price.Equal(r.Amount), "refunded %s, want %s", r.Amount, price)
	assert.Equal(t, ports.PaymentRefunded, status(t, h, ev.PaymentRef))
}

func testRefundPartial(t *testing.T, h Harness) {
	_, ev := paid(t, h, "booking-1")

	half, err := refund(t, h, ev, price.Amount()/2, "late-cancel:booking-1")
	require.NoError(t, err)
	assert.Equal(t, price.Amount()/2, half.Amount.Amount())
	assert.Equal(t, ports.PaymentPaid, status(t, h, ev.PaymentRef), "a partly refunded payment is still paid")

	rest, err := refund(t, h, ev, price.Amount()-price.Amount()/2, "goodwill:booking-1")
	require.NoError(t, err)
	assert.NotEqual(t, half.ID, rest.ID)
	assert.Equal(t, ports.PaymentRefunded, status(t, h, ev.PaymentRef))
}

func testRefundIdempotent(t *testing.T, h Harness) {
	_, ev := paid(t, h, "booking-1")
	half := price.Amount() / 2

	first, err := refund(t, h, ev, half, "cancel:booking-1")
	require.NoError(t, err)
	again, err := refund(t, h, ev, half, "cancel:booking-1")
	require.NoError(t, err)
	assert.Equal(t, first, again, "the same key made a different refund")

	// Had the key refunded twice, nothing would be left for the rest.
	_, err = refund(t, h, ev, price.Amount()-half, "other:booking-1")
	require.NoError(t, err, "the same key refunded twice")
	_, err = refund(t, h, ev, 1, "one-more:booking-1")
	assert.Error(t, err, "refunded more than was paid")
}

func testOverRefundRefused(t *testing.T, h Harness) {
	_, ev := paid(t, h, "booking-1")

	_, err := refund(t, h, ev, price.Amount()+1, "too-much:booking-1")

	assert.Error(t, err)
	assert.Equal(t, ports.PaymentPaid, status(t, h, ev.PaymentRef), "a refused refund changed the payment")
	_, err = refund(t, h, ev, price.Amount(), "all:booking-1")
	assert.NoError(t, err, "a refused refund used up the payment")
}

func testRefundUnpaidRefused(t *testing.T, h Harness) {
	c := checkout(t, h, "booking-1")

	_, err := h.Gateway.Refund(context.Background(), ports.RefundRequest{
		BookingID:      "booking-1",
		PaymentRef:     c.Ref,
		Amount:         price,
		IdempotencyKey: "cancel:booking-1",
	})

	assert.Error(t, err)
	assert.Equal(t, ports.PaymentPending, status(t, h, c.Ref))
}

// assertClosed checks that a checkout reads as closed and, where the harness can try,
// that it takes no payment.
func assertClosed(t *testing.T, h Harness, ref string) {
	t.Helper()
	p, err := h.Gateway.GetPayment(context.Background(), ref)
	require.NoError(t, err)
	assert.Contains(t, []ports.PaymentStatus{ports.PaymentExpired, ports.PaymentFailed}, p.Status, "a closed checkout reads %s", p.Status)
	assert.Equal(t, "booking-1", p.BookingID)
	if h.TryPay == nil {
		return
	}
	assert.Error(t, h.TryPay(t, ref), "a closed checkout took a payment")
	p, err = h.Gateway.GetPayment(context.Background(), ref)
	require.NoError(t, err)
	assert.NotEqual(t, ports.PaymentPaid, p.Status, "a closed checkout reads paid")
}

func testExpireCheckout(t *testing.T, h Harness) {
	c := checkout(t, h, "booking-1")
	other := checkout(t, h, "booking-2")

	require.NoError(t, h.Gateway.ExpireCheckout(context.Background(), c.Ref))

	assertClosed(t, h, c.Ref)
	assert.Equal(t, ports.PaymentPending, status(t, h, other.Ref), "closing one checkout closed another")
}

func testExpireCheckoutTwice(t *testing.T, h Harness) {
	c := checkout(t, h, "booking-1")

	require.NoError(t, h.Gateway.ExpireCheckout(context.Background(), c.Ref))
	assert.NoError(t, h.Gateway.ExpireCheckout(context.Background(), c.Ref), "closing a closed checkout")

	assertClosed(t, h, c.Ref)
}

func testExpireCheckoutUnknown(t *testing.T, h Harness) {
	err := h.Gateway.ExpireCheckout(context.Background(), "cs_does_not_exist")
	assertCode(t, domain.KindNotFound, domain.CodeNotFound, err)
}

func testExpirePaidCheckoutRefused(t *testing.T, h Harness) {
	c, ev := paid(t, h, "booking-1")

	err := h.Gateway.ExpireCheckout(context.Background(), c.Ref)

	assertCode(t, domain.KindConflict, domain.CodeCheckoutPaid, err)
	assert.Equal(t, ports.PaymentPaid, status(t, h, c.Ref), "a refused close changed the checkout")
	_, err = refund(t, h, ev, price.Amount(), "cancel:booking-1")
	require.NoError(t, err)
	err = h.Gateway.ExpireCheckout(context.Background(), c.Ref)
	assertCode(t, domain.KindConflict, domain.CodeCheckoutPaid, err)
}
