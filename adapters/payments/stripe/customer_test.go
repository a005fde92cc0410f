package stripe_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"
)

// The customer's side of Checkout, and the events Stripe sends about it.

// pay has the customer pay the session in full, as Checkout does: a PaymentIntent
// succeeds with its charge, the session completes, and Stripe sends
// checkout.session.completed.
func (s *standIn) pay(t *testing.T, sessionID string) (http.Header, []byte) {
	t.Helper()
	s.mu.Lock()
	cs, ok := s.sessions[sessionID]
	if !ok || cs.status != "open" {
		s.mu.Unlock()
		t.Fatalf("stand-in: no open session %q to pay", sessionID)
	}
	pi := s.attempt(cs)
	pi.status, pi.declined, pi.received = "succeeded", false, pi.amount
	pi.charge = fmt.Sprintf("ch_test_standin%d", nextID())
	cs.status, cs.paymentStatus = "complete", "paid"
	s.mu.Unlock()
	return s.event(t, "checkout.session.completed", s.render(t, "/v1/checkout/sessions/"+sessionID))
}

// decline has the customer's card declined: the session stays open, its PaymentIntent
// waits for another payment method, and Stripe sends payment_intent.payment_failed.
func (s *standIn) decline(t *testing.T, sessionID string) (http.Header, []byte) {
	t.Helper()
	s.mu.Lock()
	cs, ok := s.sessions[sessionID]
	if !ok || cs.status != "open" {
		s.mu.Unlock()
		t.Fatalf("stand-in: no open session %q", sessionID)
	}
	pi := s.attempt(cs)
	pi.status, pi.declined = "requires_payment_method", true
	s.mu.Unlock()
	return s.event(t, "payment_intent.payment_failed", s.render(t, "/v1/payment_intents/"+pi.id))
}

// expire lets the session expire unpaid: Stripe cancels its PaymentIntent, if the
// customer started one, and sends checkout.session.expired.
func (s *standIn) expire(t *testing.T, sessionID string) (http.Header, []byte) {
	t.Helper()
	s.mu.Lock()
	cs, ok := s.sessions[sessionID]
	if !ok || cs.status != "open" {
		s.mu.Unlock()
		t.Fatalf("stand-in: no open session %q", sessionID)
	}
	cs.status = "expired"
	if pi := s.intents[cs.intent]; pi != nil {
		pi.status = "canceled"
	}
	s.mu.Unlock()
	return s.event(t, "checkout.session.expired", s.render(t, "/v1/checkout/sessions/"+sessionID))
}

// refunded returns the charge.refunded event Stripe sends after a refund of the
// payment intent piID.
func (s *standIn) refunded(t *testing.T, piID string) (http.Header, []byte) {
	t.Helper()
	s.mu.Lock()
	var charge string
	if pi, ok := s.intents[piID]; ok {
		charge = pi.charge
	}
	s.mu.Unlock()
	if charge == "" {
		t.Fatalf("stand-in: no charge of %q", piID)
	}
	return s.event(t, "charge.refunded", s.render(t, "/v1/charges/"+charge))
}

// attempt returns the session's PaymentIntent, made when the customer first tries to
// pay. The caller holds mu.
func (s *standIn) attempt(cs *session) *intent {
	if pi, ok := s.intents[cs.intent]; ok {
		return pi
	}
	pi := &intent{
		id:       fmt.Sprintf("pi_test_standin%d", nextID()),
		currency: cs.currency,
		status:   "requires_payment_method",
		amount:   cs.amount,
		metadata: cs.intentMetadata,
		created:  time.Now().Unix(),
	}
	s.intents[pi.id] = pi
	cs.intent = pi.id
	return pi
}

// render returns an object as the API shows it: stripe-mock's fixture with the state
// laid over it.
func (s *standIn) render(t *testing.T, path string) map[string]any {
	t.Helper()
	fixture := s.fixture(t, path)
	s.mu.Lock()
	defer s.mu.Unlock()
	status, obj := s.route(http.MethodGet, path, nil, fixture)
	if status != http.StatusOK {
		t.Fatalf("stand-in: GET %s: %d %v", path, status, obj)
	}
	return obj
}

// fixture returns stripe-mock's answer to GET path.
func (s *standIn) fixture(t *testing.T, path string) map[string]any {
	t.Helper()
	status, raw, err := s.forward(http.MethodGet, path, http.Header{"Authorization": {"Bearer " + mockKey}}, nil)
	if err != nil || status != http.StatusOK {
		t.Fatalf("stripe-mock: GET %s: %d %s %v", path, status, raw, err)
	}
	m, err := decode(raw)
	if err != nil {
		t.Fatalf("stripe-mock: GET %s: %v", path, err)
	}
	return m
}

// event wraps obj in an event of type typ and signs it with the webhook secret. The
// envelope is stripe-mock's fixture of an event, api_version included: that is not
// stripe-go's, as an endpoint's may not be.
func (s *standIn) event(t *testing.T, typ string, obj map[string]any) (http.Header, []byte) {
	t.Helper()
	ev := s.fixture(t, "/v1/events/evt_standin")
	ev["id"] = fmt.Sprintf("evt_test_standin%d", nextID())
	ev["type"] = typ
	ev["created"] = time.Now().Unix()
	ev["livemode"] = false
	ev["data"] = map[string]any{"object": obj}
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return signed(s.webhookSecret, time.Now(), body), body
}

// signed returns the Stripe-Signature header Stripe would send with body at t.
func signed(secret string, t time.Time, body []byte) http.Header {
	p := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: t})
	return http.Header{"Stripe-Signature": {p.Header}}
}
