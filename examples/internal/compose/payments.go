// Package compose holds the pieces the examples (examples/server, examples/worker,
// examples/lambda) wire the same way: the payment configuration of the MATCHPOINT_*
// payment variables and the gateways it describes. It holds no main and no business
// rules; each example's Wire providers call it.
package compose

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/matchpoint/matchpoint/adapters/payments/mercadopago"
	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/adapters/payments/stripe"
	"github.com/matchpoint/matchpoint/ports"
)

// PaymentsConfig says which payment gateways the deployment has, under which names
// (their webhooks arrive at /v1/webhooks/{name}), and which clubs use which. The
// sandbox is always there, as "sandbox".
type PaymentsConfig struct {
	// Gateways are the gateways besides the sandbox, by name.
	Gateways map[string]GatewayConfig `json:"gateways"`
	// Default is the gateway of the clubs Clubs does not name ("" means sandbox).
	Default string `json:"default"`
	// Clubs maps a club's slug to the name of its gateway.
	Clubs map[string]string `json:"clubs"`
}

// GatewayConfig is one account at a payment provider.
type GatewayConfig struct {
	Provider string `json:"provider"` // stripe or mercadopago
	// SecretKey is a Stripe account's API key.
	SecretKey string `json:"secret_key,omitempty"`
	// AccessToken is a MercadoPago account's private credential.
	AccessToken string `json:"access_token,omitempty"`
	// WebhookSecret verifies the provider's webhooks.
	WebhookSecret string `json:"webhook_secret,omitempty"`
	// APIURL replaces the provider's API address (a local stand-in, an egress proxy).
	APIURL string `json:"api_url,omitempty"`
}

// LogValue shows a gateway's configuration without its secrets.
func (g GatewayConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("provider", g.Provider), slog.String("api_url", g.APIURL),
		slog.Bool("secret_key", g.SecretKey != ""), slog.Bool("access_token", g.AccessToken != ""),
		slog.Bool("webhook_secret", g.WebhookSecret != ""))
}

// String is LogValue's text, so that printing a GatewayConfig shows no secret.
func (g GatewayConfig) String() string { return g.LogValue().String() }

// PaymentVars are the payment variables: the JSON file of MATCHPOINT_GATEWAYS_FILE,
// the shortcuts for one account per provider (MATCHPOINT_STRIPE_*,
// MATCHPOINT_MERCADOPAGO_*), MATCHPOINT_CLUB_GATEWAYS and MATCHPOINT_DEFAULT_GATEWAY.
// LoadPayments makes a PaymentsConfig of them.
type PaymentVars struct {
	GatewaysFile             string `env:"MATCHPOINT_GATEWAYS_FILE" help:"a JSON file of named gateways (one account per club if need be) and the clubs that use them"`
	StripeSecretKey          string `env:"MATCHPOINT_STRIPE_SECRET_KEY" secret:"true" help:"the secret key of a Stripe account, the gateway named stripe"`
	StripeWebhookSecret      string `env:"MATCHPOINT_STRIPE_WEBHOOK_SECRET" secret:"true" help:"that Stripe account's webhook signing secret"`
	MercadoPagoAccessToken   string `env:"MATCHPOINT_MERCADOPAGO_ACCESS_TOKEN" secret:"true" help:"the access token of a MercadoPago account, the gateway named mercadopago"`
	MercadoPagoWebhookSecret string `env:"MATCHPOINT_MERCADOPAGO_WEBHOOK_SECRET" secret:"true" help:"that MercadoPago account's webhook secret"`
	StripeAPIURL             string `env:"MATCHPOINT_STRIPE_API_URL" default:"the provider's" help:"another address for Stripe's API (an egress proxy, a local stand-in)"`
	MercadoPagoAPIURL        string `env:"MATCHPOINT_MERCADOPAGO_API_URL" default:"the provider's" help:"another address for MercadoPago's API"`
	ClubGateways             string `env:"MATCHPOINT_CLUB_GATEWAYS" want:"slug=gateway pairs separated by commas" help:"slug=gateway pairs separated by commas: which club pays through which gateway"`
	DefaultGateway           string `env:"MATCHPOINT_DEFAULT_GATEWAY" default:"sandbox" help:"the gateway of every club not named in MATCHPOINT_CLUB_GATEWAYS (over the file's default)"`
}

