package mercadopago_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/payments/mercadopago"
	"github.com/matchpoint/matchpoint/adapters/payments/mercadopago/mptest"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/clocktest"
	"github.com/matchpoint/matchpoint/ports/paymenttest"
)

var _ ports.PaymentGateway = (*mercadopago.Gateway)(nil)

// token and secret are credentials for the tests that make no requests.
const (
	token  = "APP_USR-6295877106812064-010512-2f1e8c0ffee-202809963"
	secret = "a2f0c9e77b1d4c3e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e"
)

var ars = domain.MustCurrency("ARS")

// fixture is a gateway of an account of the test's own.
type fixture struct {
	account *mptest.Account
	gateway *mercadopago.Gateway
}

// newFixture starts an account and a gateway of it; cfg's zero fields are the
// account's Config.
func newFixture(t *testing.T, cfg mercadopago.Config) *fixture {
	t.Helper()
	a := mptest.Start(t)
	def := a.Config()
	cfg.AccessToken = cmp.Or(cfg.AccessToken, def.AccessToken)
	cfg.WebhookSecret = cmp.Or(cfg.WebhookSecret, def.WebhookSecret)
	cfg.NotificationURL = cmp.Or(cfg.NotificationURL, def.NotificationURL)
	cfg.BaseURL = cmp.Or(cfg.BaseURL, def.BaseURL)
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = def.HTTPClient
	}
	g, err := mercadopago.New(cfg)
	require.NoError(t, err)
	return &fixture{account: a, gateway: g}
}

func TestContract(t *testing.T) {
	paymenttest.Run(t, func(t *testing.T) paymenttest.Harness {
		a := mptest.Start(t)
		return paymenttest.Harness{
			Gateway:     a.Gateway(t),
			SignsIDOnly: true, // data.id, x-request-id and the timestamp: not the body
			Pay: func(t *testing.T, checkoutRef string) (http.Header, []byte) {
				return a.Pay(t, checkoutRef, a.Asked(t, checkoutRef))
			},
			TryPay: func(t *testing.T, checkoutRef string) error { return a.TryPay(t, checkoutRef, a.Asked(t, checkoutRef)) },
			Forge:  func(t *testing.T, body []byte) http.Header { return a.Forge(t, body) },
			Sign:   func(t *testing.T, body []byte) http.Header { return a.Sign(t, body) },
		}
	})
}

func checkoutRequest(booking string, amount int64) ports.CheckoutRequest {
	return ports.CheckoutRequest{
		BookingID:     booking,
		ClubID:        "club-1",
		Description:   "Padel, court 1, Sat 5 Jan 2030 19:00–20:30",
		Amount:        domain.NewMoney(amount, ars),
		CustomerEmail: "ana@example.com",
		ExpiresAt:     time.Now().Add(10 * time.Minute).UTC(),
	}
}

func (f *fixture) checkout(t *testing.T, booking string, amount int64) ports.Checkout {
	t.Helper()
	c, err := f.gateway.CreateCheckout(context.Background(), checkoutRequest(booking, amount))
	require.NoError(t, err)
	return c
}

func TestRequestsReachOnlyTheLocalAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t, mercadopago.Config{})
	c := f.checkout(t, "b1", 1_600_000)
	_, err := f.gateway.GetPayment(context.Background(), c.Ref)
	require.NoError(t, err)

	reqs := f.account.Requests("")
	assert.Len(t, reqs, 4, "search, create, then get and search payments")
	for _, r := range reqs {
		assert.Equal(t, "Bearer "+f.account.Config().AccessToken, r.Header.Get("Authorization"))
	}

	t.Run("without a base URL the SDK's host is used, through the configured client", func(t *testing.T) {
		var hosts []string
		cfg := f.account.Config()
		cfg.BaseURL = ""
		cfg.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			hosts = append(hosts, r.URL.Host)
			return nil, errors.New("no network in tests")
		})}
		g, err := mercadopago.New(cfg)
		require.NoError(t, err)
		before := len(f.account.Requests(""))

		_, err = g.GetPayment(context.Background(), "123")

		assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err), "%v", err)
		assert.Equal(t, []string{"api.mercadopago.com"}, hosts)
		assert.Len(t, f.account.Requests(""), before)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestCheckoutPreference(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(time.Date(2030, 1, 5, 18, 0, 0, 0, time.UTC))
	f := newFixture(t, mercadopago.Config{
		Clock:           clk,
		NotificationURL: "https://club.example/v1/webhooks/mercadopago?club=1",
		BackURLs:        mercadopago.BackURLs{Success: "https://club.example/paid", Failure: "https://club.example/failed"},
	})
	req := checkoutRequest("booking-1", 1_234_567)
	req.ExpiresAt = clk.Now().Add(10*time.Minute + 123456789*time.Nanosecond)

	c, err := f.gateway.CreateCheckout(context.Background(), req)
	require.NoError(t, err)

	reqs := f.account.Requests("POST /checkout/preferences")
	require.Len(t, reqs, 1)
	assert.Equal(t, "checkout:booking-1", reqs[0].Header.Get("X-Idempotency-Key"))
	var sent map[string]any
	require.NoError(t, json.Unmarshal(reqs[0].Body, &sent))
	assert.Equal(t, "booking-1", sent["external_reference"])
	assert.Equal(t, "https://club.example/v1/webhooks/mercadopago?club=1&source_news=webhooks", sent["notification_url"])
	assert.Equal(t, map[string]any{"email": "ana@example.com"}, sent["payer"])
	assert.Equal(t, map[string]any{"success": "https://club.example/paid", "failure": "https://club.example/failed"}, sent["back_urls"])
	assert.Equal(t, "approved", sent["auto_return"])
	assert.Equal(t, true, sent["expires"])
	assert.Equal(t, "2030-01-05T18:00:00Z", sent["expiration_date_from"])
	assert.Equal(t, "2030-01-05T18:10:00.123Z", sent["expiration_date_to"], "the hold's end, to the millisecond")
	assert.Equal(t, sent["expiration_date_to"], sent["date_of_expiration"])
	assert.Contains(t, string(reqs[0].Body), `"unit_price":12345.67`, "the amount in major units, exactly")
	items := sent["items"].([]any)
	require.Len(t, items, 1)
	item := items[0].(map[string]any)
	assert.Equal(t, "ARS", item["currency_id"])
	assert.Equal(t, float64(1), item["quantity"])
	assert.Equal(t, req.Description, item["title"])

	assert.True(t, strings.HasPrefix(c.URL, "https://www.mercadopago.com.ar/checkout/v1/redirect?pref_id="), c.URL)
	p, err := f.gateway.GetPayment(context.Background(), c.Ref)
	require.NoError(t, err)
	assert.Equal(t, int64(1_234_567), p.Amount.Amount())
	assert.Equal(t, ports.PaymentPending, p.Status)

	clk.Set(req.ExpiresAt)
	p, err = f.gateway.GetPayment(context.Background(), c.Ref)
	require.NoError(t, err)
	assert.Equal(t, ports.PaymentExpired, p.Status, "a lapsed checkout with no payment")
}

func TestCheckoutAmountsAreExact(t *testing.T) {
	t.Parallel()
	f := newFixture(t, mercadopago.Config{})
	for i, amount := range []int64{1, 10, 99, 101, 1_000, 1_234_567, 1_600_000, 99_999_999_99, 123_456_789_012_345} {
		booking := "b" + strconv.Itoa(i)
		c := f.checkout(t, booking, amount)
		p, err := f.gateway.GetPayment(context.Background(), c.Ref)
		require.NoError(t, err)
		assert.Equal(t, amount, p.Amount.Amount(), "asked")
		_, body := f.account.Pay(t, c.Ref, domain.NewMoney(amount, ars))
		p, err = f.gateway.GetPayment(context.Background(), mptest.PaymentRef(t, body))
		require.NoError(t, err)
		assert.Equal(t, amount, p.Amount.Amount(), "paid")
	}
}

