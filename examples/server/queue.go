package main

import (
	"context"
	"log/slog"

	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
	"github.com/matchpoint/matchpoint/examples/internal/compose"
	"github.com/matchpoint/matchpoint/ports"
)

// JobRunner is the queue whose workers the server runs: the in-process queue on the
// memory store, River on Postgres.
type JobRunner interface {
	ports.JobQueue
	// Start runs the jobs of ws until Stop.
	Start(ctx context.Context, ws *ports.Workers) error
	// Stop stops taking jobs and waits for the running ones, until ctx ends.
	Stop(ctx context.Context) error
}

// provideRiverQueue is the durable queue on the bookings' database: jobs enqueued with
// a booking commit with it, and whichever process runs workers on the database runs
// them.
func provideRiverQueue(cfg Config, store *postgres.Store, db *bun.DB, reporter ports.ErrorReporter, log *slog.Logger) (*riverqueue.Queue, error) {
	return compose.RiverQueue(store, db, cfg.QueuePollOnly, reporter, log)
}
