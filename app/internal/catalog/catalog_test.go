package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the club's zone must not depend on the host

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/cache/bigcache"
	"github.com/matchpoint/matchpoint/adapters/memory"
	"github.com/matchpoint/matchpoint/app/internal/catalog"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/clocktest"
)

// These tests check which generations each write deletes; the use cases' tests check
// that availability follows the writes (app/availability_test.go).

// now is Tuesday 10 March 2026, 09:00 in Buenos Aires (UTC−3): the bookable days run
// from the 9th (yesterday) to the 25th (the day after the 14 days' horizon).
var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

type env struct {
	store *catalog.Store
	mem   *memory.Store
	cache *deletions
	club  domain.Club
	court domain.Court
}

// deletions is the bigcache adapter with a record of the keys deleted.
type deletions struct {
	ports.Cache
	mu   sync.Mutex
	keys []string
}

func (d *deletions) Delete(ctx context.Context, keys ...string) error {
	d.mu.Lock()
	d.keys = append(d.keys, keys...)
	d.mu.Unlock()
	return d.Cache.Delete(ctx, keys...)
}

// take returns the keys deleted since the last take, sorted.
func (d *deletions) take() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	keys := d.keys
	d.keys = nil
	slices.Sort(keys)
	return keys
}

func newEnv(t *testing.T) *env {
	t.Helper()
	l1, err := bigcache.New(bigcache.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l1.Close() })
	e := &env{mem: memory.New(), cache: &deletions{Cache: l1}}
	e.store = catalog.New(e.mem, e.cache, clocktest.New(now), catalog.Config{Logger: slog.New(slog.DiscardHandler)})
	e.club, err = domain.NewClub("c1", "club-one", "Club One", "America/Argentina/Buenos_Aires", "ARS", domain.DefaultPolicy())
	require.NoError(t, err)
	require.NoError(t, e.store.SaveClub(context.Background(), e.club))
	e.court, err = domain.NewCourt("p1", "c1", "Padel 1", domain.Padel, true, "")
	require.NoError(t, err)
	require.NoError(t, e.store.SaveCourt(context.Background(), e.court))
	e.cache.take()
	return e
}

func gens(families ...string) []string {
	keys := make([]string, len(families))
	for i, f := range families {
		keys[i] = f + "#gen"
	}
	slices.Sort(keys)
	return keys
}

func days(dates ...string) []string {
	fs := make([]string, len(dates))
	for i, d := range dates {
		fs[i] = "club:c1:day:" + d
	}
	return gens(fs...)
}

// at is an instant on a local date of the club.
func at(date, clock string) time.Time {
	loc, _ := time.LoadLocation("America/Argentina/Buenos_Aires")
	t, _ := time.ParseInLocation("2006-01-02 15:04", date+" "+clock, loc)
	return t.UTC()
}

func (e *env) booking(t *testing.T, id string, start time.Time) *domain.Booking {
	t.Helper()
	customer, err := domain.NewCustomer("Ana", "ana@example.com", "", "")
	require.NoError(t, err)
	iv := domain.Interval{Start: start, End: start.Add(90 * time.Minute)}
	price := domain.NewMoney(1_000_000, e.club.Currency)
	b, err := domain.NewBooking(domain.NewBookingParams{
		ID: id, Club: e.club, Court: e.court, Customer: customer, Interval: iv,
		Quote: domain.Quote{Lines: []domain.QuoteLine{{Start: iv.Start, End: iv.End, Amount: price}}, Total: price},
		Now:   now,
	})
	require.NoError(t, err)
	return b
}

func TestWritesInvalidateWhatTheyChange(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)

	require.NoError(t, e.store.SaveCourt(ctx, e.court))
	assert.Equal(t, gens("club:c1:courts"), e.cache.take(), "a court")

	season := domain.Season{ID: "s1", ClubID: "c1", Name: "2026", From: domain.MustDate("2026-01-01"), To: domain.MustDate("2026-12-31")}
	require.NoError(t, e.store.SaveSeason(ctx, season))
	assert.Equal(t, gens("club:c1:seasons"), e.cache.take(), "a season saved")
	require.NoError(t, e.store.DeleteSeason(ctx, "c1", "s1"))
	assert.Equal(t, gens("club:c1:seasons"), e.cache.take(), "a season deleted")

	rule := domain.PriceRule{ID: "r1", ClubID: "c1", Name: "all", Sport: domain.Padel, Weekdays: domain.EveryDay, Rate: domain.NewMoney(1000, e.club.Currency)}
	require.NoError(t, e.store.SavePriceRule(ctx, rule))
	assert.Equal(t, gens("club:c1:rules"), e.cache.take(), "a price rule saved")
	require.NoError(t, e.store.DeletePriceRule(ctx, "c1", "r1"))
	assert.Equal(t, gens("club:c1:rules"), e.cache.take(), "a price rule deleted")

	renamed := e.club
	renamed.Slug, renamed.Name = "club-uno", "Club Uno"
	require.NoError(t, e.store.SaveClub(ctx, renamed))
	assert.Equal(t, gens("club:c1:club", "slug:club-one", "slug:club-uno"), e.cache.take(), "a club and its old and new slugs")
}

