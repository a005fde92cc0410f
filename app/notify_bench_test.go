package app_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/cache/bigcache"
	"github.com/matchpoint/matchpoint/adapters/memory"
	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/adapters/queue/inproc"
	"github.com/matchpoint/matchpoint/adapters/system"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/clocktest"
)

// BenchmarkNotifyJobs runs notify jobs through the in-process queue (4 workers) over
// the memory store, with a notifier that sends nothing, and reports jobs per second.
// Each job is another message (a refund message with its own Seq), so every job sends:
//
//   - unrecorded: a store that never records a message, the cost of a job without
//     the record (what a notify job cost before messages were recorded);
//   - recorded: the memory store, which looks the message up before the send and
//     records it after: what the record adds;
//   - rerun: every message recorded already, so that each job ends at the look-up:
//     what a retried job whose message went out costs.
func BenchmarkNotifyJobs(b *testing.B) {
	for _, c := range []struct {
		name  string
		store func() ports.Store
		rerun bool
		sends bool
	}{
		{"unrecorded", func() ports.Store { return unrecordedStore{memory.New()} }, false, true},
		{"recorded", func() ports.Store { return memory.New() }, false, true},
		{"rerun", func() ports.Store { return memory.New() }, true, false},
	} {
		b.Run(c.name, func(b *testing.B) {
			store := c.store()
			notifier := &countingNotifier{}
			mp, queue, bookingID := benchApp(b, store, notifier)
			ctx := context.Background()
			if c.rerun {
				for i := range b.N {
					_, err := store.RecordMessageSent(ctx, ports.MessageKey(bookingID, ports.MessageRefund, strconv.Itoa(i)), time.Now())
					require.NoError(b, err)
				}
			}
			require.NoError(b, queue.Start(ctx, mp.Workers()))
			b.Cleanup(func() { _ = queue.Stop(context.WithoutCancel(ctx)) })

			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				args := app.NotifyArgs{BookingID: bookingID, Message: ports.MessageRefund, Seq: strconv.Itoa(i)}
				if err := queue.Enqueue(ctx, args, ports.EnqueueOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			if err := queue.Drain(ctx); err != nil {
				b.Fatal(err)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "jobs/s")

			want := int64(0)
			if c.sends {
				want = int64(b.N)
			}
			stats := queue.Stats()
			if notifier.sent.Load() != want || stats.Succeeded != int64(b.N) || stats.Retried != 0 {
				b.Fatalf("%d jobs: %d messages sent, want %d; queue %+v", b.N, notifier.sent.Load(), want, stats)
			}
		})
	}
}

// benchApp returns the use cases over store, with a club, a court and one booking,
// and the in-process queue that runs their jobs, not started.
func benchApp(b *testing.B, store ports.Store, notifier ports.Notifier) (*app.App, *inproc.Queue, string) {
	b.Helper()
	ctx := context.Background()
	clock := clocktest.New(startTime)
	cache, err := bigcache.New(bigcache.Config{})
	require.NoError(b, err)
	b.Cleanup(func() { _ = cache.Close() })
	gw, err := sandbox.New(sandbox.Config{BaseURL: sandboxBase, Secret: webhookSecret, Clock: clock, Logger: discard})
	require.NoError(b, err)
	queue := inproc.New(inproc.Config{Clock: clock, Logger: discard})
	mp, err := app.New(app.Deps{
		Store: store, Cache: cache, Gateways: ports.OneGateway(gw), Notifier: notifier, Jobs: queue,
		Clock: clock, IDs: system.IDs{}, Reporter: system.NewReporter(discard), Logger: discard,
	}, app.Config{TokenSecret: tokenSecret})
	require.NoError(b, err)

	created, err := mp.Admin.CreateClub(ctx, app.CreateClubCommand{Slug: clubSlug, Name: "Club", Zone: zone, Currency: "ARS", Policy: domain.DefaultPolicy()})
	require.NoError(b, err)
	club := created.Club
	court, err := mp.Admin.SaveCourt(ctx, club, domain.Court{Name: "Padel 1", Sport: domain.Padel, Active: true})
	require.NoError(b, err)
	season := domain.Season{Name: "2026", From: domain.MustDate("2026-01-01"), To: domain.MustDate("2026-12-31")}
	for wd := range season.Week {
		season.Week[wd] = &domain.Hours{Open: domain.MustClock("08:00"), Close: domain.MustClock("23:00")}
	}
	_, err = mp.Admin.SaveSeason(ctx, club, season)
	require.NoError(b, err)
	_, err = mp.Admin.SavePriceRule(ctx, club, domain.PriceRule{Name: "Padel", Sport: domain.Padel, Weekdays: domain.EveryDay, Window: window("08:00", "23:00"), Rate: domain.NewMoney(400000, ars)})
	require.NoError(b, err)
	start, ok := tomorrow.At(domain.MustClock("10:00"), club.Location)
	require.True(b, ok)
	res, err := mp.Bookings.Create(ctx, app.CreateBookingCommand{
		ClubSlug: clubSlug, CourtID: court.ID, Start: start, Duration: 90 * time.Minute,
		Customer: app.CustomerInput{Name: "Ana Pérez", Email: "ana@example.com", Phone: "+54 11 5555 0000"},
	})
	require.NoError(b, err)
	return mp, queue, res.Booking.ID()
}

// countingNotifier sends nothing and counts the messages it is given.
type countingNotifier struct{ sent atomic.Int64 }

func (n *countingNotifier) Send(context.Context, ports.Message) error {
	n.sent.Add(1)
	return nil
}

// unrecordedStore is a store that records no message: every message is new, and
// recording one does nothing.
type unrecordedStore struct{ *memory.Store }

func (unrecordedStore) MessageSent(context.Context, string) (bool, error) { return false, nil }

func (unrecordedStore) RecordMessageSent(context.Context, string, time.Time) (bool, error) {
	return true, nil
}
