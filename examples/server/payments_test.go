package main

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/payments/mercadopago/mptest"
	"github.com/matchpoint/matchpoint/adapters/payments/stripe/stripetest"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// TestMain stops the stripe-mock the Stripe test starts.
func TestMain(m *testing.M) {
	code := m.Run()
	if err := stripetest.StopMock(); err != nil {
		fmt.Fprintln(os.Stderr, "stop stripe-mock:", err)
	}
	os.Exit(code)
}

// account is a provider's side, as the server test drives it.
type account struct {
	env      map[string]string               // the server's configuration for it
	gateway  string                          // its name in webhook URLs
	refOf    func(checkoutURL string) string // the checkout's reference in its URL
	pay      func(t testing.TB, ref string, amount domain.Money) (http.Header, []byte)
	asked    func(t testing.TB, ref string) domain.Money
	forge    func(t testing.TB, body []byte) http.Header
	refunds  func(paymentRef string) []domain.Money
	verifier ports.PaymentGateway // reads the provider's events, to learn a payment's reference
}

// TestDemoClubOnStripeAndMercadoPago switches the demo club to each provider through
// the environment, as the README shows, and walks a booking through the real HTTP
// endpoints: the checkout opens at the provider, the provider's signed webhook posted
// to /v1/webhooks/{gateway} confirms it, a forged one is refused, and a cancellation
// is refunded by the provider.
func TestDemoClubOnStripeAndMercadoPago(t *testing.T) {
	for name, start := range map[string]func(t *testing.T) account{
		"stripe": func(t *testing.T) account {
			a := stripetest.Start(t)
			cfg := a.Config()
			return account{
				env: map[string]string{"MATCHPOINT_STRIPE_SECRET_KEY": cfg.SecretKey, "MATCHPOINT_STRIPE_WEBHOOK_SECRET": cfg.WebhookSecret,
					"MATCHPOINT_STRIPE_API_URL": cfg.BackendURL, "MATCHPOINT_CLUB_GATEWAYS": "demo=stripe"},
				gateway: "stripe",
				refOf:   path.Base,
				pay:     a.Pay, asked: a.Asked, forge: a.Forge, refunds: a.Refunds, verifier: a.Gateway(t),
			}
		},
		"mercadopago": func(t *testing.T) account {
			a := mptest.Start(t)
			cfg := a.Config()
			return account{
				env: map[string]string{"MATCHPOINT_MERCADOPAGO_ACCESS_TOKEN": cfg.AccessToken, "MATCHPOINT_MERCADOPAGO_WEBHOOK_SECRET": cfg.WebhookSecret,
					"MATCHPOINT_MERCADOPAGO_API_URL": cfg.BaseURL, "MATCHPOINT_CLUB_GATEWAYS": "demo=mercadopago"},
				gateway: "mercadopago",
				refOf: func(checkoutURL string) string {
					u, err := url.Parse(checkoutURL)
					require.NoError(t, err)
					return u.Query().Get("pref_id")
				},
				pay: a.Pay, asked: a.Asked, forge: a.Forge, refunds: a.Refunds, verifier: a.Gateway(t),
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			acct := start(t)
			s := startServerWith(t, acct.env)
			loc := s.demo.Club.Location
			day := domain.DateOf(time.Now(), loc).AddDays(3)
			at, _ := day.At(domain.MustClock("17:30"), loc)

			r := s.do(t, "POST", "/v1/clubs/demo/bookings", bookingJSON(s.demo.Courts[0].ID, at, 90, "Ana", "ana@example.com"), nil)
			require.Equal(t, http.StatusCreated, r.status, r.raw)
			id, token := obj(t, r.body, "booking")["id"].(string), r.body["access_token"].(string)
			ref := acct.refOf(r.body["checkout_url"].(string))
			require.NotEmpty(t, ref, "the checkout opened at the provider: %s", r.body["checkout_url"])
			assert.Equal(t, int64(1_600_000), acct.asked(t, ref).Amount(), "the provider asks the quote")

			header, body := acct.pay(t, ref, acct.asked(t, ref))
			webhook := "/v1/webhooks/" + acct.gateway
			forged := s.do(t, "POST", webhook, string(body), flat(acct.forge(t, body)))
			assert.Equal(t, http.StatusUnauthorized, forged.status, forged.raw)
			hook := s.do(t, "POST", webhook, string(body), flat(header))
			require.Equal(t, http.StatusOK, hook.status, hook.raw)

			auth := map[string]string{"Authorization": "Bearer " + token}
			r = s.do(t, "GET", "/v1/bookings/"+id, "", auth)
			require.Equal(t, http.StatusOK, r.status, r.raw)
			assert.Equal(t, "confirmed", obj(t, r.body, "booking")["status"])

			// Three days ahead the policy refunds everything, through the provider.
			r = s.do(t, "POST", "/v1/bookings/"+id+"/cancel", "", auth)
			require.Equal(t, http.StatusOK, r.status, r.raw)
			ev, err := acct.verifier.ParseWebhook(header, body)
			require.NoError(t, err)
			require.Eventually(t, func() bool { return len(acct.refunds(ev.PaymentRef)) == 1 }, 10*time.Second, 20*time.Millisecond,
				"the refund job refunds through the provider")
			assert.Equal(t, int64(1_600_000), acct.refunds(ev.PaymentRef)[0].Amount())
		})
	}
}

// flat returns a header as the test server's do takes it.
func flat(h http.Header) map[string]string {
	out := map[string]string{}
	for k := range h {
		out[k] = h.Get(k)
	}
	return out
}