func TestCheckoutIsOnePerBookingAcrossInstances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("concurrent creations share the idempotency key", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, mercadopago.Config{})
		f.account.LagPreferenceSearch(true)
		gateways := []*mercadopago.Gateway{f.gateway, f.account.Gateway(t), f.account.Gateway(t)}
		refs := make([]string, len(gateways))
		var wg sync.WaitGroup
		for i, g := range gateways {
			wg.Go(func() {
				c, err := g.CreateCheckout(ctx, checkoutRequest("b1", 1_600_000))
				assert.NoError(t, err)
				refs[i] = c.Ref
			})
		}
		wg.Wait()
		assert.Equal(t, refs[0], refs[1])
		assert.Equal(t, refs[0], refs[2])
	})

	t.Run("without the key the oldest preference wins", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, mercadopago.Config{})
		f.account.LagPreferenceSearch(true)
		f.account.IgnoreCheckoutIdempotencyKeys(true)
		first := f.checkout(t, "b1", 1_600_000)
		second, err := f.account.Gateway(t).CreateCheckout(ctx, checkoutRequest("b1", 1_600_000))
		require.NoError(t, err)
		require.NotEqual(t, first.Ref, second.Ref, "the account made two preferences")
		f.account.LagPreferenceSearch(false)

		for _, g := range []*mercadopago.Gateway{f.gateway, f.account.Gateway(t)} {
			c, err := g.CreateCheckout(ctx, checkoutRequest("b1", 1_600_000))
			require.NoError(t, err)
			assert.Equal(t, first, c)
		}
		// A payment through the other preference still counts for the booking.
		_, body := f.account.Pay(t, second.Ref, domain.NewMoney(1_600_000, ars))
		p, err := f.gateway.GetPayment(ctx, first.Ref)
		require.NoError(t, err)
		assert.Equal(t, mptest.PaymentRef(t, body), p.Ref)
		assert.Equal(t, ports.PaymentPaid, p.Status)
	})
}

func TestCheckoutRequests(t *testing.T) {
	t.Parallel()
	f := newFixture(t, mercadopago.Config{})
	ctx := context.Background()
	f.checkout(t, "b1", 1_600_000)

	_, err := f.gateway.CreateCheckout(ctx, checkoutRequest("b1", 1_700_000))
	assert.Equal(t, domain.CodeIdempotencyKeyReused, domain.ErrorCode(err), "another price for a booking with a checkout: %v", err)

	for name, req := range map[string]ports.CheckoutRequest{
		"no booking":  checkoutRequest("", 1_600_000),
		"no amount":   checkoutRequest("b2", 0),
		"no currency": {BookingID: "b2", Amount: domain.NewMoney(100, domain.Currency{})},
		"hold is over": func() ports.CheckoutRequest {
			r := checkoutRequest("b2", 100)
			r.ExpiresAt = time.Now().Add(-time.Second)
			return r
		}(),
		"too large": checkoutRequest("b2", 1_000_000_000_000_000),
	} {
		_, err := f.gateway.CreateCheckout(ctx, req)
		assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), "%s: %v", name, err)
	}

	noHold := checkoutRequest("b3", 100)
	noHold.ExpiresAt = time.Time{}
	_, err = f.gateway.CreateCheckout(ctx, noHold)
	require.NoError(t, err)
	reqs := f.account.Requests("POST /checkout/preferences")
	assert.NotContains(t, string(reqs[len(reqs)-1].Body), "expir", "a checkout without a hold does not expire")
}

func TestPaymentStatuses(t *testing.T) {
	t.Parallel()
	f := newFixture(t, mercadopago.Config{})
	ctx := context.Background()
	for i, tc := range []struct {
		status, detail string
		want           ports.PaymentStatus
		event          ports.PaymentEventType // "" when the payment has no event yet
	}{
		{"approved", "accredited", ports.PaymentPaid, ports.EventPaid},
		{"approved", "partially_refunded", ports.PaymentPaid, ports.EventPaid},
		{"in_mediation", "", ports.PaymentPaid, ports.EventPaid},
		{"pending", "pending_waiting_payment", ports.PaymentPending, ports.EventPending},
		{"in_process", "pending_review_manual", ports.PaymentPending, ports.EventPending},
		{"authorized", "pending_capture", ports.PaymentPending, ports.EventPending},
		{"rejected", "cc_rejected_insufficient_amount", ports.PaymentFailed, ports.EventFailed},
		{"cancelled", "by_collector", ports.PaymentFailed, ports.EventFailed},
		{"cancelled", "expired", ports.PaymentExpired, ports.EventExpired},
		{"refunded", "refunded", ports.PaymentRefunded, ports.EventRefunded},
		{"charged_back", "settled", ports.PaymentRefunded, ports.EventRefunded},
	} {
		name := tc.status + "/" + tc.detail
		booking := "b" + strconv.Itoa(i)
		c := f.checkout(t, booking, 1_600_000)
		header, body := f.account.PayWithStatus(t, c.Ref, tc.status, tc.detail)
		ref := mptest.PaymentRef(t, body)

		for _, by := range []string{ref, c.Ref} {
			p, err := f.gateway.GetPayment(ctx, by)
			require.NoError(t, err, name)
			assert.Equal(t, ports.Payment{Ref: ref, BookingID: booking, Status: tc.want, Amount: domain.NewMoney(1_600_000, ars)}, p, "%s by %s", name, by)
		}

		ev, err := f.gateway.ParseWebhook(header, body)
		require.NoError(t, err, name)
		assert.Equal(t, tc.event, ev.Type, name)
		assert.Equal(t, ref+":"+tc.status, ev.EventID, name)
		assert.Equal(t, booking, ev.BookingID, name)
		assert.Equal(t, ref, ev.PaymentRef, name)
		assert.Equal(t, time.UTC, ev.At.Location(), name)
	}
}

