package inproc_test

import (
	"context"
	"fmt"
	"time"

	"github.com/matchpoint/matchpoint/adapters/queue/inproc"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/clocktest"
)

// remind is the arguments of an example job.
type remind struct {
	BookingID string `json:"booking_id"`
}

func (remind) Kind() string { return "example.remind" }

// The in-process queue runs jobs in this process: start it with a typed worker per
// kind, and stop it at shutdown. Jobs wait in memory, so a restart loses those not run
// yet. With a clock that stands still (clocktest), a job scheduled for later runs
// only once the clock is moved and Drain is called.
func ExampleNew() {
	ctx := context.Background()
	clock := clocktest.New(time.Date(2026, time.March, 2, 12, 0, 0, 0, time.UTC))
	queue := inproc.New(inproc.Config{Workers: 1, MaxAttempts: 3, Clock: clock})
	workers := ports.NewWorkers()
	ports.AddWorker(workers, ports.WorkFunc[remind](func(_ context.Context, job *ports.Job[remind]) error {
		fmt.Println("reminding", job.Args.BookingID)
		return nil
	}))
	if err := queue.Start(ctx, workers); err != nil {
		panic(err)
	}
	defer func() { _ = queue.Stop(ctx) }()

	_ = queue.Enqueue(ctx, remind{BookingID: "b1"}, ports.EnqueueOptions{})
	_ = queue.Enqueue(ctx, remind{BookingID: "b2"}, ports.EnqueueOptions{RunAt: clock.Now().Add(time.Hour)})
	_ = queue.Enqueue(ctx, remind{BookingID: "b3"}, ports.EnqueueOptions{RunAt: clock.Now().Add(time.Hour), UniqueKey: "remind:b3"})
	_ = queue.Cancel(ctx, "remind:b3") // b3 never runs
	if err := queue.Drain(ctx); err != nil {
		panic(err)
	}
	fmt.Println("scheduled:", queue.Stats().Scheduled)

	clock.Advance(time.Hour)
	if err := queue.Drain(ctx); err != nil {
		panic(err)
	}
	fmt.Println("succeeded:", queue.Stats().Succeeded)
	// Output:
	// reminding b1
	// scheduled: 1
	// reminding b2
	// succeeded: 2
}
