package stripe_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// standIn is a Stripe account for one test: a server that the gateway takes for
// Stripe's API, in front of stripe-mock.
//
// stripe-mock checks every request against Stripe's OpenAPI spec (unknown parameters,
// wrong types, missing fields, the API key) and answers with a fixture of the right
// shape, but it keeps no state. The stand-in forwards each request to stripe-mock and
// relays a refusal as it is; on success it lays what it keeps (sessions,
// PaymentIntents, charges, refunds, idempotency keys) over stripe-mock's fixture. It
// also enforces what Stripe does and a spec cannot say, as far as the gateway relies on
// it: unknown ids are 404, an idempotency key replays its first answer or is refused
// for other parameters, a session expires 30 minutes to 24 hours after it is created,
// and refunds add up to at most what was paid.
//
// The customer's side of Checkout is played by the test, through pay, decline and
// expire, which change the state as Stripe would and return the signed webhook event
// Stripe would send.
type standIn struct {
	*httptest.Server
	mockURL       string
	webhookSecret string

	mu       sync.Mutex
	outage   int // when non-zero, every request is answered with this status
	seen     []seenRequest
	sessions map[string]*session
	intents  map[string]*intent
	idem     map[string]idempotent
}

// seenRequest is a request the stand-in received.
type seenRequest struct {
	Method, Path   string
	APIKey         string
	IdempotencyKey string
	Form           url.Values // the form of a POST, the query of a GET
	MockStatus     int        // stripe-mock's answer; 0 if it was not asked
}

type session struct {
	id, booking, email, currency string
	successURL, cancelURL        string
	amount, created, expiresAt   int64
	metadata, intentMetadata     map[string]string
	status, paymentStatus        string
	intent                       string // set once the customer tried to pay
}

type intent struct {
	id, charge, currency, status string
	amount, received, refunded   int64
	metadata                     map[string]string
	declined                     bool
	created                      int64
}

// idempotent is the first answer to an idempotency key.
type idempotent struct {
	path   string
	form   url.Values
	status int
	body   []byte
}

func newStandIn(t *testing.T, webhookSecret string) *standIn {
	t.Helper()
	s := &standIn{
		mockURL:       stripeMock(t),
		webhookSecret: webhookSecret,
		sessions:      map[string]*session{},
		intents:       map[string]*intent{},
		idem:          map[string]idempotent{},
	}
	s.Server = httptest.NewServer(s)
	t.Cleanup(s.Close)
	return s
}

// requests returns what the stand-in has received so far.
func (s *standIn) requests() []seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seenRequest(nil), s.seen...)
}

// failWith answers every request from now on with status, as Stripe having trouble
// would; 0 restores service.
func (s *standIn) failWith(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outage = status
}

// lastID numbers the objects of every stand-in, so that ids are unique, as Stripe's are.
var lastID atomic.Int64

func nextID() int64 { return lastID.Add(1) }

func (s *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form := r.URL.Query()
	if r.Method == http.MethodPost {
		form, _ = url.ParseQuery(string(body))
	}
	key, _, _ := r.BasicAuth()
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		key = bearer
	}
	seen := seenRequest{Method: r.Method, Path: r.URL.Path, APIKey: key, IdempotencyKey: r.Header.Get("Idempotency-Key"), Form: form}

	s.mu.Lock()
	outage := s.outage
	s.mu.Unlock()
	if outage != 0 {
		s.record(seen)
		writeJSON(w, outage, stripeError("api_error", "", "", "the stand-in plays an outage"))
		return
	}

	status, raw, err := s.forward(r.Method, r.URL.RequestURI(), r.Header, body)
	if err != nil {
		s.record(seen)
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	seen.MockStatus = status
	s.record(seen)
	if status != http.StatusOK {
		// stripe-mock refused the request: Stripe would have too.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(raw)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method == http.MethodPost && seen.IdempotencyKey != "" {
		if first, ok := s.idem[seen.IdempotencyKey]; ok {
			if first.path != r.URL.Path || !reflect.DeepEqual(first.form, form) {
				writeJSON(w, http.StatusBadRequest, stripeError("idempotency_error", "", "", fmt.Sprintf(
					"Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '%s' if you meant to execute a different request.", seen.IdempotencyKey)))
				return
			}
			w.Header().Set("Idempotent-Replayed", "true")
			writeRaw(w, first.status, first.body)
			return
		}
	}
	fixture, err := decode(raw)
	if err != nil {
		http.Error(w, "stripe-mock answered "+err.Error(), http.StatusBadGateway)
		return
	}
	status, answer := s.route(r.Method, r.URL.Path, form, fixture)
	out, _ := json.Marshal(answer)
	if r.Method == http.MethodPost && seen.IdempotencyKey != "" {
		s.idem[seen.IdempotencyKey] = idempotent{path: r.URL.Path, form: form, status: status, body: out}
	}
	writeRaw(w, status, out)
}

