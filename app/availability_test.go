package app_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
)

// padelDay asks for tomorrow's 90-minute padel starts, or those of another date.
func padelDay(d domain.LocalDate) app.AvailabilityQuery {
	return app.AvailabilityQuery{ClubSlug: clubSlug, Date: d, Sport: domain.Padel, Duration: 90 * time.Minute}
}

// offered returns the 90-minute padel starts a court is offered on a date, as clock
// times at the club, with their prices in centavos.
func (e *env) offered(t *testing.T, d domain.LocalDate, courtID string) map[string]int64 {
	t.Helper()
	day, err := e.app.Availability.Get(context.Background(), padelDay(d))
	require.NoError(t, err)
	out := map[string]int64{}
	for _, c := range day.Courts {
		if c.Court.ID != courtID {
			continue
		}
		for _, s := range c.Slots {
			out[s.Start.In(e.club.Location).Format("15:04")] = s.Price.Amount()
		}
	}
	return out
}

// courtsOffered returns the names of the padel courts availability lists on a date.
func (e *env) courtsOffered(t *testing.T, d domain.LocalDate) []string {
	t.Helper()
	day, err := e.app.Availability.Get(context.Background(), padelDay(d))
	require.NoError(t, err)
	var names []string
	for _, c := range day.Courts {
		names = append(names, c.Court.Name)
	}
	return names
}

func TestAvailabilityPricesEachStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	starts := e.offered(t, tomorrow, e.padel1.ID)

	assert.Equal(t, int64(1_200_000), starts["08:00"], "three off-peak slots")
	assert.Equal(t, int64(1_600_000), starts["17:30"], "one off-peak and two peak slots")
	assert.Equal(t, int64(1_800_000), starts["23:30"], "a game that ends at closing time, past midnight")
	assert.NotContains(t, starts, "00:00", "a game would run past closing time")
	assert.Equal(t, []string{"Padel 1", "Padel 2"}, e.courtsOffered(t, tomorrow))

	member := padelDay(tomorrow)
	member.Category = domain.CategoryMember
	day, err := e.app.Availability.Get(context.Background(), member)
	require.NoError(t, err)
	assert.Equal(t, int64(960_000), day.Courts[0].Slots[0].Price.Amount(), "members pay the member rate")

	_, err = e.app.Availability.Get(context.Background(), app.AvailabilityQuery{ClubSlug: clubSlug, Sport: domain.Padel, Duration: time.Hour})
	requireCode(t, err, domain.KindInvalid, domain.CodeInvalid)
	_, err = e.app.Availability.Get(context.Background(), padelDay(tomorrow.AddDays(30)))
	require.NoError(t, err)
	assert.Empty(t, e.offered(t, tomorrow.AddDays(30), e.padel1.ID), "beyond the horizon")
}

func TestAvailabilityIsServedFromTheCache(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()

	first, err := e.app.Availability.Get(ctx, padelDay(tomorrow))
	require.NoError(t, err)
	loaded := e.store.loads()
	second, err := e.app.Availability.Get(ctx, padelDay(tomorrow))
	require.NoError(t, err)
	assert.Equal(t, loaded, e.store.loads(), "the second answer comes from the cache")
	assert.Equal(t, first.Courts, second.Courts)

	// Another date needs only that date's closures and bookings.
	_, err = e.app.Availability.Get(ctx, padelDay(tomorrow.AddDays(1)))
	require.NoError(t, err)
	want := loaded
	want["ListClosures"]++
	want["ListOccupancy"]++
	assert.Equal(t, want, e.store.loads())

	// Quotes read the same cached configuration.
	q, err := e.app.Availability.Quote(ctx, app.QuoteCommand{ClubSlug: clubSlug, CourtID: e.padel1.ID, Start: e.at(tomorrow, "17:30"), Duration: 90 * time.Minute})
	require.NoError(t, err)
	assert.Equal(t, e.club.ID, q.Club.ID, "the quote says which club it prices")
	assert.Equal(t, money(1_600_000), q.Quote.Total)
	assert.Len(t, q.Quote.Lines, 3)
	assert.Equal(t, want, e.store.loads())
}

func TestWritesChangeTheNextAvailabilityAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("a booking made", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		require.Contains(t, e.offered(t, tomorrow, e.padel1.ID), "10:00")
		e.book(t, e.bookingCmd())
		after := e.offered(t, tomorrow, e.padel1.ID)
		for _, taken := range []string{"09:00", "09:30", "10:00", "10:30", "11:00"} {
			assert.NotContains(t, after, taken)
		}
		assert.Contains(t, after, "08:30", "a game may end as the booking starts")
		assert.Contains(t, after, "11:30", "and start as it ends")
		assert.Contains(t, e.offered(t, tomorrow, e.padel2.ID), "10:00", "other courts are still free")
	})

	t.Run("a booking just after midnight", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		before := e.offered(t, tomorrow, e.padel1.ID)
		require.Contains(t, before, "23:00")
		cmd := e.bookingCmd()
		cmd.Start, cmd.Duration = e.at(tomorrow.AddDays(1), "00:00"), time.Hour
		e.book(t, cmd)
		after := e.offered(t, tomorrow, e.padel1.ID)
		assert.NotContains(t, after, "23:00", "the game would run into the booking")
		assert.NotContains(t, after, "23:30")
		assert.Contains(t, after, "22:30")
	})

	t.Run("a booking confirmed after its hold ran out", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		res := e.book(t, e.bookingCmd())
		e.clock.Set(res.Booking.HoldExpiresAt())
		require.Contains(t, e.offered(t, tomorrow, e.padel1.ID), "10:00", "a hold that ran out blocks nothing")
		got, err := e.deliver(e.pay(t, res.Booking, 0))
		require.NoError(t, err)
		require.Equal(t, app.OutcomeConfirmed, got.Outcome)
		assert.NotContains(t, e.offered(t, tomorrow, e.padel1.ID), "10:00")
	})

	t.Run("a booking cancelled", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		res := e.book(t, e.bookingCmd())
		e.payAndConfirm(t, res.Booking)
		require.NotContains(t, e.offered(t, tomorrow, e.padel1.ID), "10:00")
		_, err := e.app.Bookings.Cancel(ctx, res.Booking.ID(), res.AccessToken)
		require.NoError(t, err)
		assert.Contains(t, e.offered(t, tomorrow, e.padel1.ID), "10:00")
	})

	t.Run("a booking expired", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		res := e.book(t, e.bookingCmd())
		e.clock.Set(res.Booking.HoldExpiresAt())
		require.Contains(t, e.offered(t, tomorrow, e.padel1.ID), "10:00")
		loaded := e.store.loads()["ListOccupancy"]
		e.drain(t)
		require.Equal(t, domain.StatusExpired, e.stored(t, res.Booking.ID()).Status())
		assert.Contains(t, e.offered(t, tomorrow, e.padel1.ID), "10:00")
		assert.Greater(t, e.store.loads()["ListOccupancy"], loaded, "the day's bookings are read again")
	})

	t.Run("a price rule saved and deleted", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		require.Equal(t, int64(1_200_000), e.offered(t, tomorrow, e.padel1.ID)["10:00"])
		promo, err := e.app.Admin.SavePriceRule(ctx, e.club, domain.PriceRule{
			Name: "Morning promotion", Sport: domain.Padel, Weekdays: domain.EveryDay, Window: window("08:00", "12:00"), Priority: 30, Rate: money(300000),
		})
		require.NoError(t, err)
		assert.Equal(t, int64(900_000), e.offered(t, tomorrow, e.padel1.ID)["10:00"])
		promo.Rate = money(350000)
		_, err = e.app.Admin.SavePriceRule(ctx, e.club, promo)
		require.NoError(t, err)
		assert.Equal(t, int64(1_050_000), e.offered(t, tomorrow, e.padel1.ID)["10:00"])
		require.NoError(t, e.app.Admin.DeletePriceRule(ctx, e.club, promo.ID))
		assert.Equal(t, int64(1_200_000), e.offered(t, tomorrow, e.padel1.ID)["10:00"])
	})

	t.Run("a season saved and deleted", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		require.Contains(t, e.offered(t, tomorrow, e.padel1.ID), "20:00")
		short := e.season
		hours := &domain.Hours{Open: domain.MustClock("08:00"), Close: domain.MustClock("12:00")}
		for wd := range short.Week {
			short.Week[wd] = hours
		}
		_, err := e.app.Admin.SaveSeason(ctx, e.club, short)
		require.NoError(t, err)
		after := e.offered(t, tomorrow, e.padel1.ID)
		assert.Contains(t, after, "10:30")
		assert.NotContains(t, after, "11:00")
		assert.NotContains(t, after, "20:00")
		require.NoError(t, e.app.Admin.DeleteSeason(ctx, e.club, e.season.ID))
		assert.Empty(t, e.offered(t, tomorrow, e.padel1.ID), "no season, no opening")
	})

	t.Run("a closure saved, moved and deleted", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		require.Contains(t, e.offered(t, tomorrow, e.padel1.ID), "10:00")
		later := tomorrow.AddDays(3) // far enough that its dates are not the old ones
		require.Contains(t, e.offered(t, later, e.padel1.ID), "14:00")
		c, err := e.app.Admin.SaveClosure(ctx, e.club, domain.Closure{
			CourtID: e.padel1.ID, Interval: domain.Interval{Start: e.at(tomorrow, "10:00"), End: e.at(tomorrow, "12:00")}, Reason: "repairs",
		})
		require.NoError(t, err)
		assert.NotContains(t, e.offered(t, tomorrow, e.padel1.ID), "10:00")
		assert.Contains(t, e.offered(t, tomorrow, e.padel2.ID), "10:00", "the closure is of one court")

		c.Interval = domain.Interval{Start: e.at(later, "14:00"), End: e.at(later, "16:00")}
		_, err = e.app.Admin.SaveClosure(ctx, e.club, c)
		require.NoError(t, err)
		assert.Contains(t, e.offered(t, tomorrow, e.padel1.ID), "10:00", "the old dates are free again")
		assert.NotContains(t, e.offered(t, later, e.padel1.ID), "14:00")

		require.NoError(t, e.app.Admin.DeleteClosure(ctx, e.club, c.ID))
		assert.Contains(t, e.offered(t, later, e.padel1.ID), "14:00")
	})

	t.Run("a closure of the whole club", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		require.Contains(t, e.offered(t, tomorrow, e.padel2.ID), "10:00")
		_, err := e.app.Admin.SaveClosure(ctx, e.club, domain.Closure{
			Interval: domain.Interval{Start: e.at(tomorrow, "08:00"), End: e.at(tomorrow, "13:00")}, Reason: "tournament",
		})
		require.NoError(t, err)
		for _, court := range []string{e.padel1.ID, e.padel2.ID} {
			after := e.offered(t, tomorrow, court)
			assert.NotContains(t, after, "10:00")
			assert.Contains(t, after, "13:00")
		}
		_, err = e.app.Bookings.Create(ctx, e.bookingCmd())
		requireCode(t, err, domain.KindPolicy, domain.CodeClosed)
	})

	t.Run("a court saved", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		require.Equal(t, []string{"Padel 1", "Padel 2"}, e.courtsOffered(t, tomorrow))
		e.saveCourt(t, e.club, "Padel 3", domain.Padel)
		assert.Equal(t, []string{"Padel 1", "Padel 2", "Padel 3"}, e.courtsOffered(t, tomorrow))
		closed := e.padel2
		closed.Active = false
		_, err := e.app.Admin.SaveCourt(ctx, e.club, closed)
		require.NoError(t, err)
		assert.Equal(t, []string{"Padel 1", "Padel 3"}, e.courtsOffered(t, tomorrow))
		cmd := e.bookingCmd()
		cmd.CourtID = closed.ID
		_, err = e.app.Bookings.Create(ctx, cmd)
		requireCode(t, err, domain.KindPolicy, domain.CodeCourtInactive)
	})
}

