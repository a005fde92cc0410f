package mercadopago_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/payments/mercadopago"
	"github.com/matchpoint/matchpoint/adapters/payments/mercadopago/mptest"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/clocktest"
)

// The events of what customers and clubs do at MercadoPago, as the use cases receive
// them from the gateway.

var usd = domain.MustCurrency("USD")

func TestEventsOfWhatHappensAtMercadoPago(t *testing.T) {
	t.Parallel()
	price := domain.NewMoney(1_600_000, ars)
	pay := func(amount domain.Money) func(t *testing.T, a *mptest.Account, ref string) (http.Header, []byte) {
		return func(t *testing.T, a *mptest.Account, ref string) (http.Header, []byte) { return a.Pay(t, ref, amount) }
	}
	refundInDashboard := func(amount domain.Money) func(t *testing.T, a *mptest.Account, ref string) (http.Header, []byte) {
		return func(t *testing.T, a *mptest.Account, ref string) (http.Header, []byte) {
			_, body := a.Pay(t, ref, price)
			return a.RefundInDashboard(t, mptest.PaymentRef(t, body), amount)
		}
	}
	decline := func(t *testing.T, a *mptest.Account, ref string) (http.Header, []byte) { return a.Decline(t, ref) }
	expire := func(t *testing.T, a *mptest.Account, ref string) (http.Header, []byte) { return a.Expire(t, ref) }
	for name, tc := range map[string]struct {
		act      func(t *testing.T, a *mptest.Account, checkoutRef string) (http.Header, []byte)
		event    ports.PaymentEventType
		amount   domain.Money
		checkout ports.PaymentStatus // of the checkout afterwards
		refunds  []domain.Money
	}{
		"paid":                              {pay(price), ports.EventPaid, price, ports.PaymentPaid, nil},
		"paid less than asked":              {pay(domain.NewMoney(1_000_000, ars)), ports.EventPaid, domain.NewMoney(1_000_000, ars), ports.PaymentPaid, nil},
		"paid in another currency":          {pay(domain.NewMoney(1_600_000, usd)), ports.EventPaid, domain.NewMoney(1_600_000, usd), ports.PaymentPaid, nil},
		"declined":                          {decline, ports.EventFailed, price, ports.PaymentFailed, nil},
		"expired":                           {expire, ports.EventExpired, price, ports.PaymentExpired, nil},
		"refunded in part in the dashboard": {refundInDashboard(domain.NewMoney(600_000, ars)), ports.EventPaid, price, ports.PaymentPaid, []domain.Money{domain.NewMoney(600_000, ars)}},
		"refunded in full in the dashboard": {refundInDashboard(price), ports.EventRefunded, price, ports.PaymentRefunded, []domain.Money{price}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, mercadopago.Config{})
			c := f.checkout(t, "b1", price.Amount())

			header, body := tc.act(t, f.account, c.Ref)

			ev, err := f.gateway.ParseWebhook(header, body)
			require.NoError(t, err)
			assert.Equal(t, tc.event, ev.Type)
			assert.Equal(t, tc.amount, ev.Amount)
			assert.Equal(t, "b1", ev.BookingID)
			assert.Equal(t, mptest.PaymentRef(t, body), ev.PaymentRef)
			p, err := f.gateway.GetPayment(context.Background(), c.Ref)
			require.NoError(t, err)
			assert.Equal(t, tc.checkout, p.Status)
			assert.Equal(t, tc.refunds, f.account.Refunds(ev.PaymentRef))
		})
	}
}

func TestExpireLapsesTheCheckoutsPendingTicket(t *testing.T) {
	t.Parallel()
	f := newFixture(t, mercadopago.Config{})
	c := f.checkout(t, "b1", 1_600_000)
	_, issued := f.account.PayWithStatus(t, c.Ref, "pending", "pending_waiting_payment")

	ev, err := f.gateway.ParseWebhook(f.account.Expire(t, c.Ref))

	require.NoError(t, err)
	assert.Equal(t, ports.EventExpired, ev.Type)
	assert.Equal(t, mptest.PaymentRef(t, issued), ev.PaymentRef, "the ticket issued lapsed, no other")
}

