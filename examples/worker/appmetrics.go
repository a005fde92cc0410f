package main

import (
	"context"
	"log/slog"

	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
	"github.com/matchpoint/matchpoint/adapters/prommetrics"
	"github.com/matchpoint/matchpoint/examples/internal/compose"
	"github.com/matchpoint/matchpoint/ports"
)

// provideAppMetrics counts what the use cases and their jobs do on the worker's
// registry (see compose.Metrics), and the jobs waiting in River, by state and kind,
// at each scrape (job_queue_jobs).
func provideAppMetrics(m *Metrics, cache ports.Cache, queue *riverqueue.Queue, log *slog.Logger) (ports.Metrics, error) {
	am, err := compose.Metrics(m.Registry, cache)
	if err != nil {
		return nil, err
	}
	if err := m.Registry.Register(prommetrics.NewQueueCollector(queueCounts(queue), 0, log)); err != nil {
		return nil, err
	}
	return am, nil
}

// queueCounts reads River's counts as the collector takes them.
func queueCounts(q *riverqueue.Queue) func(ctx context.Context) ([]prommetrics.QueueCount, error) {
	return func(ctx context.Context) ([]prommetrics.QueueCount, error) {
		counts, err := q.Counts(ctx)
		out := make([]prommetrics.QueueCount, 0, len(counts))
		for _, c := range counts {
			out = append(out, prommetrics.QueueCount{State: c.State, Kind: c.Kind, N: c.N})
		}
		return out, err
	}
}