func TestCheckoutPaymentIsTheBestOfItsBooking(t *testing.T) {
	t.Parallel()
	f := newFixture(t, mercadopago.Config{})
	ctx := context.Background()
	c := f.checkout(t, "b1", 1_600_000)

	f.account.PayWithStatus(t, c.Ref, "rejected", "cc_rejected_bad_filled_card_number")
	p, err := f.gateway.GetPayment(ctx, c.Ref)
	require.NoError(t, err)
	assert.Equal(t, ports.PaymentFailed, p.Status)

	_, paid := f.account.Pay(t, c.Ref, domain.NewMoney(1_600_000, ars))
	f.account.PayWithStatus(t, c.Ref, "rejected", "cc_rejected_call_for_authorize") // a later attempt after paying
	p, err = f.gateway.GetPayment(ctx, c.Ref)
	require.NoError(t, err)
	assert.Equal(t, ports.PaymentPaid, p.Status)
	assert.Equal(t, mptest.PaymentRef(t, paid), p.Ref)
}

func TestGetPaymentNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t, mercadopago.Config{})
	for _, ref := range []string{"", "42", "202809963-0000-unknown", "-1", "0"} {
		_, err := f.gateway.GetPayment(context.Background(), ref)
		assert.Equal(t, domain.KindNotFound, domain.ErrorKind(err), "%q: %v", ref, err)
	}
}

func TestRefunds(t *testing.T) {
	t.Parallel()
	f := newFixture(t, mercadopago.Config{})
	ctx := context.Background()
	c := f.checkout(t, "b1", 1_600_000)
	_, body := f.account.Pay(t, c.Ref, domain.NewMoney(1_600_000, ars))
	ref := mptest.PaymentRef(t, body)
	req := func(amount int64, cur domain.Currency, key, booking string) ports.RefundRequest {
		return ports.RefundRequest{BookingID: booking, PaymentRef: ref, Amount: domain.NewMoney(amount, cur), IdempotencyKey: key}
	}

	for name, tc := range map[string]struct {
		req  ports.RefundRequest
		kind domain.Kind
		code string
	}{
		"no idempotency key": {req(100, ars, "", "b1"), domain.KindInvalid, domain.CodeInvalid},
		"another currency":   {req(100, domain.MustCurrency("EUR"), "k0", "b1"), domain.KindInvalid, domain.CodeCurrencyMismatch},
		"another booking":    {req(100, ars, "k0", "b2"), domain.KindInvalid, domain.CodeInvalid},
		"nothing":            {req(0, ars, "k0", "b1"), domain.KindInvalid, domain.CodeInvalid},
		"more than paid":     {req(1_600_001, ars, "k0", "b1"), domain.KindInvalid, domain.CodeInvalid},
		"unknown payment":    {ports.RefundRequest{PaymentRef: "99", Amount: domain.NewMoney(1, ars), IdempotencyKey: "k0"}, domain.KindNotFound, domain.CodeNotFound},
	} {
		_, err := f.gateway.Refund(ctx, tc.req)
		assert.Equal(t, tc.kind, domain.ErrorKind(err), "%s: %v", name, err)
		assert.Equal(t, tc.code, domain.ErrorCode(err), "%s: %v", name, err)
	}

	r, err := f.gateway.Refund(ctx, req(12_345, ars, "k1", "b1"))
	require.NoError(t, err)
	assert.Equal(t, int64(12_345), r.Amount.Amount())
	reqs := f.account.Requests("POST /v1/payments/" + ref + "/refunds")
	assert.Equal(t, "k1", reqs[len(reqs)-1].Header.Get("X-Idempotency-Key"))
	assert.JSONEq(t, `{"amount":123.45}`, string(reqs[len(reqs)-1].Body))

	again, err := f.gateway.Refund(ctx, req(12_345, ars, "k1", ""))
	require.NoError(t, err)
	assert.Equal(t, r, again)
	_, err = f.gateway.Refund(ctx, req(200, ars, "k1", "b1"))
	assert.Equal(t, domain.CodeIdempotencyKeyReused, domain.ErrorCode(err), "%v", err)

	// A retry of a refund that emptied the payment gets that refund back.
	rest, err := f.gateway.Refund(ctx, req(1_600_000-12_345, ars, "k2", "b1"))
	require.NoError(t, err)
	retried, err := f.gateway.Refund(ctx, req(1_600_000-12_345, ars, "k2", "b1"))
	require.NoError(t, err)
	assert.Equal(t, rest, retried)
	_, err = f.gateway.Refund(ctx, req(1, ars, "k3", "b1"))
	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), "a refunded payment: %v", err)
	assert.Equal(t, []domain.Money{domain.NewMoney(12_345, ars), domain.NewMoney(1_600_000-12_345, ars)}, f.account.Refunds(ref),
		"each key refunded once")
}

