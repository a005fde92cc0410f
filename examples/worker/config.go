package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/matchpoint/matchpoint/adapters/notify/smtp"
)

// Config is the worker's configuration, read from the MATCHPOINT_* variables the
// example server reads: a worker runs the jobs of the servers on the same database,
// with the same cache, mail and payment settings. The reading is a copy of the
// server's (examples/server/config.go, gateways.go) cut to what a worker uses, since
// one example may not import another.
type Config struct {
	// HTTPAddr is where /healthz and /readyz are served (MATCHPOINT_HTTP_ADDR, default
	// 127.0.0.1:8081).
	HTTPAddr string
	// PublicURL is how customers reach the servers, which the payment gateways are told
	// (MATCHPOINT_PUBLIC_URL; default http://127.0.0.1:8080, the server's default).
	PublicURL string
	// TokenSecret keys customers' access tokens, as the servers' (MATCHPOINT_TOKEN_SECRET,
	// at least 32 bytes; default: random for this process, as a worker issues none).
	TokenSecret []byte
	// SandboxSecret signs the sandbox gateway's webhooks (MATCHPOINT_SANDBOX_SECRET;
	// default: random for this process).
	SandboxSecret []byte
	// DatabaseURL is the servers' Postgres database, whose jobs the worker runs
	// (MATCHPOINT_DATABASE_URL, a postgres:// URL; required).
	DatabaseURL string
	// RedisURL is the servers' Redis, for the two-tier cache whose invalidations every
	// instance shares (MATCHPOINT_REDIS_URL; empty: the in-process cache alone).
	RedisURL string
	// SMTPURL and SMTPFrom send customers' email (MATCHPOINT_SMTP_URL,
	// MATCHPOINT_SMTP_FROM), as in the server; empty keeps messages in the log's outbox.
	SMTPURL, SMTPFrom string
	// Payments are the payment gateways and the clubs that use them, as in the server.
	Payments PaymentsConfig
	// QueuePollOnly keeps River off LISTEN/NOTIFY (MATCHPOINT_QUEUE_POLL_ONLY), for
	// PgBouncer in transaction pooling mode.
	QueuePollOnly bool
	// LogLevel is debug, info, warn or error (MATCHPOINT_LOG_LEVEL, default info).
	LogLevel slog.Level
	// ShutdownTimeout bounds how long running jobs may take to finish once the worker
	// is told to stop (MATCHPOINT_SHUTDOWN_TIMEOUT, default 10s).
	ShutdownTimeout time.Duration
	// DBMaxConns, DBMaxIdleConns, DBConnMaxLifetime and DBConnMaxIdleTime bound the
	// database pool (MATCHPOINT_DATABASE_MAX_CONNS and its kin), as in the server.
	DBMaxConns, DBMaxIdleConns           int
	DBConnMaxLifetime, DBConnMaxIdleTime time.Duration
}

// variables are the environment variables the worker reads, for -h.
var variables = []string{
	"MATCHPOINT_DATABASE_URL (required)", "MATCHPOINT_HTTP_ADDR", "MATCHPOINT_PUBLIC_URL",
	"MATCHPOINT_TOKEN_SECRET", "MATCHPOINT_SANDBOX_SECRET", "MATCHPOINT_REDIS_URL",
	"MATCHPOINT_SMTP_URL", "MATCHPOINT_SMTP_FROM",
	"MATCHPOINT_GATEWAYS_FILE", "MATCHPOINT_STRIPE_SECRET_KEY", "MATCHPOINT_STRIPE_WEBHOOK_SECRET",
	"MATCHPOINT_STRIPE_API_URL", "MATCHPOINT_MERCADOPAGO_ACCESS_TOKEN", "MATCHPOINT_MERCADOPAGO_WEBHOOK_SECRET",
	"MATCHPOINT_MERCADOPAGO_API_URL", "MATCHPOINT_CLUB_GATEWAYS", "MATCHPOINT_DEFAULT_GATEWAY",
	"MATCHPOINT_QUEUE_POLL_ONLY", "MATCHPOINT_LOG_LEVEL", "MATCHPOINT_SHUTDOWN_TIMEOUT",
	"MATCHPOINT_DATABASE_MAX_CONNS", "MATCHPOINT_DATABASE_MAX_IDLE_CONNS",
	"MATCHPOINT_DATABASE_CONN_MAX_LIFETIME", "MATCHPOINT_DATABASE_CONN_MAX_IDLE_TIME",
}

