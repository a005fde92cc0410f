package mptest

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/matchpoint/matchpoint/domain"
)

// What the customer and the club do at MercadoPago. Each action changes the account's
// state as MercadoPago would and returns the notification MercadoPago would then
// deliver, signed now: "payment.created" for a new payment, "payment.updated" for a
// change. The payment ref of a notification is its data.id (see PaymentRef).

// method is how a payment was made.
type method struct{ id, typ string }

var (
	card   = method{"visa", "credit_card"}
	ticket = method{"rapipago", "ticket"}             // cash, paid at a store by a date
	wallet = method{"account_money", "account_money"} // a QR code at the counter
)

// Asked returns what a checkout (a preference id) asks: the sum of its items.
func (a *Account) Asked(t testing.TB, checkoutRef string) domain.Money {
	t.Helper()
	var asked domain.Money
	a.update(t, func() error {
		pref, err := a.prefLocked(checkoutRef)
		if err == nil {
			asked = pref.asked()
		}
		return err
	})
	return asked
}

// Pay has the customer pay a checkout (a preference id) with amount and returns the
// signed notification MercadoPago sends: the payment is approved (status_detail
// accredited), by card.
//
// amount may differ from what the preference asks, in amount or in currency.
// MercadoPago's checkout charges what the preference asks; such a payment stands for
// one tied to the booking some other way (a payment with its external_reference made
// through the API), which a gateway cannot tell apart and must handle. Nor is a
// preference that lapsed by its date refused: the payment stands for one begun before
// the checkout lapsed and approved after it (a card payment held for review, a cash
// ticket paid on its last day), which is how a late payment reaches a gateway. A
// preference the club closed through the API (updated to have lapsed, as the gateway's
// ExpireCheckout does) is refused, and fails t: see TryPay.
func (a *Account) Pay(t testing.TB, checkoutRef string, amount domain.Money) (http.Header, []byte) {
	t.Helper()
	if amount.Amount() <= 0 || amount.Currency().IsZero() {
		t.Fatalf("mptest: a customer cannot pay %s", amount)
	}
	id := a.newPayment(t, checkoutRef, amount, "approved", "accredited", card)
	return a.notify(t, id, "payment.created")
}

// TryPay is Pay without the notification: it returns MercadoPago's refusal of a
// payment of a preference the club closed through the API, and records no payment
// then.
func (a *Account) TryPay(t testing.TB, checkoutRef string, amount domain.Money) error {
	t.Helper()
	if amount.Amount() <= 0 || amount.Currency().IsZero() {
		t.Fatalf("mptest: a customer cannot pay %s", amount)
	}
	_, err := a.tryNewPayment(checkoutRef, amount, "approved", "accredited", card)
	return err
}

// PayWithStatus has the customer pay a checkout what it asks, by card, and
// MercadoPago leave the payment in status with status_detail detail ("in_process",
// "pending_contingency"; "rejected", "cc_rejected_call_for_authorize"). It returns
// the signed notification of the new payment.
func (a *Account) PayWithStatus(t testing.TB, checkoutRef, status, detail string) (http.Header, []byte) {
	t.Helper()
	id := a.newPayment(t, checkoutRef, domain.Money{}, status, detail, card)
	return a.notify(t, id, "payment.created")
}

// PayWithoutCheckout has a customer pay the account amount other than through a
// checkout (a QR code at the counter), so that the payment has no external_reference.
// It returns the signed notification of the payment, which the account's gateways
// receive as well.
func (a *Account) PayWithoutCheckout(t testing.TB, amount domain.Money) (http.Header, []byte) {
	t.Helper()
	if amount.Amount() <= 0 || amount.Currency().IsZero() {
		t.Fatalf("mptest: a customer cannot pay %s", amount)
	}
	id := a.newPayment(t, "", amount, "approved", "accredited", wallet)
	return a.notify(t, id, "payment.created")
}

