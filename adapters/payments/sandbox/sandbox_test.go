package sandbox_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/clocktest"
	"github.com/matchpoint/matchpoint/ports/paymenttest"
)

var _ ports.PaymentGateway = (*sandbox.Gateway)(nil)

const secret = "whsec_test"

var ars = domain.MustCurrency("ARS")

// hook is a webhook endpoint that records what it receives.
type hook struct {
	*httptest.Server
	mu       sync.Mutex
	status   int
	received []received
}

type received struct {
	header http.Header
	body   []byte
}

func newHook(t *testing.T) *hook {
	t.Helper()
	h := &hook{status: http.StatusOK}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.received = append(h.received, received{r.Header.Clone(), body})
		w.WriteHeader(h.status)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) answer(status int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.status = status
}

func (h *hook) all() []received {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]received(nil), h.received...)
}

func (h *hook) last(t *testing.T) (http.Header, []byte) {
	t.Helper()
	all := h.all()
	require.NotEmpty(t, all, "no webhook was delivered")
	return all[len(all)-1].header, all[len(all)-1].body
}

func newGateway(t *testing.T, cfg sandbox.Config) *sandbox.Gateway {
	t.Helper()
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://sandbox.test"
	}
	if cfg.Secret == "" {
		cfg.Secret = secret
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	g, err := sandbox.New(cfg)
	require.NoError(t, err)
	return g
}

func signed(secret string, at time.Time, body []byte) http.Header {
	h := http.Header{}
	h.Set(sandbox.SignatureHeader, sandbox.Sign(secret, at, body))
	return h
}

// post sends a POST to the gateway's handler, as an API client unless accept says otherwise.
func post(t *testing.T, g *sandbox.Gateway, path, accept string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	g.Handler().ServeHTTP(rec, req)
	return rec
}

func TestContract(t *testing.T) {
	paymenttest.Run(t, func(t *testing.T) paymenttest.Harness {
		hook := newHook(t)
		g := newGateway(t, sandbox.Config{WebhookURL: hook.URL})
		return paymenttest.Harness{
			Gateway: g,
			Pay: func(t *testing.T, ref string) (http.Header, []byte) {
				rec := post(t, g, "/sandbox/checkout/"+ref+"/pay", "")
				require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
				return hook.last(t)
			},
			TryPay: func(t *testing.T, ref string) error {
				if rec := post(t, g, "/sandbox/checkout/"+ref+"/pay", ""); rec.Code != http.StatusOK {
					return fmt.Errorf("pay answered %d: %s", rec.Code, rec.Body.String())
				}
				return nil
			},
			Forge: func(_ *testing.T, body []byte) http.Header { return signed("whsec_someone_else", time.Now(), body) },
			Sign:  func(_ *testing.T, body []byte) http.Header { return signed(secret, time.Now(), body) },
		}
	})
}

func checkout(t *testing.T, g *sandbox.Gateway, booking, description string) ports.Checkout {
	t.Helper()
	c, err := g.CreateCheckout(context.Background(), ports.CheckoutRequest{
		BookingID:     booking,
		ClubID:        "club-1",
		Description:   description,
		Amount:        domain.NewMoney(1_600_000, ars),
		CustomerEmail: "ana@example.com",
		ExpiresAt:     time.Date(2030, 1, 5, 18, 10, 0, 0, time.UTC),
	})
	require.NoError(t, err)
	return c
}

// answer is the JSON answer of the handler's POST endpoints.
type answer struct {
	PaymentRef string `json:"payment_ref"`
	RefundID   string `json:"refund_id"`
	EventID    string `json:"event_id"`
	Delivered  bool   `json:"delivered"`
	Status     int    `json:"webhook_status"`
	Error      string `json:"error"`
}

func decode(t *testing.T, rec *httptest.ResponseRecorder) answer {
	t.Helper()
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	var a answer
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &a), rec.Body.String())
	return a
}

