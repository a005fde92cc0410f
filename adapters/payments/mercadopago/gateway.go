package mercadopago

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/wire"
	"github.com/mercadopago/sdk-go/pkg/config"
	"github.com/mercadopago/sdk-go/pkg/payment"
	"github.com/mercadopago/sdk-go/pkg/preference"
	"github.com/mercadopago/sdk-go/pkg/refund"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// ProviderSet provides a *Gateway as ports.PaymentGateway from a Config.
var ProviderSet = wire.NewSet(New, wire.Bind(new(ports.PaymentGateway), new(*Gateway)))

// Provider is the name of the MercadoPago gateway in webhook URLs and stored events.
const Provider = "mercadopago"

// Defaults for the zero values of Config.
const (
	// DefaultTolerance is how far a webhook signature's timestamp may be from now.
	DefaultTolerance = 5 * time.Minute
	// DefaultWebhookTimeout bounds the API call ParseWebhook makes to read a payment.
	DefaultWebhookTimeout = 10 * time.Second
	// DefaultBaseURL is MercadoPago's API, where the SDK sends every request.
	DefaultBaseURL = "https://api.mercadopago.com"
)

// BackURLs are the pages MercadoPago sends the customer back to after a checkout.
// Empty fields leave MercadoPago's defaults.
type BackURLs struct {
	Success string
	Pending string
	Failure string
}

// Config configures a Gateway. AccessToken, WebhookSecret and NotificationURL are
// required; every other zero value has a documented default.
type Config struct {
	// AccessToken is the account's private API credential (APP_USR-… or TEST-…).
	AccessToken string
	// WebhookSecret is the application's webhook signing secret, shown in "Your
	// integrations" → Webhooks.
	WebhookSecret string
	// NotificationURL is where MercadoPago posts payment notifications, such as
	// https://api.example.com/v1/webhooks/mercadopago. Without a source_news query
	// parameter, source_news=webhooks is added: it asks for signed Webhooks
	// notifications only, not the unsigned IPN ones this gateway cannot verify.
	NotificationURL string
	// BackURLs are the customer's return pages. With a Success page, an approved
	// customer returns automatically (auto_return=approved).
	BackURLs BackURLs
	// BaseURL replaces https://api.mercadopago.com as the API's address, for a
	// local stand-in or an egress proxy. Empty means DefaultBaseURL.
	BaseURL string
	// HTTPClient sends the API requests. Nil means a client with a 10-second
	// timeout. The gateway does not retry: callers (the job queue) do.
	HTTPClient *http.Client
	// Clock dates checkouts and checks webhook timestamps. Nil means ports.SystemClock.
	Clock ports.Clock
	// Tolerance is how far a webhook signature's timestamp may be from now, either
	// way. Zero means DefaultTolerance. It must cover MercadoPago's redeliveries if
	// those keep the first delivery's timestamp: a redelivery signed too long ago is
	// refused, and only the next notification of the payment is taken.
	Tolerance time.Duration
	// WebhookTimeout bounds the payment lookup inside ParseWebhook, which has no
	// context of its own. Zero means DefaultWebhookTimeout.
	WebhookTimeout time.Duration
}

func redacted(secret string) string {
	if secret == "" {
		return ""
	}
	return "[redacted]"
}

// String formats c with its secrets redacted, so that printing a Config is safe.
func (c Config) String() string {
	return fmt.Sprintf("mercadopago.Config{AccessToken:%s WebhookSecret:%s NotificationURL:%s BaseURL:%s}",
		redacted(c.AccessToken), redacted(c.WebhookSecret), c.NotificationURL, c.BaseURL)
}

// GoString is String, so that %#v redacts as well.
func (c Config) GoString() string { return c.String() }

// LogValue logs c with its secrets redacted.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("access_token", redacted(c.AccessToken)),
		slog.String("webhook_secret", redacted(c.WebhookSecret)),
		slog.String("notification_url", c.NotificationURL),
		slog.String("base_url", c.BaseURL),
	)
}

