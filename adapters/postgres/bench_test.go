package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// The contention benchmark: 8 clients over a pool of 8 connections chase the 10
// slots of a court, free ones or ones already booked. Each slot is asked for three times, whole, by its first hour and
// by its last hour; any two of those overlap, so one wins and two are refused. The
// three asks for a slot come one after the other, so the clients in flight contend
// for the same two or three slots. After 30 asks the court is full and the next
// asks go to a fresh court, so every op contends however long the benchmark runs.
const (
	contentionClients = 8
	contestedSlots    = 10
	asksPerSlot       = 3
	asksPerCourt      = contestedSlots * asksPerSlot
)

// BenchmarkContention compares a bare INSERT that relies on the exclusion constraint
// alone with the store's CreateBooking, which checks for an overlapping active
// booking first and retries deadlocks. Both report ops/s and deadlocks/op, the
// deadlocks (40P01) their caller saw: the bare INSERT has no retry, while the store
// retries a deadlock up to its limit, so its figure counts only those that outlasted
// the retries. won/op is the share of asks that booked: a third when each slot has
// exactly one winner.
func BenchmarkContention(b *testing.B) {
	s, db := newStore(b)
	f := newCourtFixture(b, s, db)
	bare := func(ctx context.Context, bk *domain.Booking) error {
		r := bk.Record()
		lines, err := json.Marshal(r.Quote.Lines)
		if err != nil {
			return err
		}
		_, err = db.ExecContext(ctx, `INSERT INTO bookings (id, club_id, court_id, sport, customer_name, customer_email,
				customer_category, during, currency, quote_total, quote_lines, status, hold_expires_at, version,
				created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, tstzrange(?, ?, '[)'), ?, ?, ?::jsonb, ?, ?, 1, ?, ?)`,
			r.ID, r.ClubID, r.CourtID, string(r.Sport), r.Customer.Name, r.Customer.Email, string(r.Customer.Category),
			r.Interval.Start, r.Interval.End, r.Quote.Total.Currency().Code(), r.Quote.Total.Amount(), string(lines),
			string(r.Status), r.HoldExpiresAt, r.CreatedAt, r.UpdatedAt)
		return err
	}
	viaStore := func(ctx context.Context, bk *domain.Booking) error {
		return s.CreateBooking(ctx, bk, ports.CreateBookingOptions{Now: bookingNow})
	}
	b.Run("free/insert-into-constraint", func(b *testing.B) { benchContention(b, f, bare, false) })
	b.Run("free/store", func(b *testing.B) { benchContention(b, f, viaStore, false) })
	// The slots were booked before: every ask finds a committed winner, the case of
	// many customers chasing a few popular slots.
	b.Run("taken/insert-into-constraint", func(b *testing.B) { benchContention(b, f, bare, true) })
	b.Run("taken/store", func(b *testing.B) { benchContention(b, f, viaStore, true) })
}

// benchContention books asks as described above; with taken, a winner of each slot is
// booked before the clock starts, so that every ask is refused.
func benchContention(b *testing.B, f *courtFixture, book func(ctx context.Context, bk *domain.Booking) error, taken bool) {
	ctx := context.Background()
	f.db.SetMaxOpenConns(contentionClients)
	f.db.SetMaxIdleConns(contentionClients)

	// Courts and bookings are made before the clock starts: the ops only book.
	courts := make([]domain.Court, b.N/asksPerCourt+1)
	for i := range courts {
		c, err := domain.NewCourt(randomID(), f.club.ID, "Contested", domain.Padel, true, "")
		require.NoError(b, err)
		courts[i] = c
	}
	ids := make([]string, len(courts))
	for i, c := range courts {
		ids[i] = c.ID
	}
	_, err := f.db.ExecContext(ctx, `INSERT INTO courts (id, club_id, name, sport)
		SELECT id, ?, 'Contested', 'padel' FROM unnest(?::text[]) AS id`, f.club.ID, pgdialect.Array(ids))
	require.NoError(b, err)
	asks := make([]*domain.Booking, b.N)
	for k := range asks {
		slot := nextDay(8, 0).Add(time.Duration(k/asksPerSlot%contestedSlots) * 90 * time.Minute)
		start, d := slot, 90*time.Minute
		switch k % asksPerSlot {
		case 1:
			d = time.Hour
		case 2:
			start, d = slot.Add(30*time.Minute), time.Hour
		}
		asks[k] = f.booking(b, courts[k/asksPerCourt], start, d, bookingNow)
	}
	if taken {
		for _, c := range courts {
			for i := range contestedSlots {
				slot := nextDay(8, 0).Add(time.Duration(i) * 90 * time.Minute)
				require.NoError(b, f.store.CreateBooking(ctx, f.booking(b, c, slot, 90*time.Minute, bookingNow), ports.CreateBookingOptions{Now: bookingNow}))
			}
		}
	}

	var next, won, refused, deadlocks atomic.Int64
	b.SetParallelism((contentionClients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			err := book(ctx, asks[next.Add(1)-1])
			var pgErr *pgconn.PgError
			errors.As(err, &pgErr)
			switch {
			case err == nil:
				won.Add(1)
			case pgErr != nil && pgErr.Code == "40P01":
				deadlocks.Add(1)
			case pgErr != nil && pgErr.Code == "23P01", domain.ErrorCode(err) == domain.CodeSlotUnavailable:
				refused.Add(1)
			default:
				b.Error(err)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(float64(deadlocks.Load())/float64(b.N), "deadlocks/op")
	b.ReportMetric(float64(won.Load())/float64(b.N), "won/op")
}
