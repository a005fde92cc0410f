package prommetrics_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/prommetrics"
	"github.com/matchpoint/matchpoint/ports"
)

func newMetrics(t *testing.T) (*prommetrics.Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := prommetrics.New(reg)
	require.NoError(t, err)
	return m, reg
}

func TestCountersCountWhatTheyAreTold(t *testing.T) {
	t.Parallel()
	m, reg := newMetrics(t)
	m.Booking(ports.BookingHeld)
	m.Booking(ports.BookingHeld)
	m.Booking(ports.BookingConfirmed)
	m.HoldsExpired(ports.ExpiredBySweep, 3)
	m.HoldsExpired(ports.ExpiredByJob, 0)
	m.Webhook("stripe", "confirmed")
	m.Webhook("stripe", ports.WebhookRejected)
	m.Refund(ports.RefundOwed)
	m.Refund(ports.RefundIssued)
	m.CacheLookup(ports.CacheTierDecoded, "club", true)
	m.CacheLookup(ports.CacheTierDecoded, "club", true)
	m.CacheLookup(ports.CacheTierShared, "club.gen", false)

	expected := `
# HELP bookings_total Bookings reaching an outcome: held, confirmed, cancelled, expired, completed, no_show; requests refused as conflict, refused, invalid or failed.
# TYPE bookings_total counter
bookings_total{outcome="confirmed"} 1
bookings_total{outcome="held"} 2
# HELP holds_expired_total Holds that ran out unpaid, by what expired them: job, sweep, webhook, reconcile or payment.
# TYPE holds_expired_total counter
holds_expired_total{via="sweep"} 3
# HELP webhooks_total Webhooks of the payment providers, by gateway and what each did.
# TYPE webhooks_total counter
webhooks_total{outcome="confirmed",provider="stripe"} 1
webhooks_total{outcome="rejected",provider="stripe"} 1
# HELP refunds_total Steps of the refunds owed to customers: owed, issued, failed (owed again later) or attention.
# TYPE refunds_total counter
refunds_total{outcome="issued"} 1
refunds_total{outcome="owed"} 1
# HELP cache_lookups_total Lookups of the use cases' cache, by tier (decoded, cache), key family and result (hit, miss).
# TYPE cache_lookups_total counter
cache_lookups_total{family="club",result="hit",tier="decoded"} 2
cache_lookups_total{family="club.gen",result="miss",tier="cache"} 1
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expected),
		"bookings_total", "holds_expired_total", "webhooks_total", "refunds_total", "cache_lookups_total"))
}

func TestJobsAreCountedAndTimed(t *testing.T) {
	t.Parallel()
	m, reg := newMetrics(t)
	m.Job("payment.refund", ports.JobSucceeded, 40*time.Millisecond, 200*time.Millisecond)
	m.Job("payment.refund", ports.JobFailed, 2*time.Minute, 3*time.Second)
	m.Job("booking.expire_hold", ports.JobSucceeded, 0, time.Millisecond)

	for _, outcome := range []string{"succeeded", "failed"} {
		c := find(t, reg, "jobs_total", map[string]string{"kind": "payment.refund", "outcome": outcome})
		require.NotNil(t, c, outcome)
		assert.Equal(t, 1.0, c.GetCounter().GetValue(), outcome)
	}
	require.NotNil(t, find(t, reg, "jobs_total", map[string]string{"kind": "booking.expire_hold", "outcome": "succeeded"}))

	m1 := find(t, reg, "job_queue_lag_seconds", map[string]string{"kind": "payment.refund"})
	require.NotNil(t, m1)
	lag := m1.GetHistogram()
	assert.Equal(t, uint64(2), lag.GetSampleCount())
	assert.InDelta(t, 120.04, lag.GetSampleSum(), 1e-9)
	for _, b := range lag.GetBucket() {
		switch b.GetUpperBound() {
		case .05:
			assert.Equal(t, uint64(1), b.GetCumulativeCount(), "40 ms lag is within 50 ms")
		case 60:
			assert.Equal(t, uint64(1), b.GetCumulativeCount(), "two minutes is not within a minute")
		case 300:
			assert.Equal(t, uint64(2), b.GetCumulativeCount())
		}
	}
	m2 := find(t, reg, "job_duration_seconds", map[string]string{"kind": "payment.refund"})
	require.NotNil(t, m2)
	took := m2.GetHistogram()
	assert.Equal(t, uint64(2), took.GetSampleCount())
	assert.InDelta(t, 3.2, took.GetSampleSum(), 1e-9)
}

func TestNewRefusesARegistryThatHasTheNames(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	_, err := prommetrics.New(reg)
	require.NoError(t, err)
	_, err = prommetrics.New(reg)
	assert.Error(t, err)
}

func TestTierCollectorReadsTheSnapshotAtEachScrape(t *testing.T) {
	t.Parallel()
	counts := []prommetrics.TierCount{{Tier: "l1", Family: "club", Event: "hit", N: 5}, {Tier: "pubsub", Family: "all", Event: "lost", N: 1}}
	reg := prometheus.NewRegistry()
	reg.MustRegister(prommetrics.NewTierCollector(func() []prommetrics.TierCount { return counts }))
	expected := `
# HELP cache_tier_events_total Events of the tiers of a tiered cache, by tier (l1, l2; pubsub for its invalidation channel), key family and event (hit, miss, error, skipped; lost, recovered, deferred, ack_timeout).
# TYPE cache_tier_events_total counter
cache_tier_events_total{event="hit",family="club",tier="l1"} 5
cache_tier_events_total{event="lost",family="all",tier="pubsub"} 1
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expected)))
	counts[0].N = 7
	assert.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(strings.Replace(expected, "} 5", "} 7", 1))))
}

func TestQueueCollectorCountsAtEachScrapeAndSkipsAFailure(t *testing.T) {
	t.Parallel()
	var fail error
	reg := prometheus.NewRegistry()
	reg.MustRegister(prommetrics.NewQueueCollector(func(ctx context.Context) ([]prommetrics.QueueCount, error) {
		_, ok := ctx.Deadline()
		require.True(t, ok, "a count is bounded in time")
		return []prommetrics.QueueCount{{State: "available", Kind: "payment.refund", N: 4}}, fail
	}, 0, slog.New(slog.DiscardHandler)))
	expected := `
# HELP job_queue_jobs Jobs in the durable queue, by state (available: due, waiting for a worker; scheduled: waiting for their time; retryable: waiting for a retry; running) and kind.
# TYPE job_queue_jobs gauge
job_queue_jobs{kind="payment.refund",state="available"} 4
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expected)))
	fail = errors.New("the database is down")
	n, err := testutil.GatherAndCount(reg)
	require.NoError(t, err)
	assert.Zero(t, n, "a failed count shows nothing rather than a stale figure")
}

// find returns the metric of the family name in reg whose labels are labels, or nil.
func find(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) *dto.Metric {
	t.Helper()
	fams, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue metrics
				}
			}
			return m
		}
	}
	return nil
}

// BenchmarkCacheLookup measures what counting a lookup adds to every cached read of
// the use cases.
func BenchmarkCacheLookup(b *testing.B) {
	m, err := prommetrics.New(prometheus.NewRegistry())
	require.NoError(b, err)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.CacheLookup(ports.CacheTierDecoded, "day", true)
		}
	})
}

// BenchmarkJob measures what counting and timing a job adds to its run.
func BenchmarkJob(b *testing.B) {
	m, err := prommetrics.New(prometheus.NewRegistry())
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		m.Job("notify.booking", ports.JobSucceeded, 30*time.Millisecond, 5*time.Millisecond)
	}
}
