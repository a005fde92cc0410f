package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/examples/internal/compose"
)

// Worker runs the jobs of the servers' database: the use cases over the Postgres
// store, the River queue that runs their workers and the periodic sweeps, and an HTTP
// listener for its health checks and metrics.
type Worker struct {
	Config   Config
	Logger   *slog.Logger
	Listener net.Listener
	DB       *bun.DB
	App      *app.App
	Queue    *riverqueue.Queue
	Metrics  *Metrics
	Tracing  *compose.Tracing // nil unless OTEL_* turns tracing on

	ready atomic.Bool // the queue runs and the worker is not draining
}

// Run starts the queue with the app's workers and serves /healthz, /readyz and
// /metrics (on Metrics.Listener if it has one) until ctx is done (SIGTERM or an interrupt). Then it turns unready at once, stops fetching
// jobs, lets the running ones finish, bounded by Config.ShutdownTimeout (a job cut
// short is run again later by another worker), and returns: nil when every running job
// finished in time. onReady, if not nil, is called once the queue runs.
func (w *Worker) Run(ctx context.Context, onReady func()) error {
	if err := w.Queue.Start(ctx, w.Tracing.Workers(w.App.Workers())); err != nil {
		return err
	}
	w.ready.Store(true)
	srv := &http.Server{
		Handler:           w.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(w.Logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 2)
	go func() { served <- fmt.Errorf("health listener: %w", srv.Serve(w.Listener)) }()
	if w.Metrics.Listener != nil {
		msrv := &http.Server{
			Handler:           w.Metrics.Handler(w.Logger),
			ReadHeaderTimeout: 5 * time.Second,
			ErrorLog:          slog.NewLogLogger(w.Logger.Handler(), slog.LevelWarn),
		}
		go func() { served <- fmt.Errorf("metrics listener: %w", msrv.Serve(w.Metrics.Listener)) }()
		defer msrv.Close()
	}
	w.Logger.Info("Match Point worker is running", "health", "http://"+w.Listener.Addr().String())
	if onReady != nil {
		onReady()
	}

	var err error
	select {
	case err = <-served:
	case <-ctx.Done():
	}
	w.ready.Store(false)
	w.Logger.Info("draining: no new jobs; waiting for the running ones", "timeout", w.Config.ShutdownTimeout)
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.Config.ShutdownTimeout)
	defer cancel()
	if qerr := w.Queue.Stop(stopCtx); qerr != nil {
		err = errors.Join(err, qerr)
	}
	shutCtx, cancelShut := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancelShut()
	_ = srv.Shutdown(shutCtx)
	if err == nil {
		w.Logger.Info("stopped")
	}
	return err
}

// Handler serves the health checks: /healthz answers 200 while the process runs;
// /readyz answers 200 while the queue runs and the database answers, and 503 before
// the queue starts, once the worker drains, and when the database does not answer.
// It serves GET /metrics too, unless the metrics have a listener of their own.
func (w *Worker) Handler() http.Handler {
	mux := http.NewServeMux()
	if w.Metrics != nil && w.Metrics.Listener == nil {
		mux.Handle("GET /metrics", w.Metrics.Handler(w.Logger))
	}
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = rw.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !w.ready.Load() {
			rw.WriteHeader(http.StatusServiceUnavailable)
			_, _ = rw.Write([]byte("not ready: the queue is not running (starting or draining)\n"))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := w.DB.PingContext(ctx); err != nil {
			rw.WriteHeader(http.StatusServiceUnavailable)
			_, _ = rw.Write([]byte("not ready: the database does not answer\n"))
			return
		}
		_, _ = rw.Write([]byte("ready\n"))
	})
	return mux
}
