package sentry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/matchpoint/matchpoint/adapters/sentry"
)

// A Reporter sends each report to the project its DSN names, here a local server
// standing in for Sentry, which prints the event it receives. The customer's e-mail
// address and card number are scrubbed before the event leaves; the booking and the
// amount are kept.
func ExampleNew() {
	events := make(chan map[string]any, 1)
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		// An envelope is lines of JSON: its header, then each item's header and payload.
		for line := range bytes.Lines(body) {
			var v map[string]any
			if json.Unmarshal(line, &v) == nil && v["exception"] != nil {
				events <- v
			}
		}
	}))
	defer fake.Close()

	reporter, err := sentry.New(sentry.Config{
		DSN:         "http://publickey@" + fake.Listener.Addr().String() + "/1",
		Environment: "staging",
		Release:     "matchpoint@1.4.0",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer reporter.Close()

	ctx := context.Background()
	reporter.Report(ctx, errors.New("refund to card 4242 4242 4242 4242 of ana@example.com refused"),
		map[string]string{"booking": "b1", "amount": "6000.00 ARS", "problem": "refund refused"})
	if err := reporter.Flush(ctx); err != nil {
		fmt.Println(err)
		return
	}

	ev := <-events
	tags := ev["tags"].(map[string]any)
	fmt.Println("release:", ev["release"])
	fmt.Println("environment:", ev["environment"])
	fmt.Println("error:", ev["exception"].([]any)[0].(map[string]any)["value"])
	fmt.Println("booking:", tags["booking"], "amount:", tags["amount"], "problem:", tags["problem"])
	// Output:
	// release: matchpoint@1.4.0
	// environment: staging
	// error: refund to card [card] of [email] refused
	// booking: b1 amount: 6000.00 ARS problem: refund refused
}
