package sandbox

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/wire"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// ProviderSet provides a *Gateway as ports.PaymentGateway from a Config.
var ProviderSet = wire.NewSet(New, wire.Bind(new(ports.PaymentGateway), new(*Gateway)))

// Provider is the name of the sandbox gateway in webhook URLs and stored events.
const Provider = "sandbox"

// DefaultTolerance is how old a webhook signature may be when Config.Tolerance is zero.
const DefaultTolerance = 5 * time.Minute

// Config configures a Gateway.
type Config struct {
	// BaseURL is the public URL of the server that serves Handler, such as
	// http://127.0.0.1:8080; checkout URLs start with it. Required.
	BaseURL string
	// WebhookURL is where events are delivered. Empty means
	// BaseURL + "/v1/webhooks/sandbox".
	WebhookURL string
	// Secret is the HMAC key that signs and verifies webhooks. Required.
	Secret string
	// Client delivers webhooks. Nil means a client with a 10-second timeout.
	Client *http.Client
	// Clock dates events and checks signature timestamps. Nil means ports.SystemClock.
	Clock ports.Clock
	// IDs names checkouts, payments, refunds and events. Nil means random hex ids.
	IDs ports.IDs
	// Tolerance is how far a signature's timestamp may be from now, either way. Zero
	// means DefaultTolerance.
	Tolerance time.Duration
	// Logger receives failed webhook deliveries. Nil means slog.Default().
	Logger *slog.Logger
}

// Gateway is the sandbox payment provider and its client. It is safe for concurrent use.
type Gateway struct {
	baseURL    string
	webhookURL string
	secret     []byte
	client     *http.Client
	clock      ports.Clock
	ids        ports.IDs
	tolerance  time.Duration
	log        *slog.Logger

	mu        sync.Mutex
	checkouts map[string]*checkout // by checkout ref
	byBooking map[string]*checkout
	byPayment map[string]*checkout // by payment ref, once paid
	refunds   map[string]refund    // by idempotency key
	events    map[string][]byte    // bodies of sent events, by id
}

// checkout is a checkout and the payment made through it.
type checkout struct {
	ref         string
	paymentRef  string // set when paid
	bookingID   string
	clubID      string
	description string
	email       string
	amount      domain.Money // asked
	expiresAt   time.Time
	status      ports.PaymentStatus
	paid        domain.Money // what was paid, once paid
	refunded    int64        // minor units refunded so far
}

type refund struct {
	id          string
	checkoutRef string
	amount      domain.Money
}

// New returns a sandbox gateway with no checkouts.
func New(cfg Config) (*Gateway, error) {
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, domain.Errorf(domain.CodeInvalid, "sandbox: base URL %q must be an absolute http(s) URL", cfg.BaseURL)
	}
	if cfg.Secret == "" {
		return nil, domain.Errorf(domain.CodeInvalid, "sandbox: a webhook secret is required")
	}
	baseURL := strings.TrimSuffix(cfg.BaseURL, "/")
	if cfg.WebhookURL == "" {
		cfg.WebhookURL = baseURL + "/v1/webhooks/" + Provider
	}
	if u, err := url.Parse(cfg.WebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, domain.Errorf(domain.CodeInvalid, "sandbox: webhook URL %q must be an absolute http(s) URL", cfg.WebhookURL)
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Clock == nil {
		cfg.Clock = ports.SystemClock{}
	}
	if cfg.IDs == nil {
		cfg.IDs = randomIDs{}
	}
	if cfg.Tolerance <= 0 {
		cfg.Tolerance = DefaultTolerance
	}
	return &Gateway{
		baseURL:    baseURL,
		webhookURL: cfg.WebhookURL,
		secret:     []byte(cfg.Secret),
		client:     cfg.Client,
		clock:      cfg.Clock,
		ids:        cfg.IDs,
		tolerance:  cfg.Tolerance,
		log:        cfg.Logger,
		checkouts:  map[string]*checkout{},
		byBooking:  map[string]*checkout{},
		byPayment:  map[string]*checkout{},
		refunds:    map[string]refund{},
		events:     map[string][]byte{},
	}, nil
}

type randomIDs struct{}

func (randomIDs) NewID() string { return strings.ToLower(rand.Text()) }

func (g *Gateway) logger() *slog.Logger {
	if g.log != nil {
		return g.log
	}
	return slog.Default()
}

// Provider returns "sandbox".
func (g *Gateway) Provider() string { return Provider }

