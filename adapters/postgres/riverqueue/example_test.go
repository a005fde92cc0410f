package riverqueue_test

import (
	"context"
	"fmt"
	"time"

	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
	"github.com/matchpoint/matchpoint/ports"
)

// remindArgs are the arguments of an example job.
type remindArgs struct {
	BookingID string `json:"booking_id"`
}

func (remindArgs) Kind() string { return "example.remind" }

// New builds the queue over the store's database: Migrate creates River's tables
// beside the store's (run both from one instance, or from a deploy step, before
// serving), the workers are added per kind, and Start runs them until Stop. A job
// enqueued with the context of the store's transaction commits with the booking it
// belongs to. The examples of this package need a PostgreSQL server, so they are
// compiled but not run.
func ExampleNew() {
	ctx := context.Background()
	db, err := postgres.Open(ctx, "postgres://matchpoint@127.0.0.1:5432/matchpoint?sslmode=disable")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if err := postgres.Migrate(ctx, db); err != nil {
		panic(err)
	}
	if _, err := riverqueue.Migrate(ctx, db.DB); err != nil {
		panic(err)
	}
	store := postgres.New(db)

	workers := ports.NewWorkers()
	ports.AddWorker(workers, ports.WorkFunc[remindArgs](func(_ context.Context, job *ports.Job[remindArgs]) error {
		fmt.Println("reminding", job.Args.BookingID, "attempt", job.Attempt)
		return nil
	}))
	queue, err := riverqueue.New(store, db.DB, riverqueue.Config{MaxAttempts: 10})
	if err != nil {
		panic(err)
	}
	if err := queue.Start(ctx, workers); err != nil {
		panic(err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_ = queue.Stop(stopCtx)
	}()

	err = store.WithinTx(ctx, func(ctx context.Context) error {
		// … the booking's writes, with ctx …
		return queue.Enqueue(ctx, remindArgs{BookingID: "b1"}, ports.EnqueueOptions{
			RunAt:     time.Now().Add(24 * time.Hour),
			UniqueKey: "remind:b1",
		})
	})
	fmt.Println(err)
	// Cancelling the booking later cancels its reminder, in the same transaction.
	err = store.WithinTx(ctx, func(ctx context.Context) error {
		return queue.Cancel(ctx, "remind:b1")
	})
	fmt.Println(err)
}
