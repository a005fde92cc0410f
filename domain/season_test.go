package domain_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
)

func TestSeasonValidate(t *testing.T) {
	t.Parallel()

	club := testClub(t, buenosAires, "ARS", nil)
	valid := yearRound("08:00", "01:30")
	require.NoError(t, valid.Validate(club), "closing after midnight is allowed")
	valid.Week[time.Sunday] = &domain.Hours{Open: domain.MustClock("00:00"), Close: domain.MustClock("24:00")}
	require.NoError(t, valid.Validate(club), "open all day")
	valid.From, valid.To = domain.MustDate("2000-01-01"), domain.MustDate("9998-12-31")
	require.NoError(t, valid.Validate(club), "the widest range of dates")
	quarterHours := testClub(t, buenosAires, "ARS", func(p *domain.Policy) { p.Granularity = 15 * time.Minute; p.Durations = nil })
	valid = yearRound("08:15", "23:45")
	require.NoError(t, valid.Validate(quarterHours), "on a 15-minute grid")

	tests := []struct {
		name string
		edit func(*domain.Season)
	}{
		{"no id", func(s *domain.Season) { s.ID = "" }},
		{"no name", func(s *domain.Season) { s.Name = " " }},
		{"no first day", func(s *domain.Season) { s.From = domain.LocalDate{} }},
		{"ending before it starts", func(s *domain.Season) { s.To = s.From.AddDays(-1) }},
		{"opening and closing at the same time", func(s *domain.Season) {
			s.Week[time.Monday] = &domain.Hours{Open: domain.MustClock("08:00"), Close: domain.MustClock("08:00")}
		}},
		{"opening at 24:00", func(s *domain.Season) {
			s.Week[time.Monday] = &domain.Hours{Open: domain.MustClock("24:00"), Close: domain.MustClock("02:00")}
		}},
		{"closing after 24:00", func(s *domain.Season) {
			s.Week[time.Monday] = &domain.Hours{Open: domain.MustClock("08:00"), Close: 25 * 60}
		}},
		{"opening off the slot grid", func(s *domain.Season) {
			s.Week[time.Monday] = &domain.Hours{Open: domain.MustClock("08:07"), Close: domain.MustClock("23:00")}
		}},
		{"closing off the slot grid", func(s *domain.Season) {
			s.Week[time.Friday] = &domain.Hours{Open: domain.MustClock("08:00"), Close: domain.MustClock("01:15")}
		}},
		{"another club", func(s *domain.Season) { s.ClubID = "club-2" }},
		{"starting in year 1", func(s *domain.Season) { s.From = domain.MustDate("0001-01-01") }},
		{"starting before 2000", func(s *domain.Season) { s.From = domain.MustDate("1999-12-31") }},
		{"ending in 9999", func(s *domain.Season) { s.To = domain.MustDate("9999-01-01") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := yearRound("08:00", "01:30")
			tt.edit(&s)
			assertCode(t, s.Validate(club), domain.CodeInvalid)
		})
	}
}

func TestHoursOvernight(t *testing.T) {
	t.Parallel()

	tests := []struct {
		open, close string
		overnight   bool
	}{
		{"08:00", "22:00", false},
		{"08:00", "24:00", false},
		{"08:00", "01:30", true},
		{"08:00", "00:00", true},
		{"22:00", "06:00", true},
	}
	for _, tt := range tests {
		h := domain.Hours{Open: domain.MustClock(tt.open), Close: domain.MustClock(tt.close)}
		assert.Equal(t, tt.overnight, h.Overnight(), "%s–%s", tt.open, tt.close)
	}
}

func TestSeasonsMayNotOverlap(t *testing.T) {
	t.Parallel()

	summer := testSeason("summer", "2026-01-01", "2026-03-31", everyDay("08:00", "01:30"))
	tests := []struct {
		name     string
		from, to string
		clubID   string
		id       string
		overlaps bool
	}{
		{"the day after", "2026-04-01", "2026-06-30", clubID, "autumn", false},
		{"sharing the last day", "2026-03-31", "2026-06-30", clubID, "autumn", true},
		{"inside", "2026-02-01", "2026-02-28", clubID, "carnival", true},
		{"around", "2025-12-01", "2026-04-30", clubID, "long", true},
		{"the season itself, being replaced", "2026-01-01", "2026-04-15", clubID, "summer", false},
		{"another club's season", "2026-01-01", "2026-03-31", "club-2", "summer-2", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := testSeason(tt.id, tt.from, tt.to, everyDay("09:00", "21:00"))
			s.ClubID = tt.clubID

			err := domain.CheckSeasonOverlap(s, []domain.Season{summer})

			if tt.overlaps {
				assertCode(t, err, domain.CodeSeasonOverlap)
				assert.Equal(t, domain.KindConflict, domain.ErrorKind(err))
			} else {
				assert.NoError(t, err)
			}
		})
	}

	assert.True(t, summer.Covers(domain.MustDate("2026-01-01")))
	assert.True(t, summer.Covers(domain.MustDate("2026-03-31")))
	assert.False(t, summer.Covers(domain.MustDate("2026-04-01")))
}

