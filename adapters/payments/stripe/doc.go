// Package stripe is the ports.PaymentGateway of Stripe: a booking is paid through a
// Stripe Checkout Session, refunded through the Refunds API, and confirmed by Stripe's
// signed webhook events.
//
// Every Gateway has its own stripe-go client (client.New with its own stripe.Backends),
// so gateways of clubs with different Stripe accounts live side by side in one
// process; the package never touches stripe-go's package-level key or backends.
//
// # Checkout
//
// CreateCheckout opens one Checkout Session per booking, in payment mode, with a single
// line item of the booking's price. The booking id is the session's
// client_reference_id and, with the club id, the metadata of the session and of its
// PaymentIntent, so that every event and object leads back to the booking. The request
// carries the idempotency key "checkout:<booking id>": a second CreateCheckout for the
// booking gets Stripe's stored answer, the same session, for as long as Stripe keeps
// idempotency keys: 24 hours, as long as a session can live.
//
// Amounts pass to Stripe unchanged: Stripe counts every currency Match Point accepts in
// its ISO 4217 minor unit (ARS, like EUR, in cents, so 16 000.00 ARS is 1600000; CLP and
// JPY in whole units). Three-decimal currencies (BHD, KWD) must end in 0 for Stripe; an
// amount that does not is refused as invalid rather than rounded.
//
// A session may not expire sooner than 30 minutes after it is created, and holds are
// usually shorter. The session therefore expires 31 minutes after the hold ends
// (Stripe's minimum and a minute for clock skew), whatever the hold. The expiry is
// computed from the hold alone, never from the current time, because Stripe compares
// an idempotent retry's parameters with the first request's and refuses a retry whose
// parameters differ. The hold, not the session, decides the booking: the application
// expires it when the hold ends, and applies or refunds a payment that arrives later as
// any late payment; when the hold ends it also closes the session (ExpireCheckout,
// Stripe's expire endpoint), so that a payment can no longer start. A hold that is
// already over, or that ends more than 23½ hours ahead, gets no session: Stripe
// refuses it, and CreateCheckout returns invalid.
//
// # Payments and refunds
//
// GetPayment takes a Checkout Session id (cs_…) or a PaymentIntent id (pi_…) and maps
// Stripe's state to the port's: an open session is pending, an expired one expired; a
// succeeded PaymentIntent is paid until its charge is refunded in full, then refunded
// (a partial refund leaves it paid); a declined attempt is failed; a cancelled
// PaymentIntent (Stripe cancels the one of an expired session) is expired.
//
// Refund refunds through the Refunds API with the request's idempotency key as Stripe's,
// so a retried refund returns the first one. A payment that is not paid, of another
// booking or currency, or a refund of more than is left, is invalid (Stripe's refusal
// is mapped so); a key reused for a different refund is a conflict
// (idempotency_key_reused); a network failure, a rate limit or an error on Stripe's side
// is unavailable and may be retried. Stripe forgets idempotency keys after 24 hours, so
// a refund must not be retried with its key later than that.
//
// # Webhooks
//
// ParseWebhook verifies the Stripe-Signature header with stripe-go's webhook package
// (the signature must be at most Config.Tolerance old, five minutes by default) and maps
// these events:
//
//	checkout.session.completed (payment_status paid)  paid
//	checkout.session.completed (not paid yet)          pending
//	checkout.session.async_payment_succeeded           paid
//	checkout.session.async_payment_failed              failed
//	checkout.session.expired                           expired
//	payment_intent.payment_failed                      failed
//	charge.refunded                                    refunded (amount: refunded so far)
//
// The webhook endpoint need subscribe to these events only. Any other type, and an
// event about a payment made on the account outside Match Point (no booking in its
// metadata), is unrelated: acknowledged, so that Stripe stops sending it. An event
// is accepted whatever API version it was rendered in: the gateway reads only ids,
// metadata, amounts, currencies and statuses, which keep their names and types across
// versions, instead of failing every webhook of an endpoint whose version is not
// stripe-go's (stripe.APIVersion).
//
// # Testing
//
// Package stripetest gives a test a Stripe account of its own: a stand-in for
// Stripe's API in front of stripe-mock, the customer's and the club's side of a
// payment, and the signed webhook events Stripe sends about them. This package's
// tests use it, and so may any other package's that needs a Stripe gateway.
//
// The package imports ports, domain, stripe-go, Wire (for its ProviderSet) and the
// standard library; it must not import another adapter.
package stripe
