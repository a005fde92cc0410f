package main

import (
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uptrace/bun"
)

// Metrics is the server's Prometheus registry, its own rather than the process-wide
// default, so that servers in one process (tests) keep their counts apart:
//
//   - http_requests_total{route,method,status}: requests answered, by route pattern
//     ("/v1/bookings/{id}"; "unmatched" when no route matched), method (OTHER for
//     methods HTTP does not define) and status code;
//   - http_request_duration_seconds{route,method}: their durations, a histogram;
//   - go_* and process_*: the Go runtime's and the process's;
//   - go_sql_*{db_name="primary"}: the primary database's connection pool, on Postgres.
//
// /metrics serves them on the server's listener, or on Listener when
// MATCHPOINT_METRICS_ADDR gives it an address of its own.
type Metrics struct {
	// Registry holds every collector above.
	Registry *prometheus.Registry
	// Listener is the address of its own that /metrics is served on; nil serves it on
	// the server's listener.
	Listener net.Listener

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// DBPool is the database pool whose statistics the metrics show; a nil DB shows none
// (the memory store).
type DBPool struct{ DB *sql.DB }

func noDBPool() DBPool { return DBPool{} }

func primaryDBPool(db *bun.DB) DBPool { return DBPool{DB: db.DB} }

// provideMetrics builds the server's registry and, with MATCHPOINT_METRICS_ADDR,
// opens the listener /metrics is served on.
func provideMetrics(cfg Config, pool DBPool) (*Metrics, func(), error) {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "Time from receiving an HTTP request to answering it, by route pattern and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
	}
	m.Registry.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if pool.DB != nil {
		m.Registry.MustRegister(collectors.NewDBStatsCollector(pool.DB, "primary"))
	}
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

// Observe counts one answered request; it is the API's httpapi.Config.Observe.
func (m *Metrics) Observe(route, method string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	method = methodLabel(method)
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(d.Seconds())
}

// methodLabel bounds the method label to HTTP's methods: a client may send any token.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	}
	return "OTHER"
}

// Handler serves the registry in Prometheus's exposition format; errors gathering
// are logged and the metrics gathered are served.
func (m *Metrics) Handler(log *slog.Logger) http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
	})
}
