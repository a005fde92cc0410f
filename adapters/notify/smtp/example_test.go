package smtp_test

import (
	"context"
	"fmt"
	"time"

	"github.com/matchpoint/matchpoint/adapters/notify/smtp"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// New takes the server as one URL: here a provider's submission port with STARTTLS
// (required unless the URL says otherwise) and PLAIN authentication; reserved
// characters in the password are percent-encoded. New only checks the settings: it
// does not connect, so a wrong setting shows at once and an unreachable server at the
// first Send, as an unavailable error the job queue retries.
func ExampleNew() {
	notifier, err := smtp.New(smtp.Config{
		URL:     "smtp://bookings%40club.example:s3cr%2Ft@smtp.provider.example:587",
		From:    "Riverside Padel <bookings@club.example>",
		Timeout: 20 * time.Second, // zero means smtp.DefaultTimeout
	})
	if err != nil {
		panic(err)
	}
	var _ ports.Notifier = notifier // what app.Deps.Notifier takes

	// A local relay or mailpit, without TLS, is asked for with starttls=off.
	_, err = smtp.New(smtp.Config{URL: "smtp://127.0.0.1:1025?starttls=off", From: "bookings@club.example"})
	fmt.Println(err)

	// A mistake is an invalid error naming the setting, with the password hidden.
	_, err = smtp.New(smtp.Config{URL: "smtp://user:secret@smtp.provider.example?starttls=yes", From: "bookings@club.example"})
	fmt.Println(domain.ErrorKind(err))
	fmt.Println(err)

	// Sending needs a server; a context that has ended sends nothing.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = notifier.Send(ctx, ports.Message{Kind: ports.MessageReminder, BookingID: "b1", To: "ana@example.com", Subject: "Your game", Text: "See you tomorrow."})
	fmt.Println(domain.ErrorKind(err))
	// Output:
	// <nil>
	// invalid
	// invalid: smtp: Config.URL "smtp://user:xxxxx@smtp.provider.example?starttls=yes": starttls must be required, opportunistic or off, not "yes"
	// unavailable
}
