package domain_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
)

// In Europe/Madrid, 2026-03-29 has 23 hours (at 02:00 CET the clocks jump to 03:00 CEST)
// and 2026-10-25 has 25 hours (at 03:00 CEST the clocks go back to 02:00 CET, so 02:00–02:59
// happens twice).
const (
	madrid     = "Europe/Madrid"
	springDay  = "2026-03-29"
	autumnDay  = "2026-10-25"
	flatRate   = 1000 // euro cents per 30 minutes
	nightRate  = 900  // euro cents per 30 minutes between 02:00 and 03:00 local
	nightRule  = "two-am"
	normalRule = "flat"
)

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func euros(cents int64) domain.Money { return domain.NewMoney(cents, domain.MustCurrency("EUR")) }

// madridSchedule is a Madrid club open as the season says, priced flat except for a
// cheaper 02:00–03:00 local window. Padel may be booked for 30, 60 or 90 minutes.
func madridSchedule(tb testing.TB, season domain.Season) domain.Schedule {
	tb.Helper()
	club := testClub(tb, madrid, "EUR", func(p *domain.Policy) {
		p.Durations = map[domain.Sport][]time.Duration{domain.Padel: {30 * time.Minute, 60 * time.Minute, 90 * time.Minute}}
	})
	two := domain.PriceRule{ID: nightRule, ClubID: clubID, Weekdays: domain.EveryDay, Window: window("02:00", "03:00"), Priority: 10, Rate: euros(nightRate)}
	flat := domain.PriceRule{ID: normalRule, ClubID: clubID, Weekdays: domain.EveryDay, Window: window("00:00", "24:00"), Rate: euros(flatRate)}
	return domain.Schedule{Club: club, Seasons: []domain.Season{season}, Rules: []domain.PriceRule{flat, two}}
}

// madridQuery asks for games of d on date at the madridSchedule club with one padel
// court, two days ahead.
func madridQuery(tb testing.TB, date string, season domain.Season, d time.Duration) domain.AvailabilityQuery {
	tb.Helper()
	sched := madridSchedule(tb, season)
	day := domain.MustDate(date)
	return domain.AvailabilityQuery{
		Schedule: sched,
		Courts:   []domain.Court{testCourt(tb, "c1", domain.Padel)},
		Date:     day,
		Sport:    domain.Padel,
		Duration: d,
		Category: domain.CategoryGuest,
		Now:      day.AddDays(-2).StartOfDay(sched.Club.Location),
	}
}

func madridSlots(tb testing.TB, q domain.AvailabilityQuery) []domain.Slot {
	tb.Helper()
	courts, err := domain.Availability(q)
	require.NoError(tb, err)
	return slotsOf(tb, courts, "c1")
}

func TestLocalDateAtOnDSTDays(t *testing.T) {
	t.Parallel()

	loc := loadLocation(t, madrid)
	tests := []struct {
		date, clock string
		want        time.Time
		exists      bool
	}{
		{springDay, "01:59", utc("2026-03-29 00:59"), true},
		{springDay, "02:00", time.Time{}, false},
		{springDay, "02:30", time.Time{}, false},
		{springDay, "02:59", time.Time{}, false},
		{springDay, "03:00", utc("2026-03-29 01:00"), true},
		{springDay, "24:00", utc("2026-03-29 22:00"), true},
		{autumnDay, "01:59", utc("2026-10-24 23:59"), true},
		{autumnDay, "02:00", utc("2026-10-25 00:00"), true}, // the first 02:00, in CEST
		{autumnDay, "02:30", utc("2026-10-25 00:30"), true},
		{autumnDay, "03:00", utc("2026-10-25 02:00"), true},
		{autumnDay, "24:00", utc("2026-10-25 23:00"), true},
	}
	for _, tt := range tests {
		t.Run(tt.date+" "+tt.clock, func(t *testing.T) {
			t.Parallel()
			got, ok := domain.MustDate(tt.date).At(domain.MustClock(tt.clock), loc)
			assert.Equal(t, tt.exists, ok)
			if tt.exists {
				assert.Equal(t, tt.want, got)
				if tt.clock != "24:00" {
					assert.Equal(t, tt.clock, domain.ClockOf(got, loc).String(), "the instant reads as the clock time asked for")
				}
			}
		})
	}
}

