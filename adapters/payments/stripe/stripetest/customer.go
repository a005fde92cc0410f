package stripetest

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/matchpoint/matchpoint/domain"
)

// What happens on Stripe's side of a payment, out of the gateway's sight: the customer
// in Checkout and the club in the Dashboard. Each changes the account's state as Stripe
// would and returns the signed webhook event Stripe would send about it.

// Asked returns what a checkout session (cs_…) asks: its line item's price.
func (a *Account) Asked(t testing.TB, checkoutRef string) domain.Money {
	t.Helper()
	a.mu.Lock()
	cs, ok := a.sessions[checkoutRef]
	var asked domain.Money
	if ok {
		asked = money(cs.asked, cs.askedCurrency)
	}
	a.mu.Unlock()
	if !ok {
		t.Fatalf("stripetest: no checkout session %q in this account", checkoutRef)
	}
	return asked
}

// Pay has the customer pay a checkout session (cs_…) with amount and returns the
// signed checkout.session.completed webhook Stripe would send (header, body): a
// PaymentIntent succeeds with its charge, and the session completes, paid. The session
// must be open: neither paid nor expired.
//
// amount may differ from what the session asks (Asked), in amount or in currency: the
// wrong-amount and wrong-currency cases, which stand for a session opened at another
// price or tampered with, since Checkout itself charges what it asks. The event's
// amount_total and currency then say what was paid, and so do the session and its
// PaymentIntent to the gateway's GetPayment.
func (a *Account) Pay(t testing.TB, checkoutRef string, amount domain.Money) (http.Header, []byte) {
	t.Helper()
	if err := a.TryPay(t, checkoutRef, amount); err != nil {
		t.Fatalf("stripetest: %v", err)
	}
	return a.event(t, "checkout.session.completed", a.render(t, "/v1/checkout/sessions/"+checkoutRef))
}

// TryPay is Pay without the webhook: it returns Checkout's refusal when the session is
// not open (paid, or expired by its time or through the API), as the customer would
// see it, and changes nothing then.
func (a *Account) TryPay(t testing.TB, checkoutRef string, amount domain.Money) error {
	t.Helper()
	if amount.Amount() <= 0 || amount.Currency().IsZero() {
		t.Fatalf("stripetest: a customer cannot pay %s", amount)
	}
	paid, currency := amount.Amount(), strings.ToLower(amount.Currency().Code())
	err := a.update(func() error {
		cs, err := a.openSession(checkoutRef)
		if err != nil {
			return err
		}
		pi := a.attempt(cs)
		pi.amount, pi.received, pi.currency = paid, paid, currency
		pi.status, pi.declined = "succeeded", false
		pi.charge = fmt.Sprintf("ch_test_standin%d", nextID())
		cs.amount, cs.currency = paid, currency
		cs.status, cs.paymentStatus = "complete", "paid"
		return nil
	})
	if err != nil {
		return fmt.Errorf("pay %s: %w", checkoutRef, err)
	}
	return nil
}

// Decline has the customer's card declined in a checkout session (cs_…) and returns the
// signed payment_intent.payment_failed event Stripe sends, which the gateway maps to a
// failed payment of the session's PaymentIntent. The session stays open: its
// PaymentIntent waits for another payment method, so the customer may still Pay, or the
// session Expire.
func (a *Account) Decline(t testing.TB, checkoutRef string) (http.Header, []byte) {
	t.Helper()
	var piID string
	err := a.update(func() error {
		cs, err := a.openSession(checkoutRef)
		if err != nil {
			return err
		}
		pi := a.attempt(cs)
		pi.status, pi.declined = "requires_payment_method", true
		piID = pi.id
		return nil
	})
	if err != nil {
		t.Fatalf("stripetest: decline %s: %v", checkoutRef, err)
	}
	return a.event(t, "payment_intent.payment_failed", a.render(t, "/v1/payment_intents/"+piID))
}

// Expire lets a checkout session (cs_…) expire unpaid and returns the signed
// checkout.session.expired event. Stripe cancels the session's PaymentIntent, if the
// customer started one.
func (a *Account) Expire(t testing.TB, checkoutRef string) (http.Header, []byte) {
	t.Helper()
	err := a.update(func() error {
		cs, err := a.openSession(checkoutRef)
		if err != nil {
			return err
		}
		cs.status = "expired"
		if pi := a.intents[cs.intent]; pi != nil {
			pi.status = "canceled"
		}
		return nil
	})
	if err != nil {
		t.Fatalf("stripetest: expire %s: %v", checkoutRef, err)
	}
	return a.event(t, "checkout.session.expired", a.render(t, "/v1/checkout/sessions/"+checkoutRef))
}

