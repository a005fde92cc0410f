package stripe

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/matchpoint/matchpoint/domain"
)

// Config configures a Gateway. Its String, GoString, Format and LogValue methods redact
// the secrets, so a Config may be printed or logged whole.
type Config struct {
	// SecretKey is the API key of the club's Stripe account: sk_live_…, sk_test_…, or
	// a restricted key (rk_…) that may write Checkout Sessions and Refunds and read
	// PaymentIntents. Required.
	SecretKey string
	// WebhookSecret is the signing secret of the account's webhook endpoint (whsec_…).
	// Required.
	WebhookSecret string
	// SuccessURL is where Checkout sends the customer after paying; Stripe replaces
	// {CHECKOUT_SESSION_ID} in it with the session id. Required, absolute http(s).
	SuccessURL string
	// CancelURL is where Checkout sends a customer who goes back. Required, absolute
	// http(s).
	CancelURL string
	// BackendURL replaces https://api.stripe.com, for a server that stands in for
	// Stripe, such as stripe-mock. Empty means Stripe.
	BackendURL string
	// HTTPClient makes the API requests. Nil means a client with a 30-second timeout;
	// a request's context bounds it further.
	HTTPClient *http.Client
	// Retries is how many times a request that failed on the network or with a
	// retryable status is tried again, with backoff and the same idempotency key.
	// Zero means stripe-go's default (2); negative means never.
	Retries int
	// Tolerance is how old a webhook signature may be. Zero means five minutes,
	// Stripe's default.
	Tolerance time.Duration
	// Logger receives stripe-go's own messages. Nil means slog.Default().
	Logger *slog.Logger
}

// validate checks cfg and names the first field that is wrong.
func (cfg Config) validate() error {
	switch {
	case cfg.SecretKey == "":
		return domain.Errorf(domain.CodeInvalid, "stripe: Config.SecretKey is required")
	case cfg.WebhookSecret == "":
		return domain.Errorf(domain.CodeInvalid, "stripe: Config.WebhookSecret is required")
	}
	for _, f := range []struct {
		name, value string
		required    bool
	}{
		{"SuccessURL", cfg.SuccessURL, true},
		{"CancelURL", cfg.CancelURL, true},
		{"BackendURL", cfg.BackendURL, false},
	} {
		if f.value == "" && !f.required {
			continue
		}
		if u, err := url.Parse(f.value); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return domain.Errorf(domain.CodeInvalid, "stripe: Config.%s %q must be an absolute http(s) URL", f.name, f.value)
		}
	}
	return nil
}

// keyPrefixes are the public prefixes of Stripe's keys: their kind and mode.
var keyPrefixes = []string{"sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"}

// redactKey keeps what tells keys apart in a log, a known prefix such as sk_live_, and
// hides the rest. An empty key stays empty, so that a missing one shows.
func redactKey(key string) string {
	if key == "" {
		return ""
	}
	for _, p := range keyPrefixes {
		if strings.HasPrefix(key, p) {
			return p + "[redacted]"
		}
	}
	return "[redacted]"
}

// String describes cfg without its secrets.
func (cfg Config) String() string {
	return fmt.Sprintf("stripe.Config{SecretKey:%s WebhookSecret:%s SuccessURL:%s CancelURL:%s BackendURL:%s Retries:%d Tolerance:%s}",
		redactKey(cfg.SecretKey), redactKey(cfg.WebhookSecret), cfg.SuccessURL, cfg.CancelURL, cfg.BackendURL, cfg.Retries, cfg.Tolerance)
}

// GoString is String, so that %#v redacts too.
func (cfg Config) GoString() string { return cfg.String() }

// Format prints String for every verb; without it %d or %x would print the fields,
// secrets included.
func (cfg Config) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, cfg.String()) }

// LogValue logs cfg as a group without its secrets.
func (cfg Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("secret_key", redactKey(cfg.SecretKey)),
		slog.String("webhook_secret", redactKey(cfg.WebhookSecret)),
		slog.String("success_url", cfg.SuccessURL),
		slog.String("cancel_url", cfg.CancelURL),
		slog.String("backend_url", cfg.BackendURL),
		slog.Int("retries", cfg.Retries),
		slog.Duration("tolerance", cfg.Tolerance),
	)
}

// leveledLogger passes stripe-go's messages to a slog.Logger. Every failure stripe-go
// logs is also returned to the caller, who decides how loud it is, so failures and
// request lines are debug; retries, which no caller sees, are warnings. stripe-go's
// debug messages are dropped: they are whole response bodies, with client secrets and
// customers' emails.
type leveledLogger struct{ log *slog.Logger }

func (l leveledLogger) Debugf(string, ...any) {}

func (l leveledLogger) Infof(format string, v ...any) { l.logf(slog.LevelDebug, format, v...) }

func (l leveledLogger) Warnf(format string, v ...any) { l.logf(slog.LevelWarn, format, v...) }

func (l leveledLogger) Errorf(format string, v ...any) { l.logf(slog.LevelDebug, format, v...) }

func (l leveledLogger) logf(level slog.Level, format string, v ...any) {
	if !l.log.Enabled(context.Background(), level) {
		return
	}
	l.log.Log(context.Background(), level, "stripe-go: "+fmt.Sprintf(format, v...))
}
