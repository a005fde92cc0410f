package outbox_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/matchpoint/matchpoint/adapters/notify/outbox"
	"github.com/matchpoint/matchpoint/ports"
)

// The outbox keeps the latest messages in memory instead of sending them, for
// development and tests: Messages returns what the customers would have received.
func ExampleNew() {
	ctx := context.Background()
	box := outbox.New(outbox.Config{Limit: 100, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	err := box.Send(ctx, ports.Message{
		Kind: ports.MessageConfirmation, BookingID: "b1", To: "ana@example.com",
		Subject: "Your game at Riverside Padel", Text: "See you on court 1.",
	})
	if err != nil {
		panic(err)
	}
	for _, m := range box.Messages() {
		fmt.Println(m.Kind, m.To, m.Subject)
	}
	// Output:
	// confirmation ana@example.com Your game at Riverside Padel
}
