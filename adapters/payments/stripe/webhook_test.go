package stripe_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	stripego "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/matchpoint/matchpoint/adapters/payments/stripe"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

func TestWebhookEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	price := domain.NewMoney(1_600_000, ars)

	t.Run("paid", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		c := e.checkout(t, "booking-1")
		header, body := e.acct.Pay(t, c.Ref, price)

		ev, err := e.gw.ParseWebhook(header, body)

		require.NoError(t, err)
		var sent struct {
			ID      string `json:"id"`
			Created int64  `json:"created"`
			Data    struct {
				Object struct {
					PaymentIntent string `json:"payment_intent"`
				} `json:"object"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal(body, &sent))
		assert.Equal(t, ports.PaymentEvent{
			Provider:   stripe.Provider,
			EventID:    sent.ID,
			Type:       ports.EventPaid,
			BookingID:  "booking-1",
			PaymentRef: sent.Data.Object.PaymentIntent,
			Amount:     price,
			At:         time.Unix(sent.Created, 0).UTC(),
		}, ev)
	})
	t.Run("expired before any attempt", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		c := e.checkout(t, "booking-1")

		ev, err := e.gw.ParseWebhook(e.acct.Expire(t, c.Ref))

		require.NoError(t, err)
		assert.Equal(t, ports.EventExpired, ev.Type)
		assert.Equal(t, "booking-1", ev.BookingID)
		assert.Equal(t, c.Ref, ev.PaymentRef, "with no PaymentIntent, the session is the payment")
		assert.Equal(t, price, ev.Amount)
	})
	t.Run("declined", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		c := e.checkout(t, "booking-1")

		ev, err := e.gw.ParseWebhook(e.acct.Decline(t, c.Ref))

		require.NoError(t, err)
		assert.Equal(t, ports.EventFailed, ev.Type)
		assert.Equal(t, "booking-1", ev.BookingID)
		assert.Regexp(t, "^pi_", ev.PaymentRef)
		assert.Equal(t, price, ev.Amount)

		expired, err := e.gw.ParseWebhook(e.acct.Expire(t, c.Ref))
		require.NoError(t, err)
		assert.Equal(t, ports.EventExpired, expired.Type)
		assert.Equal(t, ev.PaymentRef, expired.PaymentRef, "once tried, the PaymentIntent is the payment")
	})
	t.Run("refunded", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		pi := e.paid(t, "booking-1")
		for _, amount := range []int64{400_000, 200_000} {
			_, err := e.gw.Refund(ctx, ports.RefundRequest{BookingID: "booking-1", PaymentRef: pi, Amount: domain.NewMoney(amount, ars), IdempotencyKey: fmt.Sprint("refund-", amount)})
			require.NoError(t, err)
		}

		ev, err := e.gw.ParseWebhook(e.acct.RefundEvent(t, pi))

		require.NoError(t, err)
		assert.Equal(t, ports.EventRefunded, ev.Type)
		assert.Equal(t, "booking-1", ev.BookingID)
		assert.Equal(t, pi, ev.PaymentRef)
		assert.Equal(t, domain.NewMoney(600_000, ars), ev.Amount, "refunded so far")
		assert.Equal(t, []domain.Money{domain.NewMoney(400_000, ars), domain.NewMoney(200_000, ars)}, e.acct.Refunds(pi))
	})
	t.Run("refunded in the Dashboard", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		pi := e.paid(t, "booking-1")
		_, err := e.gw.Refund(ctx, ports.RefundRequest{BookingID: "booking-1", PaymentRef: pi, Amount: domain.NewMoney(400_000, ars), IdempotencyKey: "k"})
		require.NoError(t, err)

		ev, err := e.gw.ParseWebhook(e.acct.RefundInDashboard(t, pi, domain.NewMoney(200_000, ars)))

		require.NoError(t, err)
		assert.Equal(t, ports.EventRefunded, ev.Type)
		assert.Equal(t, pi, ev.PaymentRef)
		assert.Equal(t, domain.NewMoney(600_000, ars), ev.Amount, "refunded so far, through the API and the Dashboard")
		p, err := e.gw.GetPayment(ctx, pi)
		require.NoError(t, err)
		assert.Equal(t, ports.PaymentPaid, p.Status, "partly refunded")

		ev, err = e.gw.ParseWebhook(e.acct.RefundInDashboard(t, pi, domain.NewMoney(1_000_000, ars)))

		require.NoError(t, err)
		assert.Equal(t, price, ev.Amount)
		assert.Equal(t, []domain.Money{domain.NewMoney(400_000, ars), domain.NewMoney(200_000, ars), domain.NewMoney(1_000_000, ars)}, e.acct.Refunds(pi))
		p, err = e.gw.GetPayment(ctx, pi)
		require.NoError(t, err)
		assert.Equal(t, ports.PaymentRefunded, p.Status)
		_, err = e.gw.Refund(ctx, ports.RefundRequest{BookingID: "booking-1", PaymentRef: pi, Amount: domain.NewMoney(1, ars), IdempotencyKey: "k2"})
		assertKind(t, domain.KindInvalid, domain.CodeInvalid, err)
	})
	// Checkout charges what the session asks; a payment of something else (a session
	// opened at an old price, a tampered one) must still be reported as what was paid.
	for name, paid := range map[string]domain.Money{
		"paid another amount":      domain.NewMoney(1_500_000, ars),
		"paid in another currency": domain.NewMoney(1_600_000, domain.MustCurrency("USD")),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			c := e.checkout(t, "booking-1")

			ev, err := e.gw.ParseWebhook(e.acct.Pay(t, c.Ref, paid))

			require.NoError(t, err)
			assert.Equal(t, ports.EventPaid, ev.Type)
			assert.Equal(t, paid, ev.Amount)
			assert.Equal(t, price, e.acct.Asked(t, c.Ref), "the session still asks its price")
			for _, ref := range []string{c.Ref, ev.PaymentRef} {
				p, err := e.gw.GetPayment(ctx, ref)
				require.NoError(t, err)
				assert.Equal(t, ports.Payment{Ref: ev.PaymentRef, BookingID: "booking-1", Status: ports.PaymentPaid, Amount: paid}, p, "GetPayment(%q)", ref)
			}
		})
	}
	t.Run("declined, then paid", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		c := e.checkout(t, "booking-1")
		failed, err := e.gw.ParseWebhook(e.acct.Decline(t, c.Ref))
		require.NoError(t, err)

		paid, err := e.gw.ParseWebhook(e.acct.Pay(t, c.Ref, price))

		require.NoError(t, err)
		assert.Equal(t, ports.EventPaid, paid.Type)
		assert.Equal(t, failed.PaymentRef, paid.PaymentRef, "the second attempt is the same PaymentIntent")
	})
	t.Run("redelivered", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		header, body := e.acct.Pay(t, e.checkout(t, "booking-1").Ref, price)
		first, err := e.gw.ParseWebhook(header, body)
		require.NoError(t, err)

		again, err := e.gw.ParseWebhook(e.acct.Sign(t, body), body)

		require.NoError(t, err)
		assert.Equal(t, first, again, "a redelivery is the same event, signed anew")
	})
}

// The events stripe-mock's fixtures make carry another API version than stripe-go's,
// as an endpoint created in the Dashboard may: the gateway accepts them, where
// stripe-go's strict check would refuse every one.
func TestWebhookOfAnotherAPIVersion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.checkout(t, "booking-1")
	header, body := e.pay(t, c.Ref)
	var sent struct {
		APIVersion string `json:"api_version"`
	}
	require.NoError(t, json.Unmarshal(body, &sent))
	require.NotEqual(t, stripego.APIVersion, sent.APIVersion, "the case needs an event of another version")

	_, strictErr := webhook.ConstructEvent(body, header.Get(stripe.SignatureHeader), e.acct.Config().WebhookSecret)
	_, err := e.gw.ParseWebhook(header, body)

	assert.Error(t, strictErr)
	assert.NoError(t, err)
}

func TestWebhookSignatureAge(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := e.acct.Config()
	cfg.Tolerance = time.Minute
	strict, err := stripe.New(cfg)
	require.NoError(t, err)
	_, body := e.pay(t, e.checkout(t, "booking-1").Ref)

	for _, c := range []struct {
		gw  *stripe.Gateway
		age time.Duration
		ok  bool
	}{
		{e.gw, 4 * time.Minute, true},
		{e.gw, 6 * time.Minute, false}, // Stripe's default tolerance is five minutes
		{strict, 30 * time.Second, true},
		{strict, 2 * time.Minute, false},
	} {
		_, err := c.gw.ParseWebhook(e.acct.SignAt(t, body, time.Now().Add(-c.age)), body)
		if c.ok {
			assert.NoError(t, err, "signed %s ago", c.age)
		} else {
			assertKind(t, domain.KindUnauthorized, domain.CodeBadSignature, err)
		}
	}
}

func TestWebhookRefusesWhatItDoesNotHandle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, paid := e.pay(t, e.checkout(t, "booking-1").Ref)
	_, declined := e.acct.Decline(t, e.checkout(t, "booking-2").Ref)

	for name, body := range map[string][]byte{
		"empty object":     []byte(`{}`),
		"another object":   rewrite(t, declined, func(ev map[string]any) { ev["type"] = "checkout.session.completed" }),
		"unknown currency": rewrite(t, paid, func(ev map[string]any) { object(ev)["currency"] = "xyz" }),
		"no data":          rewrite(t, paid, func(ev map[string]any) { delete(ev, "data") }),
	} {
		_, err := e.gw.ParseWebhook(e.acct.Sign(t, body), body)
		assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), "%s: %v", name, err)
	}
}

// Events of types Match Point does not use, and payments made on the account outside
// Match Point, are acknowledged as unrelated, so that Stripe stops sending them.
func TestWebhookOfWhatConcernsNoBooking(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, paid := e.pay(t, e.checkout(t, "booking-1").Ref)
	_, declined := e.acct.Decline(t, e.checkout(t, "booking-2").Ref)

	for name, body := range map[string][]byte{
		"unhandled type": rewrite(t, paid, func(ev map[string]any) { ev["type"] = "customer.created" }),
		"no booking":     rewrite(t, declined, func(ev map[string]any) { object(ev)["metadata"] = map[string]any{} }),
	} {
		ev, err := e.gw.ParseWebhook(e.acct.Sign(t, body), body)
		require.NoError(t, err, name)
		assert.Equal(t, ports.EventUnrelated, ev.Type, name)
		assert.NotEmpty(t, ev.EventID, name)
	}
}

// A session completed with a payment method that settles later is not paid yet: its
// event says so, and the async_payment event that follows says how it ended.
func TestACompletedSessionNotPaidYetIsPending(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, paid := e.pay(t, e.checkout(t, "booking-1").Ref)
	body := rewrite(t, paid, func(ev map[string]any) { object(ev)["payment_status"] = "unpaid" })
	ev, err := e.gw.ParseWebhook(e.acct.Sign(t, body), body)
	require.NoError(t, err)
	assert.Equal(t, ports.EventPending, ev.Type)
	assert.Equal(t, "booking-1", ev.BookingID)
}

// rewrite returns body, an event, changed by edit.
func rewrite(t *testing.T, body []byte, edit func(ev map[string]any)) []byte {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber() // amounts and times stay integers
	var ev map[string]any
	require.NoError(t, d.Decode(&ev))
	edit(ev)
	out, err := json.Marshal(ev)
	require.NoError(t, err)
	return out
}

// object returns the object of an event decoded by rewrite.
func object(ev map[string]any) map[string]any {
	return ev["data"].(map[string]any)["object"].(map[string]any)
}

func TestWebhookWithoutSignatureHeader(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, body := e.pay(t, e.checkout(t, "booking-1").Ref)

	for name, header := range map[string]http.Header{
		"none":      {},
		"garbled":   {"Stripe-Signature": {"t=now,v1"}},
		"no v1":     {"Stripe-Signature": {"t=1700000000"}},
		"other key": e.acct.Forge(t, body),
	} {
		_, err := e.gw.ParseWebhook(header, body)
		assert.Equal(t, domain.CodeBadSignature, domain.ErrorCode(err), "%s: %v", name, err)
		assert.Equal(t, domain.KindUnauthorized, domain.ErrorKind(err), name)
	}
}
