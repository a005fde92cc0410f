package mptest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// The headers of a signed notification, as MercadoPago names them. The fake spells
// them, and builds the manifest and the signature below, on its own rather than with
// the gateway's names and code, so that a mistake in the gateway's reading of the
// scheme cannot be mirrored here and pass unseen.
const (
	signatureHeader = "X-Signature"
	requestIDHeader = "X-Request-Id"
)

// notificationJSON is the body of a Webhooks notification of a payment.
type notificationJSON struct {
	Action     string `json:"action"`
	APIVersion string `json:"api_version"`
	Data       struct {
		ID string `json:"id"`
	} `json:"data"`
	DateCreated string `json:"date_created"`
	ID          int64  `json:"id"`
	LiveMode    bool   `json:"live_mode"`
	Type        string `json:"type"`
	UserID      int64  `json:"user_id"`
}

// notify returns the notification of payment id with action, signed now.
func (a *Account) notify(t testing.TB, id int64, action string) (http.Header, []byte) {
	t.Helper()
	now := a.now()
	n := notificationJSON{Action: action, APIVersion: "v1", DateCreated: mpTime(now), Type: "payment", UserID: collectorID}
	n.Data.ID = strconv.FormatInt(id, 10)
	a.mu.Lock()
	n.ID = a.nextIDLocked()
	a.mu.Unlock()
	body, err := json.Marshal(n)
	if err != nil {
		t.Fatalf("mptest: a notification: %v", err)
	}
	return a.Sign(t, body), body
}

// Sign signs body as MercadoPago would now, with the account's secret and a new
// x-request-id. A redelivery signed with Sign is signed anew; MercadoPago does not
// document whether a redelivery is, and a test of the other case delivers the first
// header again.
func (a *Account) Sign(t testing.TB, body []byte) http.Header {
	t.Helper()
	return SignedHeader(a.secret, body, strconv.FormatInt(a.now().UnixMilli(), 10), "bb56a2f1-6aae-46ac-982e-"+random(6))
}

// Forge signs body as Sign does, but with a secret that is not the account's.
func (a *Account) Forge(t testing.TB, body []byte) http.Header {
	t.Helper()
	return SignedHeader(random(32), body, strconv.FormatInt(a.now().UnixMilli(), 10), "bb56a2f1-6aae-46ac-982e-"+random(6))
}

// SignedHeader returns the headers of a notification body signed with secret as
// MercadoPago signs:
//
//	X-Signature:  ts=<ts>,v1=<hex HMAC-SHA256(secret, "id:<data.id>;request-id:<requestID>;ts:<ts>;")>
//	X-Request-Id: <requestID>
//
// data.id is taken from body and lower-cased; a part of the manifest is left out when
// its value is absent (a body without data.id, or an empty requestID, which also
// leaves X-Request-Id out). ts is written as given: notifications carry milliseconds
// since the epoch, MercadoPago's documentation shows seconds.
func SignedHeader(secret string, body []byte, ts, requestID string) http.Header {
	var manifest strings.Builder
	if id := dataID(body); id != "" {
		manifest.WriteString("id:" + strings.ToLower(id) + ";")
	}
	h := http.Header{}
	if requestID != "" {
		h.Set(requestIDHeader, requestID)
		manifest.WriteString("request-id:" + requestID + ";")
	}
	manifest.WriteString("ts:" + ts + ";")
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(manifest.String()))
	h.Set(signatureHeader, "ts="+ts+",v1="+hex.EncodeToString(m.Sum(nil)))
	h.Set("Content-Type", "application/json")
	return h
}

// PaymentRef returns the payment a notification body names, its data.id: the payment
// ref of the gateway's events and payments. It fails t for a body that names none.
func PaymentRef(t testing.TB, body []byte) string {
	t.Helper()
	id := dataID(body)
	if id == "" {
		t.Fatalf("mptest: notification %s names no payment", body)
	}
	return id
}

// dataID returns the data.id of a notification body as text (a string in payment
// notifications, a number in some other topics), or "".
func dataID(body []byte) string {
	var n struct {
		Data struct {
			ID json.RawMessage `json:"id"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &n) != nil {
		return ""
	}
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