func TestStartOfDayAndLengthOfDSTDays(t *testing.T) {
	t.Parallel()

	tests := []struct {
		zone, date string
		start      time.Time
		hours      int
	}{
		{madrid, "2026-03-28", utc("2026-03-27 23:00"), 24},
		{madrid, springDay, utc("2026-03-28 23:00"), 23},
		{madrid, "2026-03-30", utc("2026-03-29 22:00"), 24},
		{madrid, autumnDay, utc("2026-10-24 22:00"), 25},
		{madrid, "2026-10-26", utc("2026-10-25 23:00"), 24},
		// Chile moves its clocks at midnight: on 2026-09-06 the day begins at 01:00.
		{"America/Santiago", "2026-09-06", utc("2026-09-06 04:00"), 23},
		// On 2026-04-05 midnight falls back to 23:00 of the 4th: the 5th begins once, at 00:00 -04.
		{"America/Santiago", "2026-04-04", utc("2026-04-04 03:00"), 25},
		{"America/Santiago", "2026-04-05", utc("2026-04-05 04:00"), 24},
	}
	for _, tt := range tests {
		t.Run(tt.zone+" "+tt.date, func(t *testing.T) {
			t.Parallel()
			loc := loadLocation(t, tt.zone)
			d := domain.MustDate(tt.date)

			start := d.StartOfDay(loc)

			assert.Equal(t, tt.start, start)
			assert.Equal(t, d, domain.DateOf(start, loc))
			assert.Equal(t, d.AddDays(-1), domain.DateOf(start.Add(-time.Nanosecond), loc), "nothing of the day comes before its start")
			assert.Equal(t, time.Duration(tt.hours)*time.Hour, d.AddDays(1).StartOfDay(loc).Sub(start))
		})
	}
}

func TestSlotCountsOnDSTDays(t *testing.T) {
	t.Parallel()

	tests := []struct {
		date     string
		duration time.Duration
		starts   int
	}{
		{"2026-03-28", 30 * time.Minute, 48},
		{springDay, 30 * time.Minute, 46}, // 23 hours
		{autumnDay, 30 * time.Minute, 50}, // 25 hours
		{"2026-03-28", 90 * time.Minute, 46},
		{springDay, 90 * time.Minute, 44},
		{autumnDay, 90 * time.Minute, 48},
	}
	for _, tt := range tests {
		t.Run(tt.date+"/"+tt.duration.String(), func(t *testing.T) {
			t.Parallel()
			loc := loadLocation(t, madrid)
			q := madridQuery(t, tt.date, yearRound("00:00", "24:00"), tt.duration)

			slots := madridSlots(t, q)

			assert.Len(t, slots, tt.starts)
			dayStart, dayEnd := q.Date.StartOfDay(loc), q.Date.AddDays(1).StartOfDay(loc)
			for i, s := range slots {
				assert.Equal(t, tt.duration, s.End.Sub(s.Start), "every game lasts its real duration")
				assert.False(t, s.Start.Before(dayStart))
				assert.True(t, s.Start.Before(dayEnd))
				assert.False(t, s.End.After(dayEnd))
				if i > 0 {
					assert.Equal(t, 30*time.Minute, s.Start.Sub(slots[i-1].Start), "starts are 30 real minutes apart, also across the change")
				}
			}
		})
	}
}

func TestSpringForwardOffersNoClockTimeThatDoesNotExist(t *testing.T) {
	t.Parallel()

	loc := loadLocation(t, madrid)
	slots := madridSlots(t, madridQuery(t, springDay, yearRound("00:00", "24:00"), 30*time.Minute))

	starts := startClocks(slots, loc)
	assert.Equal(t, []string{"00:00", "00:30", "01:00", "01:30", "03:00", "03:30"}, starts[:6])
	for _, s := range starts {
		assert.NotEqual(t, "02", s[:2], "02:xx does not exist on %s", springDay)
	}
	assert.Equal(t, utc("2026-03-29 00:30"), slots[3].Start) // 01:30 CET
	assert.Equal(t, utc("2026-03-29 01:00"), slots[4].Start) // 03:00 CEST, half an hour later
	for _, s := range slots {
		assert.Equal(t, euros(flatRate), s.Price, "the 02:00–03:00 rule prices nothing on %s", springDay)
	}
}

