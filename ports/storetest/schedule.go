package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
)

var seasonCases = []contract{
	{"SaveAndListByFirstDay", testSeasonSaveAndList},
	{"OverlapStoresNothing", testSeasonOverlap},
	{"OverlapIsPerClub", testSeasonOverlapPerClub},
	{"ReplaceByID", testSeasonReplace},
	{"Delete", testSeasonDelete},
	{"ValuesAreCopied", testSeasonValuesAreCopied},
}

// season returns a season of club from one date to another (inclusive), open every
// day but Sunday from 08:00 to 01:30 of the next day.
func season(club domain.Club, name, from, to string) domain.Season {
	s := domain.Season{ID: newID(), ClubID: club.ID, Name: name, From: domain.MustDate(from), To: domain.MustDate(to)}
	for d := time.Monday; d <= time.Saturday; d++ {
		s.Week[d] = &domain.Hours{Open: domain.MustClock("08:00"), Close: domain.MustClock("01:30")}
	}
	return s
}

func (f *fixture) listSeasons(t *testing.T) []domain.Season {
	t.Helper()
	list, err := f.store.ListSeasons(f.ctx, f.club.ID)
	require.NoError(t, err)
	return list
}

func testSeasonSaveAndList(t *testing.T, f *fixture) {
	summer := season(f.club, "Summer", "2030-06-01", "2030-08-31")
	spring := season(f.club, "Spring", "2030-03-01", "2030-05-31")
	autumn := season(f.club, "Autumn", "2030-09-01", "2030-11-30")
	for _, s := range []domain.Season{summer, autumn, spring} {
		require.NoError(t, f.store.SaveSeason(f.ctx, s))
	}
	other := f.saveClub(t)
	require.NoError(t, f.store.SaveSeason(f.ctx, season(other, "Elsewhere", "2030-01-01", "2030-12-31")))

	assert.Equal(t, []domain.Season{spring, summer, autumn}, f.listSeasons(t))
	empty, err := f.store.ListSeasons(f.ctx, f.saveClub(t).ID)
	require.NoError(t, err)
	assert.Empty(t, empty)
}

func testSeasonOverlap(t *testing.T, f *fixture) {
	spring := season(f.club, "Spring", "2030-03-01", "2030-05-31")
	require.NoError(t, f.store.SaveSeason(f.ctx, spring))

	for _, s := range []domain.Season{
		season(f.club, "Same days", "2030-03-01", "2030-05-31"),
		season(f.club, "Shares the first day", "2030-02-01", "2030-03-01"),
		season(f.club, "Shares the last day", "2030-05-31", "2030-06-30"),
		season(f.club, "Inside", "2030-04-01", "2030-04-30"),
		season(f.club, "Around", "2030-01-01", "2030-12-31"),
	} {
		assertError(t, f.store.SaveSeason(f.ctx, s), domain.KindConflict, domain.CodeSeasonOverlap, s.Name)
	}
	assert.Equal(t, []domain.Season{spring}, f.listSeasons(t), "a refused season is not stored")

	winter := season(f.club, "Winter", "2030-01-01", "2030-02-28")
	require.NoError(t, f.store.SaveSeason(f.ctx, winter), "a season ending the day before another starts does not overlap it")
	assert.Equal(t, []domain.Season{winter, spring}, f.listSeasons(t))
}

func testSeasonOverlapPerClub(t *testing.T, f *fixture) {
	require.NoError(t, f.store.SaveSeason(f.ctx, season(f.club, "Spring", "2030-03-01", "2030-05-31")))
	other := f.saveClub(t)
	require.NoError(t, f.store.SaveSeason(f.ctx, season(other, "Spring", "2030-03-01", "2030-05-31")))
}

func testSeasonReplace(t *testing.T, f *fixture) {
	spring := season(f.club, "Spring", "2030-03-01", "2030-05-31")
	require.NoError(t, f.store.SaveSeason(f.ctx, spring))

	longer := spring
	longer.Name, longer.To = "Long spring", domain.MustDate("2030-06-15")
	longer.Week[time.Sunday] = &domain.Hours{Open: domain.MustClock("09:00"), Close: domain.MustClock("14:00")}
	require.NoError(t, f.store.SaveSeason(f.ctx, longer), "a season does not overlap the version it replaces")
	assert.Equal(t, []domain.Season{longer}, f.listSeasons(t))

	summer := season(f.club, "Summer", "2030-06-16", "2030-08-31")
	require.NoError(t, f.store.SaveSeason(f.ctx, summer))
	tooLong := longer
	tooLong.To = domain.MustDate("2030-06-20")
	assertError(t, f.store.SaveSeason(f.ctx, tooLong), domain.KindConflict, domain.CodeSeasonOverlap)
	assert.Equal(t, []domain.Season{longer, summer}, f.listSeasons(t), "a refused replacement keeps the season as it was")
}

