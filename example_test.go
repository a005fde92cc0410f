package matchpoint_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/matchpoint/matchpoint/adapters/cache/bigcache"
	"github.com/matchpoint/matchpoint/adapters/memory"
	"github.com/matchpoint/matchpoint/adapters/notify/outbox"
	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/adapters/queue/inproc"
	"github.com/matchpoint/matchpoint/adapters/system"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// A Go team composes the use cases with the adapters it needs — here the embedded
// defaults — and calls them directly, without the HTTP adapter.
func Example() {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	cache, err := bigcache.New(bigcache.Config{})
	if err != nil {
		panic(err)
	}
	defer cache.Close()
	gateway, err := sandbox.New(sandbox.Config{BaseURL: "http://127.0.0.1:8080", Secret: "a sandbox secret of the example"})
	if err != nil {
		panic(err)
	}
	queue := inproc.New(inproc.Options{Logger: log})
	mp, err := app.New(app.Deps{
		Store: memory.New(), Cache: cache, Gateways: ports.OneGateway(gateway), Jobs: queue,
		Notifier: outbox.New(outbox.Options{Logger: log}), Clock: system.NewClock(), IDs: system.NewIDs(),
		Reporter: system.NewReporter(log), Logger: log,
	}, app.Config{TokenSecret: []byte("at least thirty-two bytes of secret!")})
	if err != nil {
		panic(err)
	}
	for kind, handle := range mp.JobHandlers() {
		queue.Register(kind, handle)
	}
	if err := queue.Start(ctx); err != nil { // hold expiry, refunds and emails run here
		panic(err)
	}
	defer func() { _ = queue.Stop(ctx) }()

	// A club with one padel court, open 08:00–01:00, at 4 000 pesos per half hour.
	club, _, err := mp.Admin.CreateClub(ctx, app.CreateClubCommand{
		Slug: "riverside", Name: "Riverside Padel", Zone: "America/Argentina/Buenos_Aires", Currency: "ARS",
		Policy: domain.DefaultPolicy(),
	})
	if err != nil {
		panic(err)
	}
	court, _ := mp.Admin.SaveCourt(ctx, club, domain.Court{Name: "Court 1", Sport: domain.Padel, Active: true})
	today := domain.DateOf(time.Now(), club.Location)
	season := domain.Season{Name: "Summer", From: today, To: today.AddDays(30)}
	for wd := range season.Week {
		season.Week[wd] = &domain.Hours{Open: domain.MustClock("08:00"), Close: domain.MustClock("01:00")}
	}
	_, _ = mp.Admin.SaveSeason(ctx, club, season)
	_, _ = mp.Admin.SavePriceRule(ctx, club, domain.PriceRule{
		Sport: domain.Padel, Weekdays: domain.EveryDay, Priority: 1,
		Window: domain.Window{From: domain.MustClock("08:00"), To: domain.MustClock("01:00")},
		Rate:   domain.NewMoney(400000, club.Currency),
	})

	// Tomorrow's free 90-minute games, then a booking of the first one.
	day, err := mp.Availability.Get(ctx, app.AvailabilityQuery{ClubSlug: "riverside", Date: today.AddDays(1), Sport: domain.Padel, Duration: 90 * time.Minute})
	if err != nil {
		panic(err)
	}
	first := day.Courts[0].Slots[0]
	fmt.Println(court.Name, first.Start.In(club.Location).Format("15:04"), first.Price)

	booked, err := mp.Bookings.Create(ctx, app.CreateBookingCommand{
		ClubSlug: "riverside", CourtID: court.ID, Start: first.Start, Duration: 90 * time.Minute,
		Customer: app.CustomerInput{Name: "Ana", Email: "ana@example.com"},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(booked.Booking.Status(), booked.Booking.Quote().Total)
	// Output:
	// Court 1 08:00 12000.00 ARS
	// pending 12000.00 ARS
}
