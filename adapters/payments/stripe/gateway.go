package stripe

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/wire"
	stripego "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// ProviderSet provides a *Gateway as ports.PaymentGateway from a Config.
var ProviderSet = wire.NewSet(New, wire.Bind(new(ports.PaymentGateway), new(*Gateway)))

// Provider is the name of the Stripe gateway in webhook URLs and stored events.
const Provider = "stripe"

// checkoutGrace is how long a Checkout Session outlives its booking's hold: Stripe's
// minimum session lifetime of 30 minutes, and a minute for the clocks of Match Point
// and Stripe to disagree.
const checkoutGrace = 31 * time.Minute

// The metadata keys the gateway writes on sessions, PaymentIntents and refunds.
const (
	metaBooking = "booking_id"
	metaClub    = "club_id"
)

// Gateway is a Stripe account seen as a ports.PaymentGateway. It is safe for concurrent
// use; its String and Format methods redact its secrets.
type Gateway struct {
	api           *client.API
	webhookSecret string
	successURL    string
	cancelURL     string
	tolerance     time.Duration
	config        string // Config.String, for String
}

// New returns a gateway to the Stripe account of cfg.SecretKey. It makes no request.
func New(cfg Config) (*Gateway, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Tolerance <= 0 {
		cfg.Tolerance = webhook.DefaultTolerance
	}
	var retries *int64 // nil: stripe-go's default
	if cfg.Retries != 0 {
		retries = stripego.Int64(int64(max(cfg.Retries, 0)))
	}
	backend := func(typ stripego.SupportedBackend) stripego.Backend {
		bc := &stripego.BackendConfig{
			HTTPClient:        cfg.HTTPClient,
			LeveledLogger:     leveledLogger{cfg.Logger},
			MaxNetworkRetries: retries,
		}
		if cfg.BackendURL != "" {
			bc.URL = stripego.String(cfg.BackendURL)
		}
		return stripego.GetBackendWithConfig(typ, bc)
	}
	backends := &stripego.Backends{
		API:     backend(stripego.APIBackend),
		Connect: backend(stripego.ConnectBackend),
		Uploads: backend(stripego.UploadsBackend),
	}
	return &Gateway{
		api:           client.New(cfg.SecretKey, backends),
		webhookSecret: cfg.WebhookSecret,
		successURL:    cfg.SuccessURL,
		cancelURL:     cfg.CancelURL,
		tolerance:     cfg.Tolerance,
		config:        cfg.String(),
	}, nil
}

// String describes g without its secrets.
func (g *Gateway) String() string { return "stripe.Gateway{" + g.config + "}" }

// Format prints String for every verb, so that no verb prints the secrets g holds.
func (g *Gateway) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, g.String()) }

// Provider returns "stripe".
func (g *Gateway) Provider() string { return Provider }

// CreateCheckout opens a Checkout Session for a booking, or returns the one a previous
// call opened: the request's idempotency key is the booking's. The session expires
// 31 minutes after req.ExpiresAt (see the package documentation); a zero ExpiresAt
// leaves Stripe's default of 24 hours.
func (g *Gateway) CreateCheckout(ctx context.Context, req ports.CheckoutRequest) (ports.Checkout, error) {
	if req.BookingID == "" {
		return ports.Checkout{}, domain.Errorf(domain.CodeInvalid, "stripe: a checkout needs a booking id")
	}
	amount, currency, err := stripeAmount(req.Amount)
	if err != nil {
		return ports.Checkout{}, err
	}
	if amount <= 0 {
		return ports.Checkout{}, domain.Errorf(domain.CodeInvalid, "stripe: checkout amount %s must be positive", req.Amount)
	}
	name := req.Description
	if name == "" {
		name = "Booking " + req.BookingID
	}
	metadata := map[string]string{metaBooking: req.BookingID}
	if req.ClubID != "" {
		metadata[metaClub] = req.ClubID
	}
	params := &stripego.CheckoutSessionParams{
		Mode: stripego.String(string(stripego.CheckoutSessionModePayment)),
		LineItems: []*stripego.CheckoutSessionLineItemParams{{
			PriceData: &stripego.CheckoutSessionLineItemPriceDataParams{
				Currency:    stripego.String(currency),
				UnitAmount:  stripego.Int64(amount),
				ProductData: &stripego.CheckoutSessionLineItemPriceDataProductDataParams{Name: stripego.String(name)},
			},
			Quantity: stripego.Int64(1),
		}},
		ClientReferenceID: stripego.String(req.BookingID),
		Metadata:          metadata,
		PaymentIntentData: &stripego.CheckoutSessionPaymentIntentDataParams{
			Description: stripego.String(name),
			Metadata:    metadata,
		},
		SuccessURL: stripego.String(g.successURL),
		CancelURL:  stripego.String(g.cancelURL),
	}
	if req.CustomerEmail != "" {
		params.CustomerEmail = stripego.String(req.CustomerEmail)
	}
	if !req.ExpiresAt.IsZero() {
		params.ExpiresAt = stripego.Int64(req.ExpiresAt.Add(checkoutGrace).Unix())
	}
	params.Context = ctx
	params.SetIdempotencyKey("checkout:" + req.BookingID)
	s, err := g.api.CheckoutSessions.New(params)
	if err != nil {
		return ports.Checkout{}, fromStripe(err, "create a checkout for booking %q", req.BookingID)
	}
	return ports.Checkout{Ref: s.ID, URL: s.URL}, nil
}

