package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/matchpoint/matchpoint/adapters/notify/smtp"
)

// Config is the function's configuration, read from the MATCHPOINT_* variables the
// example server reads, with the same meaning (see README.md, "Configuration"). Only
// those that concern the jobs are read: the database, the cache, email, the payment
// gateways and the secrets. The examples may not import one another, so this is a
// copy of the server's rules for those variables, not a shared package.
type Config struct {
	// DatabaseURL is the server's Postgres database (MATCHPOINT_DATABASE_URL, a
	// postgres:// URL). Required: the function keeps nothing of its own. Its schema
	// must be migrated (`server migrate`); the function never migrates it.
	DatabaseURL string
	// DBMaxConns bounds the connections each running copy of the function opens
	// (MATCHPOINT_DATABASE_MAX_CONNS, default 2: a copy handles one event at a time).
	DBMaxConns int
	// PublicURL is how customers reach the server (MATCHPOINT_PUBLIC_URL, default
	// http://127.0.0.1:8080), for the links and webhook addresses the gateways are
	// configured with.
	PublicURL string
	// TokenSecret keys customers' access tokens, shared with the servers
	// (MATCHPOINT_TOKEN_SECRET, at least 32 bytes; default: random for this copy).
	TokenSecret []byte
	// SandboxSecret signs the sandbox gateway's webhooks (MATCHPOINT_SANDBOX_SECRET;
	// default: random for this copy).
	SandboxSecret []byte
	// RedisURL is the Redis of the servers' two-tier cache (MATCHPOINT_REDIS_URL): with
	// it, what the jobs change is invalidated in every server's cache at once; without
	// it the servers see those changes when their cached entries expire.
	RedisURL string
	// SMTPURL sends customers' email through this SMTP server (MATCHPOINT_SMTP_URL);
	// empty keeps the messages in the in-process outbox, which the log shows.
	SMTPURL string
	// SMTPFrom is the sender of customers' email (MATCHPOINT_SMTP_FROM, default
	// "Match Point <bookings@localhost>").
	SMTPFrom string
	// Payments are the payment gateways and the clubs that use them
	// (MATCHPOINT_GATEWAYS_FILE, MATCHPOINT_STRIPE_*, MATCHPOINT_MERCADOPAGO_*,
	// MATCHPOINT_CLUB_GATEWAYS, MATCHPOINT_DEFAULT_GATEWAY); by default every club uses
	// the sandbox.
	Payments PaymentsConfig
	// LogLevel is debug, info, warn or error (MATCHPOINT_LOG_LEVEL, default info).
	LogLevel slog.Level
}

// defaultDBMaxConns is the pool bound when MATCHPOINT_DATABASE_MAX_CONNS is not set.
const defaultDBMaxConns = 2

// defaultPublicURL is the example server's address when MATCHPOINT_PUBLIC_URL is not set.
const defaultPublicURL = "http://127.0.0.1:8080"

// LoadConfig reads the configuration from getenv; an error names the bad variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{DBMaxConns: defaultDBMaxConns, PublicURL: defaultPublicURL, LogLevel: slog.LevelInfo}
	v := getenv("MATCHPOINT_DATABASE_URL")
	switch {
	case v == "":
		return Config{}, fmt.Errorf("MATCHPOINT_DATABASE_URL is not set: the jobs run on the server's Postgres database")
	case !strings.HasPrefix(v, "postgres://") && !strings.HasPrefix(v, "postgresql://"):
		return Config{}, fmt.Errorf("MATCHPOINT_DATABASE_URL: want a postgres:// URL")
	}
	c.DatabaseURL = v
	if v := getenv("MATCHPOINT_DATABASE_MAX_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return Config{}, fmt.Errorf("MATCHPOINT_DATABASE_MAX_CONNS=%q: want a positive whole number", v)
		}
		c.DBMaxConns = n
	}
	if v := getenv("MATCHPOINT_PUBLIC_URL"); v != "" {
		if !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
			return Config{}, fmt.Errorf("MATCHPOINT_PUBLIC_URL=%q: want an http:// or https:// URL", v)
		}
		c.PublicURL = strings.TrimSuffix(v, "/")
	}
	var err error
	if c.TokenSecret, err = secret(getenv, "MATCHPOINT_TOKEN_SECRET"); err != nil {
		return Config{}, err
	}
	if c.SandboxSecret, err = secret(getenv, "MATCHPOINT_SANDBOX_SECRET"); err != nil {
		return Config{}, err
	}
	if v := getenv("MATCHPOINT_REDIS_URL"); v != "" {
		if !strings.HasPrefix(v, "redis://") && !strings.HasPrefix(v, "rediss://") && !strings.HasPrefix(v, "unix://") {
			return Config{}, fmt.Errorf("MATCHPOINT_REDIS_URL: want a redis:// URL")
		}
		c.RedisURL = v
	}
	c.SMTPURL, c.SMTPFrom = getenv("MATCHPOINT_SMTP_URL"), getenv("MATCHPOINT_SMTP_FROM")
	if c.SMTPFrom == "" {
		c.SMTPFrom = "Match Point <bookings@localhost>"
	}
	if c.SMTPURL != "" {
		if _, err := smtp.New(smtp.Config{URL: c.SMTPURL, From: c.SMTPFrom}); err != nil {
			return Config{}, fmt.Errorf("MATCHPOINT_SMTP_URL or MATCHPOINT_SMTP_FROM: %w", err)
		}
	}
	if c.Payments, err = loadPayments(getenv); err != nil {
		return Config{}, err
	}
	if v := getenv("MATCHPOINT_LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return Config{}, fmt.Errorf("MATCHPOINT_LOG_LEVEL=%q: want debug, info, warn or error", v)
		}
	}
	return c, nil
}

// secret reads a secret of at least 32 bytes, or makes a random one for this process.
func secret(getenv func(string) string, name string) ([]byte, error) {
	v := getenv(name)
	if v == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		return []byte(base64.RawURLEncoding.EncodeToString(b)), nil
	}
	if len(v) < 32 {
		return nil, fmt.Errorf("%s: want at least 32 characters", name)
	}
	return []byte(v), nil
}

// FromEnv is LoadConfig over the process environment.
func FromEnv() (Config, error) { return LoadConfig(os.Getenv) }