func TestRefundEvents(t *testing.T) {
	t.Parallel()
	f := newFixture(t, mercadopago.Config{})
	ctx := context.Background()
	c := f.checkout(t, "b1", 1_600_000)
	paid, err := f.gateway.ParseWebhook(f.account.Pay(t, c.Ref, domain.NewMoney(1_600_000, ars)))
	require.NoError(t, err)

	_, err = f.gateway.Refund(ctx, ports.RefundRequest{PaymentRef: paid.PaymentRef, Amount: domain.NewMoney(600_000, ars), IdempotencyKey: "part"})
	require.NoError(t, err)
	partly, err := f.gateway.ParseWebhook(f.account.Notify(t, paid.PaymentRef))
	require.NoError(t, err)
	assert.Equal(t, paid.EventID, partly.EventID, "a partial refund is no new event: the payment is still paid")
	assert.Equal(t, ports.EventPaid, partly.Type)

	_, err = f.gateway.Refund(ctx, ports.RefundRequest{PaymentRef: c.Ref, Amount: domain.NewMoney(1_000_000, ars), IdempotencyKey: "rest"})
	require.NoError(t, err)
	refunded, err := f.gateway.ParseWebhook(f.account.Notify(t, paid.PaymentRef))
	require.NoError(t, err)
	assert.Equal(t, ports.EventRefunded, refunded.Type)
	assert.NotEqual(t, paid.EventID, refunded.EventID)
	assert.Equal(t, int64(1_600_000), refunded.Amount.Amount())
	assert.Equal(t, "b1", refunded.BookingID)
}

