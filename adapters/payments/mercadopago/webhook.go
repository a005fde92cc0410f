package mercadopago

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mercadopago/sdk-go/pkg/payment"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// The headers of a Webhooks notification.
const (
	// SignatureHeader carries "ts=<timestamp>,v1=<hex HMAC-SHA256>".
	SignatureHeader = "X-Signature"
	// RequestIDHeader carries the notification's request id, part of what is signed.
	RequestIDHeader = "X-Request-Id"
)

// notification is the body of a Webhooks notification:
//
//	{"id":12345678901,"live_mode":true,"type":"payment","date_created":"…","user_id":…,
//	 "api_version":"v1","action":"payment.updated","data":{"id":"1234567890"}}
//
// Only data.id is signed, so it is all the gateway reads besides the type.
type notification struct {
	Type string `json:"type"`
	Data struct {
		ID json.RawMessage `json:"id"`
	} `json:"data"`
}

// dataID returns data.id as text: a string in payment notifications, a number in
// some other topics.
func (n notification) dataID() string {
	var s string
	if json.Unmarshal(n.Data.ID, &s) == nil {
		return s
	}
	var num json.Number
	if json.Unmarshal(n.Data.ID, &num) == nil {
		return num.String()
	}
	return ""
}

// signedID returns the data.id of body, or "" when body has none.
func signedID(body []byte) string {
	var n notification
	if json.Unmarshal(body, &n) != nil {
		return ""
	}
	return n.dataID()
}

// manifest is what MercadoPago signs: "id:<data.id>;request-id:<x-request-id>;ts:<ts>;",
// the id lower-cased, and a part left out when its value is absent.
func manifest(dataID, requestID, ts string) string {
	var b strings.Builder
	if dataID != "" {
		b.WriteString("id:" + strings.ToLower(dataID) + ";")
	}
	if requestID != "" {
		b.WriteString("request-id:" + requestID + ";")
	}
	b.WriteString("ts:" + ts + ";")
	return b.String()
}

// signedAt reads a signature timestamp. MercadoPago's documentation shows seconds and
// its notifications carry milliseconds; a value past 10^11 (March 1973 in
// milliseconds, the year 5138 in seconds) is milliseconds.
func signedAt(ts string) (time.Time, bool) {
	n, err := strconv.ParseInt(ts, 10, 64)
	switch {
	case err != nil || n <= 0:
		return time.Time{}, false
	case n >= 1e11:
		return time.UnixMilli(n), true
	default:
		return time.Unix(n, 0), true
	}
}

func badSignature(format string, args ...any) error {
	return domain.Errorf(domain.CodeBadSignature, "mercadopago: "+format, args...)
}

// verify checks the x-signature of a notification. Several v1 values are allowed,
// one of which must match.
func (g *Gateway) verify(header http.Header, body []byte) error {
	sig := header.Get(SignatureHeader)
	if sig == "" {
		return badSignature("missing %s header", SignatureHeader)
	}
	var ts string
	var sums [][]byte
	for part := range strings.SplitSeq(sig, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "ts":
			ts = v
		case "v1":
			if sum, err := hex.DecodeString(v); err == nil {
				sums = append(sums, sum)
			}
		}
	}
	at, ok := signedAt(ts)
	if !ok || len(sums) == 0 {
		return badSignature("malformed %s header", SignatureHeader)
	}
	m := hmac.New(sha256.New, g.secret)
	m.Write([]byte(manifest(signedID(body), header.Get(RequestIDHeader), ts)))
	want := m.Sum(nil)
	matched := false
	for _, sum := range sums {
		matched = hmac.Equal(want, sum) || matched
	}
	if !matched {
		return badSignature("signature does not match")
	}
	if age := g.clock.Now().Sub(at); age.Abs() > g.tolerance {
		return badSignature("signature timestamp is %s away from now, beyond the tolerance of %s", age.Abs().Round(time.Second), g.tolerance)
	}
	return nil
}

