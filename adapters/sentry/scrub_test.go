package sentry

import (
	"testing"

	sentrygo "github.com/getsentry/sentry-go"
	"github.com/stretchr/testify/assert"
)

func TestScrub(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		// Kept: what a report is for.
		{"", ""},
		{"refund of 6000.00 ARS refused", "refund of 6000.00 ARS refused"},
		{"booking 0190a5d2-ac96-774b-bcce-b302099a8057", "booking 0190a5d2-ac96-774b-bcce-b302099a8057"},
		{"payment 1234567890 of event 98765432101", "payment 1234567890 of event 98765432101"},
		{"session cs_test_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0", "session cs_test_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0"},
		{"pk_test_51HqLyjWDarjtT1zd is public", "pk_test_51HqLyjWDarjtT1zd is public"},
		{"the token expired", "the token expired"},
		{"GET https://api.stripe.com/v1/refunds failed", "GET https://api.stripe.com/v1/refunds failed"},
		{"TestReportersShareNothingAtAllWhatsoever", "TestReportersShareNothingAtAllWhatsoever"},

		// URLs.
		{"https://club.example.com/b?token=abc&x=1 failed", "https://club.example.com/b?[redacted] failed"},
		{"see https://club.example.com/b#access=xyz", "see https://club.example.com/b?[redacted]"},
		{"dial postgres://mp:hunter2@db:5432/mp?sslmode=disable: refused", "dial postgres://mp:[redacted]@db:5432/mp?[redacted] refused"},
		{"/v1/bookings/b1?token=abc", "/v1/bookings/b1?[redacted]"},
		{`GET /v1/x?a=1 and path="/y?b=2"`, `GET /v1/x?[redacted] and path="/y?[redacted]"`},
		{"why? because/so?", "why? because/so?"},

		// Credentials by form.
		{"Authorization: Bearer abc.def-ghi", "Authorization: [redacted] [redacted]"},
		{"bearer abc.def-ghi", "bearer [redacted]"},
		{"Basic dXNlcjpwYXNz", "Basic [redacted]"},
		{"client_secret=abc123&grant=x", "client_secret=[redacted]&grant=x"},
		{`{"access_token": "abc", "webhook_secret":"def"}`, `{"access_token": "[redacted]", "webhook_secret":"[redacted]"}`},
		{"password: hunter2, api_key=k1, X-Api-Key: k2", "password: [redacted], api_key=[redacted], X-Api-Key: [redacted]"},
		{"Cookie: sid=abc", "Cookie: [redacted]"},

		// Credentials by prefix.
		{"key mpk_Zm9vYmFy-_x revoked", "key mpk_[redacted] revoked"},
		{"sk_live_51HqLyjWDarjtT1zd sk_test_1", "sk_[redacted] sk_[redacted]"},
		{"rk_live_abc whsec_abc123", "rk_[redacted] whsec_[redacted]"},
		{"APP_USR-1234567890123456-120212-abcdef-987654321 and TEST-8765-12", "APP_USR-[redacted] and TEST-[redacted]"},
		{"task_id and risk_level stay", "task_id and risk_level stay"},

		// Customers.
		{"mail to ana.perez+padel@example.com.ar failed", "mail to [email] failed"},
		{"card 4242424242424242 declined", "card [card] declined"},
		{"card 4000 0566 5566 5556 and 5555-5555-5555-4444", "card [card] and [card]"},
		{"378282246310005 (amex, 15 digits)", "[card] (amex, 15 digits)"},
		{"12345678901 is short", "12345678901 is short"},

		// Long base64url runs: tokens and hashes, not UUIDs.
		{"token q7Vd0kL9s2XbT4mN8pR1wYc6Ze3Hj5Ua0GiKoPl2Fxs given", "token [token] given"},
		{"hash 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "hash [token]"},
		{"key-0190a5d2-ac96-774b-bcce-b302099a8057", "key-0190a5d2-ac96-774b-bcce-b302099a8057"},
		{"0190a5d2-ac96-774b-bcce-b302099a8057q7Vd0kL9s2XbT4mN8pR1wYc6Ze3Hj5Ua0G", "0190a5d2-ac96-774b-bcce-b302099a8057[token]"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, scrub(c.in), "scrub(%q)", c.in)
	}
}