func (s *standIn) record(r seenRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, r)
}

// forward asks stripe-mock.
func (s *standIn) forward(method, uri string, header http.Header, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(method, s.mockURL+uri, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header = header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

// route lays the state over stripe-mock's answer to a request it accepted. The caller
// holds mu.
func (s *standIn) route(method, path string, form url.Values, fixture map[string]any) (int, map[string]any) {
	get := func(prefix string) (string, bool) {
		id, ok := strings.CutPrefix(path, prefix)
		return id, ok && method == http.MethodGet && id != "" && !strings.Contains(id, "/")
	}
	if method == http.MethodPost && path == "/v1/checkout/sessions" {
		return s.createSession(form, fixture)
	}
	if method == http.MethodPost && path == "/v1/refunds" {
		return s.createRefund(form, fixture)
	}
	if id, ok := get("/v1/checkout/sessions/"); ok {
		if cs, ok := s.sessions[id]; ok {
			return http.StatusOK, s.sessionJSON(fixture, cs)
		}
		return missing("checkout.session", id, "session")
	}
	if id, ok := get("/v1/payment_intents/"); ok {
		if pi, ok := s.intents[id]; ok {
			return http.StatusOK, s.intentJSON(fixture, pi)
		}
		return missing("payment_intent", id, "intent")
	}
	if id, ok := get("/v1/charges/"); ok {
		for _, pi := range s.intents {
			if pi.charge == id {
				return http.StatusOK, chargeJSON(fixture, pi)
			}
		}
		return missing("charge", id, "charge")
	}
	return http.StatusNotImplemented, stripeError("api_error", "", "", "the stand-in does not model "+method+" "+path)
}

func (s *standIn) createSession(form url.Values, fixture map[string]any) (int, map[string]any) {
	const item = "line_items[0][price_data]"
	unit, err1 := strconv.ParseInt(form.Get(item+"[unit_amount]"), 10, 64)
	quantity, err2 := strconv.ParseInt(form.Get("line_items[0][quantity]"), 10, 64)
	if err1 != nil || err2 != nil || form.Has("line_items[1][quantity]") || form.Get("mode") != "payment" {
		return http.StatusNotImplemented, stripeError("api_error", "", "", "the stand-in models payment sessions of one price_data line item only")
	}
	now := time.Now()
	expiresAt := now.Add(24 * time.Hour).Unix()
	if v := form.Get("expires_at"); v != "" {
		expiresAt, _ = strconv.ParseInt(v, 10, 64)
		switch at := time.Unix(expiresAt, 0); {
		case at.Before(now.Add(30 * time.Minute)):
			return http.StatusBadRequest, stripeError("invalid_request_error", "", "expires_at", "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.")
		case at.After(now.Add(24 * time.Hour)):
			return http.StatusBadRequest, stripeError("invalid_request_error", "", "expires_at", "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.")
		}
	}
	cs := &session{
		id:             fmt.Sprintf("cs_test_standin%d", nextID()),
		booking:        form.Get("client_reference_id"),
		email:          form.Get("customer_email"),
		currency:       form.Get(item + "[currency]"),
		successURL:     form.Get("success_url"),
		cancelURL:      form.Get("cancel_url"),
		amount:         unit * quantity,
		created:        now.Unix(),
		expiresAt:      expiresAt,
		metadata:       subForm(form, "metadata"),
		intentMetadata: subForm(form, "payment_intent_data[metadata]"),
		status:         "open",
		paymentStatus:  "unpaid",
	}
	s.sessions[cs.id] = cs
	return http.StatusOK, s.sessionJSON(fixture, cs)
}

func (s *standIn) createRefund(form url.Values, fixture map[string]any) (int, map[string]any) {
	piID := form.Get("payment_intent")
	pi, ok := s.intents[piID]
	switch {
	case piID == "":
		return http.StatusNotImplemented, stripeError("api_error", "", "", "the stand-in models refunds of a payment_intent only")
	case !ok:
		return missing("payment_intent", piID, "payment_intent")
	case pi.status != "succeeded":
		return http.StatusBadRequest, stripeError("invalid_request_error", "", "payment_intent",
			fmt.Sprintf("This PaymentIntent (%s) does not have a successful charge to refund.", pi.id))
	case pi.refunded == pi.received:
		return http.StatusBadRequest, stripeError("invalid_request_error", "charge_already_refunded", "",
			fmt.Sprintf("Charge %s has already been refunded.", pi.charge))
	}
	left := pi.received - pi.refunded
	amount := left
	if v := form.Get("amount"); v != "" {
		var err error
		if amount, err = strconv.ParseInt(v, 10, 64); err != nil || amount < 1 {
			return http.StatusBadRequest, stripeError("invalid_request_error", "parameter_invalid_integer", "amount", "Invalid positive integer")
		}
	}
	if amount > left {
		return http.StatusBadRequest, stripeError("invalid_request_error", "", "amount",
			fmt.Sprintf("Refund amount (%d %s) is greater than unrefunded amount on charge (%d %s)", amount, pi.currency, left, pi.currency))
	}
	pi.refunded += amount
	fixture["id"] = fmt.Sprintf("re_test_standin%d", nextID())
	fixture["amount"] = amount
	fixture["currency"] = pi.currency
	fixture["payment_intent"] = pi.id
	fixture["charge"] = pi.charge
	fixture["metadata"] = subForm(form, "metadata")
	fixture["status"] = "succeeded"
	fixture["created"] = time.Now().Unix()
	return http.StatusOK, fixture
}

// sessionJSON lays cs over a fixture of a session. The caller holds mu.
func (s *standIn) sessionJSON(fixture map[string]any, cs *session) map[string]any {
	for k, v := range map[string]any{
		"id":                  cs.id,
		"mode":                "payment",
		"amount_subtotal":     cs.amount,
		"amount_total":        cs.amount,
		"currency":            cs.currency,
		"client_reference_id": cs.booking,
		"customer_email":      nullable(cs.email),
		"metadata":            cs.metadata,
		"status":              cs.status,
		"payment_status":      cs.paymentStatus,
		"created":             cs.created,
		"expires_at":          cs.expiresAt,
		"success_url":         cs.successURL,
		"cancel_url":          cs.cancelURL,
		"livemode":            false,
		"url":                 nil, // only an open session can be paid
	} {
		fixture[k] = v
	}
	if cs.status == "open" {
		fixture["url"] = "https://checkout.stripe.com/c/pay/" + cs.id
	}
	expanded, isObject := fixture["payment_intent"].(map[string]any)
	switch {
	case cs.intent == "":
		fixture["payment_intent"] = nil
	case isObject:
		fixture["payment_intent"] = s.intentJSON(expanded, s.intents[cs.intent])
	default:
		fixture["payment_intent"] = cs.intent
	}
	return fixture
}

// intentJSON lays pi over a fixture of a PaymentIntent. The caller holds mu.
func (s *standIn) intentJSON(fixture map[string]any, pi *intent) map[string]any {
	for k, v := range map[string]any{
		"id":                 pi.id,
		"amount":             pi.amount,
		"amount_received":    pi.received,
		"currency":           pi.currency,
		"status":             pi.status,
		"metadata":           pi.metadata,
		"created":            pi.created,
		"livemode":           false,
		"last_payment_error": nil,
		"canceled_at":        nil,
	} {
		fixture[k] = v
	}
	if pi.declined {
		fixture["last_payment_error"] = stripeError("card_error", "card_declined", "", "Your card was declined.")["error"]
	}
	if pi.status == "canceled" {
		fixture["canceled_at"] = time.Now().Unix()
	}
	expanded, isObject := fixture["latest_charge"].(map[string]any)
	switch {
	case pi.charge == "":
		fixture["latest_charge"] = nil
	case isObject:
		fixture["latest_charge"] = chargeJSON(expanded, pi)
	default:
		fixture["latest_charge"] = pi.charge
	}
	return fixture
}

// chargeJSON lays the charge of pi over a fixture of a charge.
func chargeJSON(fixture map[string]any, pi *intent) map[string]any {
	for k, v := range map[string]any{
		"id":              pi.charge,
		"amount":          pi.received,
		"amount_captured": pi.received,
		"amount_refunded": pi.refunded,
		"refunded":        pi.refunded == pi.received,
		"currency":        pi.currency,
		"metadata":        pi.metadata, // a charge takes its PaymentIntent's metadata
		"payment_intent":  pi.id,
		"paid":            true,
		"captured":        true,
		"status":          "succeeded",
		"livemode":        false,
	} {
		fixture[k] = v
	}
	// Since API version 2022-11-15 a charge lists its refunds only when asked to;
	// the fixture still carries a sample list.
	delete(fixture, "refunds")
	return fixture
}

// subForm returns the entries of form under prefix: subForm(f, "metadata") of
// metadata[a]=1 is {a: 1}.
func subForm(form url.Values, prefix string) map[string]string {
	m := map[string]string{}
	for k, v := range form {
		if name, ok := strings.CutPrefix(k, prefix+"["); ok && strings.HasSuffix(name, "]") && !strings.Contains(name, "[") {
			m[strings.TrimSuffix(name, "]")] = v[0]
		}
	}
	return m
}

func missing(object, id, param string) (int, map[string]any) {
	e := stripeError("invalid_request_error", "resource_missing", param, fmt.Sprintf("No such %s: '%s'", object, id))
	return http.StatusNotFound, e
}

func stripeError(typ, code, param, message string) map[string]any {
	e := map[string]any{"type": typ, "message": message}
	if code != "" {
		e["code"] = code
	}
	if param != "" {
		e["param"] = param
	}
	return map[string]any{"error": e}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func decode(raw []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	return m, d.Decode(&m)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", "req_standin")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
