package domain_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
)

// 2026-03-10 is a Tuesday; Buenos Aires keeps UTC-3 all year.
const tuesday = "2026-03-10"

func padelSchedule(tb testing.TB, rules []domain.PriceRule, seasons ...domain.Season) domain.Schedule {
	tb.Helper()
	if len(seasons) == 0 {
		seasons = []domain.Season{yearRound("08:00", "24:00")}
	}
	return domain.Schedule{Club: testClub(tb, buenosAires, "ARS", nil), Seasons: seasons, Rules: rules}
}

func ruleIDs(q domain.Quote) []string {
	ids := make([]string, 0, len(q.Lines))
	for _, l := range q.Lines {
		ids = append(ids, l.RuleID)
	}
	return ids
}

func TestQuoteOfAGameThatStartsOffPeakAndEndsInPeak(t *testing.T) {
	t.Parallel()

	ba := loadLocation(t, buenosAires)
	sched := padelSchedule(t, padelRules())
	court := testCourt(t, "c1", domain.Padel)
	at := func(hhmm string) time.Time { return localTime(t, ba, tuesday+" "+hhmm) }

	// Off-peak runs until 18:00, so a game from 17:30 to 19:00 has one off-peak slot and
	// two peak ones: 4 000 + 6 000 + 6 000 = 16 000.00 ARS.
	q, err := sched.Quote(court, interval(t, at("17:30"), 90*time.Minute), domain.CategoryGuest)
	require.NoError(t, err)
	assert.Equal(t, []domain.QuoteLine{
		{Start: at("17:30"), End: at("18:00"), RuleID: "off-peak", Amount: pesos(400000)},
		{Start: at("18:00"), End: at("18:30"), RuleID: "peak", Amount: pesos(600000)},
		{Start: at("18:30"), End: at("19:00"), RuleID: "peak", Amount: pesos(600000)},
	}, q.Lines)
	assert.Equal(t, pesos(1600000), q.Total)
	assert.Equal(t, "16000.00 ARS", q.Total.String())

	// From 17:00 the game has two off-peak slots and one peak: 4 000 + 4 000 + 6 000.
	q, err = sched.Quote(court, interval(t, at("17:00"), 90*time.Minute), domain.CategoryGuest)
	require.NoError(t, err)
	assert.Equal(t, []domain.QuoteLine{
		{Start: at("17:00"), End: at("17:30"), RuleID: "off-peak", Amount: pesos(400000)},
		{Start: at("17:30"), End: at("18:00"), RuleID: "off-peak", Amount: pesos(400000)},
		{Start: at("18:00"), End: at("18:30"), RuleID: "peak", Amount: pesos(600000)},
	}, q.Lines)
	assert.Equal(t, pesos(1400000), q.Total)
	assert.Equal(t, "14000.00 ARS", q.Total.String())
}