// ParseWebhook verifies a Webhooks notification and returns the event of the payment
// it is about.
//
// MercadoPago signs the notification's data.id, its x-request-id header and a
// timestamp, not its body. Real notifications carry data.id in the query string
// (?data.id=…&type=payment), which ParseWebhook does not see: it takes data.id from
// the body, which holds the same value. A body whose data.id was changed fails the
// signature; nothing else in the body is trusted. A missing, malformed, wrong or
// stale signature is unauthorized (bad_signature); a verified body that is not a
// payment notification is invalid.
//
// The notification says only which payment changed, so the payment is read back
// with GET /v1/payments/{id}, under a background context bounded by
// Config.WebhookTimeout (ParseWebhook has no context of its own): status, amount
// and booking (the external_reference) come from the API. Its status gives the
// event type (see statusOf): paid, failed, expired or refunded. The EventID is
// "<payment id>:<status>", the same on every notification of the payment in that
// status, replays included, and new when the status changes. A payment still
// pending gives an EventPending: its outcome comes in a later notification. A failed
// lookup is unavailable, so that MercadoPago delivers the notification again.
func (g *Gateway) ParseWebhook(header http.Header, body []byte) (ports.PaymentEvent, error) {
	if err := g.verify(header, body); err != nil {
		return ports.PaymentEvent{}, err
	}
	var n notification
	if err := json.Unmarshal(body, &n); err != nil {
		return ports.PaymentEvent{}, domain.Errorf(domain.CodeInvalid, "mercadopago: webhook body is not a notification: %w", err)
	}
	if n.Type != "payment" {
		// A topic Match Point does not use: acknowledged, so that MercadoPago stops
		// sending it.
		return ports.PaymentEvent{Provider: Provider, EventID: n.Type + ":" + n.dataID(), Type: ports.EventUnrelated, At: g.clock.Now().UTC()}, nil
	}
	id, ok := paymentID(n.dataID())
	if !ok {
		return ports.PaymentEvent{}, invalidf("mercadopago: payment notification names no payment (data.id %q)", n.dataID())
	}
	ctx, cancel := context.WithTimeout(context.Background(), g.webhookTimeout)
	defer cancel()
	p, err := g.payments.Get(ctx, id)
	if err != nil {
		return ports.PaymentEvent{}, apiError(err, "payment "+strconv.Itoa(id), true)
	}
	return g.eventOf(p)
}

// eventOf is the event of a payment in its current state.
func (g *Gateway) eventOf(p *payment.Response) (ports.PaymentEvent, error) {
	pay, err := paymentOf(p)
	if err != nil {
		return ports.PaymentEvent{}, err
	}
	if pay.BookingID == "" {
		// No external_reference: a sale made on the account outside Match Point (a QR
		// code, a point of sale), which the account's webhooks report too.
		return ports.PaymentEvent{Provider: Provider, EventID: pay.Ref + ":" + p.Status, Type: ports.EventUnrelated, At: g.clock.Now().UTC()}, nil
	}
	ev := ports.PaymentEvent{
		Provider:   Provider,
		EventID:    pay.Ref + ":" + p.Status,
		BookingID:  pay.BookingID,
		PaymentRef: pay.Ref,
		Amount:     pay.Amount,
		At:         g.clock.Now().UTC(),
	}
	switch pay.Status {
	case ports.PaymentPaid:
		ev.Type = ports.EventPaid
	case ports.PaymentFailed:
		ev.Type = ports.EventFailed
	case ports.PaymentExpired:
		ev.Type = ports.EventExpired
	case ports.PaymentRefunded:
		ev.Type = ports.EventRefunded
		if p.TransactionAmountRefunded > 0 { // a chargeback refunds nothing itself
			if ev.Amount, err = money(p.TransactionAmountRefunded, pay.Amount.Currency()); err != nil {
				return ports.PaymentEvent{}, err
			}
		}
	default: // pending, in process: the outcome comes in a later notification
		ev.Type = ports.EventPending
	}
	// When it happened: approval for a payment, the last change otherwise.
	at := p.DateLastUpdated
	if ev.Type == ports.EventPaid && !p.DateApproved.IsZero() {
		at = p.DateApproved
	}
	if at.IsZero() {
		at = p.DateCreated
	}
	if !at.IsZero() {
		ev.At = at.UTC()
	}
	return ev, nil
}
