package main

import (
	"context"
	"time"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
)

// DemoSlug is the slug of the seeded demo club.
const DemoSlug = "demo"

// Demo is what the seed created: the club and its admin API key (shown once).
type Demo struct {
	Club   domain.Club
	APIKey string
	Courts []domain.Court
}

// SeedDemo creates the demo club "demo", unless it exists, in Buenos Aires, charging in pesos: four padel
// and two tennis courts, a season open 08:00–01:00 every day around today, off-peak and
// peak prices for guests and members, and a closure of one court tomorrow morning.
func SeedDemo(ctx context.Context, a *app.App, now time.Time) (Demo, error) {
	created, err := a.Admin.CreateClub(ctx, app.CreateClubCommand{
		Slug: DemoSlug, Name: "Demo Padel & Tennis", Zone: "America/Argentina/Buenos_Aires",
		Currency: "ARS", Policy: domain.DefaultPolicy(),
	})
	if domain.ErrorCode(err) == domain.CodeDuplicate {
		return Demo{}, nil // seeded before, in a database that outlives the server
	}
	if err != nil {
		return Demo{}, err
	}
	club := created.Club
	d := Demo{Club: club, APIKey: created.APIKey}
	courts := []domain.Court{
		{Name: "Padel 1", Sport: domain.Padel, Indoor: true, Surface: "synthetic grass", Active: true},
		{Name: "Padel 2", Sport: domain.Padel, Indoor: true, Surface: "synthetic grass", Active: true},
		{Name: "Padel 3", Sport: domain.Padel, Surface: "synthetic grass", Active: true},
		{Name: "Padel 4", Sport: domain.Padel, Surface: "synthetic grass", Active: true},
		{Name: "Tennis 1", Sport: domain.Tennis, Surface: "clay", Active: true},
		{Name: "Tennis 2", Sport: domain.Tennis, Surface: "hard", Active: true},
	}
	for _, c := range courts {
		saved, err := a.Admin.SaveCourt(ctx, club, c)
		if err != nil {
			return Demo{}, err
		}
		d.Courts = append(d.Courts, saved)
	}
	today := domain.DateOf(now, club.Location)
	hours := &domain.Hours{Open: domain.MustClock("08:00"), Close: domain.MustClock("01:00")}
	season := domain.Season{Name: "All year", From: today.AddDays(-30), To: today.AddDays(365)}
	for wd := range season.Week {
		season.Week[wd] = hours
	}
	if _, err := a.Admin.SaveSeason(ctx, club, season); err != nil {
		return Demo{}, err
	}
	ars := club.Currency
	rules := []domain.PriceRule{
		{Name: "Padel off-peak", Sport: domain.Padel, Weekdays: domain.EveryDay, Window: domain.Window{From: domain.MustClock("08:00"), To: domain.MustClock("18:00")}, Priority: 10, Rate: domain.NewMoney(400000, ars)},
		{Name: "Padel peak", Sport: domain.Padel, Weekdays: domain.EveryDay, Window: domain.Window{From: domain.MustClock("18:00"), To: domain.MustClock("01:00")}, Priority: 10, Rate: domain.NewMoney(600000, ars)},
		{Name: "Padel members off-peak", Sport: domain.Padel, Category: domain.CategoryMember, Weekdays: domain.EveryDay, Window: domain.Window{From: domain.MustClock("08:00"), To: domain.MustClock("18:00")}, Priority: 20, Rate: domain.NewMoney(320000, ars)},
		{Name: "Padel members peak", Sport: domain.Padel, Category: domain.CategoryMember, Weekdays: domain.EveryDay, Window: domain.Window{From: domain.MustClock("18:00"), To: domain.MustClock("01:00")}, Priority: 20, Rate: domain.NewMoney(480000, ars)},
		{Name: "Tennis", Sport: domain.Tennis, Weekdays: domain.EveryDay, Window: domain.Window{From: domain.MustClock("08:00"), To: domain.MustClock("01:00")}, Priority: 10, Rate: domain.NewMoney(350000, ars)},
		{Name: "Tennis members", Sport: domain.Tennis, Category: domain.CategoryMember, Weekdays: domain.EveryDay, Window: domain.Window{From: domain.MustClock("08:00"), To: domain.MustClock("01:00")}, Priority: 20, Rate: domain.NewMoney(280000, ars)},
	}
	for _, r := range rules {
		if _, err := a.Admin.SavePriceRule(ctx, club, r); err != nil {
			return Demo{}, err
		}
	}
	tomorrow := today.AddDays(1)
	from, _ := tomorrow.At(domain.MustClock("08:00"), club.Location)
	to, _ := tomorrow.At(domain.MustClock("12:00"), club.Location)
	if _, err := a.Admin.SaveClosure(ctx, club, domain.Closure{CourtID: d.Courts[3].ID, Interval: domain.Interval{Start: from, End: to}, Reason: "maintenance"}); err != nil {
		return Demo{}, err
	}
	return d, nil
}
