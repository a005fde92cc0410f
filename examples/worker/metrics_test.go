package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/payments/mercadopago/mptest"
)

// scrape gets url (a /metrics endpoint) and parses its exposition format.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	res, err := c.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(res.Body)
	require.NoError(t, err)
	return families
}

// requireWorkerFamilies asserts the runtime's, the process's and the primary pool's
// metrics are among families.
func requireWorkerFamilies(t *testing.T, families map[string]*dto.MetricFamily) {
	t.Helper()
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_cpu_seconds_total", "process_open_fds"} {
		assert.Contains(t, families, name)
	}
	pool := families["go_sql_max_open_connections"]
	require.NotNil(t, pool, "the database pool's statistics are exposed")
	require.Len(t, pool.GetMetric(), 1)
	m := pool.GetMetric()[0]
	require.Len(t, m.GetLabel(), 1)
	assert.Equal(t, "db_name", m.GetLabel()[0].GetName())
	assert.Equal(t, "primary", m.GetLabel()[0].GetValue())
	assert.Positive(t, m.GetGauge().GetValue())
}

// TestWorkerMetrics: a worker serves /metrics beside its health checks, or, with
// MATCHPOINT_METRICS_ADDR, on that address alone.
func TestWorkerMetrics(t *testing.T) {
	db := testDatabase(t)
	startServer(t, db, map[string]string{"MATCHPOINT_WORKER": "off"}) // migrates the database

	_, health := startWorker(t, db, nil)
	requireWorkerFamilies(t, scrape(t, health+"/metrics"))

	apart, health := startWorker(t, db, map[string]string{"MATCHPOINT_METRICS_ADDR": "127.0.0.1:0"})
	metrics := apart.await(t, `Metrics \(Prometheus\) on (http://\S+)`)
	require.True(t, strings.HasSuffix(metrics, "/metrics"), metrics)
	assert.NotContains(t, metrics, strings.TrimPrefix(health, "http://"), "an address of its own")
	requireWorkerFamilies(t, scrape(t, metrics))
	assert.Equal(t, http.StatusNotFound, status(health+"/metrics"), "not beside the health checks")
	assert.Equal(t, http.StatusOK, status(health+"/healthz"))
}

// value returns the value of the counter or gauge, or the sample count of the
// histogram, of family name with exactly these labels; zero when there is none.
func value(families map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	f := families[name]
	if f == nil {
		return 0
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
		switch {
		case m.GetHistogram() != nil:
			return float64(m.GetHistogram().GetSampleCount())
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue()
		}
		return m.GetCounter().GetValue()
	}
	return 0
}

// TestWorkerMetricsCountTheJobsItRuns: a booking made, paid and cancelled on a server
// that runs no workers is counted there (bookings, webhooks, the refund owed); its
// jobs are counted by the worker that runs them (jobs, their lag, the refund issued),
// which also shows the jobs still waiting in River.
func TestWorkerMetricsCountTheJobsItRuns(t *testing.T) {
	db := testDatabase(t)
	acct := mptest.Start(t)
	env := mercadoPagoEnv(acct)
	_, base := startServer(t, db, with(env, map[string]string{"MATCHPOINT_WORKER": "off"}))
	_, health := startWorker(t, db, env)

	b := bookAndPay(t, base, acct)
	waitIdle(t, db)
	cancel(t, base, b)
	waitIdle(t, db)
	require.Len(t, acct.Refunds(b.paymentRef), 1)

	server := scrape(t, base+"/metrics")
	for labels, want := range map[[2]string]float64{
		{"bookings_total", "held"}: 1, {"bookings_total", "confirmed"}: 1, {"bookings_total", "cancelled"}: 1,
		{"refunds_total", "owed"}: 1, {"refunds_total", "issued"}: 0,
	} {
		assert.Equal(t, want, value(server, labels[0], map[string]string{"outcome": labels[1]}), "server: %s %s", labels[0], labels[1])
	}
	assert.Equal(t, 1.0, value(server, "webhooks_total", map[string]string{"provider": "mercadopago", "outcome": "confirmed"}))
	assert.NotContains(t, server, "jobs_total", "the server runs no jobs")

	worker := scrape(t, health+"/metrics")
	requireWorkerFamilies(t, worker)
	assert.Equal(t, 1.0, value(worker, "refunds_total", map[string]string{"outcome": "issued"}))
	assert.Equal(t, 1.0, value(worker, "jobs_total", map[string]string{"kind": "payment.refund", "outcome": "succeeded"}))
	assert.Equal(t, 2.0, value(worker, "jobs_total", map[string]string{"kind": "notify.booking", "outcome": "succeeded"}),
		"the confirmation and the cancellation")
	assert.Equal(t, 1.0, value(worker, "job_queue_lag_seconds", map[string]string{"kind": "payment.refund"}))
	assert.Equal(t, 1.0, value(worker, "job_queue_jobs", map[string]string{"state": "scheduled", "kind": "booking.complete"}),
		"the booking's completion waits for its end")
	assert.Zero(t, value(worker, "job_queue_jobs", map[string]string{"state": "available", "kind": "notify.booking"}), "nothing due waits")
	assert.NotContains(t, worker, "bookings_total", "the worker made no booking")
}