func TestRefundsInAnotherCurrency(t *testing.T) {
	t.Parallel()
	f := newFixture(t, mercadopago.Config{})
	ctx := context.Background()
	c := f.checkout(t, "b1", 1_600_000)
	paid, err := f.gateway.ParseWebhook(f.account.Pay(t, c.Ref, domain.NewMoney(1_600_000, usd)))
	require.NoError(t, err)

	_, err = f.gateway.Refund(ctx, ports.RefundRequest{PaymentRef: paid.PaymentRef, Amount: domain.NewMoney(1_600_000, ars), IdempotencyKey: "ars"})
	assert.Equal(t, domain.CodeCurrencyMismatch, domain.ErrorCode(err), "%v", err)
	r, err := f.gateway.Refund(ctx, ports.RefundRequest{PaymentRef: paid.PaymentRef, Amount: domain.NewMoney(1_600_000, usd), IdempotencyKey: "usd"})
	require.NoError(t, err)

	assert.Equal(t, domain.NewMoney(1_600_000, usd), r.Amount)
	assert.Equal(t, []domain.Money{domain.NewMoney(1_600_000, usd)}, f.account.Refunds(paid.PaymentRef))
	refunded, err := f.gateway.ParseWebhook(f.account.Notify(t, paid.PaymentRef))
	require.NoError(t, err)
	assert.Equal(t, ports.EventRefunded, refunded.Type)
}

func TestRedeliveredAndForgedNotifications(t *testing.T) {
	t.Parallel()
	f := newFixture(t, mercadopago.Config{})
	c := f.checkout(t, "b1", 1_600_000)
	header, body := f.account.Pay(t, c.Ref, domain.NewMoney(1_600_000, ars))
	first, err := f.gateway.ParseWebhook(header, body)
	require.NoError(t, err)

	resigned := f.account.Sign(t, body)
	assert.NotEqual(t, header.Get(mercadopago.RequestIDHeader), resigned.Get(mercadopago.RequestIDHeader), "a redelivery is another request")
	again, err := f.gateway.ParseWebhook(resigned, body)
	require.NoError(t, err)
	assert.Equal(t, first.EventID, again.EventID)

	_, err = f.gateway.ParseWebhook(f.account.Forge(t, body), body)
	assert.Equal(t, domain.CodeBadSignature, domain.ErrorCode(err), "%v", err)

	other := mptest.Start(t)
	_, err = other.Gateway(t).ParseWebhook(header, body)
	assert.Equal(t, domain.CodeBadSignature, domain.ErrorCode(err), "another account's gateway: %v", err)
}

func TestTheAccountsClockIsTheGateways(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(time.Now().Add(time.Hour).Truncate(time.Second))
	a := mptest.Start(t)
	a.SetClock(clk)
	g := a.Gateway(t)
	_, err := g.CreateCheckout(context.Background(), checkoutRequest("b1", 1_600_000))
	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), "a hold 10 minutes from the system's now is over at the account's: %v", err)

	req := checkoutRequest("b1", 1_600_000)
	req.ExpiresAt = clk.Now().Add(10 * time.Minute)
	c, err := g.CreateCheckout(context.Background(), req)
	require.NoError(t, err)
	header, body := a.Pay(t, c.Ref, domain.NewMoney(1_600_000, ars))

	ev, err := g.ParseWebhook(header, body)
	require.NoError(t, err)
	assert.Equal(t, clk.Now(), ev.At, "approved at the account's now")
	cfg := a.Config()
	cfg.Clock = nil
	system, err := mercadopago.New(cfg)
	require.NoError(t, err)
	_, err = system.ParseWebhook(header, body)
	assert.Equal(t, domain.CodeBadSignature, domain.ErrorCode(err), "signed an hour from now: %v", err)
}
