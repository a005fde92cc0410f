package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/matchpoint/matchpoint/examples/internal/compose"
	"github.com/matchpoint/matchpoint/examples/internal/envconf"
)

// Config is the worker's configuration, read from the MATCHPOINT_* variables the
// example server reads: a worker runs the jobs of the servers on the same database,
// with the same cache, mail and payment settings. The fields and their tags are the
// server's (examples/server/config.go) cut to what a worker uses, the payment
// variables being compose.PaymentVars; `worker -h` lists them (see
// examples/internal/envconf).
type Config struct {
	// HTTPAddr is where /healthz and /readyz are served.
	HTTPAddr string `env:"MATCHPOINT_HTTP_ADDR" envDefault:"127.0.0.1:8081" help:"where /healthz and /readyz are served"`
	// MetricsAddr is where /metrics (Prometheus) is served when not on HTTPAddr's
	// listener: an address of its own keeps the metrics off a public port.
	MetricsAddr string `env:"MATCHPOINT_METRICS_ADDR" default:"none: on MATCHPOINT_HTTP_ADDR" want:"a host:port address" help:"where /metrics (Prometheus) is served, if not on MATCHPOINT_HTTP_ADDR"`
	// PublicURL is how customers reach the servers, which the payment gateways are
	// told, without a trailing slash.
	PublicURL string `env:"MATCHPOINT_PUBLIC_URL" envDefault:"http://127.0.0.1:8080" want:"an http:// or https:// URL" help:"how customers reach the servers (checkout links, webhook URL)"`
	// TokenSecret keys customers' access tokens; every instance must share it. At
	// least 32 bytes; unset, random for this process.
	TokenSecret []byte `env:"MATCHPOINT_TOKEN_SECRET" default:"random per process" secret:"true" want:"at least 32 characters" help:"key of the customers' access tokens, at least 32 characters; every instance must share it"`
	// SandboxSecret signs the sandbox gateway's webhooks; unset, random for this process.
	SandboxSecret []byte `env:"MATCHPOINT_SANDBOX_SECRET" default:"random per process" secret:"true" want:"at least 32 characters" help:"HMAC key of the sandbox gateway's webhooks, at least 32 characters"`
	// DatabaseURL is the servers' Postgres database, whose jobs the worker runs (a
	// postgres:// URL; required).
	DatabaseURL string `env:"MATCHPOINT_DATABASE_URL" default:"required" secret:"true" want:"a postgres:// URL" help:"the servers' Postgres database, a postgres:// URL, migrated"`
	// DBMaxConns bounds the connections the worker opens to the database (unset: 4×GOMAXPROCS, between 4 and 32, well under PostgreSQL's default
	// max_connections of 100). A request that finds every connection busy waits for one
	// while it may.
	DBMaxConns int `env:"MATCHPOINT_DATABASE_MAX_CONNS" default:"4 × GOMAXPROCS, within 4–32" want:"a positive whole number" help:"most connections the worker opens to the database"`
	// DBMaxIdleConns is how many connections stay open while idle (0 to DBMaxConns;
	// unset: DBMaxConns).
	DBMaxIdleConns int `env:"MATCHPOINT_DATABASE_MAX_IDLE_CONNS" default:"MATCHPOINT_DATABASE_MAX_CONNS" want:"a whole number from 0 to MATCHPOINT_DATABASE_MAX_CONNS" help:"connections kept open while idle, from 0 to the maximum"`
	// DBConnMaxLifetime closes connections older than it, so that the pool spreads over
	// servers as they come and go (0 keeps them).
	DBConnMaxLifetime time.Duration `env:"MATCHPOINT_DATABASE_CONN_MAX_LIFETIME" envDefault:"30m" want:"a duration such as 30m, or 0 for no limit" help:"close connections older than this; 0 keeps them"`
	// DBConnMaxIdleTime closes connections idle for longer than it, so that the pool
	// shrinks after a burst (0 keeps them).
	DBConnMaxIdleTime time.Duration `env:"MATCHPOINT_DATABASE_CONN_MAX_IDLE_TIME" envDefault:"5m" want:"a duration such as 30m, or 0 for no limit" help:"close connections idle for longer than this; 0 keeps them"`
	// RedisURL selects the two-tier cache: an in-process L1 in front of this Redis,
	// shared by every instance (a redis:// URL); empty keeps the in-process cache
	// alone, right for a single instance.
	RedisURL string `env:"MATCHPOINT_REDIS_URL" default:"none: in-process cache" secret:"true" want:"a redis:// URL" help:"a redis:// URL: the two-tier cache, an in-process L1 in front of this Redis"`
	// SMTPURL sends customers' email through this SMTP server
	// (smtp://user:pass@host:587, STARTTLS required unless ?starttls=opportunistic or
	// off; smtps:// for implicit TLS); empty keeps the messages in the in-process
	// outbox, which the log shows.
	SMTPURL string `env:"MATCHPOINT_SMTP_URL" default:"none: messages kept in the in-process outbox and logged" secret:"true" help:"customers' email by SMTP: smtp://user:pass@host:587 (STARTTLS; ?starttls=opportunistic or off), smtps://…:465"`
	// SMTPFrom is the sender of customers' email.
	SMTPFrom string `env:"MATCHPOINT_SMTP_FROM" envDefault:"Match Point <bookings@localhost>" help:"the sender of customers' email"`
	// SentryDSN sends error reports to Sentry too, scrubbed of secrets; empty keeps
	// them in the log alone.
	SentryDSN string `env:"MATCHPOINT_SENTRY_DSN" default:"none: error reports go to the log only" secret:"true" want:"a Sentry DSN, https://key@host/project" help:"a Sentry DSN: error reports go to Sentry too, scrubbed of secrets"`
	// SentryEnvironment names the deployment in Sentry's reports.
	SentryEnvironment string `env:"MATCHPOINT_SENTRY_ENVIRONMENT" envDefault:"production" help:"the deployment's name in Sentry's reports"`
	// PaymentVars are the payment variables as set; Payments is what they configure.
	PaymentVars compose.PaymentVars
	// Payments are the payment gateways and the clubs that use them (see
	// compose.PaymentsConfig); by default every club uses the sandbox.
	Payments compose.PaymentsConfig `env:"-"`
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
	// ShutdownTimeout bounds how long running jobs may take to finish once the worker
	// is told to stop.
	ShutdownTimeout time.Duration `env:"MATCHPOINT_SHUTDOWN_TIMEOUT" envDefault:"10s" want:"a positive duration such as 10s" help:"how long running jobs may take to finish once the worker is told to stop"`
}

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