func TestClosuresInvalidateTheDaysTheyCoverBeforeAndAfter(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)

	// Friday the 13th, 10:00 to 12:00: availability of the 12th (games up to a day
	// long from it) and of the 13th can see it.
	closure := domain.Closure{ID: "x1", ClubID: "c1", Interval: domain.Interval{Start: at("2026-03-13", "10:00"), End: at("2026-03-13", "12:00")}, Reason: "works"}
	require.NoError(t, e.store.SaveClosure(ctx, closure))
	assert.Equal(t, days("2026-03-12", "2026-03-13"), e.cache.take())

	closure.Interval = domain.Interval{Start: at("2026-03-20", "10:00"), End: at("2026-03-20", "12:00")}
	require.NoError(t, e.store.SaveClosure(ctx, closure))
	assert.Equal(t, days("2026-03-12", "2026-03-13", "2026-03-19", "2026-03-20"), e.cache.take(), "moved: the days it left and the days it took")

	require.NoError(t, e.store.DeleteClosure(ctx, "c1", "x1"))
	assert.Equal(t, days("2026-03-19", "2026-03-20"), e.cache.take())

	// A closure of a year is cut to the bookable days.
	long := domain.Closure{ID: "x2", ClubID: "c1", Interval: domain.Interval{Start: at("2026-01-01", "00:00"), End: at("2027-01-01", "00:00")}, Reason: "works"}
	require.NoError(t, e.store.SaveClosure(ctx, long))
	deleted := e.cache.take()
	assert.Len(t, deleted, 17, "the 9th to the 25th")
	assert.Equal(t, days("2026-03-09"), deleted[:1])
	assert.Equal(t, days("2026-03-25"), deleted[16:])

	assert.Equal(t, domain.CodeNotFound, domain.ErrorCode(e.store.DeleteClosure(ctx, "c1", "x1")), "gone already")
	assert.Empty(t, e.cache.take())
}

func TestBookingsInvalidateTheirDaysWhenWhatTheyOccupyChanges(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	b := e.booking(t, "b1", at("2026-03-11", "10:00"))

	require.NoError(t, e.store.CreateBooking(ctx, b, ports.CreateBookingOptions{Now: now}))
	assert.Equal(t, days("2026-03-10", "2026-03-11"), e.cache.take(), "a booking made")

	err := e.store.CreateBooking(ctx, e.booking(t, "b2", at("2026-03-11", "10:30")), ports.CreateBookingOptions{Now: now})
	require.ErrorIs(t, err, domain.ErrSlotUnavailable)
	assert.Empty(t, e.cache.take(), "a booking refused changes nothing")

	require.NoError(t, e.store.UpdateBooking(ctx, "b1", now, func(b *domain.Booking) error { return b.SetCheckout("sandbox", "cs_1") }))
	assert.Empty(t, e.cache.take(), "a checkout opened occupies the same slot")

	require.NoError(t, e.store.UpdateBooking(ctx, "b1", now, func(b *domain.Booking) error {
		return b.ConfirmPayment(b.Quote().Total, "pay_1", now)
	}))
	assert.Equal(t, days("2026-03-10", "2026-03-11"), e.cache.take(), "a hold confirmed")

	require.NoError(t, e.store.UpdateBooking(ctx, "b1", now, func(b *domain.Booking) error {
		return b.AddRefund(domain.NewMoney(100, e.club.Currency))
	}))
	assert.Empty(t, e.cache.take(), "a refund recorded occupies the same slot")

	refused := errors.New("refused")
	require.ErrorIs(t, e.store.UpdateBooking(ctx, "b1", now, func(b *domain.Booking) error {
		if _, err := b.Cancel(e.club.Policy, now); err != nil {
			return err
		}
		return refused
	}), refused)
	assert.Empty(t, e.cache.take(), "an update that failed stored nothing")

	require.NoError(t, e.store.UpdateBooking(ctx, "b1", now, func(b *domain.Booking) error {
		_, err := b.Cancel(e.club.Policy, now)
		return err
	}))
	assert.Equal(t, days("2026-03-10", "2026-03-11"), e.cache.take(), "a booking cancelled")
}

func TestInvalidationWaitsForTheCommit(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	b := e.booking(t, "b1", at("2026-03-11", "10:00"))

	rollback := errors.New("rollback")
	err := e.store.WithinTx(ctx, func(ctx context.Context) error {
		require.NoError(t, e.store.CreateBooking(ctx, b, ports.CreateBookingOptions{Now: now}))
		assert.Empty(t, e.cache.take(), "nothing before the commit")
		return rollback
	})
	require.ErrorIs(t, err, rollback)
	assert.Empty(t, e.cache.take(), "nothing for a transaction rolled back")

	require.NoError(t, e.store.WithinTx(ctx, func(ctx context.Context) error {
		require.NoError(t, e.store.CreateBooking(ctx, b, ports.CreateBookingOptions{Now: now}))
		assert.Empty(t, e.cache.take(), "nothing before the commit")
		return nil
	}))
	assert.Equal(t, days("2026-03-10", "2026-03-11"), e.cache.take(), "the days, once committed")
}

