package prommetrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TierCount is one count a tiered cache keeps of its own tiers: the lookups of a key
// family in a tier that ended in an event (hit, miss, error, skipped), or for tier
// "pubsub" an event of its invalidation channel.
type TierCount struct {
	Tier, Family, Event string
	N                   uint64
}

// TierCollector exposes counts kept by a tiered cache, read from snapshot at each
// scrape, as cache_tier_events_total{tier,family,event}, a counter.
type TierCollector struct {
	snapshot func() []TierCount
	desc     *prometheus.Desc
}

// NewTierCollector returns the collector of the counts snapshot returns; snapshot
// must be safe to call at any time and its counts must only grow.
func NewTierCollector(snapshot func() []TierCount) *TierCollector {
	return &TierCollector{snapshot: snapshot, desc: prometheus.NewDesc("cache_tier_events_total",
		"Events of the tiers of a tiered cache, by tier (l1, l2; pubsub for its invalidation channel), key family and event (hit, miss, error, skipped; lost, recovered, deferred, ack_timeout).",
		[]string{"tier", "family", "event"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *TierCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *TierCollector) Collect(ch chan<- prometheus.Metric) {
	for _, n := range c.snapshot() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(n.N), n.Tier, n.Family, n.Event)
	}
}

// QueueCount is how many jobs of a kind are in a state in a durable queue.
type QueueCount struct {
	State, Kind string
	N           int64
}

// QueueCollector exposes the jobs waiting in a durable queue, counted by count at
// each scrape, as job_queue_jobs{state,kind}, a gauge. A count that fails, or takes
// longer than Timeout, is logged and leaves the gauge out of that scrape.
type QueueCollector struct {
	count   func(ctx context.Context) ([]QueueCount, error)
	timeout time.Duration
	log     *slog.Logger
	desc    *prometheus.Desc
}

// NewQueueCollector returns the collector of what count counts, logging its failures
// to log (nil: slog.Default()) and giving it timeout (zero: 2 seconds).
func NewQueueCollector(count func(ctx context.Context) ([]QueueCount, error), timeout time.Duration, log *slog.Logger) *QueueCollector {
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	if log == nil {
		log = slog.Default()
	}
	return &QueueCollector{count: count, timeout: timeout, log: log, desc: prometheus.NewDesc("job_queue_jobs",
		"Jobs in the durable queue, by state (available: due, waiting for a worker; scheduled: waiting for their time; retryable: waiting for a retry; running) and kind.",
		[]string{"state", "kind"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *QueueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *QueueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	counts, err := c.count(ctx)
	if err != nil {
		c.log.Warn("metrics: counting the queue's jobs", "err", err)
		return
	}
	for _, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n.N), n.State, n.Kind)
	}
}
