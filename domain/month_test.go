package domain_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
)

func TestParseMonth(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"2026-01", "2000-12", "9999-12"} {
		m, err := domain.ParseMonth(s)
		require.NoError(t, err, s)
		assert.Equal(t, s, m.String())
	}
	for _, s := range []string{"", "2026", "2026-13", "2026-00", "2026-1", "26-01", "2026-01-01", "0000-01", "x"} {
		_, err := domain.ParseMonth(s)
		assertCode(t, err, domain.CodeInvalid)
	}
	_, err := domain.NewMonth(2026, 13)
	assertCode(t, err, domain.CodeInvalid)
}

func TestMonthArithmetic(t *testing.T) {
	t.Parallel()
	assert.Equal(t, domain.MustMonth("2027-01"), domain.MustMonth("2026-12").Next())
	assert.Equal(t, domain.MustMonth("2026-03"), domain.MustMonth("2026-02").Next())
	assert.Equal(t, domain.MustDate("2026-02-01"), domain.MustMonth("2026-02").First())
	assert.Equal(t, domain.MustMonth("2026-02"), domain.MonthOf(domain.MustDate("2026-02-28")))
	assert.Equal(t, 1, domain.MonthsBetween(domain.MustMonth("2026-02"), domain.MustMonth("2026-02")))
	assert.Equal(t, 24, domain.MonthsBetween(domain.MustMonth("2025-01"), domain.MustMonth("2026-12")))
	assert.Equal(t, 0, domain.MonthsBetween(domain.MustMonth("2026-02"), domain.MustMonth("2026-01")))
	assert.Equal(t, -1, domain.MustMonth("2025-12").Compare(domain.MustMonth("2026-01")))
	assert.Equal(t, 1, domain.MustMonth("2026-02").Compare(domain.MustMonth("2026-01")))
	assert.Equal(t, 0, domain.MustMonth("2026-02").Compare(domain.MustMonth("2026-02")))

	madrid := loadLocation(t, "Europe/Madrid")
	iv := domain.MustMonth("2026-03").Interval(madrid)
	assert.Equal(t, time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC), iv.Start)
	assert.Equal(t, time.Date(2026, 3, 31, 22, 0, 0, 0, time.UTC), iv.End, "summer time begins on 29 March")

	var m domain.Month
	require.NoError(t, m.UnmarshalText([]byte("2026-07")))
	b, err := m.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "2026-07", string(b))
	assert.Error(t, m.UnmarshalText([]byte("July")))
}

func TestIntervalOverlap(t *testing.T) {
	t.Parallel()
	at := func(h int) time.Time { return time.Date(2026, 3, 10, h, 0, 0, 0, time.UTC) }
	iv := domain.Interval{Start: at(10), End: at(14)}
	assert.Equal(t, 2*time.Hour, iv.Overlap(domain.Interval{Start: at(12), End: at(16)}))
	assert.Equal(t, 4*time.Hour, iv.Overlap(domain.Interval{Start: at(8), End: at(16)}))
	assert.Equal(t, time.Duration(0), iv.Overlap(domain.Interval{Start: at(14), End: at(16)}), "touching")
	assert.Equal(t, time.Duration(0), iv.Overlap(domain.Interval{Start: at(15), End: at(16)}))
}