// LoadPayments makes the payment configuration of v: the gateways file's, then the
// accounts of the shortcuts, the clubs' gateways and the default gateway over it.
func LoadPayments(v PaymentVars) (PaymentsConfig, error) {
	var p PaymentsConfig
	if path := v.GatewaysFile; path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return p, fmt.Errorf("MATCHPOINT_GATEWAYS_FILE: %w", err)
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return p, fmt.Errorf("MATCHPOINT_GATEWAYS_FILE %s: %w", path, err)
		}
	}
	if p.Gateways == nil {
		p.Gateways = map[string]GatewayConfig{}
	}
	if p.Clubs == nil {
		p.Clubs = map[string]string{}
	}
	if v.StripeSecretKey != "" {
		p.Gateways[stripe.Provider] = GatewayConfig{Provider: stripe.Provider, SecretKey: v.StripeSecretKey,
			WebhookSecret: v.StripeWebhookSecret, APIURL: v.StripeAPIURL}
	}
	if v.MercadoPagoAccessToken != "" {
		p.Gateways[mercadopago.Provider] = GatewayConfig{Provider: mercadopago.Provider, AccessToken: v.MercadoPagoAccessToken,
			WebhookSecret: v.MercadoPagoWebhookSecret, APIURL: v.MercadoPagoAPIURL}
	}
	if v.ClubGateways != "" {
		for pair := range strings.SplitSeq(v.ClubGateways, ",") {
			slug, name, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if !ok || slug == "" || name == "" {
				return p, fmt.Errorf("MATCHPOINT_CLUB_GATEWAYS=%q: want slug=gateway pairs separated by commas", v.ClubGateways)
			}
			p.Clubs[slug] = name
		}
	}
	if v.DefaultGateway != "" {
		p.Default = v.DefaultGateway
	}
	if p.Default == "" {
		p.Default = sandbox.Provider
	}
	for name, g := range p.Gateways {
		if name == sandbox.Provider {
			return p, fmt.Errorf("payment gateways: %q is the sandbox's name", name)
		}
		switch g.Provider {
		case stripe.Provider:
			if g.SecretKey == "" || g.WebhookSecret == "" {
				return p, fmt.Errorf("payment gateway %q: Stripe needs a secret key and a webhook secret (MATCHPOINT_STRIPE_SECRET_KEY, MATCHPOINT_STRIPE_WEBHOOK_SECRET)", name)
			}
		case mercadopago.Provider:
			if g.AccessToken == "" || g.WebhookSecret == "" {
				return p, fmt.Errorf("payment gateway %q: MercadoPago needs an access token and a webhook secret (MATCHPOINT_MERCADOPAGO_ACCESS_TOKEN, MATCHPOINT_MERCADOPAGO_WEBHOOK_SECRET)", name)
			}
		default:
			return p, fmt.Errorf("payment gateway %q: unknown provider %q (want stripe or mercadopago)", name, g.Provider)
		}
	}
	known := func(name string) bool { _, ok := p.Gateways[name]; return ok || name == sandbox.Provider }
	if !known(p.Default) {
		return p, fmt.Errorf("MATCHPOINT_DEFAULT_GATEWAY: no gateway %q", p.Default)
	}
	for slug, name := range p.Clubs {
		if !known(name) {
			return p, fmt.Errorf("MATCHPOINT_CLUB_GATEWAYS: club %q uses gateway %q, which is not configured", slug, name)
		}
	}
	return p, nil
}

// Gateways returns the deployment's payment gateways: sb, the sandbox, and those of
// cfg, each told where its webhooks arrive (url, the public address, then
// /v1/webhooks/{name}) and logged without its secrets. A gateway that cannot be built
// fails with an error naming it.
func Gateways(cfg PaymentsConfig, sb *sandbox.Gateway, url string, clock ports.Clock, log *slog.Logger) (ports.Gateways, error) {
	named := map[string]ports.PaymentGateway{sandbox.Provider: sb}
	for _, name := range slices.Sorted(maps.Keys(cfg.Gateways)) {
		g := cfg.Gateways[name]
		webhook := url + "/v1/webhooks/" + name
		switch g.Provider {
		case stripe.Provider:
			gw, err := stripe.New(stripe.Config{
				SecretKey: g.SecretKey, WebhookSecret: g.WebhookSecret, BackendURL: g.APIURL,
				SuccessURL: url + "/", CancelURL: url + "/", Logger: log,
			})
			if err != nil {
				return nil, fmt.Errorf("payment gateway %q: %w", name, err)
			}
			named[name] = gw
		case mercadopago.Provider:
			gw, err := mercadopago.New(mercadopago.Config{
				AccessToken: g.AccessToken, WebhookSecret: g.WebhookSecret, NotificationURL: webhook, BaseURL: g.APIURL,
				BackURLs: mercadopago.BackURLs{Success: url + "/", Pending: url + "/", Failure: url + "/"},
				Clock:    clock,
			})
			if err != nil {
				return nil, fmt.Errorf("payment gateway %q: %w", name, err)
			}
			named[name] = gw
		}
		log.Info("payment gateway", "name", name, "config", g, "webhook", webhook)
	}
	return ports.NewGatewaySet(named, cfg.Default, cfg.Clubs)
}
