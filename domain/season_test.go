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

	valid := yearRound("08:00", "01:30")
	require.NoError(t, valid.Validate(), "closing after midnight is allowed")

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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := yearRound("08:00", "01:30")
			tt.edit(&s)
			assertCode(t, s.Validate(), domain.CodeInvalid)
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
