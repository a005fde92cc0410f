package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/examples/internal/compose"
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

// sample returns the metric of family with exactly these labels, or nil.
func sample(family *dto.MetricFamily, labels map[string]string) *dto.Metric {
	if family == nil {
		return nil
	}
	for _, m := range family.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if len(got) == len(labels) {
			match := true
			for k, v := range labels {
				match = match && got[k] == v
			}
			if match {
				return m
			}
		}
	}
	return nil
}

// requireRuntimeFamilies asserts that the Go runtime's and the process's collectors
// are registered.
func requireRuntimeFamilies(t *testing.T, families map[string]*dto.MetricFamily) {
	t.Helper()
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_cpu_seconds_total", "process_open_fds"} {
		assert.Contains(t, families, name)
	}
}

// TestMetricsOnTheServersListener: /metrics on the API's address counts the requests
// by route, method and status, with their durations, beside the runtime's and the
// process's metrics.
func TestMetricsOnTheServersListener(t *testing.T) {
	s := startServer(t)
	for range 3 {
		require.Equal(t, http.StatusOK, s.do(t, "GET", "/healthz", "", nil).status)
	}
	require.Equal(t, http.StatusNotFound, s.do(t, "GET", "/no/such/path", "", nil).status)
	require.Equal(t, http.StatusUnauthorized, s.do(t, "GET", "/v1/bookings/nope", "", nil).status)

	families := scrape(t, s.base+"/metrics")
	requests := families["http_requests_total"]
	require.NotNil(t, requests, "http_requests_total is exposed")
	assert.Equal(t, dto.MetricType_COUNTER, requests.GetType())
	healthz := sample(requests, map[string]string{"route": "/healthz", "method": "GET", "status": "200"})
	require.NotNil(t, healthz, "GET /healthz 200 is counted")
	assert.Equal(t, 3.0, healthz.GetCounter().GetValue())
	unmatched := sample(requests, map[string]string{"route": "unmatched", "method": "GET", "status": "404"})
	require.NotNil(t, unmatched, "a path no route matches is counted as unmatched")
	assert.Equal(t, 1.0, unmatched.GetCounter().GetValue())
	booking := sample(requests, map[string]string{"route": "/v1/bookings/{id}", "method": "GET", "status": "401"})
	require.NotNil(t, booking, "a route's request is counted under its pattern, not its path")
	assert.Equal(t, 1.0, booking.GetCounter().GetValue())
	assert.Nil(t, sample(requests, map[string]string{"route": "/metrics", "method": "GET", "status": "200"}), "scrapes are not API requests")

	durations := families["http_request_duration_seconds"]
	require.NotNil(t, durations, "http_request_duration_seconds is exposed")
	assert.Equal(t, dto.MetricType_HISTOGRAM, durations.GetType())
	h := sample(durations, map[string]string{"route": "/healthz", "method": "GET"})
	require.NotNil(t, h)
	assert.Equal(t, uint64(3), h.GetHistogram().GetSampleCount())
	assert.Positive(t, h.GetHistogram().GetSampleSum())

	requireRuntimeFamilies(t, families)
	assert.NotContains(t, families, "go_sql_open_connections", "the memory store has no pool")

	// A second server in the process keeps its own counts.
	other := startServer(t)
	again := scrape(t, other.base+"/metrics")
	assert.Nil(t, sample(again["http_requests_total"], map[string]string{"route": "/healthz", "method": "GET", "status": "200"}))
}

// TestMetricsOnAnAddressOfTheirOwn: with MATCHPOINT_METRICS_ADDR, /metrics is served
// there and the API's address answers it 404 like any other unknown path; on Postgres
// the primary pool's statistics are among them.
func TestMetricsOnAnAddressOfTheirOwn(t *testing.T) {
	s := startServerWith(t, map[string]string{
		"MATCHPOINT_METRICS_ADDR": "127.0.0.1:0",
		"MATCHPOINT_DATABASE_URL": testDatabase(t), "MATCHPOINT_MIGRATE": "auto",
	})
	require.NotNil(t, s.Metrics.Listener)
	require.Equal(t, http.StatusOK, s.do(t, "GET", "/readyz", "", nil).status)

	r := s.do(t, "GET", "/metrics", "", nil)
	assert.Equal(t, http.StatusNotFound, r.status, "the API's address does not serve /metrics")
	assert.Equal(t, "not_found", r.body["code"], r.raw)

	families := scrape(t, "http://"+s.Metrics.Listener.Addr().String()+"/metrics")
	ready := sample(families["http_requests_total"], map[string]string{"route": "/readyz", "method": "GET", "status": "200"})
	require.NotNil(t, ready, "the API's requests are counted")
	assert.Equal(t, 1.0, ready.GetCounter().GetValue())
	requireRuntimeFamilies(t, families)
	pool := sample(families["go_sql_max_open_connections"], map[string]string{"db_name": "primary"})
	require.NotNil(t, pool, "the primary pool's statistics are exposed")
	assert.Equal(t, float64(compose.DefaultDBMaxConns()), pool.GetGauge().GetValue())
}

func TestMetricsAddrInUseStopsTheStart(t *testing.T) {
	s := startServer(t)
	addr := strings.TrimPrefix(s.base, "http://")
	cfg, err := LoadConfig(func(k string) string {
		return map[string]string{"MATCHPOINT_HTTP_ADDR": "127.0.0.1:0", "MATCHPOINT_METRICS_ADDR": addr}[k]
	})
	require.NoError(t, err)
	_, _, err = NewServer(t.Context(), cfg, s.Logger)
	require.ErrorContains(t, err, "MATCHPOINT_METRICS_ADDR=")
}

// TestCLIServeSaysWhereTheMetricsAre: with MATCHPOINT_METRICS_ADDR, serve prints the
// metrics' URL, which answers a scrape.
func TestCLIServeSaysWhereTheMetricsAre(t *testing.T) {
	stdout, _, stop := serveCLI(t, map[string]string{"MATCHPOINT_HTTP_ADDR": "127.0.0.1:0", "MATCHPOINT_METRICS_ADDR": "127.0.0.1:0"})
	m := regexp.MustCompile(`Metrics \(Prometheus\) on (http://\S+/metrics)\n`).FindStringSubmatch(stdout.String())
	require.NotNil(t, m, stdout.String())
	assert.Contains(t, scrape(t, m[1]), "go_goroutines")
	assert.Equal(t, 0, stop())
}
