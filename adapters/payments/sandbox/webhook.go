package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// SignatureHeader is the header that carries a webhook's signature.
const SignatureHeader = "Sandbox-Signature"

// event is the wire format of a webhook event.
type event struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	BookingID  string `json:"booking_id"`
	PaymentRef string `json:"payment_ref"`
	Amount     int64  `json:"amount"`
	Currency   string `json:"currency"`
	Created    int64  `json:"created"`
}

// Sign returns the Sandbox-Signature header value for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>".
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac([]byte(secret), ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

func badSignature(format string, args ...any) error {
	return domain.Errorf(domain.CodeBadSignature, "sandbox: "+format, args...)
}

// verify checks a Sandbox-Signature header value against body. Several v1 values
// are allowed (one per secret while a secret is rotated); one must match.
func (g *Gateway) verify(header string, body []byte) error {
	if header == "" {
		return badSignature("missing %s header", SignatureHeader)
	}
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if sig, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, sig)
			}
		}
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return badSignature("malformed %s header", SignatureHeader)
	}
	want := mac(g.secret, ts, body)
	matched := false
	for _, sig := range sigs {
		matched = matched || hmac.Equal(want, sig)
	}
	if !matched {
		return badSignature("signature does not match")
	}
	age := g.clock.Now().Sub(time.Unix(t, 0))
	if age > g.tolerance || -age > g.tolerance {
		return badSignature("signature timestamp is %s away from now, beyond the tolerance of %s", age.Round(time.Second).Abs(), g.tolerance)
	}
	return nil
}

// ParseWebhook verifies a webhook's signature and returns its event. A missing,
// malformed, wrong or stale signature is unauthorized (bad_signature); a signed body
// that is not a valid event is invalid.
func (g *Gateway) ParseWebhook(header http.Header, body []byte) (ports.PaymentEvent, error) {
	if err := g.verify(header.Get(SignatureHeader), body); err != nil {
		return ports.PaymentEvent{}, err
	}
	var e event
	if err := json.Unmarshal(body, &e); err != nil {
		return ports.PaymentEvent{}, domain.Errorf(domain.CodeInvalid, "sandbox: webhook body is not an event: %w", err)
	}
	typ := ports.PaymentEventType(e.Type)
	switch typ {
	case ports.EventPaid, ports.EventFailed, ports.EventExpired, ports.EventRefunded:
	default:
		return ports.PaymentEvent{}, domain.Errorf(domain.CodeInvalid, "sandbox: unknown event type %q", e.Type)
	}
	if e.ID == "" || e.BookingID == "" || e.PaymentRef == "" || e.Amount < 0 {
		return ports.PaymentEvent{}, domain.Errorf(domain.CodeInvalid, "sandbox: event %q lacks an id, a booking, a payment or an amount", e.ID)
	}
	cur, err := domain.ParseCurrency(e.Currency)
	if err != nil {
		return ports.PaymentEvent{}, fmt.Errorf("sandbox: event %q: %w", e.ID, err)
	}
	return ports.PaymentEvent{
		Provider:   Provider,
		EventID:    e.ID,
		Type:       typ,
		BookingID:  e.BookingID,
		PaymentRef: e.PaymentRef,
		Amount:     domain.NewMoney(e.Amount, cur),
		At:         time.Unix(e.Created, 0).UTC(),
	}, nil
}

// newEvent records an event about c for amount and returns its id. The caller holds mu.
func (g *Gateway) newEvent(typ ports.PaymentEventType, c *checkout, amount domain.Money) string {
	ref := c.paymentRef
	if ref == "" {
		ref = c.ref
	}
	e := event{
		ID:         "evt_" + g.ids.NewID(),
		Type:       string(typ),
		BookingID:  c.bookingID,
		PaymentRef: ref,
		Amount:     amount.Amount(),
		Currency:   amount.Currency().Code(),
		Created:    g.clock.Now().Unix(),
	}
	body, err := json.Marshal(e)
	if err != nil {
		panic(err) // an event of strings and integers always encodes
	}
	g.events[e.ID] = body
	return e.ID
}

// delivery is the outcome of sending an event to the webhook URL.
type delivery struct {
	EventID   string `json:"event_id"`
	Delivered bool   `json:"delivered"`       // the webhook answered 2xx
	Status    int    `json:"webhook_status"`  // its status code; 0 if it could not be reached
	Error     string `json:"error,omitempty"` // why it could not be reached
	sent      bool   // the webhook answered at all
}

// deliver posts the stored event id to the webhook URL, signed now.
func (g *Gateway) deliver(ctx context.Context, id string) (delivery, bool) {
	g.mu.Lock()
	body, ok := g.events[id]
	g.mu.Unlock()
	if !ok {
		return delivery{}, false
	}
	d := delivery{EventID: id}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.webhookURL, bytes.NewReader(body))
	if err != nil {
		d.Error = err.Error()
		return d, true
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "matchpoint-sandbox/1")
	req.Header.Set(SignatureHeader, Sign(string(g.secret), g.clock.Now(), body))
	resp, err := g.client.Do(req)
	if err != nil {
		d.Error = err.Error()
		g.logger().Warn("sandbox webhook not delivered", "event_id", id, "url", g.webhookURL, "error", err)
		return d, true
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	d.sent, d.Status = true, resp.StatusCode
	d.Delivered = resp.StatusCode >= 200 && resp.StatusCode < 300
	if !d.Delivered {
		g.logger().Warn("sandbox webhook refused", "event_id", id, "url", g.webhookURL, "status", resp.StatusCode)
	}
	return d, true
}
