package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// The benchmarks run 8 clients over a pool of 8 connections, whatever GOMAXPROCS is.
const benchClients = 8

// The contention benchmark's slots: a court's day has 10 slots of 90 minutes. When
// they are contested, each slot is asked for three times, whole, by its first hour
// and by its last hour; any two of those overlap, so one wins and two are refused.
// The three asks for a slot come one after the other, so the clients in flight
// contend for the same two or three slots. After 30 asks the court is full and the
// next asks go to a fresh court, so every op contends however long the benchmark runs.
const (
	contestedSlots = 10
	asksPerSlot    = 3
	asksPerCourt   = contestedSlots * asksPerSlot
)

// slotShape is how the asks of the contention benchmark fall on the slots.
type slotShape int

const (
	// randomSlots asks for every slot once, in random order over as many courts as
	// it takes: no ask overlaps another and every one books.
	randomSlots slotShape = iota
	// freeSlots contests free slots as described above: about one ask in three books.
	freeSlots
	// takenSlots contests slots that were booked before the clock started: every ask
	// finds a committed winner and is refused, the case of many customers chasing a
	// few popular slots.
	takenSlots
)

// errRefused is the refusal of an INSERT … ON CONFLICT DO NOTHING: it stored nothing.
var errRefused = errors.New("nothing inserted")

// BenchmarkContention compares, in each shape, a bare INSERT that relies on the
// exclusion constraint alone (`insert-into-constraint`) with the store's
// CreateBooking, called alone (`store`) and as the app calls it (`store-in-tx`: in a
// WithinTx, with a limit of four active bookings per customer, so under a savepoint
// after an advisory lock). `insert-on-conflict` is the bare INSERT with ON CONFLICT
// DO NOTHING, the store's first statement without the read that names a refusal.
// Each reports ops/s and deadlocks/op, the deadlocks (40P01) its caller saw: the
// bare INSERTs have no retry, while the store retries a deadlock up to its limit, so
// its figure counts only those that outlasted the retries. won/op is the share of
// asks that booked: a third when each contested slot has exactly one winner.
func BenchmarkContention(b *testing.B) {
	s, db := newStore(b)
	f := newCourtFixture(b, s, db)
	// bare inserts bk with a plain INSERT, or with onConflict an INSERT … ON CONFLICT
	// DO NOTHING, which returns errRefused when it stored nothing.
	bare := func(onConflict string) func(ctx context.Context, bk *domain.Booking) error {
		return func(ctx context.Context, bk *domain.Booking) error {
			r := bk.Record()
			lines, err := json.Marshal(r.Quote.Lines)
			if err != nil {
				return err
			}
			res, err := db.ExecContext(ctx, `INSERT INTO bookings (id, club_id, court_id, sport, customer_name, customer_email,
					customer_category, during, currency, quote_total, quote_lines, status, hold_expires_at, version,
					created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, tstzrange(?, ?, '[)'), ?, ?, ?::jsonb, ?, ?, 1, ?, ?) `+onConflict,
				r.ID, r.ClubID, r.CourtID, string(r.Sport), r.Customer.Name, r.Customer.Email, string(r.Customer.Category),
				r.Interval.Start, r.Interval.End, r.Quote.Total.Currency().Code(), r.Quote.Total.Amount(), string(lines),
				string(r.Status), r.HoldExpiresAt, r.CreatedAt, r.UpdatedAt)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return errors.Join(errRefused, err)
			}
			return nil
		}
	}
	viaStore := func(ctx context.Context, bk *domain.Booking) error {
		return s.CreateBooking(ctx, bk, ports.CreateBookingOptions{Now: bookingNow})
	}
	asTheAppDoes := func(ctx context.Context, bk *domain.Booking) error {
		return s.WithinTx(ctx, func(ctx context.Context) error {
			return s.CreateBooking(ctx, bk, ports.CreateBookingOptions{Now: bookingNow, MaxActivePerCustomer: 4})
		})
	}
	for _, shape := range []struct {
		name  string
		shape slotShape
	}{{"random", randomSlots}, {"free", freeSlots}, {"taken", takenSlots}} {
		b.Run(shape.name+"/insert-into-constraint", func(b *testing.B) { benchContention(b, f, bare(""), shape.shape) })
		b.Run(shape.name+"/insert-on-conflict", func(b *testing.B) {
			benchContention(b, f, bare("ON CONFLICT DO NOTHING"), shape.shape)
		})
		b.Run(shape.name+"/store", func(b *testing.B) { benchContention(b, f, viaStore, shape.shape) })
		b.Run(shape.name+"/store-in-tx", func(b *testing.B) { benchContention(b, f, asTheAppDoes, shape.shape) })
	}
}