func TestClosure(t *testing.T) {
	t.Parallel()

	start := time.Date(2026, 3, 10, 21, 0, 0, 0, time.UTC)
	wholeClub := domain.Closure{ID: "x1", ClubID: clubID, Interval: domain.Interval{Start: start, End: start.Add(time.Hour)}, Reason: "holiday"}
	oneCourt := wholeClub
	oneCourt.CourtID = "c2"

	require.NoError(t, wholeClub.Validate())
	assert.True(t, wholeClub.Applies("c1"))
	assert.True(t, wholeClub.Applies("c2"))
	assert.False(t, oneCourt.Applies("c1"))
	assert.True(t, oneCourt.Applies("c2"))

	empty := wholeClub
	empty.Interval.End = start
	assertCode(t, empty.Validate(), domain.CodeInvalid)
	noID := wholeClub
	noID.ID = ""
	assertCode(t, noID.Validate(), domain.CodeInvalid)
}

func TestClosureTimesLieInTheAcceptedEra(t *testing.T) {
	t.Parallel()

	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return v
	}
	tests := []struct {
		start, end string
		ok         bool
	}{
		{"2026-03-10T21:00:00Z", "2026-03-10T22:00:00Z", true},
		{"2000-01-01T00:00:00Z", "9999-01-01T00:00:00Z", true},
		{"0000-01-01T00:00:00Z", "0000-01-02T00:00:00Z", false},
		{"1753-01-01T00:00:00Z", "2026-03-10T22:00:00Z", false},
		{"1999-12-31T23:59:59Z", "2026-03-10T22:00:00Z", false},
		{"2026-03-10T21:00:00Z", "9999-01-01T00:00:01Z", false},
		{"2026-03-10T21:00:00Z", "9999-12-31T23:59:59-12:00", false},
	}
	for _, tt := range tests {
		c := domain.Closure{ID: "x1", ClubID: clubID, Interval: domain.Interval{Start: at(tt.start), End: at(tt.end)}}
		err := c.Validate()
		if tt.ok {
			assert.NoError(t, err, "%s – %s", tt.start, tt.end)
			continue
		}
		assertCode(t, err, domain.CodeInvalid)
		assert.ErrorContains(t, err, "must lie between 2000-01-01T00:00:00Z and 9999-01-01T00:00:00Z", "%s – %s", tt.start, tt.end)
	}
}

func TestCheckClosures(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	iv := domain.Interval{Start: start, End: start.Add(90 * time.Minute)}
	court := domain.Court{ID: "c1", Name: "Court 1"}
	closure := func(courtID string, from, to time.Duration) domain.Closure {
		return domain.Closure{CourtID: courtID, Reason: "works", Interval: domain.Interval{Start: start.Add(from), End: start.Add(to)}}
	}
	tests := []struct {
		name     string
		closures []domain.Closure
		closed   bool
	}{
		{"none", nil, false},
		{"the whole club, overlapping", []domain.Closure{closure("", time.Hour, 2*time.Hour)}, true},
		{"this court, overlapping", []domain.Closure{closure("c1", -time.Hour, time.Minute)}, true},
		{"another court", []domain.Closure{closure("c2", 0, time.Hour)}, false},
		{"ending as the game starts", []domain.Closure{closure("", -time.Hour, 0)}, false},
		{"starting as the game ends", []domain.Closure{closure("c1", 90*time.Minute, 2*time.Hour)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := domain.CheckClosures(tt.closures, court, iv)
			if tt.closed {
				assert.Equal(t, domain.CodeClosed, domain.ErrorCode(err))
			} else {
				assert.NoError(t, err)
			}
		})
	}
}
