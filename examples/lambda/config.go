package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/matchpoint/matchpoint/examples/internal/compose"
	"github.com/matchpoint/matchpoint/examples/internal/envconf"
)

// Config is the function's configuration, read from the MATCHPOINT_* variables the
// example server reads, with the same meaning (see README.md, "Configuration"). Only
// those that concern the jobs are read: the database, the cache, email, the payment
// gateways and the secrets, read by examples/internal/envconf; the payment variables
// are compose.PaymentVars, as in the server.
type Config struct {
	// DatabaseURL is the server's Postgres database (a postgres:// URL). Required: the
	// function keeps nothing of its own. Its schema must be migrated (`server
	// migrate`); the function never migrates it.
	DatabaseURL string `env:"MATCHPOINT_DATABASE_URL" default:"required" secret:"true" want:"a postgres:// URL" help:"the servers' Postgres database, a postgres:// URL, migrated"`
	// DBMaxConns bounds the connections each running copy of the function opens (a
	// copy handles one event at a time).
	DBMaxConns int `env:"MATCHPOINT_DATABASE_MAX_CONNS" envDefault:"2" want:"a positive whole number" help:"most connections each copy of the function opens to the database"`
	// PublicURL is how customers reach the server, for the links and webhook addresses
	// the gateways are configured with, without a trailing slash.
	PublicURL string `env:"MATCHPOINT_PUBLIC_URL" envDefault:"http://127.0.0.1:8080" want:"an http:// or https:// URL" help:"how customers reach the servers (checkout links, webhook URL)"`
	// TokenSecret keys customers' access tokens; every instance must share it. At
	// least 32 bytes; unset, random for this process.
	TokenSecret []byte `env:"MATCHPOINT_TOKEN_SECRET" default:"random per process" secret:"true" want:"at least 32 characters" help:"key of the customers' access tokens, at least 32 characters; every instance must share it"`
	// SandboxSecret signs the sandbox gateway's webhooks; unset, random for this process.
	SandboxSecret []byte `env:"MATCHPOINT_SANDBOX_SECRET" default:"random per process" secret:"true" want:"at least 32 characters" help:"HMAC key of the sandbox gateway's webhooks, at least 32 characters"`
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
	// LogLevel is debug, info, warn or error.
	LogLevel slog.Level `env:"MATCHPOINT_LOG_LEVEL" envDefault:"info" want:"debug, info, warn or error" help:"debug, info, warn or error"`
}

// defaultDBMaxConns is the pool bound when MATCHPOINT_DATABASE_MAX_CONNS is not set
// (Config.DBMaxConns's envDefault), and of a Config not made by LoadConfig.
const defaultDBMaxConns = 2

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
	return c, nil
}

// check applies the rules the variables' types do not carry, as the server's.
func (c *Config) check(e envconf.Environment) error {
	switch {
	case c.DatabaseURL == "":
		return fmt.Errorf("MATCHPOINT_DATABASE_URL is not set: the jobs run on the server's Postgres database")
	case !compose.IsPostgresURL(c.DatabaseURL):
		return e.Bad("DatabaseURL")
	}
	if c.DBMaxConns < 1 {
		return e.Bad("DBMaxConns")
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
	c.Payments, err = compose.LoadPayments(c.PaymentVars)
	return err
}

// FromEnv is LoadConfig over the process environment.
func FromEnv() (Config, error) { return LoadConfig(os.Getenv) }
