package stripe_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	stripego "github.com/stripe/stripe-go/v76"

	"github.com/matchpoint/matchpoint/adapters/payments/stripe"
	"github.com/matchpoint/matchpoint/adapters/payments/stripe/stripetest"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/paymenttest"
)

var _ ports.PaymentGateway = (*stripe.Gateway)(nil)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := stripetest.StopMock(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

var ars = domain.MustCurrency("ARS")

// env is a gateway and the Stripe account it talks to.
type env struct {
	gw   *stripe.Gateway
	acct *stripetest.Account
}

// newEnv returns a gateway to an account of its own; edit adjusts the config.
func newEnv(t *testing.T, edit ...func(*stripe.Config)) env {
	t.Helper()
	acct := stripetest.Start(t)
	cfg := acct.Config()
	for _, f := range edit {
		f(&cfg)
	}
	gw, err := stripe.New(cfg)
	require.NoError(t, err)
	return env{gw: gw, acct: acct}
}

func TestContract(t *testing.T) {
	paymenttest.Run(t, func(t *testing.T) paymenttest.Harness {
		acct := stripetest.Start(t)
		return paymenttest.Harness{
			Gateway: acct.Gateway(t),
			Pay: func(t *testing.T, ref string) (http.Header, []byte) {
				return acct.Pay(t, ref, acct.Asked(t, ref))
			},
			TryPay: func(t *testing.T, ref string) error { return acct.TryPay(t, ref, acct.Asked(t, ref)) },
			Forge:  func(t *testing.T, body []byte) http.Header { return acct.Forge(t, body) },
			Sign:   func(t *testing.T, body []byte) http.Header { return acct.Sign(t, body) },
		}
	})
}

// checkoutRequest is a booking of 16 000.00 ARS held for hold.
func checkoutRequest(booking string, hold time.Duration) ports.CheckoutRequest {
	return ports.CheckoutRequest{
		BookingID:     booking,
		ClubID:        "club-1",
		Description:   "Padel, court 1",
		Amount:        domain.NewMoney(1_600_000, ars),
		CustomerEmail: "ana@example.com",
		ExpiresAt:     time.Now().Add(hold).UTC().Truncate(time.Second),
	}
}

func (e env) checkout(t *testing.T, booking string) ports.Checkout {
	t.Helper()
	c, err := e.gw.CreateCheckout(context.Background(), checkoutRequest(booking, 10*time.Minute))
	require.NoError(t, err)
	return c
}

// pay has the customer pay a checkout what it asks.
func (e env) pay(t *testing.T, checkoutRef string) (http.Header, []byte) {
	t.Helper()
	return e.acct.Pay(t, checkoutRef, e.acct.Asked(t, checkoutRef))
}

// paid creates a checkout for booking, pays it, and returns the PaymentIntent's id.
func (e env) paid(t *testing.T, booking string) string {
	t.Helper()
	c := e.checkout(t, booking)
	ev, err := e.gw.ParseWebhook(e.pay(t, c.Ref))
	require.NoError(t, err)
	return ev.PaymentRef
}

func assertKind(t *testing.T, kind domain.Kind, code string, err error) {
	t.Helper()
	if assert.Error(t, err) {
		assert.Equal(t, kind, domain.ErrorKind(err), "kind of %v", err)
		assert.Equal(t, code, domain.ErrorCode(err), "code of %v", err)
	}
}

func TestRequestsGoToTheLocalServer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	c := e.checkout(t, "booking-1")
	_, err := e.gw.GetPayment(context.Background(), c.Ref)
	require.NoError(t, err)

	reqs := e.acct.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, [2]string{http.MethodPost, "/v1/checkout/sessions"}, [2]string{reqs[0].Method, reqs[0].Path})
	assert.Equal(t, [2]string{http.MethodGet, "/v1/checkout/sessions/" + c.Ref}, [2]string{reqs[1].Method, reqs[1].Path})
	for _, r := range reqs {
		assert.Equal(t, http.StatusOK, r.MockStatus, "stripe-mock's answer to %s %s", r.Method, r.Path)
		assert.Equal(t, e.acct.Config().SecretKey, r.APIKey)
	}
	assert.Empty(t, stripego.Key, "the gateway set stripe-go's package-level key")
}