func TestQuotePrecedenceOfRules(t *testing.T) {
	t.Parallel()

	ba := loadLocation(t, buenosAires)
	base := rateRule("base", "08:00", "24:00", pesos(400000))
	withPriority := func(r domain.PriceRule, p int) domain.PriceRule { r.Priority = p; return r }
	forSport := func(r domain.PriceRule, s domain.Sport) domain.PriceRule { r.Sport = s; return r }
	forCourt := func(r domain.PriceRule, id string) domain.PriceRule { r.CourtID = id; return r }
	forSeason := func(r domain.PriceRule, id string) domain.PriceRule { r.SeasonID = id; return r }
	on := func(r domain.PriceRule, days ...time.Weekday) domain.PriceRule {
		r.Weekdays = domain.WeekdaysOf(days...)
		return r
	}
	lunch := rateRule("lunch", "12:00", "13:00", pesos(300000))

	// Every case quotes a 90-minute game from 12:00 to 13:30 on a Tuesday.
	tests := []struct {
		name  string
		rules []domain.PriceRule
		court string
		want  []string // the rule of each slot
		total int64
	}{
		{
			name:  "the higher priority wins where rules overlap",
			rules: []domain.PriceRule{base, withPriority(lunch, 10)},
			court: "c1", want: []string{"lunch", "lunch", "base"}, total: 1000000,
		},
		{
			name:  "a narrower rule of lower priority loses",
			rules: []domain.PriceRule{withPriority(base, 5), withPriority(lunch, 1)},
			court: "c1", want: []string{"base", "base", "base"}, total: 1200000,
		},
		{
			name:  "on equal priority a court rule beats a sport rule",
			rules: []domain.PriceRule{forSport(rateRule("a-padel", "08:00", "24:00", pesos(400000)), domain.Padel), forCourt(rateRule("z-court", "08:00", "24:00", pesos(700000)), "c1")},
			court: "c1", want: []string{"z-court", "z-court", "z-court"}, total: 2100000,
		},
		{
			name:  "a court rule prices only its court",
			rules: []domain.PriceRule{forSport(rateRule("a-padel", "08:00", "24:00", pesos(400000)), domain.Padel), forCourt(rateRule("z-court", "08:00", "24:00", pesos(700000)), "c1")},
			court: "c2", want: []string{"a-padel", "a-padel", "a-padel"}, total: 1200000,
		},
		{
			name:  "a higher-priority sport rule beats a court rule",
			rules: []domain.PriceRule{withPriority(forSport(rateRule("padel", "08:00", "24:00", pesos(400000)), domain.Padel), 1), forCourt(rateRule("court", "08:00", "24:00", pesos(700000)), "c1")},
			court: "c1", want: []string{"padel", "padel", "padel"}, total: 1200000,
		},
		{
			name:  "on a full tie the smaller id wins",
			rules: []domain.PriceRule{rateRule("b", "08:00", "24:00", pesos(500000)), rateRule("a", "08:00", "24:00", pesos(400000))},
			court: "c1", want: []string{"a", "a", "a"}, total: 1200000,
		},
		{
			name:  "a rule for another sport does not apply",
			rules: []domain.PriceRule{base, withPriority(forSport(lunch, domain.Tennis), 10)},
			court: "c1", want: []string{"base", "base", "base"}, total: 1200000,
		},
		{
			name:  "a rule for another season does not apply",
			rules: []domain.PriceRule{base, withPriority(forSeason(lunch, "winter"), 10)},
			court: "c1", want: []string{"base", "base", "base"}, total: 1200000,
		},
		{
			name:  "a rule for the season in force applies",
			rules: []domain.PriceRule{base, withPriority(forSeason(lunch, "2026"), 10)},
			court: "c1", want: []string{"lunch", "lunch", "base"}, total: 1000000,
		},
		{
			name:  "a weekend rule does not price a Tuesday",
			rules: []domain.PriceRule{base, withPriority(on(lunch, time.Saturday, time.Sunday), 10)},
			court: "c1", want: []string{"base", "base", "base"}, total: 1200000,
		},
		{
			name:  "a weekday rule prices a Tuesday",
			rules: []domain.PriceRule{base, withPriority(on(lunch, time.Monday, time.Tuesday, time.Wednesday), 10)},
			court: "c1", want: []string{"lunch", "lunch", "base"}, total: 1000000,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sched := padelSchedule(t, tt.rules)
			start := localTime(t, ba, tuesday+" 12:00")

			q, err := sched.Quote(testCourt(t, tt.court, domain.Padel), interval(t, start, 90*time.Minute), domain.CategoryGuest)

			require.NoError(t, err)
			assert.Equal(t, tt.want, ruleIDs(q))
			assert.Equal(t, pesos(tt.total), q.Total)
		})
	}
}

