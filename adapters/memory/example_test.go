package memory_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/matchpoint/matchpoint/adapters/memory"
	"github.com/matchpoint/matchpoint/domain"
)

// The memory store keeps everything in process memory, for tests, demos and a single
// instance that may lose its data; its transactions roll back like a database's.
func ExampleNew() {
	ctx := context.Background()
	store := memory.New()
	at := time.Date(2026, time.March, 2, 12, 0, 0, 0, time.UTC)

	_, err := store.GetClubBySlug(ctx, "riverside")
	fmt.Println("club:", domain.ErrorKind(err))

	fresh, _ := store.RecordPaymentEvent(ctx, "sandbox", "evt_1", at)
	again, _ := store.RecordPaymentEvent(ctx, "sandbox", "evt_1", at)
	fmt.Println("evt_1 new:", fresh, "then:", again)

	// What a failed transaction wrote is undone.
	failed := errors.New("the webhook could not be applied")
	err = store.WithinTx(ctx, func(ctx context.Context) error {
		if _, err := store.RecordPaymentEvent(ctx, "sandbox", "evt_2", at); err != nil {
			return err
		}
		return failed
	})
	fresh, _ = store.RecordPaymentEvent(ctx, "sandbox", "evt_2", at)
	fmt.Println(errors.Is(err, failed), "evt_2 new after the rollback:", fresh)
	// Output:
	// club: not_found
	// evt_1 new: true then: false
	// true evt_2 new after the rollback: true
}
