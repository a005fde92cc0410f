package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/payments/mercadopago/mptest"
	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/adapters/payments/stripe/stripetest"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// provider drives a payment provider's side in the webhook cases: its customer pays,
// is declined or lets a checkout expire, its club refunds from the dashboard, and it
// signs its webhooks. Each case runs against every provider.
type provider interface {
	// setup returns the provider's gateway for an env being built.
	setup(t *testing.T, e *env) ports.PaymentGateway
	// pay pays a checkout with amount (another amount or currency for the cases that
	// need one) and returns the provider's webhook of it.
	pay(t *testing.T, checkoutRef string, amount domain.Money) webhook
	// decline has an attempt to pay a checkout declined and returns the provider's
	// webhook of it; the checkout stays open.
	decline(t *testing.T, checkoutRef string) webhook
	// refundInDashboard refunds amount of a payment as the club would at the provider,
	// and returns the provider's webhook of it.
	refundInDashboard(t *testing.T, paymentRef string, amount domain.Money) webhook
	// resign signs a webhook's body again now, as a redelivery is; forge signs it with
	// a secret that is not the gateway's.
	resign(t *testing.T, wh webhook) webhook
	forge(t *testing.T, wh webhook) webhook
	// refunds returns the refunds the provider has made of a payment.
	refunds(paymentRef string) []domain.Money
}

// providers are the providers every case runs against.
func providers() map[string]func() provider {
	return map[string]func() provider{
		"sandbox":     func() provider { return &sandboxProvider{} },
		"mercadopago": mercadoPagoProvider,
		"stripe":      stripeProvider,
	}
}

// TestMain stops the stripe-mock the Stripe cases start.
func TestMain(m *testing.M) {
	code := m.Run()
	if err := stripetest.StopMock(); err != nil {
		fmt.Fprintln(os.Stderr, "stop stripe-mock:", err)
	}
	os.Exit(code)
}

// account is a provider's test kit (stripetest, mptest): an account the test drives.
type account interface {
	Pay(t testing.TB, checkoutRef string, amount domain.Money) (http.Header, []byte)
	Decline(t testing.TB, checkoutRef string) (http.Header, []byte)
	RefundInDashboard(t testing.TB, paymentRef string, amount domain.Money) (http.Header, []byte)
	Sign(t testing.TB, body []byte) http.Header
	Forge(t testing.TB, body []byte) http.Header
	Refunds(paymentRef string) []domain.Money
}

// accountProvider drives a provider through its test kit; start opens the account and
// returns its gateway.
type accountProvider struct {
	start func(t *testing.T, e *env) (account, ports.PaymentGateway)
	a     account
}

// stripeProvider is a Stripe account of the test's own: a stand-in in front of
// stripe-mock. Stripe signs and checks signatures on the real clock, which the env's
// clock starts at.
func stripeProvider() provider {
	return &accountProvider{start: func(t *testing.T, _ *env) (account, ports.PaymentGateway) {
		a := stripetest.Start(t)
		return a, a.Gateway(t)
	}}
}

// mercadoPagoProvider is a MercadoPago account of the test's own, signing at the env's
// time, which the cases move.
func mercadoPagoProvider() provider {
	return &accountProvider{start: func(t *testing.T, e *env) (account, ports.PaymentGateway) {
		a := mptest.Start(t)
		a.SetClock(e.clock)
		return a, a.Gateway(t)
	}}
}

func (p *accountProvider) setup(t *testing.T, e *env) ports.PaymentGateway {
	var gw ports.PaymentGateway
	p.a, gw = p.start(t, e)
	return gw
}

func (p *accountProvider) pay(t *testing.T, ref string, amount domain.Money) webhook {
	return webhookOf(p.a.Pay(t, ref, amount))
}

func (p *accountProvider) decline(t *testing.T, ref string) webhook {
	return webhookOf(p.a.Decline(t, ref))
}

func (p *accountProvider) refundInDashboard(t *testing.T, paymentRef string, amount domain.Money) webhook {
	return webhookOf(p.a.RefundInDashboard(t, paymentRef, amount))
}

func (p *accountProvider) resign(t *testing.T, wh webhook) webhook {
	return webhook{header: p.a.Sign(t, wh.body), body: wh.body}
}

func (p *accountProvider) forge(t *testing.T, wh webhook) webhook {
	return webhook{header: p.a.Forge(t, wh.body), body: wh.body}
}

func (p *accountProvider) refunds(paymentRef string) []domain.Money { return p.a.Refunds(paymentRef) }

func webhookOf(header http.Header, body []byte) webhook { return webhook{header: header, body: body} }

// sandboxProvider is the sandbox gateway's own checkout page.
type sandboxProvider struct {
	e         *env
	dashboard map[string][]domain.Money // refunds made from the dashboard, by payment
}

func (p *sandboxProvider) setup(_ *testing.T, e *env) ports.PaymentGateway {
	p.e = e
	return e.gateway
}

func (p *sandboxProvider) pay(t *testing.T, ref string, amount domain.Money) webhook {
	p.e.post(t, "/sandbox/checkout/"+url.PathEscape(ref)+"/pay?amount="+strconv.FormatInt(amount.Amount(), 10)+
		"&currency="+amount.Currency().Code())
	return p.e.hooks.last(t)
}

