package compose

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/ports"
)

// RequireMigrated fails with an error wrapping notMigrated, and naming the migrations
// to apply, unless db has applied every migration embedded in the binary: the store's
// and the River queue's. It changes nothing.
func RequireMigrated(ctx context.Context, db *bun.DB, notMigrated error) error {
	pending, err := postgres.PendingMigrations(ctx, db)
	if err != nil {
		return err
	}
	river, err := riverqueue.PendingMigrations(ctx, db.DB)
	if err != nil {
		return err
	}
	for _, m := range river {
		pending = append(pending, "river "+m)
	}
	if len(pending) > 0 {
		return fmt.Errorf("%w (%d to apply: %s)", notMigrated, len(pending), strings.Join(pending, ", "))
	}
	return nil
}

// rescueAfter is how long a job left running by a process that died waits before
// another process runs it again.
const rescueAfter = 5 * time.Minute

// RiverQueue is the durable queue on the bookings' database db of store: jobs enqueued
// with a booking commit with it, and whichever process runs workers on the database
// runs them. It logs through RiverLogger, polls only with pollOnly
// (MATCHPOINT_QUEUE_POLL_ONLY), and carries PeriodicJobs.
func RiverQueue(store *postgres.Store, db *bun.DB, pollOnly bool, reporter ports.ErrorReporter, log *slog.Logger) (*riverqueue.Queue, error) {
	return riverqueue.New(store, db.DB, riverqueue.Config{
		Reporter: reporter,
		Logger:   RiverLogger(log),
		PollOnly: pollOnly,
		// A job whose process died mid-run runs again after rescueAfter, not River's
		// hour: jobs are bounded by River's one-minute JobTimeout.
		RescueAfter: rescueAfter,
		Periodic:    PeriodicJobs(),
	})
}

// PeriodicJobs are the safety nets of app.PeriodicJobs as River periodic jobs: River's
// leader among the processes that run workers on the database (examples/worker, and
// servers with MATCHPOINT_WORKER=embedded) enqueues each once per interval, however
// many there are, and whichever process fetches it runs it.
func PeriodicJobs() []riverqueue.Periodic {
	var ps []riverqueue.Periodic
	for _, p := range app.PeriodicJobs() {
		ps = append(ps, riverqueue.Periodic{Args: p.Args, Interval: p.Interval, RunOnStart: true})
	}
	return ps
}