func TestOpenTime(t *testing.T) {
	t.Parallel()
	ba := loadLocation(t, buenosAires)
	at := func(s string) time.Time { return localTime(t, ba, s) }
	march := domain.MustMonth("2026-03").Interval(ba)
	day := domain.Interval{Start: at("2026-03-10 00:00"), End: at("2026-03-11 00:00")}
	closure := func(court, from, to string) domain.Closure {
		return domain.Closure{ID: "x-" + from, ClubID: clubID, CourtID: court, Interval: domain.Interval{Start: at(from), End: at(to)}}
	}
	noSundays := everyDay("08:00", "22:00")
	noSundays[time.Sunday] = nil

	tests := []struct {
		name     string
		seasons  []domain.Season
		zone     string // empty: Buenos Aires
		closures []domain.Closure
		iv       domain.Interval
		want     time.Duration
	}{
		{name: "every day of March, 14 hours a day", seasons: []domain.Season{yearRound("08:00", "22:00")}, iv: march, want: 31 * 14 * time.Hour},
		{name: "a club closure is taken off", seasons: []domain.Season{yearRound("08:00", "22:00")},
			closures: []domain.Closure{closure("", "2026-03-10 10:00", "2026-03-10 12:00")}, iv: march, want: (31*14 - 2) * time.Hour},
		{name: "a closure of the court is taken off", seasons: []domain.Season{yearRound("08:00", "22:00")},
			closures: []domain.Closure{closure("c1", "2026-03-10 10:00", "2026-03-10 12:00")}, iv: march, want: (31*14 - 2) * time.Hour},
		{name: "a closure of another court is not", seasons: []domain.Season{yearRound("08:00", "22:00")},
			closures: []domain.Closure{closure("c2", "2026-03-10 10:00", "2026-03-10 12:00")}, iv: march, want: 31 * 14 * time.Hour},
		{name: "overlapping closures count once", seasons: []domain.Season{yearRound("08:00", "22:00")},
			closures: []domain.Closure{closure("", "2026-03-10 10:00", "2026-03-10 12:00"), closure("c1", "2026-03-10 11:00", "2026-03-10 13:00")},
			iv:       march, want: (31*14 - 3) * time.Hour},
		{name: "a closure while the club is shut changes nothing", seasons: []domain.Season{yearRound("08:00", "22:00")},
			closures: []domain.Closure{closure("", "2026-03-10 22:00", "2026-03-11 08:00")}, iv: march, want: 31 * 14 * time.Hour},
		{name: "a closure across the end of the month counts its part in the month", seasons: []domain.Season{yearRound("08:00", "22:00")},
			closures: []domain.Closure{closure("", "2026-03-31 20:00", "2026-04-01 10:00")}, iv: march, want: (31*14 - 2) * time.Hour},
		{name: "closed on Sundays (five in March 2026)", seasons: []domain.Season{testSeason("2026", "2026-01-01", "2026-12-31", noSundays)},
			iv: march, want: 26 * 14 * time.Hour},
		{name: "a season ending mid-month", seasons: []domain.Season{testSeason("first-half", "2026-02-01", "2026-03-15", everyDay("08:00", "22:00"))},
			iv: march, want: 15 * 14 * time.Hour},
		{name: "no season: never open", iv: march, want: 0},
		{name: "overnight hours: the night before's tail and the evening", seasons: []domain.Season{yearRound("20:00", "02:00")},
			iv: day, want: 6 * time.Hour},
		{name: "the first night of the month comes from the last day of the month before", seasons: []domain.Season{yearRound("20:00", "02:00")},
			iv: march, want: 31 * 6 * time.Hour},
		{name: "an empty interval", seasons: []domain.Season{yearRound("08:00", "22:00")}, iv: domain.Interval{Start: march.Start, End: march.Start}, want: 0},
		{name: "the day clocks spring forward is an hour short", zone: "Europe/Madrid", seasons: []domain.Season{yearRound("00:00", "24:00")},
			iv: domain.MustMonth("2026-03").Interval(loadLocation(t, "Europe/Madrid")), want: (31*24 - 1) * time.Hour},
		{name: "the day clocks fall back is an hour long", zone: "Europe/Madrid", seasons: []domain.Season{yearRound("00:00", "24:00")},
			iv: domain.MustMonth("2026-10").Interval(loadLocation(t, "Europe/Madrid")), want: (31*24 + 1) * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := padelSchedule(t, padelRules(), tt.seasons...)
			if tt.seasons == nil {
				s.Seasons = nil
			}
			if tt.zone != "" {
				s.Club = testClub(t, tt.zone, "EUR", nil)
			}
			assert.Equal(t, tt.want, s.OpenTime("c1", tt.closures, tt.iv))
		})
	}
}