// TestConcurrentMissesLoadOnce has many readers miss the same cold entry while its
// first load is held: they share that load rather than each asking the store.
func TestConcurrentMissesLoadOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	_, err := e.app.Admin.SavePriceRule(ctx, e.club, domain.PriceRule{ // a write: the rules' entry is cold
		Name: "Padel promo", Sport: domain.Padel, Weekdays: domain.EveryDay, Window: window("08:00", "01:00"),
		Priority: 99, Rate: domain.NewMoney(100000, ars),
	})
	require.NoError(t, err)
	before := e.store.loads()["ListPriceRules"]

	loaded, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	e.store.onListPriceRules(func() {
		once.Do(func() {
			close(loaded)
			<-release
		})
	})
	const readers = 16
	errs := make(chan error, readers)
	for range readers {
		go func() {
			_, err := e.app.Availability.Get(ctx, padelDay(tomorrow))
			errs <- err
		}()
	}
	<-loaded
	time.Sleep(50 * time.Millisecond) // let the other readers reach the held load
	close(release)
	for range readers {
		require.NoError(t, <-errs)
	}
	assert.Equal(t, 1, e.store.loads()["ListPriceRules"]-before, "one load for all the readers")
}

// TestAReaderRacingAWriteCannotCacheTheOldValue holds a reader between loading the old
// price rules and caching them while a new rule is saved: once the write has returned,
// availability and bookings use the new rule, not what the slow reader cached.
func TestAReaderRacingAWriteCannotCacheTheOldValue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()

	loaded, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	e.store.onListPriceRules(func() {
		once.Do(func() {
			close(loaded)
			<-release
		})
	})
	done := make(chan error, 1)
	go func() {
		_, err := e.app.Availability.Get(ctx, padelDay(tomorrow))
		done <- err
	}()
	<-loaded // the reader holds the old rules and has not cached them yet

	_, err := e.app.Admin.SavePriceRule(ctx, e.club, domain.PriceRule{
		Name: "Padel promo", Sport: domain.Padel, Weekdays: domain.EveryDay, Window: window("08:00", "01:00"),
		Priority: 99, Rate: domain.NewMoney(100000, ars),
	})
	require.NoError(t, err)
	close(release)
	require.NoError(t, <-done)

	day, err := e.app.Availability.Get(ctx, padelDay(tomorrow))
	require.NoError(t, err)
	require.NotEmpty(t, day.Courts[0].Slots)
	assert.Equal(t, money(300000), day.Courts[0].Slots[0].Price, "three half hours at the new rule's rate")
	b := e.book(t, e.bookingCmd())
	assert.Equal(t, int64(100000), b.Booking.Quote().Lines[0].Amount.Amount(), "the booking is priced by the new rule too")
}

