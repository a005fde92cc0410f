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

	"github.com/matchpoint/matchpoint/adapters/cache/bigcache"
	"github.com/matchpoint/matchpoint/adapters/cache/redis"
	"github.com/matchpoint/matchpoint/adapters/cache/tiered"
	"github.com/matchpoint/matchpoint/adapters/httpapi"
	"github.com/matchpoint/matchpoint/adapters/notify/outbox"
	"github.com/matchpoint/matchpoint/adapters/notify/smtp"
	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/adapters/queue/inproc"
	"github.com/matchpoint/matchpoint/app"
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
	Queue    *inproc.Queue
	Outbox   *outbox.Outbox
	Sandbox  *sandbox.Gateway
	Clock    ports.Clock
}

// PublicURL is the base URL customers use to reach the server.
type PublicURL string

// URL returns the base URL the server is reached at.
func (s *Server) URL() string { return string(s.publicURL()) }

func (s *Server) publicURL() PublicURL { return providePublicURL(s.Config, s.Listener) }

// Run seeds the demo club if asked, starts the job queue and serves HTTP until ctx is
// done, then shuts down gracefully: it stops taking requests, lets those in flight
// finish, and stops the queue once its running jobs are done.
func (s *Server) Run(ctx context.Context, onReady func(Demo)) error {
	var demo Demo
	if s.Config.Seed {
		var err error
		if demo, err = SeedDemo(ctx, s.App, s.Clock.Now()); err != nil {
			return fmt.Errorf("seed the demo club: %w", err)
		}
	}
	if err := s.Queue.Start(ctx, s.App.Workers()); err != nil {
		return err
	}
	srv, ln := s.httpServer()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	go s.sweepHolds(ctx)
	go s.sweepRefunds(ctx)
	s.Logger.Info("Match Point is serving", describeDeployment(s.Config, s.Listener.Addr().String(), s.URL())...)
	if onReady != nil {
		onReady(demo)
	}

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
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
// served at once, beyond which new ones wait in the listen backlog.
func (s *Server) httpServer() (*http.Server, net.Listener) {
	lim := s.Config.HTTP.orDefaults()
	srv := &http.Server{
		Handler:           withDeadline(s.API, requestDeadline(lim.WriteTimeout)),
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

// sweepHolds expires run-out holds every half minute, a safety net behind the expiry
// job each booking schedules, and reconciles the payments of checkouts left pending,
// a safety net behind the webhooks.
func (s *Server) sweepHolds(ctx context.Context) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.App.Payments.ExpireHolds(ctx, 100); err != nil {
				s.Logger.Warn("hold sweep failed", "err", err)
			} else if n > 0 {
				s.Logger.Info("holds expired", "count", n)
			}
			// Checkouts left pending for five minutes are asked about: a lost webhook
			// would otherwise leave a paid booking unconfirmed.
			if r, err := s.App.Payments.Reconcile(ctx, 5*time.Minute, 100); err != nil {
				s.Logger.Warn("payment reconciliation failed", "err", err)
			} else if r != (app.ReconcileResult{}) {
				s.Logger.Info("payments reconciled", "checked", r.Checked, "confirmed", r.Confirmed, "refunded", r.Refunded, "expired", r.Expired, "unknown", r.Unknown, "refunds_retried", r.Refunds.Retried)
			}
		}
	}
}

// sweepRefunds retries owed refunds whose next attempt is due every half minute: a
// refund the payment provider could not issue stays owed in the store, and this is
// what tries it again, with the same idempotency key, until the provider answers.
func (s *Server) sweepRefunds(ctx context.Context) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if r, err := s.App.Payments.RetryRefunds(ctx, 100); err != nil {
				s.Logger.Warn("refund sweep failed", "err", err)
			} else if r.Retried > 0 {
				s.Logger.Info("refunds retried", "retried", r.Retried, "issued", r.Issued, "attention", r.Attention, "owed", r.Owed)
			}
		}
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
	l1, err := bigcache.New(bigcache.Config{MaxSizeMB: 256})
	if err != nil {
		return nil, nil, err
	}
	if cfg.RedisURL == "" {
		return l1, func() { _ = l1.Close() }, nil
	}
	rdb, err := redis.Open(cfg.RedisURL)
	if err != nil {
		_ = l1.Close()
		return nil, nil, fmt.Errorf("MATCHPOINT_REDIS_URL: %w", err)
	}
	c, err := tiered.New(tiered.Config{L1: l1, L2: redis.New(rdb, redis.Config{Prefix: "mp:"}), Family: app.CacheFamily, Logger: log})
	if err != nil {
		_ = rdb.Close()
		_ = l1.Close()
		return nil, nil, err
	}
	// Start without Redis if need be: the cache then serves from L1 and the database
	// until the subscription comes up.
	wait, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := c.WaitSubscribed(wait); err != nil {
		log.Warn("cache: Redis does not answer yet; starting without it", "err", err)
	}
	return c, func() {
		_ = c.Close()
		_ = rdb.Close()
		_ = l1.Close()
	}, nil
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
	if cfg.SMTPURL == "" {
		return box, nil
	}
	return smtp.New(smtp.Config{URL: cfg.SMTPURL, From: cfg.SMTPFrom})
}

func provideSandboxConfig(cfg Config, url PublicURL, clock ports.Clock, ids ports.IDs, log *slog.Logger) sandbox.Config {
	return sandbox.Config{
		BaseURL:    string(url),
		WebhookURL: string(url) + "/v1/webhooks/sandbox",
		Secret:     string(cfg.SandboxSecret),
		Client:     &http.Client{Timeout: 10 * time.Second},
		Clock:      clock,
		IDs:        ids,
		Logger:     log,
	}
}

func provideHTTPConfig(log *slog.Logger, gw *sandbox.Gateway, ready Readiness) httpapi.Config {
	return httpapi.Config{Logger: log, Extra: gw.Handler(), Ready: ready}
}
