package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
)

func TestSavePriceRuleRefusesARateBeyondTheBound(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	max := domain.MaxRate(ars)
	rule := domain.PriceRule{Name: "Dear", Sport: domain.Padel, Weekdays: domain.EveryDay, Window: window("08:00", "12:00"), Priority: 50}

	for _, amount := range []int64{max.Amount() + 1, 4_611_686_018_427_389_154, 1<<63 - 1, -1} {
		rule.Rate = money(amount)
		_, err := e.app.Admin.SavePriceRule(ctx, e.club, rule)
		requireCode(t, err, domain.KindInvalid, domain.CodeInvalid)
	}
	rules, err := e.app.Admin.ListPriceRules(ctx, e.club)
	require.NoError(t, err)
	assert.Len(t, rules, 5, "only the seeded rules")

	rule.Rate = max
	_, err = e.app.Admin.SavePriceRule(ctx, e.club, rule)
	require.NoError(t, err, "the bound itself is allowed")
	q, err := e.app.Availability.Quote(ctx, app.QuoteCommand{ClubSlug: clubSlug, CourtID: e.padel1.ID, Start: e.at(tomorrow, "10:00"), Duration: 2 * time.Hour})
	require.NoError(t, err)
	assert.Equal(t, money(4*max.Amount()), q.Quote.Total)
}

func TestSavePriceRuleChecksTheSeason(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	other, _ := e.seedClub(t, "club-two", domain.DefaultPolicy())
	foreign := e.saveSeason(t, other, "2026", "2026-01-01", "2026-12-31", "08:00", "23:00")
	rule := domain.PriceRule{Name: "Season", Weekdays: domain.EveryDay, Window: window("08:00", "12:00"), Priority: 50, Rate: money(100)}

	for _, id := range []string{"no-such-season", foreign.ID} {
		rule.SeasonID = id
		_, err := e.app.Admin.SavePriceRule(ctx, e.club, rule)
		requireCode(t, err, domain.KindNotFound, domain.CodeNotFound)
		assert.Contains(t, err.Error(), "season")
	}
	rule.SeasonID = e.season.ID
	_, err := e.app.Admin.SavePriceRule(ctx, e.club, rule)
	require.NoError(t, err)
	rules, err := e.app.Admin.ListPriceRules(ctx, e.club)
	require.NoError(t, err)
	assert.Len(t, rules, 6)
}

func TestSaveSeasonRefusesHoursOffTheSlotGrid(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(p *domain.Policy) { p.Granularity = 15 * time.Minute })
	ctx := context.Background()
	s := domain.Season{Name: "2027", From: domain.MustDate("2027-01-01"), To: domain.MustDate("2027-12-31")}
	s.Week[time.Monday] = &domain.Hours{Open: domain.MustClock("08:07"), Close: domain.MustClock("23:00")}
	_, err := e.app.Admin.SaveSeason(ctx, e.club, s)
	requireCode(t, err, domain.KindInvalid, domain.CodeInvalid)
	assert.Contains(t, err.Error(), "15-minute")

	s.Week[time.Monday].Open = domain.MustClock("08:15")
	_, err = e.app.Admin.SaveSeason(ctx, e.club, s)
	require.NoError(t, err, "on a 15-minute grid")
}
