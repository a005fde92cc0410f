// Package mercadopago is the ports.PaymentGateway of MercadoPago's Checkout Pro,
// built on the official SDK (github.com/mercadopago/sdk-go): bookings are paid on
// MercadoPago's hosted checkout, confirmed by signed Webhooks notifications, and
// refunded through the Refunds API.
//
// # Checkouts
//
// A booking's checkout is a preference (POST /checkout/preferences) with the booking
// id as external_reference, one item priced at the booking's amount, the payer's
// email, the configured notification_url and back_urls, and an expiry at the end of
// the hold (expires, expiration_date_from/to, and date_of_expiration for cash
// methods). The checkout's Ref is the preference id, its URL the init_point.
// ExpireCheckout closes it at once, whatever its expiry says (the application calls
// it when the hold expires): it updates the preference (PUT
// /checkout/preferences/{id}) to expire now.
//
// Creating a checkout twice returns the same one, across server instances and
// restarts, with no state in the gateway: the booking's preference is searched by
// external_reference first (GET /checkout/preferences/search), and created with the
// deterministic idempotency key "checkout:<booking id>" otherwise. See
// Gateway.CreateCheckout.
//
// # Payments and refunds
//
// GetPayment takes a payment id (GET /v1/payments/{id}) or a preference id, whose
// payments are found by external_reference (GET /v1/payments/search). Statuses map
// to provider-neutral ones as statusOf documents: approved is paid, pending and
// in_process are pending, rejected and cancelled are failed, refunded and
// charged_back are refunded, and a partly refunded payment stays paid.
//
// Refunds (POST /v1/payments/{id}/refunds) carry the refund request's idempotency
// key as X-Idempotency-Key, so that a retried refund is made once.
//
// Amounts are integer minor units everywhere in Match Point; the API's decimal
// amounts cross as decimal text, never through float arithmetic (see money.go).
//
// # Webhooks
//
// MercadoPago signs a notification with
//
//	x-signature: ts=<timestamp>,v1=<hex HMAC-SHA256(secret, "id:<data.id>;request-id:<x-request-id>;ts:<timestamp>;")>
//
// ParseWebhook checks it in constant time, takes data.id from the body (the query
// string that also carries it is not passed to a gateway), refuses timestamps
// further than Config.Tolerance from now (seconds or milliseconds), and then reads
// the payment back from the API to build the event: a notification is only a
// signed "payment <id> changed". See Gateway.ParseWebhook.
//
// Only data.id is signed, so a notification body is not protected beyond it: the
// gateway reads nothing else from it but the type, which only decides whether a
// payment is looked up, and it cannot tell a body with, say, a space appended from
// the one MercadoPago sent. Whatever the body says, the event is the API's.
//
// # Transport
//
// The SDK addresses https://api.mercadopago.com and, by default, sends requests with
// a client of its own that retries. The gateway replaces that requester (the SDK's
// WithHTTPClient option) with one that sends through Config.HTTPClient, to
// Config.BaseURL when set, without retries; tests point it at a local server
// (package mptest, a MercadoPago account of a test's own).
// Config and Gateway print and log with their secrets redacted.
//
// The package imports domain, ports, the SDK, Wire (for its ProviderSet) and the
// standard library; it must not import another adapter.
package mercadopago
