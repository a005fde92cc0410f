package riverqueue_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
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

// BenchmarkBookingPath compares, in one run, what the app does in Postgres when a
// customer books with a bare INSERT … ON CONFLICT DO NOTHING of the same row, in three
// shapes: `random` (every ask for a free slot of its own), `free` (each of a court's 10
// slots of 90 minutes asked for three times in a row, in three overlapping shapes, so
// that one ask in three books) and `taken` (the same asks, after each slot was booked
// before the clock started: every ask is refused). `app` is the use case's
// transaction: WithinTx, CreateBooking with the club's limit of four active bookings
// per customer, and the hold's expiry enqueued with its unique key (inserted by River
// just before the commit); `bare` is the INSERT alone, outside any transaction,
// deadlock-free and with no limit, no job and no reason for a refusal. benchClients
// clients ask at once; each reports ops/s, won/op (the share of asks that booked) and
// failed/op (errors other than a refusal: a deadlock or serialization failure would
// count here).
func BenchmarkBookingPath(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	e.db.SetMaxOpenConns(benchClients)
	e.db.SetMaxIdleConns(benchClients)
	club, err := domain.NewClub("club-path", "path", "Path Club", "Europe/Madrid", "EUR", domain.DefaultPolicy())
	require.NoError(b, err)
	require.NoError(b, e.store.SaveClub(ctx, club))
	q := e.newQueue(b, riverqueue.Config{})
	now := time.Date(2030, time.March, 5, 8, 0, 0, 0, time.UTC)
	day := now.Add(24 * time.Hour)
	var courts, people atomic.Int64

	newCourt := func(b *testing.B) domain.Court {
		court, err := domain.NewCourt(fmt.Sprintf("path-court-%d", courts.Add(1)), club.ID, "Court", domain.Padel, true, "")
		require.NoError(b, err)
		require.NoError(b, e.store.SaveCourt(ctx, court))
		return court
	}
	newBooking := func(b *testing.B, court domain.Court, start time.Time, d time.Duration) *domain.Booking {
		i := people.Add(1)
		customer, err := domain.NewCustomer("Player", fmt.Sprintf("path-%d@example.com", i), "", domain.CategoryGuest)
		require.NoError(b, err)
		price := domain.NewMoney(1_000, club.Currency)
		var lines []domain.QuoteLine
		for at := start; at.Before(start.Add(d)); at = at.Add(30 * time.Minute) {
			lines = append(lines, domain.QuoteLine{Start: at, End: at.Add(30 * time.Minute), RuleID: "standard", Amount: price})
		}
		bk, err := domain.NewBooking(domain.NewBookingParams{
			ID: fmt.Sprintf("path-booking-%d", i), Club: club, Court: court, Customer: customer,
			Interval:  domain.Interval{Start: start, End: start.Add(d)},
			Quote:     domain.Quote{Lines: lines, Total: domain.NewMoney(int64(len(lines))*1_000, club.Currency)},
			TokenHash: "token", RequestHash: "request", Now: now,
		})
		require.NoError(b, err)
		return bk
	}
	slot := func(i int) time.Time { return day.Add(time.Duration(i) * 90 * time.Minute) }
	// asks returns n asks falling on the slots as shape says, their courts made.
	asks := func(b *testing.B, shape string, n int) []*domain.Booking {
		out := make([]*domain.Booking, n)
		var court domain.Court
		for k := range out {
			if shape == "random" {
				if k%10 == 0 {
					court = newCourt(b)
				}
				out[k] = newBooking(b, court, slot(k%10), 90*time.Minute)
				continue
			}
			if k%30 == 0 {
				court = newCourt(b)
				if shape == "taken" {
					for i := range 10 {
						require.NoError(b, e.store.CreateBooking(ctx, newBooking(b, court, slot(i), 90*time.Minute), ports.CreateBookingOptions{Now: now}))
					}
				}
			}
			start, d := slot(k/3%10), 90*time.Minute
			switch k % 3 {
			case 1:
				d = time.Hour
			case 2:
				start, d = start.Add(30*time.Minute), time.Hour
			}
			out[k] = newBooking(b, court, start, d)
		}
		if shape == "random" {
			rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		}
		return out
	}
	app := func(bk *domain.Booking) error {
		return e.store.WithinTx(ctx, func(ctx context.Context) error {
			if err := e.store.CreateBooking(ctx, bk, ports.CreateBookingOptions{Now: now, MaxActivePerCustomer: club.Policy.MaxActivePerCustomer}); err != nil {
				return err
			}
			return q.Enqueue(ctx, pingArgs{Name: "expire " + bk.ID()}, ports.EnqueueOptions{
				RunAt: bk.HoldExpiresAt(), UniqueKey: "expire:" + bk.ID(),
			})
		})
	}
	bare := func(bk *domain.Booking) error {
		r := bk.Record()
		lines, err := json.Marshal(r.Quote.Lines)
		if err != nil {
			return err
		}
		res, err := e.db.ExecContext(ctx, `INSERT INTO bookings (id, club_id, court_id, sport, customer_name, customer_email,
				customer_category, during, currency, quote_total, quote_lines, status, hold_expires_at, version,
				created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, tstzrange(?, ?, '[)'), ?, ?, ?::jsonb, ?, ?, 1, ?, ?) ON CONFLICT DO NOTHING`,
			r.ID, r.ClubID, r.CourtID, string(r.Sport), r.Customer.Name, r.Customer.Email, string(r.Customer.Category),
			r.Interval.Start, r.Interval.End, r.Quote.Total.Currency().Code(), r.Quote.Total.Amount(), string(lines),
			string(r.Status), r.HoldExpiresAt, r.CreatedAt, r.UpdatedAt)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(errNotStored, err)
		}
		return nil
	}
	run := func(b *testing.B, shape string, book func(*domain.Booking) error) {
		all := asks(b, shape, b.N) // before the clock starts: the ops only book
		var next, won, failed atomic.Int64
		b.SetParallelism((benchClients + 1) / 2) // × GOMAXPROCS (2) clients
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				switch err := book(all[next.Add(1)-1]); {
				case err == nil:
					won.Add(1)
				case errors.Is(err, errNotStored), domain.ErrorCode(err) == domain.CodeSlotUnavailable:
				default:
					failed.Add(1)
					b.Error(err)
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
		b.ReportMetric(float64(won.Load())/float64(b.N), "won/op")
		b.ReportMetric(float64(failed.Load())/float64(b.N), "failed/op")
	}
	for _, shape := range []string{"random", "free", "taken"} {
		b.Run(shape+"/bare", func(b *testing.B) { run(b, shape, bare) })
		b.Run(shape+"/app", func(b *testing.B) { run(b, shape, app) })
	}
}

// errNotStored is the refusal of a bare INSERT … ON CONFLICT DO NOTHING.
var errNotStored = errors.New("nothing inserted")