func TestTwoAccountsInOneProcess(t *testing.T) {
	t.Parallel()
	a, b := newEnv(t), newEnv(t)
	keyA, keyB := a.acct.Config().SecretKey, b.acct.Config().SecretKey
	require.NotEqual(t, keyA, keyB, "two accounts, two keys")

	ca := a.checkout(t, "booking-a")
	cb := b.checkout(t, "booking-b")

	for _, e := range []struct {
		env
		key string
	}{{a, keyA}, {b, keyB}} {
		for _, r := range e.acct.Requests() {
			assert.Equal(t, e.key, r.APIKey, "%s %s", r.Method, r.Path)
		}
	}
	_, err := b.gw.GetPayment(context.Background(), ca.Ref)
	assertKind(t, domain.KindNotFound, domain.CodeNotFound, err)
	p, err := a.gw.GetPayment(context.Background(), ca.Ref)
	require.NoError(t, err)
	assert.Equal(t, "booking-a", p.BookingID)
	assert.NotEqual(t, ca.Ref, cb.Ref)
}

func TestCheckoutParameters(t *testing.T) {
	t.Parallel()
	for _, hold := range []time.Duration{10 * time.Minute, 3 * time.Hour} {
		e := newEnv(t)
		req := checkoutRequest("booking-1", hold)

		c, err := e.gw.CreateCheckout(context.Background(), req)
		require.NoError(t, err)

		reqs := e.acct.Requests()
		require.Len(t, reqs, 1)
		f := reqs[0].Form
		assert.Equal(t, "checkout:booking-1", reqs[0].IdempotencyKey)
		assert.Equal(t, "payment", f.Get("mode"))
		assert.Equal(t, "1600000", f.Get("line_items[0][price_data][unit_amount]"), "16 000.00 ARS in centavos")
		assert.Equal(t, "ars", f.Get("line_items[0][price_data][currency]"))
		assert.Equal(t, "1", f.Get("line_items[0][quantity]"))
		assert.Equal(t, "Padel, court 1", f.Get("line_items[0][price_data][product_data][name]"))
		assert.Equal(t, "booking-1", f.Get("client_reference_id"))
		assert.Equal(t, "booking-1", f.Get("metadata[booking_id]"))
		assert.Equal(t, "club-1", f.Get("metadata[club_id]"))
		assert.Equal(t, "booking-1", f.Get("payment_intent_data[metadata][booking_id]"))
		assert.Equal(t, "ana@example.com", f.Get("customer_email"))
		assert.Equal(t, "https://club.example/paid?session={CHECKOUT_SESSION_ID}", f.Get("success_url"))
		assert.Equal(t, "https://club.example/cancelled", f.Get("cancel_url"))
		// The session outlives the hold by Stripe's minimum and a minute, computed from
		// the hold alone so that a retry sends the very same parameters.
		assert.Equal(t, strconv.FormatInt(req.ExpiresAt.Add(31*time.Minute).Unix(), 10), f.Get("expires_at"), "hold of %s", hold)
		assert.Equal(t, "https://checkout.stripe.com/c/pay/"+c.Ref, c.URL)
	}
}

func TestCheckoutAmounts(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		amount domain.Money
		want   string // unit_amount sent; empty: refused without a request
	}{
		{domain.NewMoney(1_600_000, ars), "1600000"},
		{domain.NewMoney(5_000, domain.MustCurrency("JPY")), "5000"},
		{domain.NewMoney(12_340, domain.MustCurrency("KWD")), "12340"},
		{domain.NewMoney(12_345, domain.MustCurrency("KWD")), ""},
		{domain.NewMoney(0, ars), ""},
		{domain.NewMoney(-100, ars), ""},
		{domain.Money{}, ""},
	} {
		e := newEnv(t)
		req := checkoutRequest("booking-1", 10*time.Minute)
		req.Amount = c.amount

		_, err := e.gw.CreateCheckout(context.Background(), req)

		if c.want == "" {
			assertKind(t, domain.KindInvalid, domain.CodeInvalid, err)
			assert.Empty(t, e.acct.Requests(), "%s was sent", c.amount)
			continue
		}
		require.NoError(t, err, "%s", c.amount)
		assert.Equal(t, c.want, e.acct.Requests()[0].Form.Get("line_items[0][price_data][unit_amount]"), "%s", c.amount)
	}
}

