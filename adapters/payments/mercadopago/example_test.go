package mercadopago_test

import (
	"fmt"

	"github.com/matchpoint/matchpoint/adapters/payments/mercadopago"
)

// A gateway to a MercadoPago account's Checkout Pro. New makes no request: the token
// is first used when a booking opens a checkout. Printing the gateway or its Config
// redacts the secrets. MercadoPago posts signed notifications to NotificationURL,
// which asks for Webhooks notifications only (source_news=webhooks).
func ExampleNew() {
	gateway, err := mercadopago.New(mercadopago.Config{
		AccessToken:     "TEST-0123456789",
		WebhookSecret:   "a webhook secret of the example",
		NotificationURL: "https://api.example.com/v1/webhooks/mercadopago",
		BackURLs: mercadopago.BackURLs{
			Success: "https://club.example.com/paid",
			Failure: "https://club.example.com/booking",
		},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(gateway.Provider())
	fmt.Println(gateway)
	// Output:
	// mercadopago
	// mercadopago.Gateway{notification_url=https://api.example.com/v1/webhooks/mercadopago?source_news=webhooks}
}
