package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/matchpoint/matchpoint/examples/internal/compose"
	"github.com/matchpoint/matchpoint/examples/internal/envconf"
)

// Config is the example server's configuration, read from MATCHPOINT_* variables: each
// field's tags name its variable, its default and its meaning (see examples/internal/envconf), from
// which `server -h` lists them; README.md's table is tested against them. The zero
// environment runs the demo: the embedded default adapters and a seeded club.
type Config struct {
	// HTTPAddr is where the server listens.
	HTTPAddr string `env:"MATCHPOINT_HTTP_ADDR" envDefault:"127.0.0.1:8080" help:"where the server listens"`
	// MetricsAddr is where /metrics (Prometheus) is served when not on HTTPAddr's
	// listener: an address of its own keeps the metrics off a public port.
	MetricsAddr string `env:"MATCHPOINT_METRICS_ADDR" default:"none: on MATCHPOINT_HTTP_ADDR" want:"a host:port address" help:"where /metrics (Prometheus) is served, if not on MATCHPOINT_HTTP_ADDR"`
	// PublicURL is how customers reach the server, used in checkout links, without a
	// trailing slash; empty means http:// and the address the server listens on.
	PublicURL string `env:"MATCHPOINT_PUBLIC_URL" default:"http:// + the listening address" want:"an http:// or https:// URL" help:"how customers reach the server (checkout links, webhook URL)"`
	// TokenSecret keys customers' access tokens; every instance must share it. At
	// least 32 bytes; unset, random for this process.
	TokenSecret []byte `env:"MATCHPOINT_TOKEN_SECRET" default:"random per process" secret:"true" want:"at least 32 characters" help:"key of the customers' access tokens, at least 32 characters; every instance must share it"`
	// SandboxSecret signs the sandbox gateway's webhooks; unset, random for this process.
	SandboxSecret []byte `env:"MATCHPOINT_SANDBOX_SECRET" default:"random per process" secret:"true" want:"at least 32 characters" help:"HMAC key of the sandbox gateway's webhooks, at least 32 characters"`
	// Seed creates the demo club at start when it does not exist.
	Seed bool `env:"MATCHPOINT_SEED" envDefault:"true" want:"true or false" help:"create the demo club at start, unless it exists"`
	// DatabaseURL selects the Postgres store (a postgres:// URL); empty runs on the
	// memory store.
	DatabaseURL string `env:"MATCHPOINT_DATABASE_URL" default:"none: memory store" secret:"true" want:"a postgres:// URL" help:"a postgres:// URL: keep the data in Postgres"`
	// ReplicaURLs are streaming read replicas of the database (postgres:// URLs). Public
	// availability, quotes and the admin lists read from them once they have replayed
	// the primary's latest writes; every other read and every write goes to the primary.
	ReplicaURLs []string `env:"MATCHPOINT_DATABASE_REPLICA_URLS" envSeparator:"," secret:"true" want:"postgres:// URLs separated by commas" help:"streaming read replicas of that database, postgres:// URLs separated by commas"`
	// DBMaxConns bounds the connections the server opens to the database, and to each
	// replica (unset: 4×GOMAXPROCS, between 4 and 32, well under PostgreSQL's default
	// max_connections of 100). A request that finds every connection busy waits for one
	// while it may.
	DBMaxConns int `env:"MATCHPOINT_DATABASE_MAX_CONNS" default:"4 × GOMAXPROCS, within 4–32" want:"a positive whole number" help:"most connections the server opens to the database, and to each replica"`
	// DBMaxIdleConns is how many connections stay open while idle (0 to DBMaxConns;
	// unset: DBMaxConns).
	DBMaxIdleConns int `env:"MATCHPOINT_DATABASE_MAX_IDLE_CONNS" default:"MATCHPOINT_DATABASE_MAX_CONNS" want:"a whole number from 0 to MATCHPOINT_DATABASE_MAX_CONNS" help:"connections kept open while idle, from 0 to the maximum"`
	// DBConnMaxLifetime closes connections older than it, so that the pool spreads over
	// servers as they come and go (0 keeps them).
	DBConnMaxLifetime time.Duration `env:"MATCHPOINT_DATABASE_CONN_MAX_LIFETIME" envDefault:"30m" want:"a duration such as 30m, or 0 for no limit" help:"close connections older than this; 0 keeps them"`
	// DBConnMaxIdleTime closes connections idle for longer than it, so that the pool
	// shrinks after a burst (0 keeps them).
	DBConnMaxIdleTime time.Duration `env:"MATCHPOINT_DATABASE_CONN_MAX_IDLE_TIME" envDefault:"5m" want:"a duration such as 30m, or 0 for no limit" help:"close connections idle for longer than this; 0 keeps them"`
	// HTTP bounds the HTTP server's connections: how long a client may take and how
	// many connections it may hold.
	HTTP HTTPLimits
	// RedisURL selects the two-tier cache: an in-process L1 in front of this Redis,
	// shared by every instance (a redis:// URL); empty keeps the in-process cache
	// alone, right for a single instance.
	RedisURL string `env:"MATCHPOINT_REDIS_URL" default:"none: in-process cache" secret:"true" want:"a redis:// URL" help:"a redis:// URL: the two-tier cache, an in-process L1 in front of this Redis"`
	// CacheMB bounds the in-process cache (the L1 with Redis): what it holds past
	// this is dropped, oldest first, and read again from Redis or the store.
	CacheMB int `env:"MATCHPOINT_CACHE_MB" envDefault:"8" want:"a whole number of megabytes from 1 to 65536" help:"the in-process cache's size in megabytes (the L1 with MATCHPOINT_REDIS_URL)"`
	// RateLimits are the API's rate limits: on by default, shared through Redis with
	// MATCHPOINT_REDIS_URL.
	RateLimits RateLimitVars
	// SMTPURL sends customers' email through this SMTP server
	// (smtp://user:pass@host:587, STARTTLS required unless ?starttls=opportunistic or
	// off; smtps:// for implicit TLS); empty keeps the messages in the in-process
	// outbox, which the log shows.
	SMTPURL string `env:"MATCHPOINT_SMTP_URL" default:"none: messages kept in the in-process outbox and logged" secret:"true" help:"customers' email by SMTP: smtp://user:pass@host:587 (STARTTLS; ?starttls=opportunistic or off), smtps://…:465"`
	// SMTPFrom is the sender of customers' email.
	SMTPFrom string `env:"MATCHPOINT_SMTP_FROM" envDefault:"Match Point <bookings@localhost>" help:"the sender of customers' email"`
	// SentryDSN sends error reports — internal errors and panics of requests, refunds
	// refused, jobs that failed for good — to Sentry, scrubbed of secrets
	// (adapters/sentry); the log keeps them too. Empty keeps them in the log alone.
	SentryDSN string `env:"MATCHPOINT_SENTRY_DSN" default:"none: error reports go to the log only" secret:"true" want:"a Sentry DSN, https://key@host/project" help:"a Sentry DSN: error reports go to Sentry too, scrubbed of secrets"`
	// SentryEnvironment names the deployment in Sentry's reports.
	SentryEnvironment string `env:"MATCHPOINT_SENTRY_ENVIRONMENT" envDefault:"production" help:"the deployment's name in Sentry's reports"`
	// PaymentVars are the payment variables as set; Payments is what they configure.
	PaymentVars compose.PaymentVars
	// Payments are the payment gateways and the clubs that use them (see
	// compose.PaymentsConfig); by default every club uses the sandbox.
	Payments compose.PaymentsConfig `env:"-"`
	// Migrate is auto to apply the database migrations when the server starts, off
	// (the default) to expect them applied by `server migrate`; MigrateAtStart says
	// which.
	Migrate string `env:"MATCHPOINT_MIGRATE" envDefault:"off" want:"auto or off" help:"auto applies the database migrations at start; otherwise run server migrate first"`
	// MigrateAtStart applies the database migrations when the server starts
	// (MATCHPOINT_MIGRATE=auto).
	MigrateAtStart bool `env:"-"`
	// Worker says where the job workers run: WorkerEmbedded (the default) runs them,
	// and the periodic sweeps, in this process; WorkerOff runs none: the server only
	// enqueues, into the database, for `worker` processes (examples/worker) to run.
	// Off needs MATCHPOINT_DATABASE_URL.
	Worker WorkerMode `env:"MATCHPOINT_WORKER" envDefault:"embedded" want:"embedded or off" help:"where the background jobs run: embedded in this process; off runs none, for examples/worker processes (needs MATCHPOINT_DATABASE_URL)"`
	// QueuePollOnly keeps the River queue off LISTEN/NOTIFY: set it when
	// MATCHPOINT_DATABASE_URL goes through PgBouncer in transaction pooling mode.
	QueuePollOnly bool `env:"MATCHPOINT_QUEUE_POLL_ONLY" envDefault:"false" want:"true or false" help:"true keeps the job queue off LISTEN/NOTIFY, for PgBouncer in transaction mode"`
	// LogLevel is debug, info, warn or error.
	LogLevel slog.Level `env:"MATCHPOINT_LOG_LEVEL" envDefault:"info" want:"debug, info, warn or error" help:"debug, info, warn or error"`
	// LogFormat is json (one JSON object a line, for a log collector) or text (for
	// people; `make run` sets it).
	LogFormat string `env:"MATCHPOINT_LOG_FORMAT" envDefault:"json" want:"json or text" help:"json (one object a line, for a log collector) or text (for people)"`
	// Tracing is the OpenTelemetry tracing the standard OTEL_* variables configure
	// (compose.ReadTracingConfig): off unless they name an OTLP collector.
	Tracing compose.TracingConfig `env:"-"`
	// ShutdownTimeout bounds a graceful shutdown.
	ShutdownTimeout time.Duration `env:"MATCHPOINT_SHUTDOWN_TIMEOUT" envDefault:"10s" want:"a positive duration such as 10s" help:"how long a graceful shutdown (SIGINT, SIGTERM) may take"`
	// ShutdownDelay is how long a server told to stop goes on serving, unready
	// (/readyz answers 503), before it closes its listener: long enough for load
	// balancers to see it and send new requests elsewhere. ShutdownTimeout runs after it.
	ShutdownDelay time.Duration `env:"MATCHPOINT_SHUTDOWN_DELAY" envDefault:"5s" want:"a duration such as 5s, or 0 for none" help:"how long a server told to stop goes on serving while /readyz answers 503, before the shutdown"`
}