// Stripe takes sessions that expire 30 minutes to 24 hours after they are created: a
// hold that is already over, or that lasts a day, cannot have one.
func TestCheckoutOutsideStripesLimits(t *testing.T) {
	t.Parallel()
	for _, hold := range []time.Duration{-5 * time.Minute, 24 * time.Hour} {
		e := newEnv(t)
		_, err := e.gw.CreateCheckout(context.Background(), checkoutRequest("booking-1", hold))
		assertKind(t, domain.KindInvalid, domain.CodeInvalid, err)
	}
}

func TestGetPaymentStates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	price := domain.NewMoney(1_600_000, ars)

	t.Run("expired", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		c := e.checkout(t, "booking-1")
		e.acct.Expire(t, c.Ref)

		p, err := e.gw.GetPayment(ctx, c.Ref)
		require.NoError(t, err)
		assert.Equal(t, ports.Payment{Ref: c.Ref, BookingID: "booking-1", Status: ports.PaymentExpired, Amount: price}, p)
	})
	t.Run("declined", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		c := e.checkout(t, "booking-1")
		ev, err := e.gw.ParseWebhook(e.acct.Decline(t, c.Ref))
		require.NoError(t, err)

		for _, ref := range []string{c.Ref, ev.PaymentRef} {
			p, err := e.gw.GetPayment(ctx, ref)
			require.NoError(t, err)
			assert.Equal(t, ports.Payment{Ref: ev.PaymentRef, BookingID: "booking-1", Status: ports.PaymentFailed, Amount: price}, p, "GetPayment(%q)", ref)
		}
	})
	t.Run("declined, then expired", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		c := e.checkout(t, "booking-1")
		ev, err := e.gw.ParseWebhook(e.acct.Decline(t, c.Ref))
		require.NoError(t, err)
		e.acct.Expire(t, c.Ref)

		for _, ref := range []string{c.Ref, ev.PaymentRef} {
			p, err := e.gw.GetPayment(ctx, ref)
			require.NoError(t, err)
			assert.Equal(t, ports.PaymentExpired, p.Status, "GetPayment(%q)", ref)
		}
	})
	t.Run("paid, then partly refunded", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		pi := e.paid(t, "booking-1")
		_, err := e.gw.Refund(ctx, ports.RefundRequest{BookingID: "booking-1", PaymentRef: pi, Amount: domain.NewMoney(1, ars), IdempotencyKey: "k"})
		require.NoError(t, err)

		p, err := e.gw.GetPayment(ctx, pi)
		require.NoError(t, err)
		assert.Equal(t, ports.Payment{Ref: pi, BookingID: "booking-1", Status: ports.PaymentPaid, Amount: price}, p)
	})
	t.Run("not a Stripe reference", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, err := e.gw.GetPayment(ctx, "booking-1")
		assertKind(t, domain.KindNotFound, domain.CodeNotFound, err)
		assert.Empty(t, e.acct.Requests())
	})
	t.Run("unknown payment intent", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, err := e.gw.GetPayment(ctx, "pi_does_not_exist")
		assertKind(t, domain.KindNotFound, domain.CodeNotFound, err)
	})
}

func TestRefundRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	half := domain.NewMoney(800_000, ars)

	t.Run("key reused for another refund", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		pi := e.paid(t, "booking-1")
		_, err := e.gw.Refund(ctx, ports.RefundRequest{BookingID: "booking-1", PaymentRef: pi, Amount: half, IdempotencyKey: "cancel:booking-1"})
		require.NoError(t, err)

		_, err = e.gw.Refund(ctx, ports.RefundRequest{BookingID: "booking-1", PaymentRef: pi, Amount: domain.NewMoney(1, ars), IdempotencyKey: "cancel:booking-1"})
		assertKind(t, domain.KindConflict, domain.CodeIdempotencyKeyReused, err)
	})
	t.Run("by checkout reference", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		c := e.checkout(t, "booking-1")
		_, err := e.gw.ParseWebhook(e.pay(t, c.Ref))
		require.NoError(t, err)

		r, err := e.gw.Refund(ctx, ports.RefundRequest{BookingID: "booking-1", PaymentRef: c.Ref, Amount: half, IdempotencyKey: "k"})
		require.NoError(t, err)
		assert.Equal(t, half, r.Amount)
	})
	for name, c := range map[string]struct {
		req       ports.RefundRequest
		kind      domain.Kind
		code      string
		sendsNone bool // refused before any request to Stripe
	}{
		"another booking's payment": {req: ports.RefundRequest{BookingID: "booking-2", Amount: half, IdempotencyKey: "k"}, kind: domain.KindInvalid, code: domain.CodeInvalid},
		"another currency":          {req: ports.RefundRequest{BookingID: "booking-1", Amount: domain.NewMoney(800_000, domain.MustCurrency("USD")), IdempotencyKey: "k"}, kind: domain.KindInvalid, code: domain.CodeCurrencyMismatch},
		"no idempotency key":        {req: ports.RefundRequest{BookingID: "booking-1", Amount: half}, kind: domain.KindInvalid, code: domain.CodeInvalid, sendsNone: true},
		"nothing":                   {req: ports.RefundRequest{BookingID: "booking-1", Amount: domain.NewMoney(0, ars), IdempotencyKey: "k"}, kind: domain.KindInvalid, code: domain.CodeInvalid, sendsNone: true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			c.req.PaymentRef = e.paid(t, "booking-1")
			before := len(e.acct.Requests())

			_, err := e.gw.Refund(ctx, c.req)

			assertKind(t, c.kind, c.code, err)
			for _, r := range e.acct.Requests()[before:] {
				assert.NotEqual(t, "/v1/refunds", r.Path, "a refused refund was sent")
			}
			if c.sendsNone {
				assert.Len(t, e.acct.Requests(), before, "asked Stripe about a refund that cannot be")
			}
		})
	}
	t.Run("unknown payment", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, err := e.gw.Refund(ctx, ports.RefundRequest{PaymentRef: "pi_does_not_exist", Amount: half, IdempotencyKey: "k"})
		assertKind(t, domain.KindNotFound, domain.CodeNotFound, err)
	})
}

func TestProviderFailureIsUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	calls := map[string]func(g *stripe.Gateway, ref string) error{
		"CreateCheckout": func(g *stripe.Gateway, _ string) error {
			_, err := g.CreateCheckout(ctx, checkoutRequest("booking-2", 10*time.Minute))
			return err
		},
		"GetPayment": func(g *stripe.Gateway, ref string) error { _, err := g.GetPayment(ctx, ref); return err },
		"Refund": func(g *stripe.Gateway, ref string) error {
			_, err := g.Refund(ctx, ports.RefundRequest{BookingID: "booking-1", PaymentRef: ref, Amount: domain.NewMoney(1, ars), IdempotencyKey: "k"})
			return err
		},
	}
	for _, status := range []int{http.StatusInternalServerError, http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusUnauthorized} {
		e := newEnv(t)
		pi := e.paid(t, "booking-1")
		e.acct.FailWith(status)
		for name, call := range calls {
			err := call(e.gw, pi)
			assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err), "%s, Stripe answering %d: %v", name, status, err)
		}
	}

	// Nothing listens on a port just closed.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	down := "http://" + l.Addr().String()
	require.NoError(t, l.Close())
	e := newEnv(t, func(c *stripe.Config) { c.BackendURL = down })
	key := e.acct.Config().SecretKey
	for name, call := range calls {
		err := call(e.gw, "pi_123")
		assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err), "%s, Stripe unreachable: %v", name, err)
		assert.NotContains(t, err.Error(), key, name)
	}
}

// Expiring goes through Stripe's expire endpoint; Stripe's trouble is retried later.
func TestExpireCheckout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.checkout(t, "booking-1")

	e.acct.FailWith(http.StatusServiceUnavailable)
	assertKind(t, domain.KindUnavailable, domain.CodeUnavailable, e.gw.ExpireCheckout(ctx, c.Ref))
	e.acct.FailWith(0)
	p, err := e.gw.GetPayment(ctx, c.Ref)
	require.NoError(t, err)
	assert.Equal(t, ports.PaymentPending, p.Status, "a failed expire closed the session")

	require.NoError(t, e.gw.ExpireCheckout(ctx, c.Ref))
	var paths []string
	for _, r := range e.acct.Requests() {
		if r.Method == http.MethodPost {
			paths = append(paths, r.Path)
		}
	}
	assert.Contains(t, paths, "/v1/checkout/sessions/"+c.Ref+"/expire")
	assertKind(t, domain.KindNotFound, domain.CodeNotFound, e.gw.ExpireCheckout(ctx, "pi_123"))
}