func (p *sandboxProvider) decline(t *testing.T, ref string) webhook {
	p.e.post(t, "/sandbox/checkout/"+url.PathEscape(ref)+"/fail")
	return p.e.hooks.last(t)
}

func (p *sandboxProvider) refundInDashboard(t *testing.T, paymentRef string, amount domain.Money) webhook {
	p.e.post(t, "/sandbox/payments/"+url.PathEscape(paymentRef)+"/refund?amount="+strconv.FormatInt(amount.Amount(), 10))
	if p.dashboard == nil {
		p.dashboard = map[string][]domain.Money{}
	}
	p.dashboard[paymentRef] = append(p.dashboard[paymentRef], amount)
	return p.e.hooks.last(t)
}

func (p *sandboxProvider) resign(t *testing.T, wh webhook) webhook {
	return p.e.signed(t, decode(t, wh))
}

func (p *sandboxProvider) forge(_ *testing.T, wh webhook) webhook {
	h := http.Header{}
	h.Set(sandbox.SignatureHeader, sandbox.Sign("not the gateway's secret", p.e.clock.Now(), wh.body))
	return webhook{header: h, body: wh.body}
}

func (p *sandboxProvider) refunds(paymentRef string) []domain.Money {
	out := slices.Clone(p.dashboard[paymentRef])
	p.e.gateway.mu.Lock()
	defer p.e.gateway.mu.Unlock()
	for _, c := range p.e.gateway.refunds {
		if c.req.PaymentRef == paymentRef && c.err == nil {
			out = append(out, c.req.Amount)
		}
	}
	return out
}

// providerCase is one webhook case: what happens before the provider's webhook,
// which it returns, and how the booking ends.
type providerCase struct {
	name    string
	arrange func(t *testing.T, e *env, p provider, b *domain.Booking) webhook
	want    providerWant
}

type providerWant struct {
	err      string   // the error code of the webhook, if it is refused
	outcome  string   // what the webhook did
	outcomes []string // or one of these, where providers differ
	status   domain.Status
	paid     int64
	refunded int64          // what the booking records as refunded
	refunds  []domain.Money // the refunds the provider made of the payment
	messages []ports.MessageKind
}