// unreadableClub fails every read of a club, as a database gone between a booking's
// write and the read of its club would.
type unreadableClub struct{ *memory.Store }

func (unreadableClub) GetClub(context.Context, string) (domain.Club, error) {
	return domain.Club{}, errors.New("database gone")
}

func TestABookingWhoseClubCannotBeReadInvalidatesTheDaysAroundIt(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	store := catalog.New(unreadableClub{e.mem}, e.cache, clocktest.New(now), catalog.Config{Logger: slog.New(slog.DiscardHandler)})
	// 22:00 to 23:30 in Buenos Aires is 01:00 to 02:30 UTC on the 12th: in some zone
	// it is still the 11th, or already the 12th everywhere east of UTC−1.
	b := e.booking(t, "b1", at("2026-03-11", "22:00"))

	require.NoError(t, store.CreateBooking(ctx, b, ports.CreateBookingOptions{Now: now}), "the booking is stored all the same")
	assert.Equal(t, days("2026-03-10", "2026-03-11", "2026-03-12", "2026-03-13"), e.cache.take(),
		"every day that can see it in any zone, the club's 10th and 11th among them")
}

func TestDayVersionChangesWithEveryFamilyAvailabilityReads(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	day := domain.MustDate("2026-03-11")
	version := func() string {
		t.Helper()
		club, v, err := e.store.DayVersion(ctx, "club-one", day, now)
		require.NoError(t, err)
		assert.Equal(t, "c1", club.ID)
		require.NotEmpty(t, v)
		return v
	}
	v := version()
	assert.Equal(t, v, version(), "nothing written: the same version")

	writes := []struct {
		name  string
		write func() error
	}{
		{"a court", func() error { return e.store.SaveCourt(ctx, e.court) }},
		{"a season", func() error {
			return e.store.SaveSeason(ctx, domain.Season{ID: "s1", ClubID: "c1", Name: "2026", From: domain.MustDate("2026-01-01"), To: domain.MustDate("2026-12-31")})
		}},
		{"a price rule", func() error {
			return e.store.SavePriceRule(ctx, domain.PriceRule{ID: "r1", ClubID: "c1", Name: "all", Sport: domain.Padel, Weekdays: domain.EveryDay, Rate: domain.NewMoney(1000, e.club.Currency)})
		}},
		{"the club", func() error { return e.store.SaveClub(ctx, e.club) }},
		{"a booking that day", func() error {
			return e.store.CreateBooking(ctx, e.booking(t, "b1", at("2026-03-11", "10:00")), ports.CreateBookingOptions{Now: now})
		}},
		{"a closure that day", func() error {
			return e.store.SaveClosure(ctx, domain.Closure{ID: "x1", ClubID: "c1", Interval: domain.Interval{Start: at("2026-03-11", "18:00"), End: at("2026-03-11", "19:00")}, Reason: "works"})
		}},
	}
	for _, w := range writes {
		require.NoError(t, w.write(), w.name)
		next := version()
		assert.NotEqual(t, v, next, "after %s", w.name)
		v = next
	}

	require.NoError(t, e.store.SaveClosure(ctx, domain.Closure{ID: "x2", ClubID: "c1", Interval: domain.Interval{Start: at("2026-03-20", "18:00"), End: at("2026-03-20", "19:00")}, Reason: "works"}))
	assert.Equal(t, v, version(), "a closure of another day leaves this one's version")
}

func TestDayVersionIsEmptyForADayNotCached(t *testing.T) {
	e := newEnv(t)
	club, v, err := e.store.DayVersion(context.Background(), "club-one", domain.MustDate("2026-06-01"), now)
	require.NoError(t, err)
	assert.Equal(t, "c1", club.ID)
	assert.Empty(t, v, "past the horizon the day is not cached, so no answer for it may be kept")

	_, _, err = e.store.DayVersion(context.Background(), "nobody", domain.MustDate("2026-03-11"), now)
	assert.Equal(t, domain.CodeNotFound, domain.ErrorCode(err))
}

// TestDecodedValuesOneAFamily checks that the process keeps one decoded value a
// family, whatever the writes: a day booked again and again, and read after each
// booking, keeps the value of its last generation only.
func TestDecodedValuesOneAFamily(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	day := domain.MustDate("2026-03-11")
	read := func() catalog.Day {
		t.Helper()
		d, err := e.store.Day(ctx, e.club, day, now)
		require.NoError(t, err)
		return d
	}
	read()
	var kept int
	for i := range 8 {
		start := at("2026-03-11", "08:00").Add(time.Duration(i) * 90 * time.Minute)
		require.NoError(t, e.store.CreateBooking(ctx, e.booking(t, fmt.Sprintf("b%d", i), start), ports.CreateBookingOptions{Now: now}))
		assert.Len(t, read().Occupancy, i+1, "the day read after booking %d", i)
		if i == 0 { // the booking read the club's other families too
			kept = catalog.DecodedLen(e.store)
			continue
		}
		assert.Equal(t, kept, catalog.DecodedLen(e.store), "after booking %d", i)
	}
}