func TestParseWebhookSignature(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(time.Now().Truncate(time.Second))
	f := newFixture(t, mercadopago.Config{Clock: clk})
	c := f.checkout(t, "b1", 1_600_000)
	header, body := f.account.Pay(t, c.Ref, domain.NewMoney(1_600_000, ars))
	ref := mptest.PaymentRef(t, body)
	secret := f.account.Config().WebhookSecret
	now := clk.Now()
	ms := func(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
	secs := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
	withSig := func(h http.Header, sig string) http.Header {
		h = h.Clone()
		h.Set("X-Signature", sig)
		return h
	}
	sigOf := func(h http.Header) string { return h.Get("X-Signature") }
	rid := "bb56a2f1-6aae-46ac-982e-000000000001"
	good := sigOf(header)
	ts, v1, _ := strings.Cut(good, ",")
	forged := sigOf(mptest.SignedHeader("old-secret", body, strings.TrimPrefix(ts, "ts="), ""))
	_, forgedV1, _ := strings.Cut(forged, ",")

	for name, tc := range map[string]struct {
		header http.Header
		body   []byte
		ok     bool
	}{
		"genuine":                        {header, body, true},
		"timestamp in seconds":           {mptest.SignedHeader(secret, body, secs(now), rid), body, true},
		"no request id":                  {mptest.SignedHeader(secret, body, ms(now), ""), body, true},
		"v1 first":                       {withSig(header, v1+","+ts), body, true},
		"spaces and a second v1":         {withSig(header, ts+", "+forgedV1+", "+v1), body, true},
		"only a rotated-out secret":      {withSig(header, ts+","+forgedV1), body, false},
		"tolerance old, milliseconds":    {mptest.SignedHeader(secret, body, ms(now.Add(-5*time.Minute)), rid), body, true},
		"stale, milliseconds":            {mptest.SignedHeader(secret, body, ms(now.Add(-5*time.Minute-time.Second)), rid), body, false},
		"stale, seconds":                 {mptest.SignedHeader(secret, body, secs(now.Add(-6*time.Minute)), rid), body, false},
		"from the future":                {mptest.SignedHeader(secret, body, ms(now.Add(6*time.Minute)), rid), body, false},
		"request id of another delivery": {func() http.Header { h := header.Clone(); h.Set("X-Request-Id", "other"); return h }(), body, false},
		"no timestamp":                   {withSig(header, v1), body, false},
		"no v1":                          {withSig(header, ts), body, false},
		"bad timestamp":                  {withSig(header, "ts=soon,"+v1), body, false},
		"v1 not hex":                     {withSig(header, ts+",v1=zz"), body, false},
		"garbage":                        {withSig(header, "garbage"), body, false},
		"missing":                        {http.Header{}, body, false},
		"truncated body":                 {header, body[:len(body)-1], false},
		"another payment":                {header, bytes.Replace(body, []byte(`"`+ref+`"`), []byte(`"`+ref+`1"`), 1), false},
	} {
		ev, err := f.gateway.ParseWebhook(tc.header, tc.body)
		if tc.ok {
			if assert.NoError(t, err, name) {
				assert.Equal(t, ports.EventPaid, ev.Type, name)
			}
			continue
		}
		assert.Equal(t, domain.KindUnauthorized, domain.ErrorKind(err), "%s: %v", name, err)
		assert.Equal(t, domain.CodeBadSignature, domain.ErrorCode(err), "%s: %v", name, err)
	}

	t.Run("data.id is signed lower-cased", func(t *testing.T) {
		body := []byte(`{"id":1,"type":"topic_merchant_order_wh","action":"order.updated","data":{"id":"ORD01ABC"}}`)
		lower := []byte(`{"id":1,"type":"topic_merchant_order_wh","action":"order.updated","data":{"id":"ord01abc"}}`)
		ev, err := f.gateway.ParseWebhook(mptest.SignedHeader(secret, lower, ms(now), rid), body)
		require.NoError(t, err, "verified")
		assert.Equal(t, ports.EventUnrelated, ev.Type, "not a payment")
	})
}

func TestParseWebhookRejectsWhatIsNotAPaymentEvent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, mercadopago.Config{})
	c := f.checkout(t, "b1", 1_600_000)
	f.account.Pay(t, c.Ref, domain.NewMoney(1_600_000, ars))

	for name, tc := range map[string]struct {
		body string
		kind domain.Kind
	}{
		"not json":          {`not json`, domain.KindInvalid},
		"no data.id":        {`{"id":1,"type":"payment","action":"payment.created","data":{}}`, domain.KindInvalid},
		"not a payment id":  {`{"id":1,"type":"payment","data":{"id":"abc"}}`, domain.KindInvalid},
		"numeric data.id":   {`{"id":1,"type":"payment","data":{"id":424242}}`, domain.KindNotFound},
		"unknown payment":   {`{"id":1,"type":"payment","data":{"id":"424242"}}`, domain.KindNotFound},
		"array":             {`[]`, domain.KindInvalid},
		"null id, no error": {`{"type":"payment","data":{"id":null}}`, domain.KindInvalid},
	} {
		_, err := f.gateway.ParseWebhook(f.account.Sign(t, []byte(tc.body)), []byte(tc.body))
		assert.Equal(t, tc.kind, domain.ErrorKind(err), "%s: %v", name, err)
	}
}