// TestWebhooksOfEveryProvider runs the webhook cases against every provider: each
// asserts the booking's final state, the refunds the provider made (how many, how
// much) and the messages queued.
func TestWebhooksOfEveryProvider(t *testing.T) {
	t.Parallel()
	total := money(bookingTotal)
	paidInFull := func(t *testing.T, e *env, p provider, b *domain.Booking) webhook {
		return p.pay(t, b.PaymentRef(), total)
	}
	cases := []providerCase{
		{
			name:    "valid",
			arrange: paidInFull,
			want: providerWant{outcome: app.OutcomeConfirmed, status: domain.StatusConfirmed, paid: bookingTotal,
				messages: []ports.MessageKind{ports.MessageConfirmation}},
		},
		{
			name: "forged",
			arrange: func(t *testing.T, e *env, p provider, b *domain.Booking) webhook {
				return p.forge(t, paidInFull(t, e, p, b))
			},
			want: providerWant{err: domain.CodeBadSignature, status: domain.StatusPending},
		},
		{
			name: "replayed",
			arrange: func(t *testing.T, e *env, p provider, b *domain.Booking) webhook {
				wh := paidInFull(t, e, p, b)
				deliverOK(t, e, wh)
				return p.resign(t, wh)
			},
			want: providerWant{outcome: app.OutcomeAlreadyRecorded, status: domain.StatusConfirmed, paid: bookingTotal,
				messages: []ports.MessageKind{ports.MessageConfirmation}},
		},
		{
			name: "out of order: a declined attempt reported after the payment",
			arrange: func(t *testing.T, e *env, p provider, b *domain.Booking) webhook {
				declined := p.decline(t, b.PaymentRef())
				deliverOK(t, e, paidInFull(t, e, p, b))
				return p.resign(t, declined)
			},
			want: providerWant{outcome: app.OutcomeIgnored, status: domain.StatusConfirmed, paid: bookingTotal,
				messages: []ports.MessageKind{ports.MessageConfirmation}},
		},
		{
			name: "out of order: the refund before the payment",
			arrange: func(t *testing.T, e *env, p provider, b *domain.Booking) webhook {
				paid := paidInFull(t, e, p, b)
				ref := paymentRefOf(t, e, paid)
				deliverOK(t, e, p.refundInDashboard(t, ref, total))
				return paid
			},
			// A provider that reads the payment back on every notification reports the
			// refunded payment twice under one event: the second is then a duplicate.
			want: providerWant{outcomes: []string{app.OutcomeIgnored, app.OutcomeAlreadyRecorded}, status: domain.StatusPending,
				refunds: []domain.Money{total}},
		},
		{
			name: "wrong amount",
			arrange: func(t *testing.T, e *env, p provider, b *domain.Booking) webhook {
				return p.pay(t, b.PaymentRef(), money(1_000_000))
			},
			want: providerWant{outcome: app.OutcomeRefunded, status: domain.StatusPending, refunded: 1_000_000,
				refunds: []domain.Money{money(1_000_000)}, messages: []ports.MessageKind{ports.MessageRefund}},
		},
		{
			name: "wrong currency",
			arrange: func(t *testing.T, e *env, p provider, b *domain.Booking) webhook {
				return p.pay(t, b.PaymentRef(), domain.NewMoney(bookingTotal, usd))
			},
			// The booking records refunds in its own currency only: the dollars are given
			// back and reported, not added to its pesos.
			want: providerWant{outcome: app.OutcomeRefunded, status: domain.StatusPending,
				refunds: []domain.Money{domain.NewMoney(bookingTotal, usd)}, messages: []ports.MessageKind{ports.MessageRefund}},
		},
		{
			name: "late after the hold expired, the slot free",
			arrange: func(t *testing.T, e *env, p provider, b *domain.Booking) webhook {
				e.clock.Set(b.HoldExpiresAt().Add(time.Minute))
				wh := paidInFull(t, e, p, b) // as the hold ended, before its checkout was closed
				e.drain(t)                   // the hold expires; closing the checkout finds it paid
				return wh
			},
			want: providerWant{outcome: app.OutcomeConfirmed, status: domain.StatusConfirmed, paid: bookingTotal,
				messages: []ports.MessageKind{ports.MessageExpiry, ports.MessageConfirmation}},
		},
		{
			name: "late after the hold expired, the slot taken",
			arrange: func(t *testing.T, e *env, p provider, b *domain.Booking) webhook {
				e.clock.Set(b.HoldExpiresAt().Add(time.Minute))
				wh := paidInFull(t, e, p, b)
				e.drain(t)
				e.book(t, e.brunoCmd())
				return wh
			},
			want: providerWant{outcome: app.OutcomeRefunded, status: domain.StatusExpired, refunded: bookingTotal,
				refunds: []domain.Money{total}, messages: []ports.MessageKind{ports.MessageExpiry, ports.MessageRefund}},
		},
		{
			name: "a refund from the dashboard after the confirmation",
			arrange: func(t *testing.T, e *env, p provider, b *domain.Booking) webhook {
				paid := paidInFull(t, e, p, b)
				deliverOK(t, e, paid)
				e.drain(t) // the confirmation goes out
				return p.refundInDashboard(t, paymentRefOf(t, e, paid), total)
			},
			want: providerWant{outcome: app.OutcomeRefundRecorded, status: domain.StatusConfirmed, paid: bookingTotal, refunded: bookingTotal,
				refunds: []domain.Money{total}, messages: []ports.MessageKind{ports.MessageConfirmation, ports.MessageRefund}},
		},
	}
	for name, newProvider := range providers() {
		for _, c := range cases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				p := newProvider()
				e := newEnvWith(t, envOptions{start: time.Now().UTC().Truncate(time.Second), gateways: func(e *env) ports.Gateways {
					return ports.OneGateway(p.setup(t, e))
				}})
				res := e.book(t, e.bookingCmd())
				e.tokens = map[string]string{res.Booking.ID(): res.AccessToken}
				b := e.stored(t, res.Booking.ID())
				wh := c.arrange(t, e, p, b)
				before := e.stored(t, b.ID())

				got, err := e.deliver(wh)
				e.drain(t)
				if c.want.err != "" {
					requireCode(t, err, domain.KindUnauthorized, c.want.err)
					assert.Equal(t, before.Record(), e.stored(t, b.ID()).Record(), "the booking is untouched")
				} else {
					require.NoError(t, err)
					if c.want.outcomes != nil {
						assert.Contains(t, c.want.outcomes, got.Outcome)
					} else {
						assert.Equal(t, c.want.outcome, got.Outcome)
					}
				}
				after := e.stored(t, b.ID())
				assert.Equal(t, c.want.status, after.Status(), "status")
				assert.Equal(t, c.want.paid, after.Paid().Amount(), "paid")
				assert.Equal(t, c.want.refunded, after.Refund().Amount(), "refunded")
				var refunds []domain.Money
				if ref := paymentRefOf(t, e, wh); ref != "" {
					refunds = p.refunds(ref)
				}
				assert.Equal(t, c.want.refunds, refunds, "refunds made by the provider")
				assert.Equal(t, c.want.messages, e.messages(b.ID()), "messages")
			})
		}
	}
}

// deliverOK delivers a webhook that must be taken.
func deliverOK(t *testing.T, e *env, wh webhook) {
	t.Helper()
	_, err := e.deliver(wh)
	require.NoError(t, err)
}

// paymentRefOf returns the payment reference a webhook's event carries, as the env's
// gateway reads it.
func paymentRefOf(t *testing.T, e *env, wh webhook) string {
	t.Helper()
	_, gw, err := e.gateways.ForClub(context.Background(), e.club)
	require.NoError(t, err)
	ev, err := gw.ParseWebhook(wh.header, wh.body)
	if err != nil {
		return ""
	}
	return ev.PaymentRef
}
