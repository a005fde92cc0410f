package stripe

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	stripego "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// SignatureHeader is the header that carries a webhook's signature.
const SignatureHeader = "Stripe-Signature"

// ParseWebhook verifies a webhook's Stripe-Signature and returns its event. A missing,
// malformed, wrong or stale signature is unauthorized (bad_signature); a signed body
// that is not an event, or an event the gateway does not handle (see the package
// documentation), is invalid.
func (g *Gateway) ParseWebhook(header http.Header, body []byte) (ports.PaymentEvent, error) {
	ev, err := webhook.ConstructEventWithOptions(body, header.Get(SignatureHeader), g.webhookSecret, webhook.ConstructEventOptions{
		Tolerance: g.tolerance,
		// The objects are read field by field below; see "Webhooks" in doc.go.
		IgnoreAPIVersionMismatch: true,
	})
	switch {
	case errors.Is(err, webhook.ErrNotSigned), errors.Is(err, webhook.ErrInvalidHeader),
		errors.Is(err, webhook.ErrNoValidSignature), errors.Is(err, webhook.ErrTooOld):
		return ports.PaymentEvent{}, wrap(domain.CodeBadSignature, err, "stripe: webhook signature: %v", err)
	case err != nil:
		return ports.PaymentEvent{}, wrap(domain.CodeInvalid, err, "stripe: webhook body is not an event: %v", err)
	case ev.ID == "" || ev.Object != "event" || ev.Data == nil:
		return ports.PaymentEvent{}, domain.Errorf(domain.CodeInvalid, "stripe: webhook body is not an event")
	}

	out := ports.PaymentEvent{Provider: Provider, EventID: ev.ID, At: time.Unix(ev.Created, 0).UTC()}
	switch ev.Type {
	case stripego.EventTypeCheckoutSessionCompleted, stripego.EventTypeCheckoutSessionAsyncPaymentSucceeded:
		s, err := object[stripego.CheckoutSession](ev, "checkout.session")
		if err != nil {
			return ports.PaymentEvent{}, err
		}
		if s.PaymentStatus != stripego.CheckoutSessionPaymentStatusPaid || s.PaymentIntent == nil {
			// Completed but not paid yet (a payment method that settles later):
			// checkout.session.async_payment_succeeded or _failed will follow.
			out.Type, out.PaymentRef = ports.EventPending, s.ID
			if s.PaymentIntent != nil {
				out.PaymentRef = s.PaymentIntent.ID
			}
			return sessionEvent(out, s)
		}
		out.Type, out.PaymentRef = ports.EventPaid, s.PaymentIntent.ID
		return sessionEvent(out, s)
	case stripego.EventTypeCheckoutSessionAsyncPaymentFailed, stripego.EventTypeCheckoutSessionExpired:
		s, err := object[stripego.CheckoutSession](ev, "checkout.session")
		if err != nil {
			return ports.PaymentEvent{}, err
		}
		out.Type, out.PaymentRef = ports.EventExpired, s.ID
		if ev.Type == stripego.EventTypeCheckoutSessionAsyncPaymentFailed {
			out.Type = ports.EventFailed
		}
		if s.PaymentIntent != nil {
			out.PaymentRef = s.PaymentIntent.ID
		}
		return sessionEvent(out, s)
	case stripego.EventTypePaymentIntentPaymentFailed:
		pi, err := object[stripego.PaymentIntent](ev, "payment_intent")
		if err != nil {
			return ports.PaymentEvent{}, err
		}
		out.Type, out.PaymentRef, out.BookingID = ports.EventFailed, pi.ID, pi.Metadata[metaBooking]
		out.Amount, err = money(pi.Amount, pi.Currency)
		return checked(out, err)
	case stripego.EventTypeChargeRefunded:
		ch, err := object[stripego.Charge](ev, "charge")
		if err != nil {
			return ports.PaymentEvent{}, err
		}
		// A charge carries the metadata its PaymentIntent had when it was made.
		out.Type, out.BookingID = ports.EventRefunded, ch.Metadata[metaBooking]
		if ch.PaymentIntent != nil {
			out.PaymentRef = ch.PaymentIntent.ID
		}
		out.Amount, err = money(ch.AmountRefunded, ch.Currency)
		return checked(out, err)
	}
	// An event type Match Point does not use: acknowledged, so that Stripe stops sending it.
	out.Type = ports.EventUnrelated
	return out, nil
}

// object decodes the object of ev, which must be of the given Stripe object type.
func object[T any](ev stripego.Event, typ string) (*T, error) {
	var head struct {
		Object string `json:"object"`
	}
	var v T
	if err := json.Unmarshal(ev.Data.Raw, &head); err != nil || head.Object != typ {
		return nil, domain.Errorf(domain.CodeInvalid, "stripe: event %s of type %s does not carry a %s", ev.ID, ev.Type, typ)
	}
	if err := json.Unmarshal(ev.Data.Raw, &v); err != nil {
		return nil, wrap(domain.CodeInvalid, err, "stripe: event %s: the %s does not decode: %v", ev.ID, typ, err)
	}
	return &v, nil
}

// sessionEvent completes an event about a Checkout Session.
func sessionEvent(out ports.PaymentEvent, s *stripego.CheckoutSession) (ports.PaymentEvent, error) {
	out.BookingID = bookingOfSession(s)
	var err error
	out.Amount, err = money(s.AmountTotal, s.Currency)
	return checked(out, err)
}

// checked returns out if it is complete: every event names its booking and payment.
func checked(out ports.PaymentEvent, err error) (ports.PaymentEvent, error) {
	switch {
	case err != nil:
		return ports.PaymentEvent{}, wrap(domain.CodeInvalid, err, "stripe: event %s: %v", out.EventID, err)
	case out.BookingID == "":
		// No booking metadata: a sale made on the account outside Match Point.
		return ports.PaymentEvent{Provider: out.Provider, EventID: out.EventID, Type: ports.EventUnrelated, At: out.At}, nil
	case out.PaymentRef == "":
		return ports.PaymentEvent{}, domain.Errorf(domain.CodeInvalid, "stripe: event %s names no payment", out.EventID)
	}
	return out, nil
}