// WorkerMode says where a server's job workers run.
type WorkerMode string

// The values of MATCHPOINT_WORKER.
const (
	WorkerEmbedded WorkerMode = "embedded" // in the server's process
	WorkerOff      WorkerMode = "off"      // in other processes (examples/worker): the server only enqueues
)

// LoadConfig reads the configuration from getenv (an empty variable counts as unset)
// and checks it; an error names the bad variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	var c Config
	e, err := envconf.Read(getenv, &c)
	if err != nil {
		return Config{}, err
	}
	if err := c.check(e); err != nil {
		return Config{}, err
	}
	if c.Tracing, err = compose.ReadTracingConfig(getenv); err != nil {
		return Config{}, err
	}
	return c, nil
}

// check applies the rules the variables' types do not carry, and fills the defaults
// computed after parsing.
func (c *Config) check(e envconf.Environment) error {
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return fmt.Errorf("MATCHPOINT_LOG_FORMAT=%q: want json or text", c.LogFormat)
	}
	if c.PublicURL != "" {
		if !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
			return e.Bad("PublicURL")
		}
		c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	}
	var err error
	if c.TokenSecret, err = envconf.Secret(c.TokenSecret, e, "TokenSecret"); err != nil {
		return err
	}
	if c.SandboxSecret, err = envconf.Secret(c.SandboxSecret, e, "SandboxSecret"); err != nil {
		return err
	}
	if c.DatabaseURL != "" && !compose.IsPostgresURL(c.DatabaseURL) {
		return e.Bad("DatabaseURL")
	}
	if len(c.ReplicaURLs) > 0 {
		if c.DatabaseURL == "" {
			return fmt.Errorf("MATCHPOINT_DATABASE_REPLICA_URLS: set MATCHPOINT_DATABASE_URL too")
		}
		for i, u := range c.ReplicaURLs {
			if c.ReplicaURLs[i] = strings.TrimSpace(u); !compose.IsPostgresURL(c.ReplicaURLs[i]) {
				return e.Bad("ReplicaURLs")
			}
		}
	}
	if err := compose.CheckServices(e, c.RedisURL, c.SentryDSN, c.SentryEnvironment, c.SMTPURL, c.SMTPFrom); err != nil {
		return err
	}
	if c.CacheMB < 1 || c.CacheMB > maxCacheMB {
		return e.Bad("CacheMB")
	}
	if c.Payments, err = compose.LoadPayments(c.PaymentVars); err != nil {
		return err
	}
	switch c.Worker {
	case WorkerEmbedded:
	case WorkerOff:
		if c.DatabaseURL == "" {
			return fmt.Errorf("MATCHPOINT_WORKER=off: the memory store lives in this process, so its jobs can only run here; set MATCHPOINT_DATABASE_URL, or MATCHPOINT_WORKER=embedded")
		}
	default:
		return e.Bad("Worker")
	}
	switch c.Migrate {
	case "off":
	case "auto":
		c.MigrateAtStart = true
	default:
		return e.Bad("Migrate")
	}
	if c.ShutdownTimeout <= 0 {
		return e.Bad("ShutdownTimeout")
	}
	if c.ShutdownDelay < 0 {
		return e.Bad("ShutdownDelay")
	}
	if err := c.HTTP.check(e); err != nil {
		return err
	}
	if err := c.RateLimits.check(e); err != nil {
		return err
	}
	return compose.CheckDBPool(e, &c.DBMaxConns, &c.DBMaxIdleConns, c.DBConnMaxLifetime, c.DBConnMaxIdleTime)
}

