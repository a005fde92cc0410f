package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
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
	"github.com/matchpoint/matchpoint/ports/clocktest"
)

// A Go team composes the use cases with the adapters it needs — here the embedded
// defaults — and calls them directly, without the HTTP adapter: it sets up a club,
// reads availability, books, pays through the sandbox gateway and cancels with a
// refund.
//
// The clock stands still at Monday 2 March 2026, 12:00 UTC (09:00 in Buenos Aires)
// so that the output does not depend on the day the example runs; a real program
// passes system.NewClock() and leaves the gateway's and the queue's clocks unset.
func Example() {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	clock := clocktest.New(time.Date(2026, time.March, 2, 12, 0, 0, 0, time.UTC))

	// The sandbox gateway pays on its checkout pages and sends signed webhooks; this
	// server stands for the provider and for the program's own webhook endpoint.
	mux := http.NewServeMux()
	server := httptest.NewServer(mux)
	defer server.Close()

	cache, err := bigcache.New(bigcache.Config{})
	if err != nil {
		panic(err)
	}
	defer cache.Close()
	gateway, err := sandbox.New(sandbox.Config{BaseURL: server.URL, Secret: "a sandbox secret of the example", Clock: clock})
	if err != nil {
		panic(err)
	}
	notifier := outbox.New(outbox.Config{Logger: log})
	reporter := system.NewReporter(log)
	queue := inproc.New(inproc.Config{Logger: log, Clock: clock, Reporter: reporter})
	mp, err := app.New(app.Deps{
		Store: memory.New(), Cache: cache, Gateways: ports.OneGateway(gateway), Jobs: queue,
		Notifier: notifier, Clock: clock, IDs: system.NewIDs(),
		Reporter: reporter, Logger: log,
	}, app.Config{TokenSecret: []byte("at least thirty-two bytes of secret!")})
	if err != nil {
		panic(err)
	}
	// app.New schedules nothing by itself: hold expiry, refunds and emails are jobs,
	// which run once the queue is started with the app's workers.
	if err := queue.Start(ctx, mp.Workers()); err != nil {
		panic(err)
	}
	defer func() { _ = queue.Stop(ctx) }()

	mux.Handle("/sandbox/", gateway.Handler())
	mux.HandleFunc("POST /v1/webhooks/sandbox", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err == nil {
			_, err = mp.Payments.HandleWebhook(r.Context(), sandbox.Provider, r.Header, body)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})

	// A club with one padel court, open 08:00–01:00, at 4 000 pesos per half hour.
	created, err := mp.Admin.CreateClub(ctx, app.CreateClubCommand{
		Slug: "riverside", Name: "Riverside Padel", Zone: "America/Argentina/Buenos_Aires", Currency: "ARS",
		Policy: domain.DefaultPolicy(),
	})
	if err != nil {
		panic(err)
	}
	club := created.Club
	court, err := mp.Admin.SaveCourt(ctx, club, domain.Court{Name: "Court 1", Sport: domain.Padel, Active: true})
	if err != nil {
		panic(err)
	}
	today := domain.DateOf(clock.Now(), club.Location)
	season := domain.Season{Name: "Summer", From: today, To: today.AddDays(30)}
	for wd := range season.Week {
		season.Week[wd] = &domain.Hours{Open: domain.MustClock("08:00"), Close: domain.MustClock("01:00")}
	}
	if _, err := mp.Admin.SaveSeason(ctx, club, season); err != nil {
		panic(err)
	}
	if _, err := mp.Admin.SavePriceRule(ctx, club, domain.PriceRule{
		Sport: domain.Padel, Weekdays: domain.EveryDay, Priority: 1,
		Window: domain.Window{From: domain.MustClock("08:00"), To: domain.MustClock("01:00")},
		Rate:   domain.NewMoney(400000, club.Currency),
	}); err != nil {
		panic(err)
	}

	// Tomorrow's free 90-minute games, then a booking of the first one.
	day, err := mp.Availability.Get(ctx, app.AvailabilityQuery{ClubSlug: "riverside", Date: today.AddDays(1), Sport: domain.Padel, Duration: 90 * time.Minute})
	if err != nil {
		panic(err)
	}
	first := day.Courts[0].Slots[0]
	fmt.Println(court.Name, len(day.Courts[0].Slots), "games, the first at", first.Start.In(club.Location).Format("15:04"), "for", first.Price)

	booked, err := mp.Bookings.Create(ctx, app.CreateBookingCommand{
		ClubSlug: "riverside", CourtID: court.ID, Start: first.Start, Duration: 90 * time.Minute,
		Customer: app.CustomerInput{Name: "Ana", Email: "ana@example.com"},
	})
	if err != nil {
		panic(err)
	}
	id, token := booked.Booking.ID(), booked.AccessToken
	fmt.Println(booked.Booking.Status(), booked.Booking.Quote().Total)

	// The customer pays on the checkout page; the sandbox's signed webhook confirms
	// the booking.
	res, err := http.Post(booked.CheckoutURL+"/pay", "", nil)
	if err != nil {
		panic(err)
	}
	_ = res.Body.Close()
	paid, err := mp.Bookings.Get(ctx, id, token)
	if err != nil {
		panic(err)
	}
	fmt.Println(paid.Booking.Status(), paid.Booking.Paid())

	// Cancelled 23 hours ahead, within the policy's 24-hour cutoff: half comes back.
	cancelled, err := mp.Bookings.Cancel(ctx, id, token)
	if err != nil {
		panic(err)
	}
	fmt.Println(cancelled.Booking.Status(), cancelled.Refund)

	// The refund and the messages are jobs: Drain waits for those that are due (the
	// hold's expiry is not), so that the output below is complete.
	if err := queue.Drain(ctx); err != nil {
		panic(err)
	}
	stats := queue.Stats()
	fmt.Println("jobs done:", stats.Succeeded, "given up:", stats.Dead)
	var sent []string
	for _, m := range notifier.Messages() {
		sent = append(sent, string(m.Kind)+" to "+m.To)
	}
	slices.Sort(sent) // the queue's workers send them in any order
	fmt.Println(strings.Join(sent, ", "))
	// Output:
	// Court 1 32 games, the first at 08:00 for 12000.00 ARS
	// pending 12000.00 ARS
	// confirmed 12000.00 ARS
	// cancelled 6000.00 ARS
	// jobs done: 3 given up: 0
	// cancellation to ana@example.com, confirmation to ana@example.com
}

// New returns the use cases; their background work runs only once the queue is
// started with their workers, one typed worker per job kind. The queue is stopped at
// shutdown, after the last use case has returned.
func ExampleNew() {
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
	reporter := system.NewReporter(log)
	queue := inproc.New(inproc.Config{Logger: log, Reporter: reporter})
	mp, err := app.New(app.Deps{
		Store: memory.New(), Cache: cache, Gateways: ports.OneGateway(gateway), Jobs: queue,
		Notifier: outbox.New(outbox.Config{Logger: log}), Clock: system.NewClock(), IDs: system.NewIDs(),
		Reporter: reporter, Logger: log,
	}, app.Config{TokenSecret: []byte("at least thirty-two bytes of secret!")})
	if err != nil {
		panic(err)
	}

	workers := mp.Workers()
	if err := queue.Start(ctx, workers); err != nil {
		panic(err)
	}
	defer func() { _ = queue.Stop(ctx) }()

	fmt.Println(workers.Kinds())
	// Output:
	// [booking.complete booking.expire_hold booking.sweep_holds notify.booking payment.expire_checkout payment.reconcile payment.refund payment.retry_refunds report.generate report.monthly]
}
