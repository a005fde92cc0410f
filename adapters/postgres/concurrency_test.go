package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// TestConcurrency runs the concurrency cases on the server directly; TestThroughPgBouncer
// runs them through PgBouncer.
func TestConcurrency(t *testing.T) { runConcurrencyCases(t, newStore) }

// storeOpener returns a migrated, empty store isolated from every other, with the
// pool under it.
type storeOpener func(tb testing.TB) (*postgres.Store, *bun.DB)

func runConcurrencyCases(t *testing.T, open storeOpener) {
	for _, c := range []struct {
		name string
		test func(t *testing.T, f *courtFixture)
	}{
		{"SixtyFourBookersTenSlots", testSixtyFourBookersTenSlots},
		{"ExpiredHoldDoesNotBlock", testExpiredHoldDoesNotBlock},
		{"UnexpiredHoldBlocks", testUnexpiredHoldBlocks},
		{"CancellationFreesSlot", testCancellationFreesSlot},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, db := open(t)
			c.test(t, newCourtFixture(t, s, db))
		})
	}
}

// bookingNow is the instant the cases work at; they book the next day.
var bookingNow = time.Date(2030, time.March, 4, 9, 0, 0, 0, time.UTC)

// nextDay returns hh:mm UTC on the day after bookingNow.
func nextDay(hh, mm int) time.Time { return time.Date(2030, time.March, 5, hh, mm, 0, 0, time.UTC) }

// courtFixture is a store holding one club with one padel court.
type courtFixture struct {
	store *postgres.Store
	db    *bun.DB
	club  domain.Club
	court domain.Court
}

func newCourtFixture(tb testing.TB, s *postgres.Store, db *bun.DB) *courtFixture {
	tb.Helper()
	ctx := context.Background()
	id := randomID()
	club, err := domain.NewClub(id, "club-"+id[:8], "Club "+id[:8], "Europe/Madrid", "EUR", domain.DefaultPolicy())
	require.NoError(tb, err)
	require.NoError(tb, s.SaveClub(ctx, club))
	court, err := domain.NewCourt(randomID(), club.ID, "Alpha", domain.Padel, true, "glass")
	require.NoError(tb, err)
	require.NoError(tb, s.SaveCourt(ctx, court))
	return &courtFixture{store: s, db: db, club: club, court: court}
}

// booking returns a new pending booking of court from start for d, made at made
// (which starts its hold); it is not stored.
func (f *courtFixture) booking(tb testing.TB, court domain.Court, start time.Time, d time.Duration, made time.Time) *domain.Booking {
	tb.Helper()
	id := randomID()
	customer, err := domain.NewCustomer("Player "+id[:4], "player-"+id[:8]+"@example.com", "", domain.CategoryGuest)
	require.NoError(tb, err)
	iv, err := domain.NewInterval(start, start.Add(d))
	require.NoError(tb, err)
	q := domain.Quote{Total: domain.NewMoney(0, f.club.Currency)}
	for at := iv.Start; at.Before(iv.End); at = at.Add(30 * time.Minute) {
		rate := domain.NewMoney(800, f.club.Currency)
		q.Lines = append(q.Lines, domain.QuoteLine{Start: at, End: at.Add(30 * time.Minute), RuleID: "standard", Amount: rate})
		q.Total = domain.NewMoney(q.Total.Amount()+rate.Amount(), f.club.Currency)
	}
	b, err := domain.NewBooking(domain.NewBookingParams{
		ID: id, Club: f.club, Court: court, Customer: customer, Interval: iv, Quote: q,
		TokenHash: "token-" + id, RequestHash: "request-" + id, Now: made,
	})
	require.NoError(tb, err)
	return b
}

// create stores b as made at its creation time.
func (f *courtFixture) create(t *testing.T, b *domain.Booking) {
	t.Helper()
	require.NoError(t, f.store.CreateBooking(t.Context(), b, ports.CreateBookingOptions{Now: b.Record().CreatedAt}))
}

// activeSQL selects the bookings active at the instant bound to ?, as the domain
// defines it: confirmed, or pending with its hold running and its slot not given up.
const activeSQL = `status IN ('pending', 'confirmed') AND NOT slot_released
	AND (status = 'confirmed' OR hold_expires_at > ?)`

// activeCount returns how many bookings of the court are active at now.
func (f *courtFixture) activeCount(t *testing.T, now time.Time) int {
	t.Helper()
	var n int
	require.NoError(t, f.db.NewRaw(`SELECT count(*) FROM bookings WHERE court_id = ? AND `+activeSQL,
		f.court.ID, now).Scan(t.Context(), &n))
	return n
}

// overlappingPairs returns how many pairs of bookings active at now overlap on one
// court, checked by the database rather than by the store's own reads.
func (f *courtFixture) overlappingPairs(t *testing.T, now time.Time) int {
	t.Helper()
	var n int
	require.NoError(t, f.db.NewRaw(`SELECT count(*) FROM
			(SELECT * FROM bookings WHERE `+activeSQL+`) a
			JOIN (SELECT * FROM bookings WHERE `+activeSQL+`) b
			ON a.court_id = b.court_id AND a.during && b.during AND a.id < b.id`,
		now, now).Scan(t.Context(), &n))
	return n
}

