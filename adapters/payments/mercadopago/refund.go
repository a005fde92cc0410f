package mercadopago

import (
	"context"
	"strconv"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// Refund refunds part or all of a payment, named by its payment id or by its
// checkout's preference id, through POST /v1/payments/{id}/refunds with the
// request's idempotency key as X-Idempotency-Key: MercadoPago answers a repeated key
// with the refund it made the first time.
//
// The gateway does not check what is left to refund itself, since a retry of a
// refund that went through must get that refund back, not a refusal: MercadoPago
// judges, and its refusal (over-refund, a payment not approved) is invalid. A key
// that comes back with a refund of another amount or payment was reused, a
// conflict (idempotency_key_reused). A checkout with no payment is invalid; a
// provider failure is unavailable.
func (g *Gateway) Refund(ctx context.Context, req ports.RefundRequest) (ports.Refund, error) {
	switch {
	case req.IdempotencyKey == "":
		return ports.Refund{}, invalidf("mercadopago: a refund needs an idempotency key")
	case req.Amount.Amount() <= 0:
		return ports.Refund{}, invalidf("mercadopago: refund amount %s must be positive", req.Amount)
	}
	pay, _, err := g.lookup(ctx, req.PaymentRef)
	if err != nil {
		return ports.Refund{}, err
	}
	switch {
	case pay == nil:
		return ports.Refund{}, invalidf("mercadopago: checkout %q has no payment to refund", req.PaymentRef)
	case req.BookingID != "" && pay.ExternalReference != req.BookingID:
		return ports.Refund{}, invalidf("mercadopago: payment %d is not of booking %q", pay.ID, req.BookingID)
	case pay.CurrencyID != req.Amount.Currency().Code():
		return ports.Refund{}, domain.Errorf(domain.CodeCurrencyMismatch,
			"mercadopago: cannot refund %s of a payment in %s", req.Amount, pay.CurrencyID)
	}
	amount, err := decimal(req.Amount)
	if err != nil {
		return ports.Refund{}, err
	}
	what := "refund of payment " + strconv.Itoa(pay.ID)
	r, err := g.refunds.CreatePartialRefund(withIdempotencyKey(ctx, req.IdempotencyKey), pay.ID, amount)
	if err != nil {
		return ports.Refund{}, apiError(err, what, false)
	}
	got, err := money(r.Amount, req.Amount.Currency())
	if err != nil {
		return ports.Refund{}, err
	}
	if r.PaymentID != pay.ID || !got.Equal(req.Amount) {
		return ports.Refund{}, domain.Errorf(domain.CodeIdempotencyKeyReused,
			"mercadopago: idempotency key %q was used for refund %d of %s of payment %d", req.IdempotencyKey, r.ID, got, r.PaymentID)
	}
	return ports.Refund{ID: strconv.Itoa(r.ID), Amount: got}, nil
}