// FromEnv is LoadConfig over the process environment.
func FromEnv() (Config, error) { return LoadConfig(os.Getenv) }

// HTTPLimits bound the HTTP server's connections, so that clients that are slow, idle
// or merely many cannot hold every file descriptor and goroutine of the process. A
// zero field takes its default.
type HTTPLimits struct {
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout time.Duration `env:"MATCHPOINT_HTTP_READ_HEADER_TIMEOUT" envDefault:"10s" want:"a positive duration such as 30s" help:"how long a client may take to send a request's headers"`
	// ReadTimeout bounds reading a whole request, its body included: a body trickled
	// in is cut off.
	ReadTimeout time.Duration `env:"MATCHPOINT_HTTP_READ_TIMEOUT" envDefault:"30s" want:"a positive duration such as 30s" help:"how long a client may take to send a whole request, body included"`
	// WriteTimeout bounds a request from the end of its headers to the end of its
	// response; it must leave room for a payment provider's answer.
	WriteTimeout time.Duration `env:"MATCHPOINT_HTTP_WRITE_TIMEOUT" envDefault:"30s" want:"a positive duration such as 30s" help:"how long a request may take from the end of its headers to the end of its response"`
	// IdleTimeout closes a keep-alive connection left idle this long.
	IdleTimeout time.Duration `env:"MATCHPOINT_HTTP_IDLE_TIMEOUT" envDefault:"60s" want:"a positive duration such as 30s" help:"how long an idle keep-alive connection stays open"`
	// MaxConns caps the connections served at once; more wait in the listen backlog
	// until others close. Keep it below the process's open-file limit less the
	// database pools.
	MaxConns int `env:"MATCHPOINT_HTTP_MAX_CONNS" envDefault:"4096" want:"a positive whole number such as 4096" help:"connections served at once; more wait in the listen backlog"`
}