// GetPayment returns the payment of a Checkout Session (cs_…) or of a PaymentIntent
// (pi_…); any other reference is not found. Its Ref is the PaymentIntent's id once the
// customer has tried to pay, the session's before; its Amount is what was paid, or what
// is asked while nothing is.
func (g *Gateway) GetPayment(ctx context.Context, ref string) (ports.Payment, error) {
	switch {
	case strings.HasPrefix(ref, "cs_"):
		s, err := g.session(ctx, ref, "payment_intent.latest_charge")
		if err != nil {
			return ports.Payment{}, err
		}
		return paymentOfSession(s)
	case strings.HasPrefix(ref, "pi_"):
		pi, err := g.intent(ctx, ref, "latest_charge")
		if err != nil {
			return ports.Payment{}, err
		}
		return paymentOfIntent(pi)
	}
	return ports.Payment{}, domain.Errorf(domain.CodeNotFound, "stripe: %q is neither a Checkout Session nor a PaymentIntent", ref)
}

// session retrieves a Checkout Session with the given fields expanded.
func (g *Gateway) session(ctx context.Context, id string, expand ...string) (*stripego.CheckoutSession, error) {
	params := &stripego.CheckoutSessionParams{}
	params.Context = ctx
	for _, e := range expand {
		params.AddExpand(e)
	}
	s, err := g.api.CheckoutSessions.Get(id, params)
	if err != nil {
		return nil, fromStripe(err, "get checkout %q", id)
	}
	return s, nil
}

// intent retrieves a PaymentIntent with the given fields expanded.
func (g *Gateway) intent(ctx context.Context, id string, expand ...string) (*stripego.PaymentIntent, error) {
	params := &stripego.PaymentIntentParams{}
	params.Context = ctx
	for _, e := range expand {
		params.AddExpand(e)
	}
	pi, err := g.api.PaymentIntents.Get(id, params)
	if err != nil {
		return nil, fromStripe(err, "get payment %q", id)
	}
	return pi, nil
}

// paymentOfSession maps a session, its PaymentIntent expanded if it has one.
func paymentOfSession(s *stripego.CheckoutSession) (ports.Payment, error) {
	if pi := s.PaymentIntent; pi != nil && pi.Status != "" && s.Status != stripego.CheckoutSessionStatusExpired {
		p, err := paymentOfIntent(pi)
		if p.BookingID == "" {
			p.BookingID = bookingOfSession(s)
		}
		return p, err
	}
	amount, err := money(s.AmountTotal, s.Currency)
	if err != nil {
		return ports.Payment{}, fmt.Errorf("stripe: checkout %q: %w", s.ID, err)
	}
	p := ports.Payment{Ref: s.ID, BookingID: bookingOfSession(s), Status: ports.PaymentPending, Amount: amount}
	switch {
	case s.Status == stripego.CheckoutSessionStatusExpired:
		p.Status = ports.PaymentExpired
	case s.PaymentStatus == stripego.CheckoutSessionPaymentStatusPaid:
		p.Status = ports.PaymentPaid
	}
	return p, nil
}

// paymentOfIntent maps a PaymentIntent, its latest charge expanded if it has one.
func paymentOfIntent(pi *stripego.PaymentIntent) (ports.Payment, error) {
	status, amount := ports.PaymentPending, pi.Amount
	switch pi.Status {
	case stripego.PaymentIntentStatusSucceeded:
		status, amount = ports.PaymentPaid, pi.AmountReceived
		if pi.LatestCharge != nil && pi.LatestCharge.Refunded {
			status = ports.PaymentRefunded
		}
	case stripego.PaymentIntentStatusCanceled:
		status = ports.PaymentExpired
	case stripego.PaymentIntentStatusRequiresPaymentMethod:
		if pi.LastPaymentError != nil {
			status = ports.PaymentFailed
		}
	}
	m, err := money(amount, pi.Currency)
	if err != nil {
		return ports.Payment{}, fmt.Errorf("stripe: payment %q: %w", pi.ID, err)
	}
	return ports.Payment{Ref: pi.ID, BookingID: pi.Metadata[metaBooking], Status: status, Amount: m}, nil
}

// bookingOfSession returns the booking a session pays for.
func bookingOfSession(s *stripego.CheckoutSession) string {
	if s.ClientReferenceID != "" {
		return s.ClientReferenceID
	}
	return s.Metadata[metaBooking]
}

// ExpireCheckout expires a Checkout Session (cs_…), so that the customer can no longer
// complete it; Stripe cancels its PaymentIntent, if the customer started one. Stripe
// expires only open sessions and refuses any other with a 400 whose message alone says
// why, in words that may change: on a refusal the gateway reads the session instead.
// One expired already is not an error; one complete (paid, refunded since or not) is
// a conflict (checkout_paid). Any other reference is not found.
func (g *Gateway) ExpireCheckout(ctx context.Context, ref string) error {
	if !strings.HasPrefix(ref, "cs_") {
		return domain.Errorf(domain.CodeNotFound, "stripe: %q is not a Checkout Session", ref)
	}
	params := &stripego.CheckoutSessionExpireParams{}
	params.Context = ctx
	_, err := g.api.CheckoutSessions.Expire(ref, params)
	if err == nil {
		return nil
	}
	refused := fromStripe(err, "expire checkout %q", ref)
	if domain.ErrorKind(refused) != domain.KindInvalid {
		return refused
	}
	s, err := g.session(ctx, ref)
	if err != nil {
		return err
	}
	switch s.Status {
	case stripego.CheckoutSessionStatusExpired:
		return nil
	case stripego.CheckoutSessionStatusComplete:
		return domain.Errorf(domain.CodeCheckoutPaid, "stripe: checkout %q is complete: it was paid", ref)
	}
	return refused
}
