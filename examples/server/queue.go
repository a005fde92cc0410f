package main

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
	"github.com/matchpoint/matchpoint/app"
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
		Logger:   riverLogger(log),
		PollOnly: cfg.QueuePollOnly,
		// A job whose process died mid-run runs again after rescueAfter, not River's
		// hour: jobs are bounded by River's one-minute JobTimeout.
		RescueAfter: rescueAfter,
		Periodic:    periodicJobs(),
	})
}

// riverLogger is the logger of the River queue: log, with component=river on every
// line, and each warning or error River repeats (the same message and attributes, as
// its fetch loop and maintenance services log on every poll while the database is
// away) logged once per riverLogWindow, so that an outage leaves a few lines rather
// than one a second. Lines about different jobs differ in their attributes and are
// all kept.
func riverLogger(log *slog.Logger) *slog.Logger {
	return slog.New(&onceHandler{next: log.Handler(), seen: &sync.Map{}}).With("component", "river")
}

// riverLogWindow is how long a repeated River warning or error stays silent.
const riverLogWindow = time.Minute

// onceHandler drops a warning or error already handled, with the same message and
// attributes, within riverLogWindow.
type onceHandler struct {
	next  slog.Handler
	attrs string // the attributes of With, part of the key
	seen  *sync.Map
}

func (h *onceHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *onceHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		var key strings.Builder
		key.WriteString(h.attrs + "|" + r.Message)
		r.Attrs(func(a slog.Attr) bool {
			key.WriteString("|" + a.String())
			return true
		})
		if last, ok := h.seen.Load(key.String()); ok && r.Time.Sub(last.(time.Time)) < riverLogWindow {
			return nil
		}
		h.seen.Store(key.String(), r.Time)
	}
	return h.next.Handle(ctx, r)
}

func (h *onceHandler) WithAttrs(as []slog.Attr) slog.Handler {
	attrs := h.attrs
	for _, a := range as {
		attrs += "|" + a.String()
	}
	return &onceHandler{next: h.next.WithAttrs(as), attrs: attrs, seen: h.seen}
}

func (h *onceHandler) WithGroup(name string) slog.Handler {
	return &onceHandler{next: h.next.WithGroup(name), attrs: h.attrs + "|" + name + ".", seen: h.seen}
}
