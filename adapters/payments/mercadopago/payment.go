package mercadopago

import (
	"cmp"
	"context"
	"slices"
	"strconv"

	"github.com/mercadopago/sdk-go/pkg/payment"
	"github.com/mercadopago/sdk-go/pkg/preference"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// statusOf maps a MercadoPago payment status to the provider-neutral one:
//
//	approved, in_mediation          paid (a dispute holds the money until it is settled)
//	pending, in_process, authorized pending
//	rejected, cancelled             failed
//	cancelled with expired detail   expired (a cash ticket that was never paid)
//	refunded, charged_back          refunded
//	anything else                   pending: no outcome yet
//
// A partly refunded payment stays approved (status_detail partially_refunded), and
// so paid; MercadoPago turns it refunded once nothing is left.
func statusOf(p *payment.Response) ports.PaymentStatus {
	switch p.Status {
	case "approved", "in_mediation":
		return ports.PaymentPaid
	case "rejected":
		return ports.PaymentFailed
	case "cancelled":
		if p.StatusDetail == "expired" {
			return ports.PaymentExpired
		}
		return ports.PaymentFailed
	case "refunded", "charged_back":
		return ports.PaymentRefunded
	default:
		return ports.PaymentPending
	}
}

// paymentOf is the provider-neutral view of a payment: its Ref is the payment id,
// its Amount the transaction amount (what the booking was charged, without the
// buyer's installment interest).
func paymentOf(p *payment.Response) (ports.Payment, error) {
	cur, err := currency(p.CurrencyID)
	if err != nil {
		return ports.Payment{}, err
	}
	amount, err := money(p.TransactionAmount, cur)
	if err != nil {
		return ports.Payment{}, err
	}
	return ports.Payment{Ref: strconv.Itoa(p.ID), BookingID: p.ExternalReference, Status: statusOf(p), Amount: amount}, nil
}

// GetPayment returns a payment by its payment id (the ref events carry) or by its
// checkout's preference id. A checkout's payment is the best of its booking's
// payments (paid before refunded before pending before failed, the latest first);
// with none, it is pending for the amount asked, or expired once the preference is.
func (g *Gateway) GetPayment(ctx context.Context, ref string) (ports.Payment, error) {
	pay, pref, err := g.lookup(ctx, ref)
	if err != nil {
		return ports.Payment{}, err
	}
	if pay != nil {
		return paymentOf(pay)
	}
	asked, err := askedAmount(pref)
	if err != nil {
		return ports.Payment{}, err
	}
	status := ports.PaymentPending
	if pref.Expires && !pref.ExpirationDateTo.IsZero() && !g.clock.Now().Before(pref.ExpirationDateTo) {
		status = ports.PaymentExpired
	}
	return ports.Payment{Ref: pref.ID, BookingID: pref.ExternalReference, Status: status, Amount: asked}, nil
}

// paymentID returns the payment id that ref is, if it is one. Payment ids are
// numbers; preference ids are not ("<collector id>-<uuid>").
func paymentID(ref string) (int, bool) {
	if ref == "" || ref[0] < '1' || ref[0] > '9' {
		return 0, false
	}
	id, err := strconv.Atoi(ref)
	return id, err == nil
}

// lookup returns the payment ref names or, for a preference id, the preference and
// its best payment, nil while it has none.
func (g *Gateway) lookup(ctx context.Context, ref string) (*payment.Response, *preference.Response, error) {
	if id, ok := paymentID(ref); ok {
		p, err := g.payments.Get(ctx, id)
		if err != nil {
			return nil, nil, apiError(err, "payment "+ref, true)
		}
		return p, nil, nil
	}
	if ref == "" {
		return nil, nil, domain.Errorf(domain.CodeNotFound, "mercadopago: no payment reference")
	}
	pref, err := g.preferences.Get(ctx, ref)
	if err != nil {
		return nil, nil, apiError(err, "checkout "+ref, true)
	}
	best, err := g.bestPayment(ctx, pref.ExternalReference)
	return best, pref, err
}

// bestPayment returns the payment that speaks for a booking, or nil.
func (g *Gateway) bestPayment(ctx context.Context, bookingID string) (*payment.Response, error) {
	if bookingID == "" {
		return nil, nil
	}
	page, err := g.payments.Search(ctx, payment.SearchRequest{
		Filters: map[string]string{"external_reference": bookingID, "sort": "date_created", "criteria": "desc"},
	})
	if err != nil {
		return nil, apiError(err, "payments of booking "+bookingID, false)
	}
	found := slices.DeleteFunc(page.Results, func(p payment.Response) bool { return p.ExternalReference != bookingID })
	if len(found) == 0 {
		return nil, nil
	}
	best := slices.MaxFunc(found, func(a, b payment.Response) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), a.DateCreated.Compare(b.DateCreated), cmp.Compare(a.ID, b.ID))
	})
	return &best, nil
}

// rank orders the payments of one booking by how much they say about it.
func rank(p payment.Response) int {
	switch statusOf(&p) {
	case ports.PaymentPaid:
		return 4
	case ports.PaymentRefunded:
		return 3
	case ports.PaymentPending:
		return 2
	default:
		return 1
	}
}
