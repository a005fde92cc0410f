// Package stripetest gives a test a Stripe account of its own: a stand-in for Stripe's
// API on a loopback port, in front of stripe-mock, with both sides of a payment that
// Stripe keeps from Match Point — the customer paying, being declined or walking away,
// and the club refunding in the Dashboard — and the signed webhook events Stripe sends
// about them.
//
//	acct := stripetest.Start(t)
//	gw := acct.Gateway(t)
//	c, err := gw.CreateCheckout(ctx, req)
//	…
//	header, body := acct.Pay(t, c.Ref, req.Amount)
//	ev, err := gw.ParseWebhook(header, body)
//
// # The stand-in
//
// stripe-mock checks every request against Stripe's OpenAPI spec (unknown parameters,
// wrong types, missing fields, the form of the API key) and answers with a fixture of
// the right shape, but it keeps no state. An Account's stand-in forwards each request
// to stripe-mock and relays a refusal as it is; on success it lays what it keeps
// (Checkout Sessions, PaymentIntents, charges, refunds, idempotency keys) over
// stripe-mock's fixture. It also enforces what Stripe does and a spec cannot say, as
// far as the gateway relies on it: unknown ids are 404, an idempotency key replays its
// first answer or is refused for other parameters, a session expires 30 minutes to 24
// hours after it is created (by the real clock, as Stripe's), a session expired
// through the API (POST /v1/checkout/sessions/{id}/expire) can no longer be paid and
// only an open one can be expired, and refunds add up to at most what was paid. It models what the gateway uses — payment-mode sessions of one
// price_data line item, PaymentIntents, charges and refunds of a PaymentIntent — and
// answers anything else with 501. It does not check which key a request carries, as
// long as stripe-mock takes its form: Requests shows it instead.
//
// Every Account has keys of its own, and ids are unique within the test binary, so
// accounts of several clubs live side by side and see nothing of each other's.
//
// # stripe-mock
//
// One stripe-mock serves the whole test binary. The first Start runs it on free
// loopback ports. It is the module's own: go.mod pins it as a tool, and the go command
// builds it into its build cache on first use (go tool -n stripe-mock; a minute or two,
// once). Where the go command cannot give it, one on PATH, in $GOBIN or in
// $(go env GOPATH)/bin is used; with none, every Start fails its test (never skips it)
// with one line saying how to get one:
//
//	go install github.com/stripe/stripe-mock@v0.162.0
//
// A package that uses stripetest stops it from its TestMain, after the tests:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		if err := stripetest.StopMock(); err != nil {
//			fmt.Fprintln(os.Stderr, err)
//		}
//		os.Exit(code)
//	}
//
// A binary that does not (or that is killed, by go test's -timeout for one) still
// takes stripe-mock with it on Linux, where stripe-mock is started with a parent-death
// signal; on other systems stripe-mock then outlives the binary and has to be stopped
// by hand.
//
// The package imports the stripe adapter, domain, stripe-go and the standard library;
// it fails tests through testing.TB and imports no assertion library. Only tests
// import it.
package stripetest
