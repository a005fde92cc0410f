package domain_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
)

// eveningQuery asks for 60-minute padel games on Tuesday 2026-03-10 at a club open
// 18:00–22:00 with two padel courts, the day before at noon. Every start from 18:00 to
// 21:00 is free unless a case says otherwise.
func eveningQuery(tb testing.TB) domain.AvailabilityQuery {
	tb.Helper()
	ba := loadLocation(tb, buenosAires)
	return domain.AvailabilityQuery{
		Schedule: padelSchedule(tb, padelRules(), yearRound("18:00", "22:00")),
		Courts:   []domain.Court{testCourt(tb, "c1", domain.Padel), testCourt(tb, "c2", domain.Padel)},
		Date:     domain.MustDate(tuesday),
		Sport:    domain.Padel,
		Duration: 60 * time.Minute,
		Category: domain.CategoryGuest,
		Now:      localTime(tb, ba, "2026-03-09 12:00"),
	}
}

func TestAvailability(t *testing.T) {
	t.Parallel()

	ba := loadLocation(t, buenosAires)
	at := func(hhmm string) time.Time { return localTime(t, ba, tuesday+" "+hhmm) }
	hour := func(from string) domain.Interval {
		return domain.Interval{Start: at(from), End: at(from).Add(time.Hour)}
	}
	booking := func(court, from string, s domain.Status, hold time.Time) domain.Occupancy {
		return domain.Occupancy{BookingID: "b-" + court + "-" + from, CourtID: court, Interval: hour(from), Status: s, HoldExpiresAt: hold}
	}
	now := localTime(t, ba, "2026-03-09 12:00")
	all := []string{"18:00", "18:30", "19:00", "19:30", "20:00", "20:30", "21:00"}
	around19 := []string{"18:00", "20:00", "20:30", "21:00"} // what is left when 19:00–20:00 is taken

	tests := []struct {
		name string
		edit func(q *domain.AvailabilityQuery)
		want map[string][]string // court → free starts; only these courts are listed
	}{
		{
			name: "an open evening offers every start on every court",
			edit: func(*domain.AvailabilityQuery) {},
			want: map[string][]string{"c1": all, "c2": all},
		},
		{
			name: "a club closure blocks every court",
			edit: func(q *domain.AvailabilityQuery) {
				q.Closures = []domain.Closure{{ID: "x", ClubID: clubID, Interval: hour("19:00"), Reason: "tournament"}}
			},
			want: map[string][]string{"c1": around19, "c2": around19},
		},
		{
			name: "a court closure blocks only its court",
			edit: func(q *domain.AvailabilityQuery) {
				q.Closures = []domain.Closure{{ID: "x", ClubID: clubID, CourtID: "c2", Interval: hour("19:00"), Reason: "new glass"}}
			},
			want: map[string][]string{"c1": all, "c2": around19},
		},
		{
			name: "a start inside the lead time is not offered",
			edit: func(q *domain.AvailabilityQuery) { q.Now = at("18:50") }, // earliest start 19:05
			want: map[string][]string{"c1": {"19:30", "20:00", "20:30", "21:00"}, "c2": {"19:30", "20:00", "20:30", "21:00"}},
		},
		{
			name: "a start exactly the lead time ahead is offered",
			edit: func(q *domain.AvailabilityQuery) { q.Now = at("18:45") },
			want: map[string][]string{"c1": {"19:00", "19:30", "20:00", "20:30", "21:00"}, "c2": {"19:00", "19:30", "20:00", "20:30", "21:00"}},
		},
		{
			name: "a start beyond the horizon is not offered",
			edit: func(q *domain.AvailabilityQuery) { q.Now = at("19:30").Add(-14 * 24 * time.Hour) },
			want: map[string][]string{"c1": {"18:00", "18:30", "19:00", "19:30"}, "c2": {"18:00", "18:30", "19:00", "19:30"}},
		},
		{
			name: "a confirmed booking blocks its court",
			edit: func(q *domain.AvailabilityQuery) {
				q.Occupancy = []domain.Occupancy{booking("c1", "19:00", domain.StatusConfirmed, time.Time{})}
			},
			want: map[string][]string{"c1": around19, "c2": all},
		},
		{
			name: "a pending booking whose hold runs blocks its court",
			edit: func(q *domain.AvailabilityQuery) {
				q.Occupancy = []domain.Occupancy{booking("c1", "19:00", domain.StatusPending, now.Add(5*time.Minute))}
			},
			want: map[string][]string{"c1": around19, "c2": all},
		},
		{
			name: "a pending booking whose hold has passed is free, though still pending",
			edit: func(q *domain.AvailabilityQuery) {
				q.Occupancy = []domain.Occupancy{booking("c1", "19:00", domain.StatusPending, now.Add(-time.Minute))}
			},
			want: map[string][]string{"c1": all, "c2": all},
		},
		{
			name: "a hold that runs out at now no longer blocks",
			edit: func(q *domain.AvailabilityQuery) {
				q.Occupancy = []domain.Occupancy{booking("c1", "19:00", domain.StatusPending, now)}
			},
			want: map[string][]string{"c1": all, "c2": all},
		},
		{
			name: "expired and cancelled bookings do not block",
			edit: func(q *domain.AvailabilityQuery) {
				q.Occupancy = []domain.Occupancy{
					booking("c1", "19:00", domain.StatusExpired, now.Add(-time.Hour)),
					booking("c2", "19:00", domain.StatusCancelled, now.Add(time.Hour)),
				}
			},
			want: map[string][]string{"c1": all, "c2": all},
		},
		{
			name: "a booking blocks only the starts whose games would overlap it",
			edit: func(q *domain.AvailabilityQuery) {
				q.Occupancy = []domain.Occupancy{
					booking("c1", "18:00", domain.StatusConfirmed, time.Time{}),
					booking("c1", "21:00", domain.StatusConfirmed, time.Time{}),
				}
			},
			want: map[string][]string{"c1": {"19:00", "19:30", "20:00"}, "c2": all},
		},
		{
			name: "an inactive court is not listed",
			edit: func(q *domain.AvailabilityQuery) { q.Courts[1].Active = false },
			want: map[string][]string{"c1": all},
		},
		{
			name: "a court of another sport is not listed",
			edit: func(q *domain.AvailabilityQuery) { q.Courts = append(q.Courts, testCourt(t, "t1", domain.Tennis)) },
			want: map[string][]string{"c1": all, "c2": all},
		},
		{
			name: "a day no season covers is closed",
			edit: func(q *domain.AvailabilityQuery) {
				q.Schedule.Seasons = []domain.Season{testSeason("summer", "2026-01-01", "2026-03-09", everyDay("18:00", "22:00"))}
			},
			want: map[string][]string{"c1": nil, "c2": nil},
		},
		{
			name: "a weekday without hours is closed",
			edit: func(q *domain.AvailabilityQuery) { q.Schedule.Seasons[0].Week[time.Tuesday] = nil },
			want: map[string][]string{"c1": nil, "c2": nil},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := eveningQuery(t)
			tt.edit(&q)

			courts, err := domain.Availability(q)

			require.NoError(t, err)
			got := make(map[string][]string, len(courts))
			for _, c := range courts {
				got[c.Court.ID] = nil
				if len(c.Slots) > 0 {
					got[c.Court.ID] = startClocks(c.Slots, ba)
				}
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestAvailabilitySlotsCarryTheirEndAndPrice(t *testing.T) {
	t.Parallel()

	ba := loadLocation(t, buenosAires)
	q := eveningQuery(t)
	q.Schedule = padelSchedule(t, padelRules(), yearRound("17:00", "20:00"))
	q.Duration = 90 * time.Minute

	courts, err := domain.Availability(q)

	require.NoError(t, err)
	at := func(hhmm string) time.Time { return localTime(t, ba, tuesday+" "+hhmm) }
	assert.Equal(t, []domain.Slot{
		{Start: at("17:00"), End: at("18:30"), Price: pesos(1400000)},
		{Start: at("17:30"), End: at("19:00"), Price: pesos(1600000)},
		{Start: at("18:00"), End: at("19:30"), Price: pesos(1800000)},
		{Start: at("18:30"), End: at("20:00"), Price: pesos(1800000)},
	}, slotsOf(t, courts, "c1"))
}

func TestAvailabilityIncludesYesterdaysHoursPastMidnight(t *testing.T) {
	t.Parallel()

	ba := loadLocation(t, buenosAires)
	q := eveningQuery(t)
	q.Schedule = padelSchedule(t, []domain.PriceRule{rateRule("flat", "00:00", "24:00", pesos(500000))}, yearRound("08:00", "01:30"))

	tests := []struct {
		duration time.Duration
		first    []string // the first starts of the day
	}{
		// Monday's opening runs until 01:30 on Tuesday: a 90-minute game fits at 00:00
		// (ending 01:30) but not at 00:30.
		{90 * time.Minute, []string{"00:00", "08:00", "08:30"}},
		{60 * time.Minute, []string{"00:00", "00:30", "08:00"}},
		{120 * time.Minute, []string{"08:00", "08:30", "09:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.duration.String(), func(t *testing.T) {
			t.Parallel()
			q := q
			q.Duration = tt.duration

			courts, err := domain.Availability(q)

			require.NoError(t, err)
			slots := slotsOf(t, courts, "c1")
			require.GreaterOrEqual(t, len(slots), 3)
			assert.Equal(t, tt.first, startClocks(slots[:3], ba))
			// Tuesday's own opening runs to 01:30 on Wednesday: the day's last start is the
			// last one at or before 23:30 that ends by then.
			last := slots[len(slots)-1]
			assert.Equal(t, "23:30", last.Start.In(ba).Format("15:04"))
			assert.False(t, last.End.After(localTime(t, ba, "2026-03-11 01:30")))
		})
	}

	q.Duration = 90 * time.Minute
	courts, err := domain.Availability(q)
	require.NoError(t, err)
	first := slotsOf(t, courts, "c1")[0]
	assert.Equal(t, localTime(t, ba, tuesday+" 00:00"), first.Start)
	assert.Equal(t, localTime(t, ba, tuesday+" 01:30"), first.End)
	assert.Equal(t, pesos(1500000), first.Price)
}

func TestAvailabilityFollowsTheSeasonInForce(t *testing.T) {
	t.Parallel()

	ba := loadLocation(t, buenosAires)
	flat := []domain.PriceRule{rateRule("flat", "00:00", "24:00", pesos(500000))}
	lateUntilMonday := testSeason("late", "2026-01-01", "2026-03-09", everyDay("08:00", "01:30"))
	earlyFromTuesday := testSeason("early", "2026-03-10", "2026-12-31", everyDay("10:00", "20:00"))
	earlyUntilMonday := testSeason("early", "2026-01-01", "2026-03-09", everyDay("10:00", "20:00"))
	lateFromTuesday := testSeason("late", "2026-03-10", "2026-12-31", everyDay("08:00", "01:30"))

	tests := []struct {
		name    string
		seasons []domain.Season
		date    string
		first   []string
		last    string
	}{
		{"the night of the old season's last day still runs past midnight", []domain.Season{lateUntilMonday, earlyFromTuesday}, tuesday, []string{"00:00", "00:30", "10:00"}, "19:00"},
		{"the new season's hours apply the next day", []domain.Season{lateUntilMonday, earlyFromTuesday}, "2026-03-11", []string{"10:00", "10:30", "11:00"}, "19:00"},
		{"a season starting today does not open last night", []domain.Season{earlyUntilMonday, lateFromTuesday}, tuesday, []string{"08:00", "08:30", "09:00"}, "23:30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := eveningQuery(t)
			q.Schedule = padelSchedule(t, flat, tt.seasons...)
			q.Date = domain.MustDate(tt.date)

			courts, err := domain.Availability(q)

			require.NoError(t, err)
			slots := slotsOf(t, courts, "c1")
			require.GreaterOrEqual(t, len(slots), 3)
			assert.Equal(t, tt.first, startClocks(slots[:3], ba))
			assert.Equal(t, tt.last, slots[len(slots)-1].Start.In(ba).Format("15:04"))
		})
	}
}

func TestAvailabilityRefusesDurationsThePolicyDoesNotAllow(t *testing.T) {
	t.Parallel()

	tests := []struct {
		sport    domain.Sport
		duration time.Duration
		allowed  bool
	}{
		{domain.Padel, 60 * time.Minute, true},
		{domain.Padel, 90 * time.Minute, true},
		{domain.Padel, 120 * time.Minute, true},
		{domain.Padel, 30 * time.Minute, false}, // a multiple of the granularity, but not listed for padel
		{domain.Padel, 45 * time.Minute, false},
		{domain.Padel, 150 * time.Minute, false},
		{domain.Padel, 0, false},
		{domain.Pickleball, 30 * time.Minute, true}, // no list for pickleball: any whole number of slots up to 4 hours
		{domain.Pickleball, 240 * time.Minute, true},
		{domain.Pickleball, 270 * time.Minute, false},
		{domain.Pickleball, 40 * time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.sport)+"/"+tt.duration.String(), func(t *testing.T) {
			t.Parallel()
			q := eveningQuery(t)
			q.Sport, q.Duration = tt.sport, tt.duration

			_, err := domain.Availability(q)

			if tt.allowed {
				assert.NoError(t, err)
			} else {
				assertCode(t, err, domain.CodeDurationNotAllowed)
				assert.Equal(t, domain.KindPolicy, domain.ErrorKind(err))
			}
		})
	}
}

func TestAvailabilityOffersOnlyWhatCanBeQuoted(t *testing.T) {
	t.Parallel()

	ba := loadLocation(t, buenosAires)
	night := rateRule("night", "22:00", "02:00", pesos(700000))
	night.Priority = 10
	member := rateRule("member", "08:00", "24:00", pesos(300000))
	member.Category, member.Priority = domain.CategoryMember, 5
	rules := append(padelRules(), night, member)
	for _, cat := range []domain.CustomerCategory{domain.CategoryGuest, domain.CategoryMember} {
		for _, d := range []time.Duration{60 * time.Minute, 90 * time.Minute, 120 * time.Minute} {
			q := eveningQuery(t)
			q.Schedule = padelSchedule(t, rules, yearRound("08:00", "01:30"))
			q.Duration, q.Category = d, cat
			q.Occupancy = []domain.Occupancy{{CourtID: "c1", Interval: interval(t, localTime(t, ba, tuesday+" 19:00"), time.Hour), Status: domain.StatusConfirmed}}

			courts, err := domain.Availability(q)

			require.NoError(t, err)
			for _, c := range courts {
				require.NotEmpty(t, c.Slots)
				for _, s := range c.Slots {
					quote, err := q.Schedule.Quote(c.Court, interval(t, s.Start, d), cat)
					if assert.NoError(t, err, "%s %s on %s", cat, s.Start.In(ba), c.Court.ID) {
						assert.Equal(t, quote.Total, s.Price, "%s %s on %s", cat, s.Start.In(ba), c.Court.ID)
					}
					assert.Equal(t, d, s.End.Sub(s.Start))
				}
			}
		}
	}
}

func TestAvailabilityListsEachStartOnceWhenOpeningsOverlap(t *testing.T) {
	t.Parallel()

	// Monday's late opening runs until 02:00 on Tuesday, when the club is open all day.
	// A slot of an opening is priced by the rules of the day the opening began.
	ba := loadLocation(t, buenosAires)
	week := everyDay("08:00", "22:00")
	week[time.Monday] = &domain.Hours{Open: domain.MustClock("08:00"), Close: domain.MustClock("02:00")}
	week[time.Tuesday] = &domain.Hours{Open: domain.MustClock("00:00"), Close: domain.MustClock("24:00")}
	monday := rateRule("monday", "00:00", "24:00", pesos(700000))
	monday.Weekdays = domain.WeekdaysOf(time.Monday)
	otherDays := rateRule("other-days", "00:00", "24:00", pesos(500000))
	otherDays.Weekdays = domain.EveryDay &^ domain.WeekdaysOf(time.Monday)
	q := eveningQuery(t)
	q.Schedule = padelSchedule(t, []domain.PriceRule{monday, otherDays}, testSeason("2026", "2026-01-01", "2026-12-31", week))

	courts, err := domain.Availability(q)

	require.NoError(t, err)
	slots := slotsOf(t, courts, "c1")
	starts := startClocks(slots, ba)
	require.Len(t, starts, 47, "every start from 00:00 to 23:00, once")
	assert.Equal(t, []string{"00:00", "00:30", "01:00", "01:30", "02:00"}, starts[:5])
	prices := make([]domain.Money, 0, 5)
	for _, s := range slots[:5] {
		prices = append(prices, s.Price)
	}
	assert.Equal(t, []domain.Money{pesos(1400000), pesos(1400000), pesos(1400000), pesos(1000000), pesos(1000000)}, prices,
		"games that fit in Monday's opening are Monday's; later ones are Tuesday's")
	for _, s := range slots {
		quote, err := q.Schedule.Quote(q.Courts[0], interval(t, s.Start, q.Duration), q.Category)
		if assert.NoError(t, err) {
			assert.Equal(t, quote.Total, s.Price, "at %s", s.Start.In(ba).Format("15:04"))
		}
	}
}

func TestAvailabilityRefusesAnUnknownSport(t *testing.T) {
	t.Parallel()

	q := eveningQuery(t)
	q.Sport = "curling"
	_, err := domain.Availability(q)
	assertCode(t, err, domain.CodeInvalid)
	assert.ErrorContains(t, err, `unknown sport "curling": the known sports are football5, padel, pickleball, tennis`)

	q.Sport = domain.Pickleball
	slots, err := domain.Availability(q)
	require.NoError(t, err, "a sport Match Point knows, with no court at the club")
	assert.Empty(t, slots)

	q.Courts = append(q.Courts, testCourt(t, "s1", "squash"))
	q.Sport = "squash"
	_, err = domain.Availability(q)
	require.NoError(t, err, "a sport of the club's own courts")
	q.Sport = "curling"
	_, err = domain.Availability(q)
	assert.ErrorContains(t, err, "football5, padel, pickleball, squash, tennis")
}
