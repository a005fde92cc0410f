package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
	"github.com/matchpoint/matchpoint/app"
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

// periodicJobs are the safety nets of app.PeriodicJobs as River periodic jobs: on
// Postgres the leader of the processes that run workers (examples/worker, and servers
// with MATCHPOINT_WORKER=embedded) enqueues each once per interval, however many there
// are. On the memory store the server runs them on a ticker (Server.sweep).
func periodicJobs() []riverqueue.Periodic {
	var ps []riverqueue.Periodic
	for _, p := range app.PeriodicJobs() {
		ps = append(ps, riverqueue.Periodic{Args: p.Args, Interval: p.Interval, RunOnStart: true})
	}
	return ps
}

// rescueAfter is how long a job left running by a process that died waits before
// another process runs it again.
const rescueAfter = 5 * time.Minute

// provideRiverQueue is the durable queue on the bookings' database: jobs enqueued with
// a booking commit with it, and whichever process runs workers on the database runs
// them.
func provideRiverQueue(cfg Config, store *postgres.Store, db *bun.DB, reporter ports.ErrorReporter, log *slog.Logger) (*riverqueue.Queue, error) {
	return riverqueue.New(store, db.DB, riverqueue.Config{
		Reporter: reporter,
		Logger:   compose.RiverLogger(log),
		PollOnly: cfg.QueuePollOnly,
		// A job whose process died mid-run runs again after rescueAfter, not River's
		// hour: jobs are bounded by River's one-minute JobTimeout.
		RescueAfter: rescueAfter,
		Periodic:    periodicJobs(),
	})
}
