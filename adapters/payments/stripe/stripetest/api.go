package stripetest

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The part of Stripe's API the stand-in models, laid over stripe-mock's fixtures.

type session struct {
	id, booking, email       string
	amount                   int64  // amount_total: what is asked, then what was paid
	currency                 string // of amount
	asked                    int64  // what the line item asks, in askedCurrency
	askedCurrency            string
	successURL, cancelURL    string
	created, expiresAt       int64
	metadata, intentMetadata map[string]string
	status, paymentStatus    string
	intent                   string // set once the customer tried to pay
}

type intent struct {
	id, charge, currency, status string
	amount, received             int64
	refunds                      []int64 // oldest first, through the API or the Dashboard
	metadata                     map[string]string
	declined                     bool
	created                      int64
}

// refunded is how much of pi has been refunded.
func (pi *intent) refunded() int64 {
	var sum int64
	for _, r := range pi.refunds {
		sum += r
	}
	return sum
}

// route lays the state over stripe-mock's answer to a request it accepted. The caller
// holds mu.
func (a *Account) route(method, path string, form url.Values, fixture map[string]any) (int, map[string]any) {
	get := func(prefix string) (string, bool) {
		id, ok := strings.CutPrefix(path, prefix)
		return id, ok && method == http.MethodGet && id != "" && !strings.Contains(id, "/")
	}
	if method == http.MethodPost && path == "/v1/checkout/sessions" {
		return a.createSession(form, fixture)
	}
	if method == http.MethodPost && path == "/v1/refunds" {
		return a.createRefund(form, fixture)
	}
	if id, ok := strings.CutPrefix(path, "/v1/checkout/sessions/"); ok && method == http.MethodPost {
		if id, ok := strings.CutSuffix(id, "/expire"); ok && id != "" && !strings.Contains(id, "/") {
			return a.expireSession(id, fixture)
		}
	}
	if id, ok := get("/v1/checkout/sessions/"); ok {
		if cs, ok := a.sessions[id]; ok {
			return http.StatusOK, a.sessionJSON(fixture, cs)
		}
		return missing("checkout.session", id, "session")
	}
	if id, ok := get("/v1/payment_intents/"); ok {
		if pi, ok := a.intents[id]; ok {
			return http.StatusOK, a.intentJSON(fixture, pi)
		}
		return missing("payment_intent", id, "intent")
	}
	if id, ok := get("/v1/charges/"); ok {
		for _, pi := range a.intents {
			if pi.charge == id {
				return http.StatusOK, chargeJSON(fixture, pi)
			}
		}
		return missing("charge", id, "charge")
	}
	return http.StatusNotImplemented, stripeError("api_error", "", "", "the stand-in does not model "+method+" "+path)
}

func (a *Account) createSession(form url.Values, fixture map[string]any) (int, map[string]any) {
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
		asked:          unit * quantity,
		askedCurrency:  form.Get(item + "[currency]"),
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
	a.sessions[cs.id] = cs
	return http.StatusOK, a.sessionJSON(fixture, cs)
}

// expireSession closes an open session, as POST /v1/checkout/sessions/{id}/expire
// does: it turns expired, and Stripe cancels its PaymentIntent if the customer started
// one. Stripe's API reference says only that expiring a session that is not open
// "returns an error"; the error here is the one the live API is reported to give
// (public reports quote it, e.g. Sylius/PayumStripePlugin#70): a 400
// invalid_request_error with the message below and no code, stripe-go v76 declaring
// no error code for it. The gateway must not rely on the message either.
func (a *Account) expireSession(id string, fixture map[string]any) (int, map[string]any) {
	cs, ok := a.sessions[id]
	if !ok {
		return missing("checkout.session", id, "session")
	}
	if cs.status != "open" {
		return http.StatusBadRequest, stripeError("invalid_request_error", "", "",
			fmt.Sprintf("Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a status of `%s`.", cs.status))
	}
	cs.status = "expired"
	if pi := a.intents[cs.intent]; pi != nil {
		pi.status = "canceled"
	}
	return http.StatusOK, a.sessionJSON(fixture, cs)
}

func (a *Account) createRefund(form url.Values, fixture map[string]any) (int, map[string]any) {
	piID := form.Get("payment_intent")
	pi, ok := a.intents[piID]
	switch {
	case piID == "":
		return http.StatusNotImplemented, stripeError("api_error", "", "", "the stand-in models refunds of a payment_intent only")
	case !ok:
		return missing("payment_intent", piID, "payment_intent")
	case pi.status != "succeeded":
		return http.StatusBadRequest, stripeError("invalid_request_error", "", "payment_intent",
			fmt.Sprintf("This PaymentIntent (%s) does not have a successful charge to refund.", pi.id))
	case pi.refunded() == pi.received:
		return http.StatusBadRequest, stripeError("invalid_request_error", "charge_already_refunded", "",
			fmt.Sprintf("Charge %s has already been refunded.", pi.charge))
	}
	left := pi.received - pi.refunded()
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
	pi.refunds = append(pi.refunds, amount)
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
func (a *Account) sessionJSON(fixture map[string]any, cs *session) map[string]any {
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
		fixture["payment_intent"] = a.intentJSON(expanded, a.intents[cs.intent])
	default:
		fixture["payment_intent"] = cs.intent
	}
	return fixture
}

// intentJSON lays pi over a fixture of a PaymentIntent. The caller holds mu.
func (a *Account) intentJSON(fixture map[string]any, pi *intent) map[string]any {
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
	refunded := pi.refunded()
	for k, v := range map[string]any{
		"id":              pi.charge,
		"amount":          pi.received,
		"amount_captured": pi.received,
		"amount_refunded": refunded,
		"refunded":        refunded == pi.received,
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
