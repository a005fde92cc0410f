package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uptrace/bun"
)

// Metrics is the worker's Prometheus registry, its own rather than the process-wide
// default: the Go runtime's (go_*) and the process's (process_*) metrics, and the
// database pool's (go_sql_*{db_name="primary"}); provideAppMetrics adds the use
// cases' and River's (see appmetrics.go). /metrics serves them beside the
// health checks, or on Listener when MATCHPOINT_METRICS_ADDR gives it an address of
// its own.
type Metrics struct {
	// Registry holds every collector above.
	Registry *prometheus.Registry
	// Listener is the address of its own that /metrics is served on; nil serves it
	// beside the health checks.
	Listener net.Listener
}

// provideMetrics builds the worker's registry over db's pool and, with
// MATCHPOINT_METRICS_ADDR, opens the listener /metrics is served on.
func provideMetrics(cfg Config, db *bun.DB) (*Metrics, func(), error) {
	m := &Metrics{Registry: prometheus.NewRegistry()}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db.DB, "primary"),
	)
	if cfg.MetricsAddr == "" {
		return m, func() {}, nil
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("MATCHPOINT_METRICS_ADDR=%q: %w", cfg.MetricsAddr, err)
	}
	m.Listener = ln
	return m, func() { _ = ln.Close() }, nil
}

// Handler serves the registry in Prometheus's exposition format; errors gathering
// are logged and the metrics gathered are served.
func (m *Metrics) Handler(log *slog.Logger) http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
	})
}