func TestSignFormat(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"evt_1"}`)
	at := time.Unix(1767225600, 0)

	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("1767225600." + string(body)))

	assert.Equal(t, "t=1767225600,v1="+hex.EncodeToString(m.Sum(nil)), sandbox.Sign(secret, at, body))
}

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]sandbox.Config{
		"no base URL":        {Secret: secret},
		"relative base URL":  {BaseURL: "/pay", Secret: secret},
		"no secret":          {BaseURL: "http://127.0.0.1:8080"},
		"bad webhook URL":    {BaseURL: "http://127.0.0.1:8080", Secret: secret, WebhookURL: "ftp://x"},
		"base URL no scheme": {BaseURL: "127.0.0.1:8080", Secret: secret},
	} {
		_, err := sandbox.New(cfg)
		assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), name)
	}
}

func TestCheckoutURLAndDefaultWebhookURL(t *testing.T) {
	t.Parallel()
	paths := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { paths <- r.URL.Path }))
	t.Cleanup(srv.Close)
	g := newGateway(t, sandbox.Config{BaseURL: srv.URL + "/"})

	c := checkout(t, g, "b1", "Padel")
	assert.Equal(t, srv.URL+"/sandbox/checkout/"+c.Ref, c.URL)
	assert.True(t, strings.HasPrefix(c.Ref, "cs_"))

	rec := post(t, g, "/sandbox/checkout/"+c.Ref+"/pay", "")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, "/v1/webhooks/sandbox", <-paths)
	assert.Equal(t, "sandbox", g.Provider())
}

func TestConcurrentCheckoutsOfOneBookingAreOne(t *testing.T) {
	t.Parallel()
	g := newGateway(t, sandbox.Config{})
	refs := make([]string, 8)
	var wg sync.WaitGroup
	for i := range refs {
		wg.Go(func() { refs[i] = checkout(t, g, "b1", "Padel").Ref })
	}
	wg.Wait()
	for _, ref := range refs {
		assert.Equal(t, refs[0], ref)
	}
}

func TestCheckoutPageEscapesContent(t *testing.T) {
	t.Parallel()
	g := newGateway(t, sandbox.Config{})
	c := checkout(t, g, "b1", `Padel <script>alert("x")</script> & co`)

	u, err := url.Parse(c.URL)
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	g.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u.Path, nil))

	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
	page := rec.Body.String()
	assert.NotContains(t, page, "<script>", "the description is not escaped")
	assert.Contains(t, page, "Padel &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co")
	assert.Contains(t, page, "16000.00 ARS")
	assert.Contains(t, page, `action="/sandbox/checkout/`+c.Ref+`/pay"`)
	assert.Contains(t, page, `method="post"`)
}

func TestCheckoutPageOfUnknownRef(t *testing.T) {
	t.Parallel()
	g := newGateway(t, sandbox.Config{})
	rec := httptest.NewRecorder()
	g.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sandbox/checkout/cs_nope", nil))
	assert.Equal(t, http.StatusNotFound, rec.Code)
}

func TestPayDeliversASignedWebhook(t *testing.T) {
	t.Parallel()
	hook := newHook(t)
	hook.answer(http.StatusAccepted)
	g := newGateway(t, sandbox.Config{WebhookURL: hook.URL})
	c := checkout(t, g, "b1", "Padel")

	rec := post(t, g, "/sandbox/checkout/"+c.Ref+"/pay", "application/json")

	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	a := decode(t, rec)
	assert.True(t, strings.HasPrefix(a.PaymentRef, "pi_"))
	assert.True(t, strings.HasPrefix(a.EventID, "evt_"))
	assert.True(t, a.Delivered)
	assert.Equal(t, http.StatusAccepted, a.Status)

	header, body := hook.last(t)
	assert.Equal(t, "application/json", header.Get("Content-Type"))
	var wire map[string]any
	require.NoError(t, json.Unmarshal(body, &wire))
	assert.Equal(t, map[string]any{
		"id": a.EventID, "type": "paid", "booking_id": "b1", "payment_ref": a.PaymentRef,
		"amount": float64(1_600_000), "currency": "ARS", "created": wire["created"],
	}, wire)
	ev, err := g.ParseWebhook(header, body)
	require.NoError(t, err)
	assert.Equal(t, ports.PaymentEvent{
		Provider: "sandbox", EventID: a.EventID, Type: ports.EventPaid, BookingID: "b1",
		PaymentRef: a.PaymentRef, Amount: domain.NewMoney(1_600_000, ars), At: ev.At,
	}, ev)

	again := post(t, g, "/sandbox/checkout/"+c.Ref+"/pay", "")
	assert.Equal(t, http.StatusConflict, again.Code, "a checkout was paid twice")
	assert.Len(t, hook.all(), 1)
}

func TestBrowserPayGetsAPage(t *testing.T) {
	t.Parallel()
	hook := newHook(t)
	g := newGateway(t, sandbox.Config{WebhookURL: hook.URL})
	c := checkout(t, g, "b1", "Padel")

	rec := post(t, g, "/sandbox/checkout/"+c.Ref+"/pay", "text/html,application/xhtml+xml,*/*;q=0.8")

	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Contains(t, rec.Body.String(), "Payment received")
	assert.Contains(t, rec.Body.String(), "16000.00 ARS")
	assert.Len(t, hook.all(), 1)

	page := httptest.NewRecorder()
	g.Handler().ServeHTTP(page, httptest.NewRequest(http.MethodGet, "/sandbox/checkout/"+c.Ref, nil))
	assert.Contains(t, page.Body.String(), "This checkout is paid.")
	assert.NotContains(t, page.Body.String(), "/pay")
}

func TestPayAWrongAmount(t *testing.T) {
	t.Parallel()
	hook := newHook(t)
	g := newGateway(t, sandbox.Config{WebhookURL: hook.URL})
	c := checkout(t, g, "b1", "Padel")

	rec := post(t, g, "/sandbox/checkout/"+c.Ref+"/pay?amount=100", "")

	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	ev, err := g.ParseWebhook(hook.last(t))
	require.NoError(t, err)
	assert.Equal(t, domain.NewMoney(100, ars), ev.Amount)
	p, err := g.GetPayment(context.Background(), c.Ref)
	require.NoError(t, err)
	assert.Equal(t, domain.NewMoney(100, ars), p.Amount)

	for _, bad := range []string{"0", "-5", "ten"} {
		rec := post(t, g, "/sandbox/checkout/"+checkout(t, g, "b-"+bad, "Padel").Ref+"/pay?amount="+bad, "")
		assert.Equal(t, http.StatusBadRequest, rec.Code, "amount %q", bad)
	}
}

func TestPayInAnotherCurrency(t *testing.T) {
	t.Parallel()
	hook := newHook(t)
	g := newGateway(t, sandbox.Config{WebhookURL: hook.URL})
	c := checkout(t, g, "b1", "Padel")

	rec := post(t, g, "/sandbox/checkout/"+c.Ref+"/pay?currency=USD", "")

	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	ev, err := g.ParseWebhook(hook.last(t))
	require.NoError(t, err)
	usd := domain.MustCurrency("USD")
	assert.Equal(t, domain.NewMoney(1_600_000, usd), ev.Amount, "the asked amount, in dollars")
	_, err = g.Refund(context.Background(), ports.RefundRequest{BookingID: "b1", PaymentRef: ev.PaymentRef, Amount: ev.Amount, IdempotencyKey: "back"})
	assert.NoError(t, err, "what was paid in dollars is refunded in dollars")

	rec = post(t, g, "/sandbox/checkout/"+checkout(t, g, "b2", "Padel").Ref+"/pay?currency=XYZ", "")
	assert.Equal(t, http.StatusBadRequest, rec.Code)
}

func TestPayWithAmountInTheForm(t *testing.T) {
	t.Parallel()
	hook := newHook(t)
	g := newGateway(t, sandbox.Config{WebhookURL: hook.URL})
	c := checkout(t, g, "b1", "Padel")

	req := httptest.NewRequest(http.MethodPost, "/sandbox/checkout/"+c.Ref+"/pay", strings.NewReader("amount=250"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	g.Handler().ServeHTTP(rec, req)

	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	ev, err := g.ParseWebhook(hook.last(t))
	require.NoError(t, err)
	assert.Equal(t, int64(250), ev.Amount.Amount())
}

func TestFailAndExpireDeliverEvents(t *testing.T) {
	t.Parallel()
	hook := newHook(t)
	g := newGateway(t, sandbox.Config{WebhookURL: hook.URL})
	ctx := context.Background()

	declined := checkout(t, g, "b1", "Padel")
	rec := post(t, g, "/sandbox/checkout/"+declined.Ref+"/fail", "")
	require.Equal(t, http.StatusOK, rec.Code, "the delivery: %s", rec.Body.String())
	ev, err := g.ParseWebhook(hook.last(t))
	require.NoError(t, err)
	assert.Equal(t, ports.EventFailed, ev.Type)
	assert.Equal(t, declined.Ref, ev.PaymentRef)
	p, err := g.GetPayment(ctx, declined.Ref)
	require.NoError(t, err)
	assert.Equal(t, ports.PaymentFailed, p.Status)

	// A declined checkout may be paid on a second try.
	require.Equal(t, http.StatusOK, post(t, g, "/sandbox/checkout/"+declined.Ref+"/pay", "").Code)
	assert.Equal(t, http.StatusConflict, post(t, g, "/sandbox/checkout/"+declined.Ref+"/fail", "").Code)

	expired := checkout(t, g, "b2", "Padel")
	require.Equal(t, http.StatusOK, post(t, g, "/sandbox/checkout/"+expired.Ref+"/expire", "").Code)
	ev, err = g.ParseWebhook(hook.last(t))
	require.NoError(t, err)
	assert.Equal(t, ports.EventExpired, ev.Type)
	assert.Equal(t, http.StatusConflict, post(t, g, "/sandbox/checkout/"+expired.Ref+"/pay", "").Code)

	assert.Equal(t, http.StatusNotFound, post(t, g, "/sandbox/checkout/cs_nope/fail", "").Code)
}

// A checkout the club closes sends no event, and its page offers nothing to pay.
func TestExpireCheckoutClosesThePage(t *testing.T) {
	t.Parallel()
	hook := newHook(t)
	g := newGateway(t, sandbox.Config{WebhookURL: hook.URL})
	c := checkout(t, g, "b1", "Padel")

	require.NoError(t, g.ExpireCheckout(context.Background(), c.Ref))

	rec := httptest.NewRecorder()
	g.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sandbox/checkout/"+c.Ref, nil))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.NotContains(t, rec.Body.String(), "/pay", "the page of a closed checkout offers to pay")
	assert.Contains(t, rec.Body.String(), "This checkout is expired.")
	assert.Equal(t, http.StatusConflict, post(t, g, "/sandbox/checkout/"+c.Ref+"/fail", "").Code)
	assert.Empty(t, hook.all(), "closing a checkout sent an event")
}

func TestResendDeliversTheSameEvent(t *testing.T) {
	t.Parallel()
	hook := newHook(t)
	g := newGateway(t, sandbox.Config{WebhookURL: hook.URL})
	c := checkout(t, g, "b1", "Padel")
	paid := decode(t, post(t, g, "/sandbox/checkout/"+c.Ref+"/pay", ""))

	rec := post(t, g, "/sandbox/events/"+paid.EventID+"/resend", "")

	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	resent := decode(t, rec)
	assert.Equal(t, paid.EventID, resent.EventID)
	assert.True(t, resent.Delivered)
	all := hook.all()
	require.Len(t, all, 2)
	assert.Equal(t, all[0].body, all[1].body, "a re-sent event changed")
	first, err := g.ParseWebhook(all[0].header, all[0].body)
	require.NoError(t, err)
	second, err := g.ParseWebhook(all[1].header, all[1].body)
	require.NoError(t, err)
	assert.Equal(t, first, second)

	assert.Equal(t, http.StatusNotFound, post(t, g, "/sandbox/events/evt_nope/resend", "").Code)
}

func TestWebhookFailuresAreReported(t *testing.T) {
	t.Parallel()
	hook := newHook(t)
	hook.answer(http.StatusInternalServerError)
	g := newGateway(t, sandbox.Config{WebhookURL: hook.URL})

	rec := post(t, g, "/sandbox/checkout/"+checkout(t, g, "b1", "Padel").Ref+"/pay", "")
	require.Equal(t, http.StatusOK, rec.Code)
	a := decode(t, rec)
	assert.False(t, a.Delivered)
	assert.Equal(t, http.StatusInternalServerError, a.Status)

	hook.Close()
	c := checkout(t, g, "b2", "Padel")
	rec = post(t, g, "/sandbox/checkout/"+c.Ref+"/pay", "")
	assert.Equal(t, http.StatusBadGateway, rec.Code)
	a = decode(t, rec)
	assert.False(t, a.Delivered)
	assert.Zero(t, a.Status)
	assert.NotEmpty(t, a.Error)
	p, err := g.GetPayment(context.Background(), c.Ref)
	require.NoError(t, err)
	assert.Equal(t, ports.PaymentPaid, p.Status, "the payment stands when its webhook is lost")
}

func TestDashboardRefundDeliversARefundedEvent(t *testing.T) {
	t.Parallel()
	hook := newHook(t)
	g := newGateway(t, sandbox.Config{WebhookURL: hook.URL})
	c := checkout(t, g, "b1", "Padel")
	paid := decode(t, post(t, g, "/sandbox/checkout/"+c.Ref+"/pay", ""))

	part := decode(t, post(t, g, "/sandbox/payments/"+paid.PaymentRef+"/refund?amount=600000", ""))
	ev, err := g.ParseWebhook(hook.last(t))
	require.NoError(t, err)
	assert.Equal(t, ports.EventRefunded, ev.Type)
	assert.Equal(t, int64(600_000), ev.Amount.Amount())
	assert.True(t, strings.HasPrefix(part.RefundID, "re_"))

	rest := post(t, g, "/sandbox/payments/"+c.Ref+"/refund", "")
	require.Equal(t, http.StatusOK, rest.Code, rest.Body.String())
	ev, err = g.ParseWebhook(hook.last(t))
	require.NoError(t, err)
	assert.Equal(t, int64(1_600_000), ev.Amount.Amount(), "the default is what is left, and the event tells all that was refunded")
	p, err := g.GetPayment(context.Background(), c.Ref)
	require.NoError(t, err)
	assert.Equal(t, ports.PaymentRefunded, p.Status)

	assert.Equal(t, http.StatusBadRequest, post(t, g, "/sandbox/payments/"+c.Ref+"/refund", "").Code, "refunded twice")
}

func TestParseWebhookChecksTheTimestamp(t *testing.T) {
	t.Parallel()
	hook := newHook(t)
	clk := clocktest.New(time.Date(2030, 1, 5, 18, 0, 0, 0, time.UTC))
	g := newGateway(t, sandbox.Config{WebhookURL: hook.URL, Clock: clk})
	c := checkout(t, g, "b1", "Padel")
	require.Equal(t, http.StatusOK, post(t, g, "/sandbox/checkout/"+c.Ref+"/pay", "").Code)
	header, body := hook.last(t)

	clk.Advance(5 * time.Minute)
	_, err := g.ParseWebhook(header, body)
	require.NoError(t, err, "a signature as old as the tolerance is accepted")

	clk.Advance(time.Second)
	_, err = g.ParseWebhook(header, body)
	assert.Equal(t, domain.CodeBadSignature, domain.ErrorCode(err), "a stale signature is accepted")

	_, err = g.ParseWebhook(signed(secret, clk.Now().Add(6*time.Minute), body), body)
	assert.Equal(t, domain.CodeBadSignature, domain.ErrorCode(err), "a signature from the future is accepted")

	strict := newGateway(t, sandbox.Config{Clock: clk, Tolerance: 10 * time.Second})
	_, err = strict.ParseWebhook(signed(secret, clk.Now().Add(-11*time.Second), body), body)
	assert.Equal(t, domain.CodeBadSignature, domain.ErrorCode(err))
	_, err = strict.ParseWebhook(signed(secret, clk.Now().Add(-9*time.Second), body), body)
	assert.NoError(t, err)
}

func TestParseWebhookSignatureHeader(t *testing.T) {
	t.Parallel()
	g := newGateway(t, sandbox.Config{})
	body := []byte(`{"id":"evt_1","type":"paid","booking_id":"b1","payment_ref":"pi_1","amount":100,"currency":"ARS","created":1}`)
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	good := strings.TrimPrefix(sandbox.Sign(secret, now, body), "t="+ts+",")
	other := strings.TrimPrefix(sandbox.Sign("old-secret", now, body), "t="+ts+",")

	for header, ok := range map[string]bool{
		"t=" + ts + "," + good:                 true,
		"t=" + ts + ", " + other + ", " + good: true, // rotating secrets: one of several matches
		good + ",t=" + ts:                      true,
		"t=" + ts + "," + other:                false,
		good:                                   false, // no timestamp
		"t=" + ts:                              false, // no signature
		"t=soon," + good:                       false,
		"t=" + ts + ",v1=zz":                   false,
		"garbage":                              false,
	} {
		h := http.Header{}
		h.Set(sandbox.SignatureHeader, header)
		_, err := g.ParseWebhook(h, body)
		if ok {
			assert.NoError(t, err, header)
		} else {
			assert.Equal(t, domain.KindUnauthorized, domain.ErrorKind(err), header)
			assert.Equal(t, domain.CodeBadSignature, domain.ErrorCode(err), header)
		}
	}
}

func TestParseWebhookRejectsInvalidEvents(t *testing.T) {
	t.Parallel()
	g := newGateway(t, sandbox.Config{})
	for name, body := range map[string]string{
		"not json":         `{"id":`,
		"unknown type":     `{"id":"evt_1","type":"chargeback","booking_id":"b1","payment_ref":"pi_1","amount":100,"currency":"ARS","created":1}`,
		"unknown currency": `{"id":"evt_1","type":"paid","booking_id":"b1","payment_ref":"pi_1","amount":100,"currency":"XXX","created":1}`,
		"no id":            `{"type":"paid","booking_id":"b1","payment_ref":"pi_1","amount":100,"currency":"ARS","created":1}`,
		"negative amount":  `{"id":"evt_1","type":"paid","booking_id":"b1","payment_ref":"pi_1","amount":-1,"currency":"ARS","created":1}`,
	} {
		_, err := g.ParseWebhook(signed(secret, time.Now(), []byte(body)), []byte(body))
		assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), "%s: %v", name, err)
	}
}

func TestRefundRules(t *testing.T) {
	t.Parallel()
	hook := newHook(t)
	g := newGateway(t, sandbox.Config{WebhookURL: hook.URL})
	ctx := context.Background()
	c := checkout(t, g, "b1", "Padel")
	paid := decode(t, post(t, g, "/sandbox/checkout/"+c.Ref+"/pay", ""))
	req := func(amount int64, cur domain.Currency, key, booking string) ports.RefundRequest {
		return ports.RefundRequest{BookingID: booking, PaymentRef: paid.PaymentRef, Amount: domain.NewMoney(amount, cur), IdempotencyKey: key}
	}

	_, err := g.Refund(ctx, req(100, ars, "", "b1"))
	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), "no idempotency key")
	_, err = g.Refund(ctx, req(100, domain.MustCurrency("EUR"), "k0", "b1"))
	assert.Equal(t, domain.CodeCurrencyMismatch, domain.ErrorCode(err))
	_, err = g.Refund(ctx, req(100, ars, "k0", "b2"))
	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), "another booking's payment")
	_, err = g.Refund(ctx, req(0, ars, "k0", "b1"))
	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), "nothing to refund")
	_, err = g.Refund(ctx, req(1_600_001, ars, "k0", "b1"))
	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), "more than paid")
	_, err = g.Refund(ctx, ports.RefundRequest{PaymentRef: "pi_nope", Amount: domain.NewMoney(1, ars), IdempotencyKey: "k0"})
	assert.Equal(t, domain.KindNotFound, domain.ErrorKind(err))

	r, err := g.Refund(ctx, req(100, ars, "k1", "b1"))
	require.NoError(t, err)
	_, err = g.Refund(ctx, req(200, ars, "k1", "b1"))
	assert.Equal(t, domain.CodeIdempotencyKeyReused, domain.ErrorCode(err))
	again, err := g.Refund(ctx, req(100, ars, "k1", ""))
	require.NoError(t, err)
	assert.Equal(t, r, again)
}