// The account's webhooks report every sale, those made elsewhere (a QR code, a point
// of sale) and other topics too: they are acknowledged as unrelated, so that
// MercadoPago stops sending them, and change nothing.
func TestParseWebhookOfWhatConcernsNoBooking(t *testing.T) {
	t.Parallel()
	f := newFixture(t, mercadopago.Config{})

	ev, err := f.gateway.ParseWebhook(f.account.PayWithoutCheckout(t, domain.NewMoney(1_600_000, ars)))
	require.NoError(t, err)
	assert.Equal(t, ports.EventUnrelated, ev.Type)
	assert.NotEmpty(t, ev.EventID)
	assert.Empty(t, ev.BookingID)

	body := []byte(`{"id":1,"type":"topic_claims_integration_wh","data":{"id":"5"}}`)
	ev, err = f.gateway.ParseWebhook(f.account.Sign(t, body), body)
	require.NoError(t, err)
	assert.Equal(t, ports.EventUnrelated, ev.Type)
	assert.Equal(t, "topic_claims_integration_wh:5", ev.EventID)
}

func TestProviderFailuresAreUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, mercadopago.Config{})
	c := f.checkout(t, "b1", 1_600_000)
	header, body := f.account.Pay(t, c.Ref, domain.NewMoney(1_600_000, ars))
	refund := ports.RefundRequest{PaymentRef: mptest.PaymentRef(t, body), Amount: domain.NewMoney(1, ars), IdempotencyKey: "k"}
	token := f.account.Config().AccessToken

	calls := map[string]func() error{
		"CreateCheckout": func() error { _, err := f.gateway.CreateCheckout(ctx, checkoutRequest("b2", 100)); return err },
		"GetPayment":     func() error { _, err := f.gateway.GetPayment(ctx, c.Ref); return err },
		"Refund":         func() error { _, err := f.gateway.Refund(ctx, refund); return err },
		"ParseWebhook":   func() error { _, err := f.gateway.ParseWebhook(header, body); return err },
	}
	for _, status := range []int{http.StatusInternalServerError, http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusUnauthorized} {
		f.account.FailWith(status)
		for name, call := range calls {
			err := call()
			assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err), "%s on %d: %v", name, status, err)
			assert.NotContains(t, fmt.Sprint(err), token)
		}
	}

	f.account.FailWith(0)
	other := newFixture(t, mercadopago.Config{AccessToken: "APP_USR-revoked"})
	_, err := other.gateway.GetPayment(ctx, "1")
	assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err), "a refused token: %v", err)

	f.account.Close()
	for name, call := range calls {
		err := call()
		assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err), "%s with the API down: %v", name, err)
	}
}

func TestParseWebhookTimeout(t *testing.T) {
	t.Parallel()
	f := newFixture(t, mercadopago.Config{WebhookTimeout: 50 * time.Millisecond})
	c := f.checkout(t, "b1", 1_600_000)
	header, body := f.account.Pay(t, c.Ref, domain.NewMoney(1_600_000, ars))
	release := f.account.Hold()
	defer release()

	start := time.Now()
	_, err := f.gateway.ParseWebhook(header, body)

	assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err), "%v", err)
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestNewChecksItsConfig(t *testing.T) {
	t.Parallel()
	good := mercadopago.Config{AccessToken: token, WebhookSecret: secret, NotificationURL: "https://club.example/hook"}
	_, err := mercadopago.New(good)
	require.NoError(t, err)
	for name, change := range map[string]func(c *mercadopago.Config){
		"no access token":            func(c *mercadopago.Config) { c.AccessToken = "" },
		"no webhook secret":          func(c *mercadopago.Config) { c.WebhookSecret = "" },
		"no notification URL":        func(c *mercadopago.Config) { c.NotificationURL = "" },
		"relative notification URL":  func(c *mercadopago.Config) { c.NotificationURL = "/v1/webhooks/mercadopago" },
		"base URL without a host":    func(c *mercadopago.Config) { c.BaseURL = "http://" },
		"base URL of another scheme": func(c *mercadopago.Config) { c.BaseURL = "ftp://api.example" },
	} {
		cfg := good
		change(&cfg)
		_, err := mercadopago.New(cfg)
		assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), "%s: %v", name, err)
	}
}

