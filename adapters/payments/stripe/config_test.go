package stripe_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/payments/stripe"
	"github.com/matchpoint/matchpoint/domain"
)

func validConfig() stripe.Config {
	return stripe.Config{
		SecretKey:     "sk_live_51SECRETapikey",
		WebhookSecret: "whsec_SECRETsigning",
		SuccessURL:    "https://club.example/paid",
		CancelURL:     "https://club.example/cancelled",
	}
}

func TestNewNamesTheBadField(t *testing.T) {
	t.Parallel()
	for field, edit := range map[string]func(*stripe.Config){
		"SecretKey":     func(c *stripe.Config) { c.SecretKey = "" },
		"WebhookSecret": func(c *stripe.Config) { c.WebhookSecret = "" },
		"SuccessURL":    func(c *stripe.Config) { c.SuccessURL = "/paid" },
		"CancelURL":     func(c *stripe.Config) { c.CancelURL = "" },
		"BackendURL":    func(c *stripe.Config) { c.BackendURL = "127.0.0.1:12111" },
	} {
		cfg := validConfig()
		edit(&cfg)

		_, err := stripe.New(cfg)

		assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), field)
		assert.ErrorContains(t, err, "Config."+field)
	}
	_, err := stripe.New(validConfig())
	assert.NoError(t, err)
}

func TestSecretsAreNotPrinted(t *testing.T) {
	t.Parallel()
	cfg := validConfig()
	gw, err := stripe.New(cfg)
	require.NoError(t, err)

	var printed []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		for _, v := range []any{cfg, &cfg, struct{ Stripe stripe.Config }{cfg}, gw} {
			printed = append(printed, fmt.Sprintf(verb, v))
		}
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("starting", "stripe", cfg)
	printed = append(printed, logged.String())

	for _, s := range printed {
		assert.NotContains(t, s, "SECRET")
	}
	assert.Contains(t, cfg.String(), "sk_live_[redacted]", "the key's mode is worth seeing")
	assert.Contains(t, logged.String(), `"secret_key":"sk_live_[redacted]"`)
	assert.Contains(t, logged.String(), `"success_url":"https://club.example/paid"`)
}

func TestStripeGoLogsNoSecrets(t *testing.T) {
	t.Parallel()
	const key = "sk_test_SECRETapikey"
	var logged bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnv(t, func(c *stripe.Config) { c.SecretKey, c.Logger = key, logger })

	pi := e.paid(t, "booking-1")
	_, err := e.gw.GetPayment(context.Background(), "cs_does_not_exist")
	require.Error(t, err)
	_, err = e.gw.GetPayment(context.Background(), pi)
	require.NoError(t, err)

	assert.NotEmpty(t, logged.String(), "stripe-go's messages reach the logger")
	assert.NotContains(t, logged.String(), "SECRET")
	assert.NotContains(t, logged.String(), "_secret_", "a client secret was logged")
}

func TestRetries(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		retries  int
		requests int
	}{
		{-1, 1},
		{1, 2},
	} {
		e := newEnv(t, func(cfg *stripe.Config) { cfg.Retries = c.retries })
		e.acct.FailWith(http.StatusServiceUnavailable)

		_, err := e.gw.GetPayment(context.Background(), "cs_test_1")

		assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err))
		assert.Len(t, e.acct.Requests(), c.requests, "Retries %d", c.retries)
	}
}
