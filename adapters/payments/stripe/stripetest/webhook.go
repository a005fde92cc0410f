package stripetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/matchpoint/matchpoint/adapters/payments/stripe"
)

// forgerSecret signs what Forge returns: a webhook secret of no Account.
const forgerSecret = "whsec_not_this_accounts"

// Sign signs body as Stripe would now with the account's webhook secret, and returns
// the Stripe-Signature header. A redelivery is signed anew, so a replayed event is
// Sign of the body delivered before.
func (a *Account) Sign(t testing.TB, body []byte) http.Header {
	t.Helper()
	return a.SignAt(t, body, time.Now())
}

// SignAt signs body as Stripe would have at the given time, for the cases of a stale
// signature.
func (a *Account) SignAt(t testing.TB, body []byte, at time.Time) http.Header {
	t.Helper()
	return signed(a.webhookSecret, at, body)
}

// Forge signs body the way Stripe does, now, but with a secret that is not the
// account's: a webhook of someone who does not know the secret.
func (a *Account) Forge(t testing.TB, body []byte) http.Header {
	t.Helper()
	return signed(forgerSecret, time.Now(), body)
}

// signed returns the Stripe-Signature header Stripe would send with body at t.
func signed(secret string, t time.Time, body []byte) http.Header {
	p := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: t})
	return http.Header{stripe.SignatureHeader: {p.Header}}
}

// event wraps obj in an event of type typ, signed with the webhook secret. The envelope
// is stripe-mock's fixture of an event, api_version included: that is not stripe-go's,
// as an endpoint's may not be.
func (a *Account) event(t testing.TB, typ string, obj map[string]any) (http.Header, []byte) {
	t.Helper()
	ev := a.fixture(t, "/v1/events/evt_standin")
	ev["id"] = fmt.Sprintf("evt_test_standin%d", nextID())
	ev["type"] = typ
	ev["created"] = time.Now().Unix()
	ev["livemode"] = false
	ev["data"] = map[string]any{"object": obj}
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatalf("stripetest: %s event: %v", typ, err)
	}
	return a.Sign(t, body), body
}

// render returns an object as the API shows it: stripe-mock's fixture with the state
// laid over it.
func (a *Account) render(t testing.TB, path string) map[string]any {
	t.Helper()
	fixture := a.fixture(t, path)
	a.mu.Lock()
	status, obj := a.route(http.MethodGet, path, nil, fixture)
	a.mu.Unlock()
	if status != http.StatusOK {
		t.Fatalf("stripetest: GET %s: %d %v", path, status, obj)
	}
	return obj
}

// fixture returns stripe-mock's answer to GET path.
func (a *Account) fixture(t testing.TB, path string) map[string]any {
	t.Helper()
	status, raw, err := a.forward(http.MethodGet, path, http.Header{"Authorization": {"Bearer " + a.secretKey}}, nil)
	if err != nil || status != http.StatusOK {
		t.Fatalf("stripetest: stripe-mock: GET %s: %d %s %v", path, status, raw, err)
	}
	m, err := decode(raw)
	if err != nil {
		t.Fatalf("stripetest: stripe-mock: GET %s: %v", path, err)
	}
	return m
}