func TestSecretsAreNeverPrinted(t *testing.T) {
	t.Parallel()
	cfg := mercadopago.Config{AccessToken: token, WebhookSecret: secret, NotificationURL: "https://club.example/hook"}
	g, err := mercadopago.New(cfg)
	require.NoError(t, err)

	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	log.Info("configured", "config", cfg, "gateway", g)
	log.Info("configured", "config", &cfg)
	printed := []string{logs.String()}
	for _, verb := range []string{"%v", "%+v", "%s", "%#v"} {
		printed = append(printed, fmt.Sprintf(verb, cfg), fmt.Sprintf(verb, &cfg), fmt.Sprintf(verb, g))
	}
	for _, out := range printed {
		assert.NotContains(t, out, token)
		assert.NotContains(t, out, secret)
	}
	assert.Contains(t, logs.String(), "[redacted]")
	assert.Contains(t, fmt.Sprint(cfg), "https://club.example/hook")
}

func TestAPaymentIsReportedAsItsStatusChanges(t *testing.T) {
	t.Parallel()
	f := newFixture(t, mercadopago.Config{})
	c := f.checkout(t, "b1", 1_600_000)
	header, body := f.account.PayWithStatus(t, c.Ref, "in_process", "pending_contingency")
	ref := mptest.PaymentRef(t, body)

	pending, err := f.gateway.ParseWebhook(header, body)
	require.NoError(t, err)
	assert.Equal(t, ports.EventPending, pending.Type, "no outcome yet")
	assert.Equal(t, ref+":in_process", pending.EventID)

	f.account.SetStatus(t, ref, "approved", "accredited")
	paid, err := f.gateway.ParseWebhook(header, body) // the same notification, delivered again
	require.NoError(t, err)
	assert.Equal(t, ports.EventPaid, paid.Type)
	assert.Equal(t, ref+":approved", paid.EventID)

	back, err := f.gateway.ParseWebhook(f.account.SetStatus(t, ref, "charged_back", "settled"))
	require.NoError(t, err)
	assert.Equal(t, ports.EventRefunded, back.Type)
	assert.Equal(t, int64(1_600_000), back.Amount.Amount(), "a chargeback takes the whole payment")
	assert.NotEqual(t, paid.EventID, back.EventID)
}

// A checkout is closed by updating its preference to expire now; one lapsed already
// is left alone, and a payment id stands for its booking's preference.
func TestExpireCheckoutUpdatesThePreference(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(time.Now().UTC().Truncate(time.Second)) // checkoutRequest's holds are on the real clock
	f := newFixture(t, mercadopago.Config{Clock: clk})
	f.account.SetClock(clk)
	ctx := context.Background()
	c := f.checkout(t, "b1", 1_600_000)
	clk.Set(clk.Now().Add(3 * time.Minute))

	require.NoError(t, f.gateway.ExpireCheckout(ctx, c.Ref))

	puts := f.account.Requests("PUT /checkout/preferences/" + c.Ref)
	require.Len(t, puts, 1)
	var sent map[string]any
	require.NoError(t, json.Unmarshal(puts[0].Body, &sent))
	assert.Equal(t, true, sent["expires"])
	assert.Equal(t, clk.Now().Format(time.RFC3339), sent["expiration_date_to"])
	assert.Equal(t, sent["expiration_date_to"], sent["date_of_expiration"])
	assert.NotContains(t, sent, "items", "only the expiration changes")
	p, err := f.gateway.GetPayment(ctx, c.Ref)
	require.NoError(t, err)
	assert.Equal(t, ports.PaymentExpired, p.Status)

	require.NoError(t, f.gateway.ExpireCheckout(ctx, c.Ref))
	assert.Len(t, f.account.Requests("PUT "), 1, "a closed checkout was updated again")

	declined := f.checkout(t, "b2", 1_600_000)
	_, body := f.account.Decline(t, declined.Ref)
	require.NoError(t, f.gateway.ExpireCheckout(ctx, mptest.PaymentRef(t, body)), "a declined payment stands for its checkout")
	assert.Error(t, f.account.TryPay(t, declined.Ref, domain.NewMoney(1_600_000, ars)))

	open := f.checkout(t, "b3", 1_600_000)
	f.account.FailWith(http.StatusServiceUnavailable)
	err = f.gateway.ExpireCheckout(ctx, open.Ref)
	assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err), "%v", err)
}