func TestQuoteByCustomerCategory(t *testing.T) {
	t.Parallel()

	ba := loadLocation(t, buenosAires)
	member := rateRule("member", "08:00", "24:00", pesos(300000))
	member.Category, member.Priority = domain.CategoryMember, 10
	guest := rateRule("guest", "08:00", "24:00", pesos(500000))
	guest.Category, guest.Priority = domain.CategoryGuest, 10
	anyone := rateRule("anyone", "08:00", "24:00", pesos(400000))

	tests := []struct {
		name     string
		rules    []domain.PriceRule
		category domain.CustomerCategory
		rule     string // "" when the slot is not priced
		rate     int64
	}{
		{"a member pays the member rate", []domain.PriceRule{anyone, member}, domain.CategoryMember, "member", 300000},
		{"a guest does not get the member rate", []domain.PriceRule{anyone, member}, domain.CategoryGuest, "anyone", 400000},
		{"a guest pays the guest rate", []domain.PriceRule{anyone, guest}, domain.CategoryGuest, "guest", 500000},
		{"a member does not pay the guest rate", []domain.PriceRule{anyone, guest}, domain.CategoryMember, "anyone", 400000},
		{"a rule for anyone prices members", []domain.PriceRule{anyone}, domain.CategoryMember, "anyone", 400000},
		{"a rule for anyone prices guests", []domain.PriceRule{anyone}, domain.CategoryGuest, "anyone", 400000},
		{"a members-only price list leaves guests unpriced", []domain.PriceRule{member}, domain.CategoryGuest, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sched := padelSchedule(t, tt.rules)
			iv := interval(t, localTime(t, ba, tuesday+" 19:00"), 60*time.Minute)

			q, err := sched.Quote(testCourt(t, "c1", domain.Padel), iv, tt.category)

			if tt.rule == "" {
				assertCode(t, err, domain.CodeNotPriced)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []string{tt.rule, tt.rule}, ruleIDs(q))
			assert.Equal(t, pesos(2*tt.rate), q.Total)
		})
	}
}

func TestASlotNoRulePricesIsNotBookable(t *testing.T) {
	t.Parallel()

	ba := loadLocation(t, buenosAires)
	// Open until 22:00 but priced only until 18:00.
	offPeakOnly := padelRules()[:1]
	sched := padelSchedule(t, offPeakOnly, yearRound("08:00", "22:00"))
	court := testCourt(t, "c1", domain.Padel)

	_, err := sched.Quote(court, interval(t, localTime(t, ba, tuesday+" 17:30"), 60*time.Minute), domain.CategoryGuest)
	assertCode(t, err, domain.CodeNotPriced)
	assert.Equal(t, domain.KindPolicy, domain.ErrorKind(err))

	q, err := sched.Quote(court, interval(t, localTime(t, ba, tuesday+" 17:00"), 60*time.Minute), domain.CategoryGuest)
	require.NoError(t, err)
	assert.Equal(t, pesos(800000), q.Total)

	courts, err := domain.Availability(domain.AvailabilityQuery{
		Schedule: sched, Courts: []domain.Court{court}, Date: domain.MustDate(tuesday),
		Sport: domain.Padel, Duration: 60 * time.Minute, Category: domain.CategoryGuest,
		Now: localTime(t, ba, "2026-03-09 12:00"),
	})
	require.NoError(t, err)
	starts := startClocks(slotsOf(t, courts, "c1"), ba)
	assert.Equal(t, "08:00", starts[0])
	assert.Equal(t, "17:00", starts[len(starts)-1], "the last start is the last whose every slot is priced")
	assert.NotContains(t, starts, "17:30")
	assert.NotContains(t, starts, "20:00")
}

func TestQuoteWithAWindowPastMidnight(t *testing.T) {
	t.Parallel()

	ba := loadLocation(t, buenosAires)
	day := rateRule("day", "08:00", "22:00", pesos(400000))
	night := rateRule("night", "22:00", "02:00", pesos(500000))
	sched := padelSchedule(t, []domain.PriceRule{day, night}, yearRound("08:00", "02:00"))
	court := testCourt(t, "c1", domain.Padel)

	tests := []struct {
		start string
		want  []string
		total int64
	}{
		{tuesday + " 21:30", []string{"day", "night"}, 900000},
		{tuesday + " 23:30", []string{"night", "night", "night"}, 1500000},
		{"2026-03-11 00:30", []string{"night", "night", "night"}, 1500000}, // Tuesday's opening, ending at 02:00
	}
	for _, tt := range tests {
		t.Run(tt.start, func(t *testing.T) {
			t.Parallel()
			d := time.Duration(len(tt.want)) * 30 * time.Minute
			q, err := sched.Quote(court, interval(t, localTime(t, ba, tt.start), d), domain.CategoryGuest)
			require.NoError(t, err)
			assert.Equal(t, tt.want, ruleIDs(q))
			assert.Equal(t, pesos(tt.total), q.Total)
		})
	}
}

