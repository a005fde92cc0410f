package riverqueue_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// benchClients is how many clients book at once, over as many connections.
const benchClients = 8

// BenchmarkEnqueue measures what enqueueing costs a booking: each op is what the app
// stores when a customer books — one store transaction that creates a pending booking
// with the club's per-customer limit (an advisory lock and a savepoint) — alone
// (`booking`) and with the two jobs a booking schedules enqueued in the same
// transaction (`booking+2jobs`: its hold's expiry, with a unique key, and a message,
// as a confirmation schedules its reminder and its completion). benchClients clients
// book at once, every booking on a free slot. The queue is not started, so the jobs
// only accumulate; both run in the same schema, one after the other, and report ops/s.
func BenchmarkEnqueue(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	e.db.SetMaxOpenConns(benchClients)
	e.db.SetMaxIdleConns(benchClients)
	club, err := domain.NewClub("club-bench", "bench", "Bench Club", "Europe/Madrid", "EUR", domain.DefaultPolicy())
	require.NoError(b, err)
	require.NoError(b, e.store.SaveClub(ctx, club))
	q := e.newQueue(b, riverqueue.Config{})
	now := time.Date(2030, time.March, 5, 8, 0, 0, 0, time.UTC)
	var n atomic.Int64

	// booking returns a new booking of a court of its own, made at now.
	booking := func() (*domain.Booking, error) {
		i := n.Add(1)
		court, err := domain.NewCourt(fmt.Sprintf("court-%d", i), club.ID, "Court", domain.Padel, true, "")
		if err != nil {
			return nil, err
		}
		if err := e.store.SaveCourt(ctx, court); err != nil {
			return nil, err
		}
		customer, err := domain.NewCustomer("Player", fmt.Sprintf("player-%d@example.com", i), "", domain.CategoryGuest)
		if err != nil {
			return nil, err
		}
		start := now.Add(24 * time.Hour)
		price := domain.NewMoney(1_000, club.Currency)
		var lines []domain.QuoteLine
		for at := start; at.Before(start.Add(90 * time.Minute)); at = at.Add(30 * time.Minute) {
			lines = append(lines, domain.QuoteLine{Start: at, End: at.Add(30 * time.Minute), RuleID: "standard", Amount: price})
		}
		return domain.NewBooking(domain.NewBookingParams{
			ID: fmt.Sprintf("booking-%d", i), Club: club, Court: court, Customer: customer,
			Interval:  domain.Interval{Start: start, End: start.Add(90 * time.Minute)},
			Quote:     domain.Quote{Lines: lines, Total: domain.NewMoney(3_000, club.Currency)},
			TokenHash: "token", RequestHash: "request", Now: now,
		})
	}
	run := func(b *testing.B, jobs bool) {
		// The courts are made before the clock starts: the ops only book.
		bookings := make(chan *domain.Booking, b.N)
		for range b.N {
			bk, err := booking()
			require.NoError(b, err)
			bookings <- bk
		}
		close(bookings)
		b.SetParallelism((benchClients + 1) / 2) // × GOMAXPROCS (2) clients
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				bk := <-bookings
				err := e.store.WithinTx(ctx, func(ctx context.Context) error {
					if err := e.store.CreateBooking(ctx, bk, ports.CreateBookingOptions{Now: now, MaxActivePerCustomer: 4}); err != nil {
						return err
					}
					if !jobs {
						return nil
					}
					if err := q.Enqueue(ctx, pingArgs{Name: "expire " + bk.ID()}, ports.EnqueueOptions{
						RunAt: bk.HoldExpiresAt(), UniqueKey: "expire:" + bk.ID(),
					}); err != nil {
						return err
					}
					return q.Enqueue(ctx, pingArgs{Name: "confirmation " + bk.ID()}, ports.EnqueueOptions{UniqueKey: "notify:" + bk.ID()})
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
	}
	b.Run("booking", func(b *testing.B) { run(b, false) })
	b.Run("booking+2jobs", func(b *testing.B) { run(b, true) })
}