// CreateCheckout opens a checkout for a booking, or returns the booking's existing one.
func (g *Gateway) CreateCheckout(_ context.Context, req ports.CheckoutRequest) (ports.Checkout, error) {
	switch {
	case req.BookingID == "":
		return ports.Checkout{}, domain.Errorf(domain.CodeInvalid, "sandbox: a checkout needs a booking id")
	case req.Amount.Currency().IsZero() || req.Amount.Amount() <= 0:
		return ports.Checkout{}, domain.Errorf(domain.CodeInvalid, "sandbox: checkout amount %s must be positive", req.Amount)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.byBooking[req.BookingID]; ok {
		return g.checkoutOf(c), nil
	}
	c := &checkout{
		ref:         "cs_" + g.ids.NewID(),
		bookingID:   req.BookingID,
		clubID:      req.ClubID,
		description: req.Description,
		email:       req.CustomerEmail,
		amount:      req.Amount,
		expiresAt:   req.ExpiresAt,
		status:      ports.PaymentPending,
	}
	g.checkouts[c.ref] = c
	g.byBooking[c.bookingID] = c
	return g.checkoutOf(c), nil
}

func (g *Gateway) checkoutOf(c *checkout) ports.Checkout {
	return ports.Checkout{Ref: c.ref, URL: g.baseURL + "/sandbox/checkout/" + url.PathEscape(c.ref)}
}

// find returns the checkout of a checkout or payment reference. The caller holds mu.
func (g *Gateway) find(ref string) (*checkout, error) {
	if c, ok := g.checkouts[ref]; ok {
		return c, nil
	}
	if c, ok := g.byPayment[ref]; ok {
		return c, nil
	}
	return nil, domain.Errorf(domain.CodeNotFound, "sandbox: payment %q not found", ref)
}

// GetPayment returns the payment of a checkout reference or of a payment reference.
// Its Ref is the payment reference once paid, the checkout reference before; its
// Amount is what was paid, or what is asked while nothing is.
func (g *Gateway) GetPayment(_ context.Context, ref string) (ports.Payment, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, err := g.find(ref)
	if err != nil {
		return ports.Payment{}, err
	}
	return paymentOf(c), nil
}

func paymentOf(c *checkout) ports.Payment {
	p := ports.Payment{Ref: c.ref, BookingID: c.bookingID, Status: c.status, Amount: c.amount}
	if c.paymentRef != "" {
		p.Ref, p.Amount = c.paymentRef, c.paid
	}
	return p
}

// Refund refunds part or all of a paid payment, named by its payment or checkout
// reference. The same idempotency key returns the first refund again; reused for a
// different refund it is a conflict (idempotency_key_reused). Refunding more than is
// left, or a payment that is not paid, is invalid.
func (g *Gateway) Refund(_ context.Context, req ports.RefundRequest) (ports.Refund, error) {
	if req.IdempotencyKey == "" {
		return ports.Refund{}, domain.Errorf(domain.CodeInvalid, "sandbox: a refund needs an idempotency key")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	c, err := g.find(req.PaymentRef)
	if err != nil {
		return ports.Refund{}, err
	}
	if r, ok := g.refunds[req.IdempotencyKey]; ok {
		if r.checkoutRef != c.ref || !r.amount.Equal(req.Amount) {
			return ports.Refund{}, domain.Errorf(domain.CodeIdempotencyKeyReused,
				"sandbox: idempotency key %q was used for a refund of %s", req.IdempotencyKey, r.amount)
		}
		return ports.Refund{ID: r.id, Amount: r.amount}, nil
	}
	return g.refund(c, req.BookingID, req.Amount, req.IdempotencyKey)
}

// refund refunds amount of c's payment. The caller holds mu.
func (g *Gateway) refund(c *checkout, bookingID string, amount domain.Money, key string) (ports.Refund, error) {
	switch {
	case bookingID != "" && bookingID != c.bookingID:
		return ports.Refund{}, domain.Errorf(domain.CodeInvalid, "sandbox: payment %q is not of booking %q", c.ref, bookingID)
	case c.status != ports.PaymentPaid:
		return ports.Refund{}, domain.Errorf(domain.CodeInvalid, "sandbox: payment %q is %s; nothing to refund", c.ref, c.status)
	case amount.Currency() != c.paid.Currency():
		return ports.Refund{}, domain.Errorf(domain.CodeCurrencyMismatch, "sandbox: cannot refund %s of a payment in %s", amount, c.paid.Currency())
	case amount.Amount() <= 0:
		return ports.Refund{}, domain.Errorf(domain.CodeInvalid, "sandbox: refund amount %s must be positive", amount)
	case c.refunded+amount.Amount() > c.paid.Amount():
		left := domain.NewMoney(c.paid.Amount()-c.refunded, c.paid.Currency())
		return ports.Refund{}, domain.Errorf(domain.CodeInvalid, "sandbox: refund of %s exceeds the %s left of payment %q", amount, left, c.ref)
	}
	r := refund{id: "re_" + g.ids.NewID(), checkoutRef: c.ref, amount: amount}
	g.refunds[key] = r
	c.refunded += amount.Amount()
	if c.refunded == c.paid.Amount() {
		c.status = ports.PaymentRefunded
	}
	return ports.Refund{ID: r.id, Amount: r.amount}, nil
}

// ExpireCheckout closes a checkout, by its checkout reference, so that it can no
// longer be paid: it reads expired, its page shows no Pay button and a pay request is
// refused. No event is sent: the club closed it. A checkout expired or declined is
// closed as well (a declined one could be paid again); one expired already is left
// as it is. A checkout that was paid, refunded since or not, is a conflict
// (checkout_paid); an unknown reference is not_found.
func (g *Gateway) ExpireCheckout(_ context.Context, ref string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, ok := g.checkouts[ref]
	if !ok {
		return domain.Errorf(domain.CodeNotFound, "sandbox: checkout %q not found", ref)
	}
	switch c.status {
	case ports.PaymentPaid, ports.PaymentRefunded:
		return domain.Errorf(domain.CodeCheckoutPaid, "sandbox: checkout %q was paid (payment %s)", ref, c.paymentRef)
	case ports.PaymentPending, ports.PaymentFailed:
		c.status = ports.PaymentExpired
	}
	return nil
}
