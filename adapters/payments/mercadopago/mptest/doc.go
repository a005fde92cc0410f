// Package mptest is a MercadoPago account of a test's own, for the tests of the
// mercadopago gateway and of everything above it (use cases, the HTTP server): a
// local stand-in for the part of MercadoPago's API the gateway calls, which keeps
// preferences, payments and refunds in memory, and the customer's and the club's side
// of MercadoPago, played by the test.
//
//	a := mptest.Start(t)
//	g := a.Gateway(t)                             // or mercadopago.New(a.Config()) after changes
//	c, _ := g.CreateCheckout(ctx, req)            // a preference at the account
//	header, body := a.Pay(t, c.Ref, req.Amount)   // the customer pays; the signed notification
//	ev, _ := g.ParseWebhook(header, body)         // ev.Type == ports.EventPaid
//
// # What it models
//
// The API answers the requests the gateway makes, in the shapes of the SDK's types
// and with MercadoPago's conventions: dates with milliseconds and the site's offset
// (the account is Argentine, site MLA, and takes checkouts in ARS), amounts as JSON
// decimals in major units, read and written as decimal text so that a float that
// drifted would show, errors as {"message","error","status","cause"}, the access
// token checked on every request, and X-Idempotency-Key required on every POST and
// answered with the first response.
//
//	POST /checkout/preferences          create a preference (201)
//	GET  /checkout/preferences/search   preferences by external_reference, newest first
//	GET  /checkout/preferences/{id}     one preference
//	PUT  /checkout/preferences/{id}     change its expiration (a preference made to lapse now is closed)
//	GET  /v1/payments/search            payments by external_reference, sort, criteria
//	GET  /v1/payments/{id}              one payment
//	POST /v1/payments/{id}/refunds      refund all or an amount of an approved payment (201)
//
// What a customer or the club does at MercadoPago is done by the test (Pay, Decline,
// Expire, RefundInDashboard, …), and each returns the notification MercadoPago would
// then deliver: a Webhooks notification of the payment, signed as MercadoPago signs
// (see SignedHeader). A notification only says which payment changed; the gateway
// reads the payment back, so what it reports is the payment's state when it parses
// the notification, not when the notification was made.
//
// # What it does not model
//
// It is not MercadoPago: it keeps no merchant orders, sends nothing by itself
// (notifications are returned to the test, which delivers them, as many times and in
// whatever order it wants), does not refuse a payment of a preference lapsed by its
// date, only one closed through the API (see Pay), and checks requests only as far as the gateway relies on it. Where
// MercadoPago's behaviour is not documented (whether it honours an idempotency key
// on preferences, whether a redelivery is signed anew) the account does what its
// method's documentation says, and a switch changes it where a test needs the other.
//
// The package is a helper for tests: it imports testing and net/http/httptest, and
// it must not be imported by production code.
package mptest