// testSixtyFourBookersTenSlots has 64 customers, sharing a pool of 8 connections, try
// for 10 slots of 90 minutes on one court at once. Each slot is asked for whole, by
// its first hour or by its last hour: any two of those overlap and none crosses into
// another slot, so exactly one booking per slot wins.
func testSixtyFourBookersTenSlots(t *testing.T, f *courtFixture) {
	const bookers, slots, conns = 64, 10, 8
	f.db.SetMaxOpenConns(conns)
	bookings := make([]*domain.Booking, bookers)
	for i := range bookers {
		start, d := nextDay(8, 0).Add(time.Duration(i%slots)*90*time.Minute), 90*time.Minute
		switch i / slots % 3 {
		case 1:
			d = time.Hour
		case 2:
			start, d = start.Add(30*time.Minute), time.Hour
		}
		bookings[i] = f.booking(t, f.court, start, d, bookingNow)
	}

	errs := make([]error, bookers)
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i := range bookers {
		wg.Go(func() {
			<-gate
			errs[i] = f.store.CreateBooking(t.Context(), bookings[i], ports.CreateBookingOptions{Now: bookingNow})
		})
	}
	close(gate)
	wg.Wait()

	won := make(map[int]int)
	refused := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won[i%slots]++
		case domain.ErrorCode(err) == domain.CodeSlotUnavailable:
			refused++
		default:
			t.Errorf("booker %d: unexpected error %v", i, err)
		}
	}
	for slot := range slots {
		assert.Equal(t, 1, won[slot], "winners of slot %d", slot)
	}
	assert.Equal(t, bookers-slots, refused, "bookers turned away with slot_unavailable")
	assert.Equal(t, slots, f.activeCount(t, bookingNow), "active bookings on the court")
	assert.Zero(t, f.overlappingPairs(t, bookingNow), "pairs of active bookings that overlap")
}

func testExpiredHoldDoesNotBlock(t *testing.T, f *courtFixture) {
	// Made an hour ago, its 10-minute hold has run out.
	lapsed := f.booking(t, f.court, nextDay(10, 0), 90*time.Minute, bookingNow.Add(-time.Hour))
	f.create(t, lapsed)

	b := f.booking(t, f.court, nextDay(10, 30), time.Hour, bookingNow)
	f.create(t, b)

	assert.Equal(t, 1, f.activeCount(t, bookingNow))
	assert.Zero(t, f.overlappingPairs(t, bookingNow))
	got, err := f.store.GetBooking(t.Context(), b.ID())
	require.NoError(t, err)
	assert.Equal(t, domain.StatusPending, got.Status())
}

func testUnexpiredHoldBlocks(t *testing.T, f *courtFixture) {
	// Made five minutes ago, its 10-minute hold still runs.
	held := f.booking(t, f.court, nextDay(10, 0), 90*time.Minute, bookingNow.Add(-5*time.Minute))
	f.create(t, held)

	b := f.booking(t, f.court, nextDay(10, 30), time.Hour, bookingNow)
	err := f.store.CreateBooking(t.Context(), b, ports.CreateBookingOptions{Now: bookingNow})
	assert.Equal(t, domain.CodeSlotUnavailable, domain.ErrorCode(err), "error %v", err)
	_, err = f.store.GetBooking(t.Context(), b.ID())
	assert.Equal(t, domain.CodeNotFound, domain.ErrorCode(err), "the refused booking was not stored: %v", err)
	assert.Equal(t, 1, f.activeCount(t, bookingNow))
}

func testCancellationFreesSlot(t *testing.T, f *courtFixture) {
	ctx := t.Context()
	paid := f.booking(t, f.court, nextDay(10, 0), 90*time.Minute, bookingNow)
	f.create(t, paid)
	require.NoError(t, f.store.UpdateBooking(ctx, paid.ID(), bookingNow, func(b *domain.Booking) error {
		return b.ConfirmPayment(b.Quote().Total, "pay-"+b.ID()[:8], bookingNow)
	}))
	early := f.booking(t, f.court, nextDay(10, 0), time.Hour, bookingNow)
	err := f.store.CreateBooking(ctx, early, ports.CreateBookingOptions{Now: bookingNow})
	require.Equal(t, domain.CodeSlotUnavailable, domain.ErrorCode(err), "a confirmed booking holds its slot: %v", err)

	require.NoError(t, f.store.UpdateBooking(ctx, paid.ID(), bookingNow, func(b *domain.Booking) error {
		_, err := b.Cancel(f.club.Policy, bookingNow)
		return err
	}))
	later := f.booking(t, f.court, nextDay(10, 0), time.Hour, bookingNow)
	f.create(t, later)

	assert.Equal(t, 1, f.activeCount(t, bookingNow))
	assert.Zero(t, f.overlappingPairs(t, bookingNow))
}

// randomID returns a random UUID (version 4) string.
func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