func TestQuoteRefusesWhatCannotBeBooked(t *testing.T) {
	t.Parallel()

	ba := loadLocation(t, buenosAires)
	summerOnly := testSeason("summer", "2026-01-01", "2026-03-10", everyDay("08:00", "24:00"))
	sched := padelSchedule(t, padelRules(), summerOnly)
	court := testCourt(t, "c1", domain.Padel)

	tests := []struct {
		name  string
		start string
		d     time.Duration
		code  string
	}{
		{"a start off the 30-minute grid", tuesday + " 17:10", 60 * time.Minute, domain.CodeMisaligned},
		{"a length that is not a whole number of slots", tuesday + " 17:00", 45 * time.Minute, domain.CodeDurationNotAllowed},
		{"a start before opening", tuesday + " 07:30", 60 * time.Minute, domain.CodeOutsideOpeningHours},
		{"a game running past closing", tuesday + " 23:30", 60 * time.Minute, domain.CodeOutsideOpeningHours},
		{"a day no season covers", "2026-03-11 17:00", 60 * time.Minute, domain.CodeOutsideOpeningHours},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := sched.Quote(court, interval(t, localTime(t, ba, tt.start), tt.d), domain.CategoryGuest)
			assertCode(t, err, tt.code)
			assert.Equal(t, domain.KindPolicy, domain.ErrorKind(err))
		})
	}
}

func TestWindowContains(t *testing.T) {
	t.Parallel()

	tests := []struct {
		window domain.Window
		clock  string
		want   bool
	}{
		{window("08:00", "18:00"), "08:00", true},
		{window("08:00", "18:00"), "17:59", true},
		{window("08:00", "18:00"), "18:00", false},
		{window("08:00", "18:00"), "07:59", false},
		{window("18:00", "24:00"), "23:30", true},
		{window("18:00", "24:00"), "00:00", false},
		{window("22:00", "02:00"), "22:00", true},
		{window("22:00", "02:00"), "00:00", true},
		{window("22:00", "02:00"), "01:59", true},
		{window("22:00", "02:00"), "02:00", false},
		{window("22:00", "02:00"), "21:59", false},
		{window("22:00", "02:00"), "12:00", false},
		{window("00:00", "24:00"), "00:00", true},
		{window("00:00", "24:00"), "23:59", true},
		{window("18:00", "00:00"), "23:59", true},
		{window("18:00", "00:00"), "00:00", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.window.Contains(domain.MustClock(tt.clock)), "%s–%s contains %s", tt.window.From, tt.window.To, tt.clock)
	}
}

