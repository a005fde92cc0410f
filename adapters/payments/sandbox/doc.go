// Package sandbox is the embedded default ports.PaymentGateway: a payment provider
// that lives inside the example server, so that the whole booking flow — checkout,
// payment, signed webhook, refund — runs on one machine without an account anywhere.
//
// The gateway keeps checkouts, payments, refunds and events in memory. Its Handler
// serves the provider's side: a checkout page with a Pay button, and endpoints that
// pay, decline or expire a checkout, refund from the "dashboard" and re-send an event.
// Each of them delivers a signed webhook event to Config.WebhookURL, as a real
// provider would, and ParseWebhook verifies it there. Paying takes optional amount
// (minor units) and currency parameters, to see what a payment of another amount or
// in another currency does. ExpireCheckout closes a checkout from the club's side
// (when its hold ends): it then reads expired and its page and pay endpoint refuse to
// take a payment.
//
// # Webhooks
//
// An event is a JSON body
//
//	{"id":"evt_…","type":"paid","booking_id":"…","payment_ref":"pi_…","amount":1600000,"currency":"ARS","created":1767225600}
//
// with type paid, failed, expired or refunded and the amount in minor units, sent
// with the header
//
//	Sandbox-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//
// ParseWebhook accepts a signature whose timestamp is within Config.Tolerance of now.
// A re-sent event keeps its id and is signed again with a new timestamp.
//
// The Handler is for demos and tests: it lets anyone pay any checkout, so it must
// never be exposed where real money is involved.
//
// The package imports ports, domain, Wire (for its ProviderSet) and the standard
// library; it must not import another adapter.
package sandbox
