package prommetrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/matchpoint/matchpoint/ports"
)

// Buckets of the job histograms, in seconds. A job runs for milliseconds to a minute
// (a report); it starts within the queue's poll interval of its time, or, behind a
// backlog or an outage, minutes to hours late.
var (
	DurationBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
	LagBuckets      = []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600}
)

// Metrics is the ports.Metrics of a Prometheus registry. It is safe for concurrent use.
type Metrics struct {
	bookings    *prometheus.CounterVec
	holds       *prometheus.CounterVec
	webhooks    *prometheus.CounterVec
	refunds     *prometheus.CounterVec
	jobs        *prometheus.CounterVec
	jobDuration *prometheus.HistogramVec
	jobLag      *prometheus.HistogramVec
	cache       *prometheus.CounterVec

	// lookups keeps the counter of each tier, family and result, so that a lookup,
	// which the use cases make on every read, costs one map read rather than the
	// hashing of its labels.
	lookups sync.Map // lookupKey → prometheus.Counter
}

type lookupKey struct {
	tier, family string
	hit          bool
}

var _ ports.Metrics = (*Metrics)(nil)

// New returns the metrics, registered on reg. It fails when reg holds collectors of
// the same names already.
func New(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		bookings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bookings_total",
			Help: "Bookings reaching an outcome: held, confirmed, cancelled, expired, completed, no_show; requests refused as conflict, refused, invalid or failed.",
		}, []string{"outcome"}),
		holds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "holds_expired_total",
			Help: "Holds that ran out unpaid, by what expired them: job, sweep, webhook, reconcile or payment.",
		}, []string{"via"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "webhooks_total",
			Help: "Webhooks of the payment providers, by gateway and what each did.",
		}, []string{"provider", "outcome"}),
		refunds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "refunds_total",
			Help: "Steps of the refunds owed to customers: owed, issued, failed (owed again later) or attention.",
		}, []string{"outcome"}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jobs_total",
			Help: "Runs of background jobs, by kind and outcome: succeeded, failed or panicked.",
		}, []string{"kind", "outcome"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "job_duration_seconds",
			Help:    "How long runs of background jobs took, by kind.",
			Buckets: DurationBuckets,
		}, []string{"kind"}),
		jobLag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "job_queue_lag_seconds",
			Help:    "How long after they were due runs of background jobs started, by kind.",
			Buckets: LagBuckets,
		}, []string{"kind"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cache_lookups_total",
			Help: "Lookups of the use cases' cache, by tier (decoded, cache), key family and result (hit, miss).",
		}, []string{"tier", "family", "result"}),
	}
	for _, c := range []prometheus.Collector{m.bookings, m.holds, m.webhooks, m.refunds, m.jobs, m.jobDuration, m.jobLag, m.cache} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Booking counts a booking reaching outcome.
func (m *Metrics) Booking(outcome ports.BookingOutcome) {
	m.bookings.WithLabelValues(string(outcome)).Inc()
}

// HoldsExpired counts n holds expired by via.
func (m *Metrics) HoldsExpired(via ports.HoldExpiry, n int) {
	if n > 0 {
		m.holds.WithLabelValues(string(via)).Add(float64(n))
	}
}

// Webhook counts a webhook of provider and its outcome.
func (m *Metrics) Webhook(provider, outcome string) {
	m.webhooks.WithLabelValues(provider, outcome).Inc()
}

// Refund counts a step of a refund.
func (m *Metrics) Refund(outcome ports.RefundOutcome) {
	m.refunds.WithLabelValues(string(outcome)).Inc()
}

// Job counts a run of a job of kind, and observes its lag and duration.
func (m *Metrics) Job(kind string, outcome ports.JobOutcome, lag, took time.Duration) {
	m.jobs.WithLabelValues(kind, string(outcome)).Inc()
	m.jobDuration.WithLabelValues(kind).Observe(took.Seconds())
	m.jobLag.WithLabelValues(kind).Observe(lag.Seconds())
}

// CacheLookup counts a lookup of family in tier.
func (m *Metrics) CacheLookup(tier, family string, hit bool) {
	k := lookupKey{tier, family, hit}
	if c, ok := m.lookups.Load(k); ok {
		c.(prometheus.Counter).Inc()
		return
	}
	result := "miss"
	if hit {
		result = "hit"
	}
	c, _ := m.lookups.LoadOrStore(k, m.cache.WithLabelValues(tier, family, result))
	c.(prometheus.Counter).Inc()
}
