package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"

	"github.com/matchpoint/matchpoint/adapters/httpapi"
	"github.com/matchpoint/matchpoint/adapters/notify/outbox"
	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/adapters/queue/inproc"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/examples/internal/compose"
	"github.com/matchpoint/matchpoint/ports"
)

// Server is the example server on its embedded default: every adapter in process.
type Server struct {
	Config   Config
	Logger   *slog.Logger
	Listener net.Listener
	App      *app.App
	Cache    ports.Cache
	API      *httpapi.Handler
	// RateLimit is the API's rate limits, with the limiter that counts them (nil
	// when MATCHPOINT_RATE_LIMIT is off).
	RateLimit httpapi.RateLimit
	Metrics   *Metrics
	Queue     JobRunner
	Outbox    *outbox.Outbox
	Sandbox   *sandbox.Gateway
	Clock     ports.Clock
	Drain     *Drain
	Tracing   *compose.Tracing // nil unless OTEL_* turns tracing on
}

// PublicURL is the base URL customers use to reach the server.
type PublicURL string

// URL returns the base URL the server is reached at.
func (s *Server) URL() string { return string(s.publicURL()) }

func (s *Server) publicURL() PublicURL { return providePublicURL(s.Config, s.Listener) }

// Run seeds the demo club if asked, starts the job workers (unless MATCHPOINT_WORKER is
// off) and serves HTTP until ctx is done, then shuts down gracefully: it turns unready
// at once (GET /readyz answers 503) while still serving for Config.ShutdownDelay, so
// that load balancers stop sending it requests, then stops taking requests, lets those
// in flight finish, and stops the queue once its running jobs are done, within
// Config.ShutdownTimeout.
func (s *Server) Run(ctx context.Context, onReady func(Demo)) error {
	var demo Demo
	if s.Config.Seed {
		var err error
		if demo, err = SeedDemo(ctx, s.App, s.Clock.Now()); err != nil {
			return fmt.Errorf("seed the demo club: %w", err)
		}
	}
	// The queue outlives ctx: requests still served while the server drains enqueue
	// jobs (a booking's hold expiry), so it stops after them, below.
	qctx, stopQueue := context.WithCancel(context.WithoutCancel(ctx))
	defer stopQueue()
	if s.Config.Worker != WorkerOff {
		if err := s.Queue.Start(qctx, s.Tracing.Workers(s.App.Workers())); err != nil {
			return err
		}
		if s.Config.DatabaseURL == "" { // on Postgres the sweeps are River's periodic jobs
			go s.sweep(qctx)
		}
	}
	srv, ln := s.httpServer()
	served := make(chan error, 2)
	go func() { served <- srv.Serve(ln) }()
	if s.Metrics.Listener != nil {
		msrv := &http.Server{
			Handler:           s.Metrics.Handler(s.Logger),
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
		}
		go func() { served <- fmt.Errorf("metrics listener: %w", msrv.Serve(s.Metrics.Listener)) }()
		defer msrv.Close()
	}
	s.Logger.Info("Match Point is serving", describeDeployment(s.Config, s.Listener.Addr().String(), s.URL())...)
	if onReady != nil {
		onReady(demo)
	}

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	s.Drain.Start()
	srv.SetKeepAlivesEnabled(false) // clients reconnect, through the load balancer, elsewhere
	s.Logger.Info("draining: /readyz answers 503", "delay", s.Config.ShutdownDelay, "timeout", s.Config.ShutdownTimeout)
	if s.Config.ShutdownDelay > 0 {
		// Requests keep coming until every load balancer has seen /readyz fail (or, on
		// Kubernetes, the endpoint's removal has reached every proxy): serve them.
		t := time.NewTimer(s.Config.ShutdownDelay)
		select {
		case <-t.C:
		case err := <-served:
			t.Stop()
			s.Logger.Warn("listener failed while draining", "err", err)
		}
	}
	s.Logger.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.Config.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(shutCtx)
	if qerr := s.Queue.Stop(shutCtx); qerr != nil {
		err = errors.Join(err, qerr)
	}
	return err
}

// maxHeaderBytes is how much of a request's head Go's server reads. Above it, Go
// answers 431 in plain text itself; the Handler answers 431 with a problem from its own,
// smaller limit (httpapi.DefaultMaxHeaderBytes), so that clients see the problem form
// up to this one.
const maxHeaderBytes = 1 << 20

// httpServer returns the HTTP server and the listener it serves, bounded by the
// configured limits: timeouts for slow and idle clients, and a cap on the connections
// served at once, beyond which new ones wait in the listen backlog. It serves the API,
// traced when tracing is on, and, unless the metrics have a listener of their own, GET
// /metrics.
func (s *Server) httpServer() (*http.Server, net.Listener) {
	lim := s.Config.HTTP.orDefaults()
	var h http.Handler = s.Tracing.Handler(withDeadline(s.API, requestDeadline(lim.WriteTimeout)))
	if s.Metrics.Listener == nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", s.Metrics.Handler(s.Logger))
		mux.Handle("/", h)
		h = mux
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		ReadTimeout:       lim.ReadTimeout,
		WriteTimeout:      lim.WriteTimeout,
		IdleTimeout:       lim.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
	return srv, netutil.LimitListener(s.Listener, lim.MaxConns)
}