// DefaultHTTPLimits are the limits of an unconfigured server (the envDefault tags of
// HTTPLimits).
var DefaultHTTPLimits = HTTPLimits{
	ReadHeaderTimeout: 10 * time.Second,
	ReadTimeout:       30 * time.Second,
	WriteTimeout:      30 * time.Second,
	IdleTimeout:       60 * time.Second,
	MaxConns:          4096,
}

// orDefaults fills l's zero fields from DefaultHTTPLimits.
func (l HTTPLimits) orDefaults() HTTPLimits {
	d := DefaultHTTPLimits
	for _, f := range []struct{ v, def *time.Duration }{
		{&l.ReadHeaderTimeout, &d.ReadHeaderTimeout}, {&l.ReadTimeout, &d.ReadTimeout},
		{&l.WriteTimeout, &d.WriteTimeout}, {&l.IdleTimeout, &d.IdleTimeout},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	if l.MaxConns <= 0 {
		l.MaxConns = d.MaxConns
	}
	return l
}

// maxCacheMB bounds MATCHPOINT_CACHE_MB: 64 GiB.
const maxCacheMB = 1 << 16

// check refuses limits read as zero or less: each must be positive.
func (l HTTPLimits) check(e envconf.Environment) error {
	for _, f := range []struct {
		field string
		ok    bool
	}{
		{"ReadHeaderTimeout", l.ReadHeaderTimeout > 0}, {"ReadTimeout", l.ReadTimeout > 0},
		{"WriteTimeout", l.WriteTimeout > 0}, {"IdleTimeout", l.IdleTimeout > 0},
		{"MaxConns", l.MaxConns > 0},
	} {
		if !f.ok {
			return e.Bad(f.field)
		}
	}
	return nil
}

// newLogger returns the logger of cfg's level and format, writing to w; every line
// logged while serving a request carries the request's id (httpapi.LogHandler).
func newLogger(cfg Config, w io.Writer) *slog.Logger {
	return compose.NewLogger(cfg.LogLevel, cfg.LogFormat, w)
}