// RefundInDashboard refunds amount of a payment (its payment intent id, the ref events
// carry; a paid session's id also does) as the club would in Stripe's dashboard, and
// returns the signed charge.refunded event (amount_refunded: all refunded so far). The
// amount must be positive, in the payment's currency and at most what is left, as the
// Dashboard insists.
func (a *Account) RefundInDashboard(t testing.TB, paymentRef string, amount domain.Money) (http.Header, []byte) {
	t.Helper()
	var charge string
	err := a.update(func() error {
		pi, err := a.paidIntent(paymentRef)
		if err != nil {
			return err
		}
		left := pi.received - pi.refunded()
		switch {
		case !strings.EqualFold(amount.Currency().Code(), pi.currency):
			return fmt.Errorf("the payment is in %s, not in %q", strings.ToUpper(pi.currency), amount.Currency())
		case amount.Amount() <= 0:
			return errors.New("a refund must be positive")
		case amount.Amount() > left:
			return fmt.Errorf("only %s is left to refund", money(left, pi.currency))
		}
		pi.refunds = append(pi.refunds, amount.Amount())
		charge = pi.charge
		return nil
	})
	if err != nil {
		t.Fatalf("stripetest: refund %s of %s in the Dashboard: %v", amount, paymentRef, err)
	}
	return a.event(t, "charge.refunded", a.render(t, "/v1/charges/"+charge))
}

// RefundEvent returns the signed charge.refunded event Stripe sends after refunds made
// through the API (by the gateway), so a test can deliver it. Its amount_refunded is all
// refunded so far; Stripe sends one after each refund, and so may a test. paymentRef is
// the payment intent id (or the paid session's); the payment must have been refunded.
func (a *Account) RefundEvent(t testing.TB, paymentRef string) (http.Header, []byte) {
	t.Helper()
	var charge string
	err := a.update(func() error {
		pi, err := a.paidIntent(paymentRef)
		if err != nil {
			return err
		}
		if len(pi.refunds) == 0 {
			return errors.New("nothing refunded yet: Stripe sends charge.refunded after a refund")
		}
		charge = pi.charge
		return nil
	})
	if err != nil {
		t.Fatalf("stripetest: refund event of %s: %v", paymentRef, err)
	}
	return a.event(t, "charge.refunded", a.render(t, "/v1/charges/"+charge))
}

// Refunds returns the refunds made of a payment so far (API or dashboard), oldest
// first; none for a payment that is unknown or unpaid. paymentRef is the payment
// intent id or its session's.
func (a *Account) Refunds(paymentRef string) []domain.Money {
	a.mu.Lock()
	defer a.mu.Unlock()
	pi := a.intentOf(paymentRef)
	if pi == nil {
		return nil
	}
	var out []domain.Money
	for _, r := range pi.refunds {
		out = append(out, money(r, pi.currency))
	}
	return out
}

// update changes the account's state with fn, under mu.
func (a *Account) update(fn func() error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return fn()
}

// openSession returns the open session id. The caller holds mu.
func (a *Account) openSession(id string) (*session, error) {
	cs, ok := a.sessions[id]
	switch {
	case !ok:
		return nil, fmt.Errorf("no checkout session %q in this account", id)
	case cs.status != "open":
		return nil, fmt.Errorf("checkout session %q is %s, not open", id, cs.status)
	}
	return cs, nil
}

// intentOf returns the PaymentIntent a payment intent id or a session id names, nil if
// none. The caller holds mu.
func (a *Account) intentOf(ref string) *intent {
	if cs, ok := a.sessions[ref]; ok {
		ref = cs.intent
	}
	return a.intents[ref]
}

// paidIntent returns the succeeded PaymentIntent ref names. The caller holds mu.
func (a *Account) paidIntent(ref string) (*intent, error) {
	pi := a.intentOf(ref)
	switch {
	case pi == nil:
		return nil, fmt.Errorf("no payment %q in this account", ref)
	case pi.status != "succeeded":
		return nil, fmt.Errorf("payment %q is %s, not paid", ref, pi.status)
	}
	return pi, nil
}

// attempt returns the session's PaymentIntent, made when the customer first tries to
// pay. The caller holds mu.
func (a *Account) attempt(cs *session) *intent {
	if pi, ok := a.intents[cs.intent]; ok {
		return pi
	}
	pi := &intent{
		id:       fmt.Sprintf("pi_test_standin%d", nextID()),
		currency: cs.currency,
		status:   "requires_payment_method",
		amount:   cs.amount,
		metadata: cs.intentMetadata,
		created:  time.Now().Unix(),
	}
	a.intents[pi.id] = pi
	cs.intent = pi.id
	return pi
}

// money returns a Stripe amount and currency as Money; a currency Match Point does not
// know is left zero.
func money(amount int64, currency string) domain.Money {
	c, _ := domain.ParseCurrency(strings.ToUpper(currency))
	return domain.NewMoney(amount, c)
}
