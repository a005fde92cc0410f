package sandbox_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// The sandbox gateway is a payment provider that runs in process: its Handler serves
// the checkout pages (mounted under /sandbox/), and paying, declining or refunding
// sends a webhook signed with the secret to WebhookURL, where the application checks
// it with ParseWebhook. Here one test server plays both parts.
func ExampleNew() {
	ctx := context.Background()
	mux := http.NewServeMux()
	server := httptest.NewServer(mux)
	defer server.Close()

	gateway, err := sandbox.New(sandbox.Config{
		BaseURL: server.URL, // WebhookURL defaults to BaseURL + "/v1/webhooks/sandbox"
		Secret:  "a sandbox secret of the example",
	})
	if err != nil {
		panic(err)
	}
	mux.Handle("/sandbox/", gateway.Handler())
	mux.HandleFunc("POST /v1/webhooks/sandbox", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ev, err := gateway.ParseWebhook(r.Header, body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		fmt.Println("webhook:", ev.Type, ev.BookingID, ev.Amount)
	})

	checkout, err := gateway.CreateCheckout(ctx, ports.CheckoutRequest{
		BookingID: "b1", Description: "Padel, Court 1", Amount: domain.NewMoney(1_200_000, domain.MustCurrency("ARS")),
		CustomerEmail: "ana@example.com", ExpiresAt: time.Now().Add(10 * time.Minute),
	})
	if err != nil {
		panic(err)
	}

	// The customer presses Pay on the checkout page.
	res, err := http.Post(checkout.URL+"/pay", "", nil)
	if err != nil {
		panic(err)
	}
	_ = res.Body.Close()
	fmt.Println("pay:", res.StatusCode)
	payment, err := gateway.GetPayment(ctx, checkout.Ref)
	if err != nil {
		panic(err)
	}
	fmt.Println("payment:", payment.Status, payment.Amount)
	// Output:
	// webhook: paid b1 12000.00 ARS
	// pay: 200
	// payment: paid 12000.00 ARS
}