func TestCacheFamily(t *testing.T) {
	for key, want := range map[string]string{
		"slug:demo@abc":               "slug",
		"slug:demo#gen":               "slug.gen",
		"club:01J:club@x":             "club",
		"club:01J:courts@x":           "courts",
		"club:01J:seasons#gen":        "seasons.gen",
		"club:01J:rules@x":            "rules",
		"club:01J:day:2026-11-28@x":   "day",
		"club:01J:day:2026-11-28#gen": "day.gen",
		"club:01J:unknown@x":          "other",
		"something-else":              "other",
	} {
		assert.Equal(t, want, app.CacheFamily(key), key)
	}
}

func TestAvailabilityVersionAndValidity(t *testing.T) {
	t.Parallel()
	const lead = 14*time.Minute + 30*time.Second // not on the minute, so that a start decides
	e := newEnv(t, func(p *domain.Policy) { p.MinLead = lead })
	ctx := context.Background()
	today := e.tomorrow.AddDays(-1)
	q := padelDay(today)
	e.clock.Set(e.at(today, "09:15").Add(20 * time.Second)) // 09:30 is the first start: it goes after 09:15:30

	day, err := e.app.Availability.Get(ctx, q)
	require.NoError(t, err)
	v, err := e.app.Availability.Version(ctx, q)
	require.NoError(t, err)
	require.NotEmpty(t, day.Version)
	assert.Equal(t, day.Version, v.Version, "Version reads what Get read")
	assert.True(t, v.Holds(day))
	assert.Equal(t, e.at(today, "09:30").Add(-lead+time.Nanosecond), day.ValidUntil)
	assert.Contains(t, e.offered(t, today, e.padel1.ID), "09:30")

	e.clock.Set(day.ValidUntil.Add(-time.Nanosecond))
	v, err = e.app.Availability.Version(ctx, q)
	require.NoError(t, err)
	assert.True(t, v.Holds(day), "just before the start comes within the lead time")
	again, err := e.app.Availability.Get(ctx, q)
	require.NoError(t, err)
	assert.Equal(t, day.Courts, again.Courts)

	e.clock.Set(day.ValidUntil)
	v, err = e.app.Availability.Version(ctx, q)
	require.NoError(t, err)
	assert.False(t, v.Holds(day), "the start is within the lead time now")
	assert.NotContains(t, e.offered(t, today, e.padel1.ID), "09:30")

	later, err := e.app.Availability.Get(ctx, q)
	require.NoError(t, err)
	assert.Equal(t, day.Version, later.Version, "nothing was written")
	assert.Equal(t, e.at(today, "09:16"), later.ValidUntil, "the next start goes after 10:00-14:30: the minute comes first")

	far := e.bookingCmd()
	far.Start = e.at(today.AddDays(3), "10:00")
	e.book(t, far) // a day no game of today's can reach: today's version stays
	v, err = e.app.Availability.Version(ctx, q)
	require.NoError(t, err)
	assert.Equal(t, later.Version, v.Version)
	e.book(t, e.bookingCmd()) // tomorrow at 10:00, which a long game of today's could reach
	v, err = e.app.Availability.Version(ctx, q)
	require.NoError(t, err)
	assert.NotEqual(t, later.Version, v.Version, "a booking that can touch the day changes its version")

	beyond, err := e.app.Availability.Get(ctx, padelDay(today.AddDays(30)))
	require.NoError(t, err)
	assert.Empty(t, beyond.Version, "a day the cache does not keep: no answer may be kept")
}
