package domain_test

import (
	"testing"
	"time"
	_ "time/tzdata" // the DST cases depend on the 2026 rules, not on the host's zone database

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
)

// The fixtures below describe one club, "club-1", in whatever zone and currency a test
// needs, with the default policy unless a test edits it.

const clubID = "club-1"

var ars = domain.MustCurrency("ARS")

// pesos returns an amount of ARS in centavos.
func pesos(minor int64) domain.Money { return domain.NewMoney(minor, ars) }

const buenosAires = "America/Argentina/Buenos_Aires"

func loadLocation(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(tb, err)
	return loc
}

// testClub returns club-1 in zone, charging in currency, with the default policy
// changed by edit (which may be nil).
func testClub(tb testing.TB, zone, currency string, edit func(*domain.Policy)) domain.Club {
	tb.Helper()
	p := domain.DefaultPolicy()
	if edit != nil {
		edit(&p)
	}
	c, err := domain.NewClub(clubID, "club-one", "Club One", zone, currency, p)
	require.NoError(tb, err)
	return c
}

func testCourt(tb testing.TB, id string, sport domain.Sport) domain.Court {
	tb.Helper()
	c, err := domain.NewCourt(id, clubID, "Court "+id, sport, true, "synthetic")
	require.NoError(tb, err)
	return c
}

// everyDay returns the same opening hours for all seven weekdays.
func everyDay(open, close string) [7]*domain.Hours {
	var w [7]*domain.Hours
	for i := range w {
		w[i] = &domain.Hours{Open: domain.MustClock(open), Close: domain.MustClock(close)}
	}
	return w
}

func testSeason(id, from, to string, week [7]*domain.Hours) domain.Season {
	return domain.Season{ID: id, ClubID: clubID, Name: "Season " + id, From: domain.MustDate(from), To: domain.MustDate(to), Week: week}
}

// yearRound is a season covering all of 2026.
func yearRound(open, close string) domain.Season {
	return testSeason("2026", "2026-01-01", "2026-12-31", everyDay(open, close))
}

func window(from, to string) domain.Window {
	return domain.Window{From: domain.MustClock(from), To: domain.MustClock(to)}
}

// rateRule prices every slot of window on every day at rate.
func rateRule(id, from, to string, rate domain.Money) domain.PriceRule {
	return domain.PriceRule{ID: id, ClubID: clubID, Name: id, Weekdays: domain.EveryDay, Window: window(from, to), Rate: rate}
}

// padelRules are the club's padel prices: off-peak 08:00–18:00 at 4 000.00 ARS and
// peak 18:00–24:00 at 6 000.00 ARS per 30 minutes.
func padelRules() []domain.PriceRule {
	offPeak := rateRule("off-peak", "08:00", "18:00", pesos(400000))
	peak := rateRule("peak", "18:00", "24:00", pesos(600000))
	offPeak.Sport, peak.Sport = domain.Padel, domain.Padel
	return []domain.PriceRule{offPeak, peak}
}

// localTime returns the instant of a local "2006-01-02 15:04" in loc. For a clock time
// that occurs twice, use an explicit UTC instant instead.
func localTime(tb testing.TB, loc *time.Location, s string) time.Time {
	tb.Helper()
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	require.NoError(tb, err)
	return t.UTC()
}

func interval(tb testing.TB, start time.Time, d time.Duration) domain.Interval {
	tb.Helper()
	iv, err := domain.NewInterval(start, start.Add(d))
	require.NoError(tb, err)
	return iv
}

// startClocks returns the local clock times of the slots' starts.
func startClocks(slots []domain.Slot, loc *time.Location) []string {
	out := make([]string, 0, len(slots))
	for _, s := range slots {
		out = append(out, s.Start.In(loc).Format("15:04"))
	}
	return out
}

// slotsOf returns the slots listed for court id, failing if the court is not listed.
func slotsOf(tb testing.TB, courts []domain.CourtSlots, id string) []domain.Slot {
	tb.Helper()
	for _, c := range courts {
		if c.Court.ID == id {
			return c.Slots
		}
	}
	require.Failf(tb, "court not listed", "court %q is not in the availability", id)
	return nil
}

// assertCode checks that err is a domain error with the given code.
func assertCode(tb testing.TB, err error, code string) bool {
	tb.Helper()
	return assert.Error(tb, err) && assert.Equal(tb, code, domain.ErrorCode(err), "error: %v", err)
}