func testSeasonDelete(t *testing.T, f *fixture) {
	spring := season(f.club, "Spring", "2030-03-01", "2030-05-31")
	summer := season(f.club, "Summer", "2030-06-01", "2030-08-31")
	require.NoError(t, f.store.SaveSeason(f.ctx, spring))
	require.NoError(t, f.store.SaveSeason(f.ctx, summer))

	other := f.saveClub(t)
	assertNotFound(t, f.store.DeleteSeason(f.ctx, other.ID, spring.ID), "a season is deleted only through its own club")
	require.NoError(t, f.store.DeleteSeason(f.ctx, f.club.ID, spring.ID))
	assert.Equal(t, []domain.Season{summer}, f.listSeasons(t))
	assertNotFound(t, f.store.DeleteSeason(f.ctx, f.club.ID, spring.ID))

	// The deleted season's days are free again.
	require.NoError(t, f.store.SaveSeason(f.ctx, season(f.club, "New spring", "2030-04-01", "2030-05-31")))
}

func testSeasonValuesAreCopied(t *testing.T, f *fixture) {
	spring := season(f.club, "Spring", "2030-03-01", "2030-05-31")
	require.NoError(t, f.store.SaveSeason(f.ctx, spring))
	saved := season(f.club, spring.Name, "2030-03-01", "2030-05-31")
	saved.ID = spring.ID
	spring.Week[time.Monday].Open = domain.MustClock("12:00")

	list := f.listSeasons(t)
	require.Len(t, list, 1)
	assert.Equal(t, saved, list[0], "the store kept the caller's opening hours")
	list[0].Week[time.Tuesday].Close = domain.MustClock("12:00")
	assert.Equal(t, []domain.Season{saved}, f.listSeasons(t), "the store returned its own opening hours")
}

var closureCases = []contract{
	{"ListOverlappingByStart", testClosureList},
	{"Replace", testClosureReplace},
	{"Delete", testClosureDelete},
}

func closure(club domain.Club, courtID string, from, to time.Time, reason string) domain.Closure {
	return domain.Closure{ID: newID(), ClubID: club.ID, CourtID: courtID, Interval: domain.Interval{Start: from, End: to}, Reason: reason}
}

func (f *fixture) listClosures(t *testing.T, from, to time.Time) []domain.Closure {
	t.Helper()
	list, err := f.store.ListClosures(f.ctx, f.club.ID, domain.Interval{Start: from, End: to})
	require.NoError(t, err)
	for i := range list {
		list[i].Interval = domain.Interval{Start: list[i].Interval.Start.UTC(), End: list[i].Interval.End.UTC()}
	}
	return list
}

func testClosureList(t *testing.T, f *fixture) {
	morning := closure(f.club, "", at(8, 0), at(10, 0), "cleaning")
	court := closure(f.club, f.court.ID, at(12, 0), at(14, 0), "maintenance")
	day := closure(f.club, "", at(9, 0), at(20, 0), "tournament")
	tomorrow := closure(f.club, "", at(8, 0).AddDate(0, 0, 1), at(20, 0).AddDate(0, 0, 1), "holiday")
	other := f.saveClub(t)
	for _, c := range []domain.Closure{court, tomorrow, day, morning, closure(other, "", at(0, 0), at(23, 0), "elsewhere")} {
		require.NoError(t, f.store.SaveClosure(f.ctx, c))
	}

	assert.Equal(t, []domain.Closure{morning, day, court}, f.listClosures(t, at(9, 30), at(12, 30)))
	assert.Equal(t, []domain.Closure{day}, f.listClosures(t, at(10, 0), at(12, 0)), "closures that only touch the interval do not overlap it")
	assert.Empty(t, f.listClosures(t, at(21, 0), at(23, 0)))
}

