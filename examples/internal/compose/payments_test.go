package compose

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/examples/internal/envconf"
	"github.com/matchpoint/matchpoint/ports"
)

func TestPaymentsConfig(t *testing.T) {
	load := func(kv map[string]string) (PaymentsConfig, error) {
		var v PaymentVars
		if _, err := envconf.Read(func(k string) string { return kv[k] }, &v); err != nil {
			return PaymentsConfig{}, err
		}
		return LoadPayments(v)
	}

	p, err := load(nil)
	require.NoError(t, err)
	assert.Equal(t, "sandbox", p.Default, "every club uses the sandbox by default")
	assert.Empty(t, p.Gateways)

	p, err = load(map[string]string{
		"MATCHPOINT_MERCADOPAGO_ACCESS_TOKEN":   "TEST-token",
		"MATCHPOINT_MERCADOPAGO_WEBHOOK_SECRET": "mp-secret",
		"MATCHPOINT_CLUB_GATEWAYS":              "demo=mercadopago, other=sandbox",
	})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"demo": "mercadopago", "other": "sandbox"}, p.Clubs)
	assert.Equal(t, "mercadopago", p.Gateways["mercadopago"].Provider)
	assert.NotContains(t, p.Gateways["mercadopago"].String(), "TEST-token", "a printed configuration shows no secret")
	assert.NotContains(t, p.Gateways["mercadopago"].String(), "mp-secret")

	dir := t.TempDir()
	file := filepath.Join(dir, "gateways.json")
	require.NoError(t, os.WriteFile(file, []byte(`{
		"gateways": {"mp-riverside": {"provider": "mercadopago", "access_token": "APP_USR-1", "webhook_secret": "s1"}},
		"default": "mp-riverside",
		"clubs": {"demo": "sandbox"}
	}`), 0o600))
	p, err = load(map[string]string{"MATCHPOINT_GATEWAYS_FILE": file})
	require.NoError(t, err)
	assert.Equal(t, "mp-riverside", p.Default)
	assert.Equal(t, map[string]string{"demo": "sandbox"}, p.Clubs)

	for name, kv := range map[string]map[string]string{
		"MATCHPOINT_CLUB_GATEWAYS":              {"MATCHPOINT_CLUB_GATEWAYS": "demo=nowhere"},
		"MATCHPOINT_DEFAULT_GATEWAY":            {"MATCHPOINT_DEFAULT_GATEWAY": "nowhere"},
		"MATCHPOINT_MERCADOPAGO_WEBHOOK_SECRET": {"MATCHPOINT_MERCADOPAGO_ACCESS_TOKEN": "TEST-token"},
		"MATCHPOINT_STRIPE_WEBHOOK_SECRET":      {"MATCHPOINT_STRIPE_SECRET_KEY": "sk_test_1"},
		"MATCHPOINT_GATEWAYS_FILE":              {"MATCHPOINT_GATEWAYS_FILE": filepath.Join(dir, "missing.json")},
	} {
		_, err := load(kv)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), name)
	}
	require.NoError(t, os.WriteFile(file, []byte(`{"gateways": {"x": {"provider": "paypal"}}}`), 0o600))
	_, err = load(map[string]string{"MATCHPOINT_GATEWAYS_FILE": file})
	assert.ErrorContains(t, err, "unknown provider")
	require.NoError(t, os.WriteFile(file, []byte(`{"gatewayz": {}}`), 0o600))
	_, err = load(map[string]string{"MATCHPOINT_GATEWAYS_FILE": file})
	assert.ErrorContains(t, err, "MATCHPOINT_GATEWAYS_FILE", "unknown fields are refused")
}

// The gateways are the sandbox and the configured accounts; clubs use theirs,
// and the log names them without their secrets.
func TestGateways(t *testing.T) {
	sb, err := sandbox.New(sandbox.Config{BaseURL: "http://127.0.0.1:1", Secret: "a sandbox secret of at least 32 bytes!"})
	require.NoError(t, err)
	var logs bytes.Buffer
	cfg := PaymentsConfig{
		Gateways: map[string]GatewayConfig{
			"mp-riverside": {Provider: "mercadopago", AccessToken: "APP_USR-secret-token", WebhookSecret: "whsec-secret"},
			"stripe":       {Provider: "stripe", SecretKey: "sk_test_secret_key", WebhookSecret: "whsec_stripe_secret"},
		},
		Default: "sandbox", Clubs: map[string]string{"riverside": "mp-riverside", "demo": "stripe"},
	}
	gws, err := Gateways(cfg, sb, "https://book.example", nil, slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	name, gw, err := gws.ForClub(context.Background(), domain.Club{Slug: "riverside"})
	require.NoError(t, err)
	assert.Equal(t, "mp-riverside", name)
	assert.Equal(t, "mercadopago", gw.Provider())
	name, gw, err = gws.ForClub(context.Background(), domain.Club{Slug: "demo"})
	require.NoError(t, err)
	assert.Equal(t, "stripe", name)
	assert.Equal(t, "stripe", gw.Provider())
	name, gw, err = gws.ForClub(context.Background(), domain.Club{Slug: "other"})
	require.NoError(t, err)
	assert.Equal(t, "sandbox", name)
	assert.Equal(t, ports.PaymentGateway(sb), gw)
	assert.Contains(t, logs.String(), "https://book.example/v1/webhooks/mp-riverside")
	assert.NotContains(t, logs.String(), "APP_USR-secret-token")
	assert.NotContains(t, logs.String(), "whsec-secret")
	assert.NotContains(t, logs.String(), "sk_test_secret_key")
	assert.NotContains(t, logs.String(), "whsec_stripe_secret")
}
