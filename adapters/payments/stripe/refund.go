package stripe

import (
	"context"
	"strings"

	stripego "github.com/stripe/stripe-go/v76"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// Refund refunds part or all of a paid payment, named by its PaymentIntent or its
// Checkout Session. The request's idempotency key is Stripe's: the same key returns the
// first refund again, and reused for a different refund it is a conflict
// (idempotency_key_reused). A payment that is not paid, that is of another booking or
// currency, or a refund of more than is left, is invalid.
//
// What is left is Stripe's to judge, not the gateway's: a retry of a refund that
// succeeded must get Stripe's stored answer even when nothing is left.
func (g *Gateway) Refund(ctx context.Context, req ports.RefundRequest) (ports.Refund, error) {
	if req.IdempotencyKey == "" {
		return ports.Refund{}, domain.Errorf(domain.CodeInvalid, "stripe: a refund needs an idempotency key")
	}
	amount, currency, err := stripeAmount(req.Amount)
	if err != nil {
		return ports.Refund{}, err
	}
	if amount <= 0 {
		return ports.Refund{}, domain.Errorf(domain.CodeInvalid, "stripe: refund amount %s must be positive", req.Amount)
	}
	pi, booking, err := g.refundable(ctx, req.PaymentRef)
	if err != nil {
		return ports.Refund{}, err
	}
	switch {
	case req.BookingID != "" && booking != req.BookingID:
		return ports.Refund{}, domain.Errorf(domain.CodeInvalid, "stripe: payment %q is not of booking %q", req.PaymentRef, req.BookingID)
	case pi.Status != stripego.PaymentIntentStatusSucceeded:
		return ports.Refund{}, domain.Errorf(domain.CodeInvalid, "stripe: payment %q is %s; nothing to refund", req.PaymentRef, pi.Status)
	case !strings.EqualFold(string(pi.Currency), currency):
		return ports.Refund{}, domain.Errorf(domain.CodeCurrencyMismatch, "stripe: cannot refund %s of a payment in %s", req.Amount, strings.ToUpper(string(pi.Currency)))
	}

	params := &stripego.RefundParams{
		PaymentIntent: stripego.String(pi.ID),
		Amount:        stripego.Int64(amount),
	}
	if booking != "" {
		params.AddMetadata(metaBooking, booking)
	}
	params.Context = ctx
	params.SetIdempotencyKey(req.IdempotencyKey)
	r, err := g.api.Refunds.New(params)
	if err != nil {
		return ports.Refund{}, fromStripe(err, "refund %s of payment %q", req.Amount, pi.ID)
	}
	if r.Status == stripego.RefundStatusFailed || r.Status == stripego.RefundStatusCanceled {
		// Retrying with the key returns this refund again: someone has to look at it.
		return ports.Refund{}, domain.Errorf(domain.CodeInvalid, "stripe: refund %q of payment %q is %s", r.ID, pi.ID, r.Status)
	}
	refunded, err := money(r.Amount, r.Currency)
	if err != nil {
		return ports.Refund{}, err
	}
	return ports.Refund{ID: r.ID, Amount: refunded}, nil
}

// refundable returns the PaymentIntent a payment reference names and the booking it
// pays for. A session that nobody has paid is invalid: there is nothing to refund.
func (g *Gateway) refundable(ctx context.Context, ref string) (*stripego.PaymentIntent, string, error) {
	switch {
	case strings.HasPrefix(ref, "pi_"):
		pi, err := g.intent(ctx, ref)
		if err != nil {
			return nil, "", err
		}
		return pi, pi.Metadata[metaBooking], nil
	case strings.HasPrefix(ref, "cs_"):
		s, err := g.session(ctx, ref, "payment_intent")
		if err != nil {
			return nil, "", err
		}
		if s.PaymentIntent == nil || s.PaymentStatus != stripego.CheckoutSessionPaymentStatusPaid {
			return nil, "", domain.Errorf(domain.CodeInvalid, "stripe: checkout %q is %s and %s; nothing to refund", ref, s.Status, s.PaymentStatus)
		}
		return s.PaymentIntent, bookingOfSession(s), nil
	}
	return nil, "", domain.Errorf(domain.CodeNotFound, "stripe: %q is neither a Checkout Session nor a PaymentIntent", ref)
}