// Decline has an attempt to pay a checkout by card rejected (status rejected,
// status_detail cc_rejected_other_reason), and returns the signed notification of
// the rejected payment. The checkout stays open: the customer may try again.
func (a *Account) Decline(t testing.TB, checkoutRef string) (http.Header, []byte) {
	t.Helper()
	id := a.newPayment(t, checkoutRef, domain.Money{}, "rejected", "cc_rejected_other_reason", card)
	return a.notify(t, id, "payment.created")
}

// Expire has a checkout lapse unpaid, and returns the signed notification of it.
//
// MercadoPago notifies payments, not preferences: a preference that reaches its
// expiration_date_to sends nothing. What it does notify is a payment that lapses: a
// cash ticket issued at the checkout (Rapipago, Pago Fácil) and not paid by its
// date_of_expiration turns cancelled with status_detail expired, which the gateway
// reports as an expired event. So Expire lapses the checkout's newest pending
// payment or, with none, issues a ticket for what the checkout asks and lapses it,
// and returns that payment's "payment.updated" notification. The preference itself
// is left as it is.
func (a *Account) Expire(t testing.TB, checkoutRef string) (http.Header, []byte) {
	t.Helper()
	now := a.now()
	var id int64
	a.update(t, func() error {
		pref, err := a.prefLocked(checkoutRef)
		if err != nil {
			return err
		}
		var lapsing *payment
		for _, p := range a.payments {
			if p.pref == pref.ID && p.json.Status == "pending" && (lapsing == nil || p.json.ID > lapsing.json.ID) {
				lapsing = p
			}
		}
		if lapsing == nil {
			lapsing = a.newPaymentLocked(pref, pref.asked(), "pending", "pending_waiting_payment", ticket, now)
		}
		lapsing.json.Status, lapsing.json.StatusDetail = "cancelled", "expired"
		lapsing.json.DateLastUpdated = mpTime(now)
		id = lapsing.json.ID
		return nil
	})
	return a.notify(t, id, "payment.updated")
}

// SetStatus changes a payment's status and status_detail, as MercadoPago does when a
// payment is reviewed, a ticket lapses or a chargeback is settled, and returns the
// signed notification of the change. Only the status changes: the refunded amount is
// RefundInDashboard's and the API's.
func (a *Account) SetStatus(t testing.TB, paymentRef, status, detail string) (http.Header, []byte) {
	t.Helper()
	now := a.now()
	var id int64
	a.update(t, func() error {
		p, err := a.paymentLocked(paymentRef)
		if err != nil {
			return err
		}
		p.json.Status, p.json.StatusDetail = status, detail
		p.json.DateLastUpdated = mpTime(now)
		if status == "approved" && p.json.DateApproved == nil {
			p.json.DateApproved = mpTimePtr(&now)
		}
		id = p.json.ID
		return nil
	})
	return a.notify(t, id, "payment.updated")
}

// RefundInDashboard refunds amount of a payment (by its payment ref, the id events
// carry) as the club would in MercadoPago's dashboard, and returns the signed
// notification of the payment afterwards. MercadoPago's rules apply as to a refund
// through the API: the payment must be approved, and amount in its currency and at
// most what is left of it; otherwise t fails.
func (a *Account) RefundInDashboard(t testing.TB, paymentRef string, amount domain.Money) (http.Header, []byte) {
	t.Helper()
	now := a.now()
	var id int64
	a.update(t, func() error {
		p, err := a.paymentLocked(paymentRef)
		if err != nil {
			return err
		}
		if _, refusal := a.refundLocked(p, amount, now, "Dashboard"); refusal != "" {
			return fmt.Errorf("the dashboard refuses to refund %s of payment %s: %s", amount, paymentRef, refusal)
		}
		id = p.json.ID
		return nil
	})
	return a.notify(t, id, "payment.updated")
}