func TestFallBackOffersTheRepeatedHourTwice(t *testing.T) {
	t.Parallel()

	loc := loadLocation(t, madrid)
	slots := madridSlots(t, madridQuery(t, autumnDay, yearRound("00:00", "24:00"), 30*time.Minute))

	require.Len(t, slots, 50)
	assert.Equal(t, []string{"00:00", "00:30", "01:00", "01:30", "02:00", "02:30", "02:00", "02:30", "03:00"}, startClocks(slots[:9], loc))
	want := []struct {
		start time.Time
		price int64
	}{
		{utc("2026-10-24 23:30"), flatRate},  // 01:30 CEST
		{utc("2026-10-25 00:00"), nightRate}, // 02:00 CEST
		{utc("2026-10-25 00:30"), nightRate}, // 02:30 CEST
		{utc("2026-10-25 01:00"), nightRate}, // 02:00 CET
		{utc("2026-10-25 01:30"), nightRate}, // 02:30 CET
		{utc("2026-10-25 02:00"), flatRate},  // 03:00 CET
	}
	for i, w := range want {
		s := slots[3+i]
		assert.Equal(t, w.start, s.Start, "slot %d", 3+i)
		assert.Equal(t, euros(w.price), s.Price, "slot %d at %s", 3+i, s.Start.In(loc).Format("15:04 MST"))
	}
}

func TestPricesFollowTheLocalClockOnDSTDays(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name  string
		start time.Time
		d     time.Duration
		rules []string
		lines []time.Time
	}{
		{"a game across the spring gap", utc("2026-03-29 00:30"), time.Hour, // 01:30 CET to 03:30 CEST
			[]string{normalRule, normalRule}, []time.Time{utc("2026-03-29 00:30"), utc("2026-03-29 01:00")}},
		{"the first 02:00", utc("2026-10-25 00:00"), time.Hour,
			[]string{nightRule, nightRule}, []time.Time{utc("2026-10-25 00:00"), utc("2026-10-25 00:30")}},
		{"the second 02:00", utc("2026-10-25 01:00"), time.Hour,
			[]string{nightRule, nightRule}, []time.Time{utc("2026-10-25 01:00"), utc("2026-10-25 01:30")}},
		{"a game over both 02:30s", utc("2026-10-25 00:30"), time.Hour,
			[]string{nightRule, nightRule}, []time.Time{utc("2026-10-25 00:30"), utc("2026-10-25 01:00")}},
		{"a game into the repeated hour", utc("2026-10-24 23:30"), 90 * time.Minute,
			[]string{normalRule, nightRule, nightRule}, []time.Time{utc("2026-10-24 23:30"), utc("2026-10-25 00:00"), utc("2026-10-25 00:30")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sched := madridSchedule(t, yearRound("00:00", "24:00"))

			quote, err := sched.Quote(testCourt(t, "c1", domain.Padel), interval(t, tt.start, tt.d), domain.CategoryGuest)

			require.NoError(t, err)
			assert.Equal(t, tt.rules, ruleIDs(quote))
			starts := make([]time.Time, 0, len(quote.Lines))
			var total int64
			for _, l := range quote.Lines {
				starts = append(starts, l.Start)
				assert.Equal(t, 30*time.Minute, l.End.Sub(l.Start))
				total += l.Amount.Amount()
			}
			assert.Equal(t, tt.lines, starts)
			assert.Equal(t, euros(total), quote.Total)
		})
	}
}

func TestASeasonClosingAfterMidnightOnDSTNights(t *testing.T) {
	t.Parallel()

	lateNights := yearRound("08:00", "01:30")
	tests := []struct {
		name      string
		date      string
		firstUTC  time.Time // 00:00 local, from the night before
		closesUTC time.Time // 01:30 local, when last night's opening closes
		count     int       // 00:00 and 00:30 from last night, then 08:00 to 23:30
	}{
		{"the day clocks spring forward", springDay, utc("2026-03-28 23:00"), utc("2026-03-29 00:30"), 34},
		{"the night after clocks sprang forward", "2026-03-30", utc("2026-03-29 22:00"), utc("2026-03-29 23:30"), 34},
		{"the day clocks fall back", autumnDay, utc("2026-10-24 22:00"), utc("2026-10-24 23:30"), 34},
		{"the night after clocks fell back", "2026-10-26", utc("2026-10-25 23:00"), utc("2026-10-26 00:30"), 34},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			loc := loadLocation(t, madrid)
			slots := madridSlots(t, madridQuery(t, tt.date, lateNights, 60*time.Minute))

			require.Len(t, slots, tt.count)
			assert.Equal(t, []string{"00:00", "00:30", "08:00"}, startClocks(slots[:3], loc))
			assert.Equal(t, tt.firstUTC, slots[0].Start)
			assert.Equal(t, tt.closesUTC, slots[1].End, "the 00:30 game ends as the club closes at 01:30")
			assert.Equal(t, "23:30", slots[len(slots)-1].Start.In(loc).Format("15:04"))
		})
	}
}