// check applies the rules the variables' types do not carry, as the server's, and
// fills the defaults computed after parsing.
func (c *Config) check(e envconf.Environment) error {
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return fmt.Errorf("MATCHPOINT_LOG_FORMAT=%q: want json or text", c.LogFormat)
	}
	switch {
	case c.DatabaseURL == "":
		return fmt.Errorf("MATCHPOINT_DATABASE_URL is not set: a worker runs the jobs of the servers' Postgres database")
	case !compose.IsPostgresURL(c.DatabaseURL):
		return e.Bad("DatabaseURL")
	}
	if !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		return e.Bad("PublicURL")
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	var err error
	if c.TokenSecret, err = envconf.Secret(c.TokenSecret, e, "TokenSecret"); err != nil {
		return err
	}
	if c.SandboxSecret, err = envconf.Secret(c.SandboxSecret, e, "SandboxSecret"); err != nil {
		return err
	}
	if err := compose.CheckServices(e, c.RedisURL, c.SentryDSN, c.SentryEnvironment, c.SMTPURL, c.SMTPFrom); err != nil {
		return err
	}
	if c.Payments, err = compose.LoadPayments(c.PaymentVars); err != nil {
		return err
	}
	if c.ShutdownTimeout <= 0 {
		return e.Bad("ShutdownTimeout")
	}
	return compose.CheckDBPool(e, &c.DBMaxConns, &c.DBMaxIdleConns, c.DBConnMaxLifetime, c.DBConnMaxIdleTime)
}

// newLogger returns the logger of cfg's level and format, writing to w; every line
// logged while serving a request carries the request's id (httpapi.LogHandler).
func newLogger(cfg Config, w io.Writer) *slog.Logger {
	return compose.NewLogger(cfg.LogLevel, cfg.LogFormat, w)
}
