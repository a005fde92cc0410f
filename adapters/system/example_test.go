package system_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/google/uuid"

	"github.com/matchpoint/matchpoint/adapters/system"
)

// The system clock tells the time in UTC.
func ExampleNewClock() {
	clock := system.NewClock()
	fmt.Println(clock.Now().Location())
	// Output:
	// UTC
}

// The system ids are UUIDv7: random, and ordered by creation time, which keeps
// database indexes compact.
func ExampleNewIDs() {
	ids := system.NewIDs()
	first, second := ids.NewID(), ids.NewID()
	fmt.Println(uuid.MustParse(first).Version(), first != second)
	// Output:
	// VERSION_7 true
}

// The reporter logs reported errors at error level with their attributes in key
// order; a deployment that sends errors to a tracker implements ports.ErrorReporter
// instead.
func ExampleNewReporter() {
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		// The time is dropped so that the output is stable.
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	reporter := system.NewReporter(log)
	reporter.Report(context.Background(), errors.New("refund failed"), map[string]string{"booking": "b1", "amount": "6000.00 ARS"})
	// Output:
	// level=ERROR msg="error reported" error="refund failed" amount="6000.00 ARS" booking=b1
}
