package stripe_test

import (
	"fmt"

	"github.com/matchpoint/matchpoint/adapters/payments/stripe"
)

// A gateway to a club's Stripe account. New makes no request: the keys are first
// used when a booking opens a Checkout Session. Printing the gateway or its Config
// redacts the keys. Stripe posts the account's events to the webhook endpoint
// /v1/webhooks/stripe, whose signing secret is WebhookSecret.
func ExampleNew() {
	gateway, err := stripe.New(stripe.Config{
		SecretKey:     "sk_test_0123456789abcdef",
		WebhookSecret: "whsec_0123456789abcdef",
		SuccessURL:    "https://club.example.com/paid?session={CHECKOUT_SESSION_ID}",
		CancelURL:     "https://club.example.com/booking",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(gateway.Provider())
	fmt.Println(gateway)
	// Output:
	// stripe
	// stripe.Gateway{stripe.Config{SecretKey:sk_test_[redacted] WebhookSecret:whsec_[redacted] SuccessURL:https://club.example.com/paid?session={CHECKOUT_SESSION_ID} CancelURL:https://club.example.com/booking BackendURL: Retries:0 Tolerance:5m0s}}
}