func TestScrubValueByName(t *testing.T) {
	t.Parallel()
	cases := []struct{ key, value, want string }{
		{"Authorization", "Custom abc", redacted},
		{"Proxy-Authorization", "x", redacted},
		{"Cookie", "a=b", redacted},
		{"Set-Cookie", "a=b", redacted},
		{"X-Api-Key", "k", redacted},
		{"access_token", "t", redacted},
		{"webhook_secret", "s", redacted},
		{"Stripe-Signature", "t=1,v1=abc", redacted},
		{"customer_email", "not even an address", emailMark},
		{"E-Mail", "x", emailMark},
		{"booking", "b1 of ana@example.com", "b1 of " + emailMark},
		{"booking", "", ""},
		{"token", "", ""},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, scrubValue(c.key, c.value), "scrubValue(%q, %q)", c.key, c.value)
	}
}

func TestScrubEvent(t *testing.T) {
	t.Parallel()
	ev := &sentrygo.Event{
		Message:     "for ana@example.com",
		Transaction: "GET /x?token=t",
		Fingerprint: []string{"{{ default }}", "4242424242424242"},
		Exception:   []sentrygo.Exception{{Type: "*errors.errorString", Value: "key mpk_abc"}},
		Tags:        map[string]string{"booking": "b1", "authorization": "Bearer x", "to": "ana@example.com"},
		Contexts: map[string]sentrygo.Context{"attrs": {
			"note":   "sk_live_abc",
			"nested": map[string]any{"password": "p", "list": []any{"ana@example.com", 1}},
			"pairs":  map[string]string{"cookie": "c", "x": "4242424242424242"},
			"values": []string{"whsec_abc"},
		}},
		Breadcrumbs: []*sentrygo.Breadcrumb{{Message: "to ana@example.com", Data: map[string]any{"secret": "s"}}},
		User:        sentrygo.User{ID: "u1", Email: "ana@example.com", IPAddress: "192.0.2.1", Name: "Ana", Username: "ana", Data: map[string]string{"k": "v"}},
		Request: &sentrygo.Request{
			URL:         "https://club.example.com/v1/b?token=t#f",
			Method:      "POST",
			Data:        `{"name":"Ana"}`,
			QueryString: "token=t",
			Cookies:     "sid=s",
			Headers:     map[string]string{"Authorization": "Bearer t", "Cookie": "sid=s", "User-Agent": "curl", "X-Forwarded-For": "mail ana@example.com"},
			Env:         map[string]string{"REMOTE_ADDR": "192.0.2.1"},
		},
	}
	scrubEvent(ev)

	assert.Equal(t, "for [email]", ev.Message)
	assert.Equal(t, "GET /x?[redacted]", ev.Transaction)
	assert.Equal(t, []string{"{{ default }}", "[card]"}, ev.Fingerprint)
	assert.Equal(t, "key mpk_[redacted]", ev.Exception[0].Value)
	assert.Equal(t, "*errors.errorString", ev.Exception[0].Type)
	assert.Equal(t, map[string]string{"booking": "b1", "authorization": redacted, "to": emailMark}, ev.Tags)
	assert.Equal(t, sentrygo.Context{
		"note":   "sk_[redacted]",
		"nested": map[string]any{"password": redacted, "list": []any{emailMark, 1}},
		"pairs":  map[string]string{"cookie": redacted, "x": cardMark},
		"values": []string{"whsec_[redacted]"},
	}, ev.Contexts["attrs"])
	assert.Equal(t, "to [email]", ev.Breadcrumbs[0].Message)
	assert.Equal(t, map[string]any{"secret": redacted}, ev.Breadcrumbs[0].Data)
	assert.Equal(t, sentrygo.User{ID: "u1"}, ev.User)
	assert.Equal(t, &sentrygo.Request{
		URL:     "https://club.example.com/v1/b",
		Method:  "POST",
		Data:    redacted,
		Headers: map[string]string{"Authorization": redacted, "Cookie": redacted, "User-Agent": "curl", "X-Forwarded-For": "mail [email]"},
	}, ev.Request)
}