func testClosureReplace(t *testing.T, f *fixture) {
	c := closure(f.club, "", at(8, 0), at(10, 0), "cleaning")
	require.NoError(t, f.store.SaveClosure(f.ctx, c))
	c.Interval = domain.Interval{Start: at(18, 0), End: at(19, 0)}
	c.CourtID, c.Reason = f.other.ID, "lights"
	require.NoError(t, f.store.SaveClosure(f.ctx, c))

	assert.Empty(t, f.listClosures(t, at(8, 0), at(10, 0)))
	assert.Equal(t, []domain.Closure{c}, f.listClosures(t, at(0, 0), at(23, 0)))
}

func testClosureDelete(t *testing.T, f *fixture) {
	c := closure(f.club, "", at(8, 0), at(10, 0), "cleaning")
	require.NoError(t, f.store.SaveClosure(f.ctx, c))
	assertNotFound(t, f.store.DeleteClosure(f.ctx, f.saveClub(t).ID, c.ID), "a closure is deleted only through its own club")
	require.NoError(t, f.store.DeleteClosure(f.ctx, f.club.ID, c.ID))
	assert.Empty(t, f.listClosures(t, at(0, 0), at(23, 0)))
	assertNotFound(t, f.store.DeleteClosure(f.ctx, f.club.ID, c.ID))
}

var priceRuleCases = []contract{
	{"SaveAndListByID", testPriceRuleList},
	{"Replace", testPriceRuleReplace},
	{"Delete", testPriceRuleDelete},
}

func priceRule(club domain.Club, name string, priority int, rate int64) domain.PriceRule {
	return domain.PriceRule{
		ID: newID(), ClubID: club.ID, Name: name, Sport: domain.Padel, Weekdays: domain.EveryDay,
		Window:   domain.Window{From: domain.MustClock("18:00"), To: domain.MustClock("24:00")},
		Category: domain.CategoryAny, Priority: priority, Rate: domain.NewMoney(rate, club.Currency),
	}
}

func (f *fixture) listRules(t *testing.T) []domain.PriceRule {
	t.Helper()
	list, err := f.store.ListPriceRules(f.ctx, f.club.ID)
	require.NoError(t, err)
	return list
}

func testPriceRuleList(t *testing.T, f *fixture) {
	rules := []domain.PriceRule{priceRule(f.club, "", 10, 1200), priceRule(f.club, "", 0, 800), priceRule(f.club, "", 20, 600), priceRule(f.club, "", 5, 700)}
	rules[2].Category, rules[2].CourtID, rules[2].Weekdays = domain.CategoryMember, f.court.ID, domain.WeekdaysOf(time.Saturday, time.Sunday)
	slices.SortFunc(rules, func(a, b domain.PriceRule) int { return strings.Compare(a.ID, b.ID) })
	// Names run against ids, and rules are saved by name, so only an order by id passes.
	for i := range rules {
		rules[i].Name = []string{"Weekend", "Peak", "Off-peak", "Members"}[i]
	}
	for i := range rules {
		require.NoError(t, f.store.SavePriceRule(f.ctx, rules[len(rules)-1-i]))
	}
	require.NoError(t, f.store.SavePriceRule(f.ctx, priceRule(f.saveClub(t), "Elsewhere", 0, 100)))

	assert.Equal(t, rules, f.listRules(t))
}

func testPriceRuleReplace(t *testing.T, f *fixture) {
	r := priceRule(f.club, "Peak", 10, 1200)
	require.NoError(t, f.store.SavePriceRule(f.ctx, r))
	summer := season(f.club, "Summer", "2030-06-01", "2030-08-31")
	require.NoError(t, f.store.SaveSeason(f.ctx, summer))
	r.Rate, r.Priority, r.SeasonID = domain.NewMoney(1500, f.club.Currency), 5, summer.ID
	require.NoError(t, f.store.SavePriceRule(f.ctx, r))
	assert.Equal(t, []domain.PriceRule{r}, f.listRules(t))
}

func testPriceRuleDelete(t *testing.T, f *fixture) {
	peak, off := priceRule(f.club, "Peak", 10, 1200), priceRule(f.club, "Off-peak", 0, 800)
	require.NoError(t, f.store.SavePriceRule(f.ctx, peak))
	require.NoError(t, f.store.SavePriceRule(f.ctx, off))
	assertNotFound(t, f.store.DeletePriceRule(f.ctx, f.saveClub(t).ID, peak.ID), "a price rule is deleted only through its own club")
	require.NoError(t, f.store.DeletePriceRule(f.ctx, f.club.ID, peak.ID))
	assert.Equal(t, []domain.PriceRule{off}, f.listRules(t))
	assertNotFound(t, f.store.DeletePriceRule(f.ctx, f.club.ID, peak.ID))
}
