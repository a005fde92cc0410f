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