// LoadConfig reads the configuration from getenv; an error names the bad variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		HTTPAddr:        "127.0.0.1:8081",
		PublicURL:       "http://127.0.0.1:8080",
		LogLevel:        slog.LevelInfo,
		ShutdownTimeout: 10 * time.Second,
	}
	v := getenv("MATCHPOINT_DATABASE_URL")
	switch {
	case v == "":
		return Config{}, fmt.Errorf("MATCHPOINT_DATABASE_URL is not set: a worker runs the jobs of the servers' Postgres database")
	case !strings.HasPrefix(v, "postgres://") && !strings.HasPrefix(v, "postgresql://"):
		return Config{}, fmt.Errorf("MATCHPOINT_DATABASE_URL: want a postgres:// URL")
	}
	c.DatabaseURL = v
	if v := getenv("MATCHPOINT_HTTP_ADDR"); v != "" {
		c.HTTPAddr = v
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
	if v := getenv("MATCHPOINT_QUEUE_POLL_ONLY"); v != "" {
		if c.QueuePollOnly, err = strconv.ParseBool(v); err != nil {
			return Config{}, fmt.Errorf("MATCHPOINT_QUEUE_POLL_ONLY=%q: want true or false", v)
		}
	}
	if v := getenv("MATCHPOINT_LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return Config{}, fmt.Errorf("MATCHPOINT_LOG_LEVEL=%q: want debug, info, warn or error", v)
		}
	}
	if v := getenv("MATCHPOINT_SHUTDOWN_TIMEOUT"); v != "" {
		if c.ShutdownTimeout, err = time.ParseDuration(v); err != nil || c.ShutdownTimeout <= 0 {
			return Config{}, fmt.Errorf("MATCHPOINT_SHUTDOWN_TIMEOUT=%q: want a positive duration such as 10s", v)
		}
	}
	if err := loadDatabasePool(getenv, &c); err != nil {
		return Config{}, err
	}
	return c, nil
}

// defaultDBMaxConns is the pool bound when MATCHPOINT_DATABASE_MAX_CONNS is not set:
// four connections per CPU the process may use, at least 4 and at most 32, so that a
// few instances stay well under PostgreSQL's default max_connections of 100.
func defaultDBMaxConns() int { return min(max(4*runtime.GOMAXPROCS(0), 4), 32) }

// loadDatabasePool reads the database pool's settings (MATCHPOINT_DATABASE_MAX_CONNS,
// MATCHPOINT_DATABASE_MAX_IDLE_CONNS, MATCHPOINT_DATABASE_CONN_MAX_LIFETIME,
// MATCHPOINT_DATABASE_CONN_MAX_IDLE_TIME) into c.
func loadDatabasePool(getenv func(string) string, c *Config) error {
	c.DBMaxConns = defaultDBMaxConns()
	c.DBConnMaxLifetime, c.DBConnMaxIdleTime = 30*time.Minute, 5*time.Minute
	if v := getenv("MATCHPOINT_DATABASE_MAX_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("MATCHPOINT_DATABASE_MAX_CONNS=%q: want a positive whole number", v)
		}
		c.DBMaxConns = n
	}
	c.DBMaxIdleConns = c.DBMaxConns
	if v := getenv("MATCHPOINT_DATABASE_MAX_IDLE_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > c.DBMaxConns {
			return fmt.Errorf("MATCHPOINT_DATABASE_MAX_IDLE_CONNS=%q: want a whole number from 0 to MATCHPOINT_DATABASE_MAX_CONNS (%d)", v, c.DBMaxConns)
		}
		c.DBMaxIdleConns = n
	}
	for _, d := range []struct {
		name string
		to   *time.Duration
	}{
		{"MATCHPOINT_DATABASE_CONN_MAX_LIFETIME", &c.DBConnMaxLifetime},
		{"MATCHPOINT_DATABASE_CONN_MAX_IDLE_TIME", &c.DBConnMaxIdleTime},
	} {
		if v := getenv(d.name); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil || t < 0 {
				return fmt.Errorf("%s=%q: want a duration such as 30m, or 0 for no limit", d.name, v)
			}
			*d.to = t
		}
	}
	return nil
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
