package main

import (
	"github.com/matchpoint/matchpoint/examples/internal/compose"
	"github.com/matchpoint/matchpoint/ports"
)

// provideAppMetrics counts what the use cases and their jobs do on the server's
// registry (see compose.Metrics): bookings, expired holds, webhooks, refunds, jobs
// and cache lookups.
func provideAppMetrics(m *Metrics, cache ports.Cache) (ports.Metrics, error) {
	return compose.Metrics(m.Registry, cache)
}

// noAppMetrics counts nothing: the operators' commands serve no metrics.
func noAppMetrics() ports.Metrics { return ports.NoMetrics{} }