// requestDeadline is how long a request's work may take: most of the write timeout,
// so that a request still waiting (for a database connection, a lock, a provider) when
// it runs out has time to answer 503 before the connection's own deadline cuts it off.
func requestDeadline(writeTimeout time.Duration) time.Duration {
	return writeTimeout - min(writeTimeout/10, 2*time.Second)
}

// withDeadline gives every request's context a deadline, so that nothing a request
// waits for outlives the answer its client can still receive.
func withDeadline(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// sweep runs the periodic safety nets of the memory store (app.PeriodicJobs) until ctx
// is done: on each one's tick it enqueues its job, once (a job still waiting or
// running keeps its key), for the in-process queue's workers to run.
func (s *Server) sweep(ctx context.Context) {
	for _, p := range app.PeriodicJobs() {
		go func() {
			t := time.NewTicker(p.Interval)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					if err := s.Queue.Enqueue(ctx, p.Args, ports.EnqueueOptions{UniqueKey: "periodic:" + p.Args.Kind()}); err != nil && ctx.Err() == nil {
						s.Logger.Warn("periodic job not enqueued", "kind", p.Args.Kind(), "err", err)
					}
				}
			}
		}()
	}
}

func provideListener(cfg Config) (net.Listener, func(), error) {
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("MATCHPOINT_HTTP_ADDR=%q: %w", cfg.HTTPAddr, err)
	}
	return ln, func() { _ = ln.Close() }, nil
}

func providePublicURL(cfg Config, ln net.Listener) PublicURL {
	if cfg.PublicURL != "" {
		return PublicURL(cfg.PublicURL)
	}
	return PublicURL("http://" + ln.Addr().String())
}

func provideAppConfig(cfg Config) app.Config {
	return app.Config{TokenSecret: cfg.TokenSecret}
}

// provideCache returns the in-process cache, or with MATCHPOINT_REDIS_URL the tiered
// cache: that cache as L1 in front of Redis, with invalidations shared by every
// instance on the same Redis.
func provideCache(ctx context.Context, cfg Config, log *slog.Logger) (ports.Cache, func(), error) {
	return compose.Cache(ctx, cfg.RedisURL, cfg.CacheMB, log)
}

func provideQueueConfig(log *slog.Logger, clock ports.Clock, reporter ports.ErrorReporter) inproc.Config {
	return inproc.Config{Logger: log, Clock: clock, Reporter: reporter}
}

func provideOutboxConfig(log *slog.Logger) outbox.Config {
	return outbox.Config{Logger: log}
}

// provideNotifier sends customers' email by SMTP when MATCHPOINT_SMTP_URL is set, and
// otherwise keeps the messages in the outbox.
func provideNotifier(cfg Config, box *outbox.Outbox) (ports.Notifier, error) {
	return compose.Notifier(cfg.SMTPURL, cfg.SMTPFrom, box)
}

func provideSandboxConfig(cfg Config, url PublicURL, clock ports.Clock, ids ports.IDs, log *slog.Logger) sandbox.Config {
	return compose.SandboxConfig(string(url), cfg.SandboxSecret, clock, ids, log)
}

func provideHTTPConfig(log *slog.Logger, gw *sandbox.Gateway, ready Readiness, drain *Drain, reporter ports.ErrorReporter, m *Metrics, rl httpapi.RateLimit) httpapi.Config {
	cfg := httpapi.Config{Logger: log, Extra: gw.Handler(), Ready: drain.ready(ready), Reporter: reporter, Observe: m.Observe, RateLimit: rl}
	if p, ok := reporter.(panicReporter); ok {
		cfg.OnPanic = p.ReportPanic // keeps the panic's stack
	}
	return cfg
}

// panicReporter is a reporter that takes panics with the value recovered (Sentry's).
type panicReporter interface {
	ReportPanic(ctx context.Context, recovered any, attrs map[string]string)
}

// provideReporter reports errors no caller sees to the log and, with
// MATCHPOINT_SENTRY_DSN, to Sentry too; the cleanup sends what is queued, for up to
// two seconds.
func provideReporter(cfg Config, log *slog.Logger) (ports.ErrorReporter, func(), error) {
	return compose.Reporter(cfg.SentryDSN, cfg.SentryEnvironment, log)
}

// provideGateways returns the deployment's payment gateways: the sandbox and those of
// the configuration, each told where its webhooks arrive.
func provideGateways(cfg Config, sb *sandbox.Gateway, url PublicURL, clock ports.Clock, log *slog.Logger) (ports.Gateways, error) {
	return compose.Gateways(cfg.Payments, sb, string(url), clock, log)
}
