package riverqueue_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// BenchmarkEnqueue measures what enqueueing costs a booking-like write: each op is
// one store transaction saving a closure (one INSERT under a savepoint), alone
// (`write`) and with two jobs enqueued in the same transaction (`write+2jobs`), one
// of them with a unique key, as a booking enqueues its expiry and its reminder. The
// queue is not started, so the jobs only accumulate; both run in the same schema,
// one after the other.
func BenchmarkEnqueue(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	club, err := domain.NewClub("club-bench", "bench", "Bench Club", "Europe/Madrid", "EUR", domain.DefaultPolicy())
	require.NoError(b, err)
	require.NoError(b, e.store.SaveClub(ctx, club))
	q := e.newQueue(b, riverqueue.Config{})
	start := time.Date(2030, time.March, 5, 8, 0, 0, 0, time.UTC)

	n := 0
	write := func(ctx context.Context) (string, error) {
		n++
		at := start.Add(time.Duration(n) * time.Hour)
		iv, err := domain.NewInterval(at, at.Add(time.Hour))
		if err != nil {
			return "", err
		}
		id := fmt.Sprintf("closure-%d", n)
		return id, e.store.SaveClosure(ctx, domain.Closure{ID: id, ClubID: club.ID, Interval: iv, Reason: "bench"})
	}
	b.Run("write", func(b *testing.B) {
		for b.Loop() {
			err := e.store.WithinTx(ctx, func(ctx context.Context) error {
				_, err := write(ctx)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("write+2jobs", func(b *testing.B) {
		for b.Loop() {
			err := e.store.WithinTx(ctx, func(ctx context.Context) error {
				id, err := write(ctx)
				if err != nil {
					return err
				}
				if err := q.Enqueue(ctx, pingArgs{Name: "expire " + id}, ports.EnqueueOptions{
					RunAt: start, UniqueKey: "expire:" + id,
				}); err != nil {
					return err
				}
				return q.Enqueue(ctx, pingArgs{Name: "remind " + id}, ports.EnqueueOptions{RunAt: start})
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