func TestAnOvernightSeasonAcrossTheChange(t *testing.T) {
	t.Parallel()

	nights := yearRound("22:00", "06:00")
	tests := []struct {
		name   string
		date   string
		starts []string
		utc    []time.Time // the UTC instants of the starts, where they tell more than the clock
	}{
		{
			name:   "spring: last night's opening loses its 02:00 hour",
			date:   springDay,
			starts: []string{"00:00", "00:30", "01:00", "01:30", "03:00", "03:30", "04:00", "04:30", "05:00", "22:00", "22:30", "23:00", "23:30"},
		},
		{
			name:   "autumn: last night's opening has its 02:00 hour twice",
			date:   autumnDay,
			starts: []string{"00:00", "00:30", "01:00", "01:30", "02:00", "02:30", "02:00", "02:30", "03:00", "03:30", "04:00", "04:30", "05:00", "22:00", "22:30", "23:00", "23:30"},
			utc:    []time.Time{utc("2026-10-24 22:00"), utc("2026-10-24 22:30"), utc("2026-10-24 23:00"), utc("2026-10-24 23:30"), utc("2026-10-25 00:00"), utc("2026-10-25 00:30"), utc("2026-10-25 01:00"), utc("2026-10-25 01:30")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			loc := loadLocation(t, madrid)
			slots := madridSlots(t, madridQuery(t, tt.date, nights, 60*time.Minute))

			assert.Equal(t, tt.starts, startClocks(slots, loc))
			for i, want := range tt.utc {
				assert.Equal(t, want, slots[i].Start, "start %d", i)
			}
			for _, s := range slots {
				assert.Equal(t, time.Hour, s.End.Sub(s.Start))
			}
		})
	}
}

func TestOpeningHoursInTheSpringGap(t *testing.T) {
	t.Parallel()

	loc := loadLocation(t, madrid)
	tests := []struct {
		name   string
		hours  [7]*domain.Hours
		starts []string
	}{
		// 02:30 does not exist on 2026-03-29: the club closes at the first instant after the
		// gap, 03:00 CEST, so the last 60-minute game starts at 01:00 CET.
		{"a closing time in the gap", everyDay("20:00", "02:30"), []string{"00:00", "00:30", "01:00", "20:00", "20:30", "21:00", "21:30", "22:00", "22:30", "23:00", "23:30"}},
		// The same for an opening time: the club opens at 03:00 CEST.
		{"an opening time in the gap", everyDay("02:30", "06:00"), []string{"03:00", "03:30", "04:00", "04:30", "05:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			season := testSeason("2026", "2026-01-01", "2026-12-31", tt.hours)
			require.NoError(t, season.Validate(testClub(t, "Europe/Madrid", "EUR", nil)))

			slots := madridSlots(t, madridQuery(t, springDay, season, 60*time.Minute))

			assert.Equal(t, tt.starts, startClocks(slots, loc))
		})
	}
}

func TestAvailabilityOnDSTDaysOffersOnlyWhatCanBeQuoted(t *testing.T) {
	t.Parallel()

	seasons := []domain.Season{yearRound("00:00", "24:00"), yearRound("08:00", "01:30"), yearRound("22:00", "06:00"), yearRound("20:00", "02:30")}
	for _, date := range []string{"2026-03-28", springDay, "2026-03-30", "2026-10-24", autumnDay, "2026-10-26"} {
		for _, season := range seasons {
			for _, d := range []time.Duration{30 * time.Minute, 60 * time.Minute, 90 * time.Minute} {
				q := madridQuery(t, date, season, d)
				for _, s := range madridSlots(t, q) {
					quote, err := q.Schedule.Quote(q.Courts[0], interval(t, s.Start, d), domain.CategoryGuest)
					if assert.NoError(t, err, "%s %s–%s, %s at %s", date, season.Week[0].Open, season.Week[0].Close, d, s.Start) {
						assert.Equal(t, quote.Total, s.Price, "%s %s–%s, %s at %s", date, season.Week[0].Open, season.Week[0].Close, d, s.Start)
					}
				}
			}
		}
	}
}