// Gateway is a ports.PaymentGateway on MercadoPago's Checkout Pro. It keeps no
// state of its own, so any number of server instances may share an account. It is
// safe for concurrent use.
type Gateway struct {
	preferences preference.Client
	payments    payment.Client
	refunds     refund.Client

	secret          []byte
	notificationURL string
	backURLs        BackURLs
	clock           ports.Clock
	tolerance       time.Duration
	webhookTimeout  time.Duration
}

// New returns a gateway for the account of cfg.AccessToken.
func New(cfg Config) (*Gateway, error) {
	switch {
	case cfg.AccessToken == "":
		return nil, invalidf("mercadopago: an access token is required")
	case cfg.WebhookSecret == "":
		return nil, invalidf("mercadopago: a webhook secret is required")
	}
	notify, err := notificationURL(cfg.NotificationURL)
	if err != nil {
		return nil, err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, invalidf("mercadopago: base URL %q must be an absolute http(s) URL", cfg.BaseURL)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Clock == nil {
		cfg.Clock = ports.SystemClock{}
	}
	if cfg.Tolerance <= 0 {
		cfg.Tolerance = DefaultTolerance
	}
	if cfg.WebhookTimeout <= 0 {
		cfg.WebhookTimeout = DefaultWebhookTimeout
	}
	// WithHTTPClient replaces the SDK's default requester, which would ignore
	// cfg.HTTPClient and retry on its own.
	sdk, err := config.New(cfg.AccessToken, config.WithHTTPClient(&requester{client: cfg.HTTPClient, base: base}))
	if err != nil {
		return nil, invalidf("mercadopago: %v", err)
	}
	return &Gateway{
		preferences:     preference.NewClient(sdk),
		payments:        payment.NewClient(sdk),
		refunds:         refund.NewClient(sdk),
		secret:          []byte(cfg.WebhookSecret),
		notificationURL: notify,
		backURLs:        cfg.BackURLs,
		clock:           cfg.Clock,
		tolerance:       cfg.Tolerance,
		webhookTimeout:  cfg.WebhookTimeout,
	}, nil
}

// notificationURL checks raw and asks for Webhooks notifications only, unless it
// already says which it wants.
func notificationURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", invalidf("mercadopago: notification URL %q must be an absolute http(s) URL", raw)
	}
	q := u.Query()
	if !q.Has("source_news") {
		q.Set("source_news", "webhooks")
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// String describes g without its credentials.
func (g *Gateway) String() string {
	return "mercadopago.Gateway{notification_url=" + g.notificationURL + "}"
}

// GoString is String, so that %#v does not print the credentials either.
func (g *Gateway) GoString() string { return g.String() }

// LogValue logs g without its credentials.
func (g *Gateway) LogValue() slog.Value {
	return slog.GroupValue(slog.String("provider", Provider), slog.String("notification_url", g.notificationURL))
}

// Provider returns "mercadopago".
func (g *Gateway) Provider() string { return Provider }

// requester is the SDK's transport. It sends requests through the configured
// client, to the configured base URL, and sets the idempotency key the context
// carries: the SDK sends a random X-Idempotency-Key with every POST and has no
// per-request option to choose one.
type requester struct {
	client *http.Client
	base   *url.URL
}

// apiHost is where the SDK addresses every request.
const apiHost = "api.mercadopago.com"

func (r *requester) Do(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	if out.URL.Host == apiHost {
		out.URL.Scheme = r.base.Scheme
		out.URL.Host = r.base.Host
		out.URL.Path = strings.TrimSuffix(r.base.Path, "/") + out.URL.Path
		out.URL.RawPath = ""
		out.Host = ""
	}
	if key, ok := req.Context().Value(idempotencyKey{}).(string); ok && out.Method != http.MethodGet {
		out.Header.Set("X-Idempotency-Key", key)
	}
	return r.client.Do(out)
}

type idempotencyKey struct{}

// withIdempotencyKey makes the POST sent with ctx carry key as its X-Idempotency-Key.
func withIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, key)
}

func invalidf(format string, args ...any) error {
	return domain.Errorf(domain.CodeInvalid, format, args...)
}