// Refunds returns the refunds made of a payment so far, through the API or the
// dashboard, oldest first; nil for a payment with none or that the account does not
// have.
func (a *Account) Refunds(paymentRef string) []domain.Money {
	id, err := strconv.ParseInt(paymentRef, 10, 64)
	if err != nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.payments[id]
	if !ok {
		return nil
	}
	var out []domain.Money
	for _, re := range p.refunds {
		m, _ := moneyOf(re.Amount, p.amount.Currency()) // written by decimalOf
		out = append(out, m)
	}
	return out
}

// Notify returns the signed notification MercadoPago sends when a payment changes
// ("payment.updated"), of a payment as it is now. A refund made through the API
// changes a payment too, and this is its notification.
func (a *Account) Notify(t testing.TB, paymentRef string) (http.Header, []byte) {
	t.Helper()
	var id int64
	a.update(t, func() error {
		p, err := a.paymentLocked(paymentRef)
		if err == nil {
			id = p.json.ID
		}
		return err
	})
	return a.notify(t, id, "payment.updated")
}

// update runs f with the account locked, and fails t with f's error once unlocked.
func (a *Account) update(t testing.TB, f func() error) {
	t.Helper()
	a.mu.Lock()
	err := f()
	a.mu.Unlock()
	if err != nil {
		t.Fatalf("mptest: %v", err)
	}
}

func (a *Account) prefLocked(id string) (*prefJSON, error) {
	p, ok := a.prefs[id]
	if !ok {
		return nil, fmt.Errorf("the account has no checkout %q", id)
	}
	return p, nil
}

// paymentLocked returns a payment by its ref, the payment id.
func (a *Account) paymentLocked(ref string) (*payment, error) {
	id, _ := strconv.ParseInt(ref, 10, 64)
	p, ok := a.payments[id]
	if !ok {
		return nil, fmt.Errorf("the account has no payment %q", ref)
	}
	return p, nil
}

// newPayment records a payment of a checkout ("" for none) and returns its id. A zero
// amount is what the checkout asks.
func (a *Account) newPayment(t testing.TB, checkoutRef string, amount domain.Money, status, detail string, m method) int64 {
	t.Helper()
	id, err := a.tryNewPayment(checkoutRef, amount, status, detail, m)
	if err != nil {
		t.Fatalf("mptest: %v", err)
	}
	return id
}

// tryNewPayment is newPayment, returning why the payment was refused: the checkout
// is unknown, or closed.
func (a *Account) tryNewPayment(checkoutRef string, amount domain.Money, status, detail string, m method) (int64, error) {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	var pref *prefJSON
	if checkoutRef != "" {
		var err error
		if pref, err = a.prefLocked(checkoutRef); err != nil {
			return 0, err
		}
		if pref.closed {
			return 0, fmt.Errorf("checkout %q has expired: it takes no payment", checkoutRef)
		}
		if amount.IsZero() {
			amount = pref.asked()
		}
	}
	return a.newPaymentLocked(pref, amount, status, detail, m, now).json.ID, nil
}

// newPaymentLocked records a payment of pref (nil for none).
func (a *Account) newPaymentLocked(pref *prefJSON, amount domain.Money, status, detail string, m method, now time.Time) *payment {
	p := &payment{amount: amount, json: paymentJSON{
		ID:              a.nextIDLocked(),
		Status:          status,
		StatusDetail:    detail,
		Description:     "Payment",
		PaymentMethodID: m.id,
		PaymentTypeID:   m.typ,
		OperationType:   "regular_payment",
		CollectorID:     collectorID,
		Captured:        true,
		DateCreated:     mpTime(now),
		DateLastUpdated: mpTime(now),
		Order:           map[string]any{"id": strconv.FormatInt(a.nextIDLocked(), 10), "type": "mercadopago"},
	}}
	if pref != nil {
		p.pref = pref.ID
		p.json.ExternalReference = pref.ExternalReference
		p.json.Description = pref.Items[0].Title
		p.json.Metadata = pref.Metadata
	}
	if status == "approved" {
		p.json.DateApproved = mpTimePtr(&now)
	}
	a.payments[p.json.ID] = p
	return p
}