// benchContention books b.N asks falling on the slots as shape says.
func benchContention(b *testing.B, f *courtFixture, book func(ctx context.Context, bk *domain.Booking) error, shape slotShape) {
	ctx := context.Background()
	f.db.SetMaxOpenConns(benchClients)
	f.db.SetMaxIdleConns(benchClients)

	// Courts and bookings are made before the clock starts: the ops only book.
	perCourt := asksPerCourt
	if shape == randomSlots {
		perCourt = contestedSlots
	}
	courts := make([]domain.Court, b.N/perCourt+1)
	ids := make([]string, len(courts))
	for i := range courts {
		c, err := domain.NewCourt(randomID(), f.club.ID, "Contested", domain.Padel, true, "")
		require.NoError(b, err)
		courts[i], ids[i] = c, c.ID
	}
	_, err := f.db.ExecContext(ctx, `INSERT INTO courts (id, club_id, name, sport)
		SELECT id, ?, 'Contested', 'padel' FROM unnest(?::text[]) AS id`, f.club.ID, pgdialect.Array(ids))
	require.NoError(b, err)
	slot := func(i int) time.Time { return nextDay(8, 0).Add(time.Duration(i) * 90 * time.Minute) }
	asks := make([]*domain.Booking, b.N)
	if shape == randomSlots {
		for k, n := range rand.Perm(len(courts) * contestedSlots)[:b.N] {
			asks[k] = f.booking(b, courts[n/contestedSlots], slot(n%contestedSlots), 90*time.Minute, bookingNow)
		}
	} else {
		for k := range asks {
			start, d := slot(k/asksPerSlot%contestedSlots), 90*time.Minute
			switch k % asksPerSlot {
			case 1:
				d = time.Hour
			case 2:
				start, d = start.Add(30*time.Minute), time.Hour
			}
			asks[k] = f.booking(b, courts[k/asksPerCourt], start, d, bookingNow)
		}
	}
	if shape == takenSlots {
		for _, c := range courts {
			for i := range contestedSlots {
				require.NoError(b, f.store.CreateBooking(ctx, f.booking(b, c, slot(i), 90*time.Minute, bookingNow), ports.CreateBookingOptions{Now: bookingNow}))
			}
		}
	}

	var next, won, refused, deadlocks atomic.Int64
	b.SetParallelism((benchClients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
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
			case pgErr != nil && pgErr.Code == "23P01", errors.Is(err, errRefused), domain.ErrorCode(err) == domain.CodeSlotUnavailable:
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

// The occupancy benchmark's club: 8 courts over 30 days, each court booked for 7 of
// its 10 slots a day, a few of them still pending; a day of the club holds 56
// bookings, the table 1 680.
const (
	occupancyCourts = 8
	occupancyDays   = 30
	occupancyPerDay = 7
)

// occupancySQL is the query ListOccupancy runs, with the placeholders of database/sql.
const occupancySQL = `SELECT id, court_id, lower(during) AS starts_at, upper(during) AS ends_at, status, hold_expires_at
	FROM bookings WHERE club_id = $1 AND during && tstzrange($2, $3, '[)')
	ORDER BY lower(during), id COLLATE "C"`

// BenchmarkOccupancy compares the read behind availability, a club's bookings on one
// day, through the store's ListOccupancy with the bare query it runs, sent through
// database/sql on the same pool and scanned into local variables. Both report ops/s
// and rows/op, the rows read per op.
func BenchmarkOccupancy(b *testing.B) {
	ctx := context.Background()
	s, db := newStore(b)
	f := newCourtFixture(b, s, db)
	db.SetMaxOpenConns(benchClients)
	db.SetMaxIdleConns(benchClients)
	courts := []domain.Court{f.court}
	for len(courts) < occupancyCourts {
		c, err := domain.NewCourt(randomID(), f.club.ID, "Court", domain.Padel, true, "")
		require.NoError(b, err)
		require.NoError(b, s.SaveCourt(ctx, c))
		courts = append(courts, c)
	}
	for day := range occupancyDays {
		for i, c := range courts {
			for n := range occupancyPerDay {
				slot := (n + i) % contestedSlots
				start := nextDay(8, 0).AddDate(0, 0, day).Add(time.Duration(slot) * 90 * time.Minute)
				made := start.Add(-24 * time.Hour) // within the club's booking horizon
				bk := f.booking(b, c, start, 90*time.Minute, made)
				require.NoError(b, s.CreateBooking(ctx, bk, ports.CreateBookingOptions{Now: made}))
				if n%4 != 0 { // one in four stays pending
					require.NoError(b, s.UpdateBooking(ctx, bk.ID(), made, func(bk *domain.Booking) error {
						return bk.ConfirmPayment(bk.Quote().Total, "pay-"+bk.ID()[:8], made)
					}))
				}
			}
		}
	}
	_, err := db.ExecContext(ctx, "ANALYZE bookings")
	require.NoError(b, err)
	midnight := nextDay(0, 0).AddDate(0, 0, occupancyDays/2)
	day := domain.Interval{Start: midnight, End: midnight.AddDate(0, 0, 1)}

	b.Run("store", func(b *testing.B) {
		benchReads(b, func() (int, error) {
			occ, err := s.ListOccupancy(ctx, f.club.ID, day)
			return len(occ), err
		})
	})
	b.Run("bare-query", func(b *testing.B) {
		benchReads(b, func() (int, error) {
			rows, err := db.DB.QueryContext(ctx, occupancySQL, f.club.ID, day.Start, day.End)
			if err != nil {
				return 0, err
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				var id, court, status string
				var start, end, hold time.Time
				if err := rows.Scan(&id, &court, &start, &end, &status, &hold); err != nil {
					return n, err
				}
				n++
			}
			return n, rows.Err()
		})
	})
}

// benchReads runs read on the benchmark's clients and reports ops/s and rows/op.
func benchReads(b *testing.B, read func() (int, error)) {
	var rows atomic.Int64
	b.SetParallelism((benchClients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n, err := read()
			if err != nil {
				b.Error(err)
				return
			}
			rows.Add(int64(n))
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(float64(rows.Load())/float64(b.N), "rows/op")
}

// BenchmarkSentMessages measures what recording messages adds to a notify job on
// Postgres: `send-once` is the look-up before a send and the record after it (a
// SELECT, then an INSERT in a transaction of its own), for a new message each op;
// `rerun` is the look-up alone, finding the message recorded, which is all a job run
// again does. 8 clients; each reports ops/s.
func BenchmarkSentMessages(b *testing.B) {
	ctx := context.Background()
	s, db := newStore(b)
	db.SetMaxOpenConns(benchClients)
	db.SetMaxIdleConns(benchClients)
	booking := randomID()
	var next atomic.Int64
	key := func(i int64) string { return ports.MessageKey(booking, ports.MessageRefund, strconv.FormatInt(i, 10)) }

	b.Run("send-once", func(b *testing.B) {
		benchOps(b, func() error {
			k := key(next.Add(1))
			sent, err := s.MessageSent(ctx, k)
			if err != nil {
				return err
			}
			if sent {
				return fmt.Errorf("%s is recorded before its send", k)
			}
			fresh, err := s.RecordMessageSent(ctx, k, time.Now())
			if err == nil && !fresh {
				err = fmt.Errorf("%s was recorded twice", k)
			}
			return err
		})
	})
	for next.Load() < 1000 { // send-once did not run, or ran short: record some
		_, err := s.RecordMessageSent(ctx, key(next.Add(1)), time.Now())
		require.NoError(b, err)
	}
	recorded := next.Load()
	b.Run("rerun", func(b *testing.B) {
		var i atomic.Int64
		benchOps(b, func() error {
			k := key(i.Add(1)%recorded + 1)
			sent, err := s.MessageSent(ctx, k)
			if err == nil && !sent {
				err = fmt.Errorf("%s is not recorded", k)
			}
			return err
		})
	})
}

// benchOps runs op on the benchmark's clients and reports ops/s.
func benchOps(b *testing.B, op func() error) {
	b.SetParallelism((benchClients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