func TestPriceRuleValidate(t *testing.T) {
	t.Parallel()

	club := testClub(t, buenosAires, "ARS", nil)
	valid := padelRules()[0]
	require.NoError(t, valid.Validate(club))
	highest := valid
	highest.Rate = domain.MaxRate(ars)
	require.NoError(t, highest.Validate(club), "the bound itself is allowed")
	for _, p := range []int{domain.MaxPriority, -domain.MaxPriority} {
		ranked := valid
		ranked.Priority = p
		require.NoError(t, ranked.Validate(club), "priority %d is allowed", p)
	}

	tests := []struct {
		name string
		edit func(*domain.PriceRule)
		code string
	}{
		{"no id", func(r *domain.PriceRule) { r.ID = "" }, domain.CodeInvalid},
		{"another club", func(r *domain.PriceRule) { r.ClubID = "club-2" }, domain.CodeInvalid},
		{"a sport that is not a slug", func(r *domain.PriceRule) { r.Sport = "Padel Pro" }, domain.CodeInvalid},
		{"no weekday", func(r *domain.PriceRule) { r.Weekdays = 0 }, domain.CodeInvalid},
		{"a weekday set out of range", func(r *domain.PriceRule) { r.Weekdays = 1 << 7 }, domain.CodeInvalid},
		{"an empty window", func(r *domain.PriceRule) { r.Window = window("10:00", "10:00") }, domain.CodeInvalid},
		{"a window starting at 24:00", func(r *domain.PriceRule) { r.Window = window("24:00", "02:00") }, domain.CodeInvalid},
		{"an unknown category", func(r *domain.PriceRule) { r.Category = "vip" }, domain.CodeInvalid},
		{"a rate in another currency", func(r *domain.PriceRule) { r.Rate = domain.NewMoney(400, domain.MustCurrency("USD")) }, domain.CodeCurrencyMismatch},
		{"a negative rate", func(r *domain.PriceRule) { r.Rate = pesos(-1) }, domain.CodeInvalid},
		{"a rate beyond the bound", func(r *domain.PriceRule) { r.Rate = pesos(domain.MaxRate(ars).Amount() + 1) }, domain.CodeInvalid},
		{"a rate that wraps a total", func(r *domain.PriceRule) { r.Rate = pesos(4_611_686_018_427_389_154) }, domain.CodeInvalid},
		{"a priority beyond the bound", func(r *domain.PriceRule) { r.Priority = domain.MaxPriority + 1 }, domain.CodeInvalid},
		{"a priority below the bound", func(r *domain.PriceRule) { r.Priority = -domain.MaxPriority - 1 }, domain.CodeInvalid},
		{"a priority past a 32-bit column", func(r *domain.PriceRule) { r.Priority = 1 << 62 }, domain.CodeInvalid},
		{"a window starting off the slot grid", func(r *domain.PriceRule) { r.Window = window("08:10", "18:00") }, domain.CodeInvalid},
		{"a window ending off the slot grid", func(r *domain.PriceRule) { r.Window = window("22:00", "01:45") }, domain.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := valid
			tt.edit(&r)
			assertCode(t, r.Validate(club), tt.code)
		})
	}
}

func TestWeekdays(t *testing.T) {
	t.Parallel()

	weekend := domain.WeekdaysOf(time.Saturday, time.Sunday)
	assert.True(t, weekend.Has(time.Sunday))
	assert.False(t, weekend.Has(time.Friday))
	assert.Equal(t, []time.Weekday{time.Sunday, time.Saturday}, weekend.Days())
	assert.Len(t, domain.EveryDay.Days(), 7)

	for _, s := range []string{"Tuesday", "tue", "TUE", "tuesday"} {
		d, err := domain.ParseWeekday(s)
		require.NoError(t, err, s)
		assert.Equal(t, time.Tuesday, d)
	}
	_, err := domain.ParseWeekday("tues")
	assertCode(t, err, domain.CodeInvalid)
}

func TestQuoteRefusesARateBeyondTheBound(t *testing.T) {
	t.Parallel()
	ba := loadLocation(t, buenosAires)
	court := testCourt(t, "c1", domain.Padel)
	game := interval(t, localTime(t, ba, tuesday+" 10:00"), 120*time.Minute)

	// Rules stored before the bound existed: a quote must refuse them, never wrap.
	for _, rate := range []int64{4_611_686_018_427_389_154, 1<<63 - 1, domain.MaxRate(ars).Amount() + 1} {
		sched := padelSchedule(t, []domain.PriceRule{rateRule("wrap", "08:00", "24:00", pesos(rate))})
		q, err := sched.Quote(court, game, domain.CategoryGuest)
		assertCode(t, err, domain.CodeInvalid)
		assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err))
		assert.Empty(t, q.Lines, "no total is given")

		query := eveningQuery(t)
		query.Schedule = sched
		slots, err := domain.Availability(query)
		require.NoError(t, err)
		for _, c := range slots {
			assert.Empty(t, c.Slots, "what cannot be quoted is not offered")
		}
	}

	sched := padelSchedule(t, []domain.PriceRule{rateRule("dear", "08:00", "24:00", domain.MaxRate(ars))})
	q, err := sched.Quote(court, game, domain.CategoryGuest)
	require.NoError(t, err)
	assert.Equal(t, pesos(4*domain.MaxRate(ars).Amount()), q.Total)
}
