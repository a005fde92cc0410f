package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/matchpoint/matchpoint/adapters/notify/smtp"
)

// Config is the example server's configuration, read from MATCHPOINT_* variables.
// The zero environment runs the demo: the embedded default adapters and a seeded club.
type Config struct {
	// HTTPAddr is where the server listens (MATCHPOINT_HTTP_ADDR, default 127.0.0.1:8080).
	HTTPAddr string
	// PublicURL is how customers reach the server, used in checkout links
	// (MATCHPOINT_PUBLIC_URL; default: http:// and the address the server listens on).
	PublicURL string
	// TokenSecret keys customers' access tokens; every instance must share it
	// (MATCHPOINT_TOKEN_SECRET, at least 32 bytes; default: random for this process).
	TokenSecret []byte
	// SandboxSecret signs the sandbox gateway's webhooks (MATCHPOINT_SANDBOX_SECRET;
	// default: random for this process).
	SandboxSecret []byte
	// Seed creates the demo club at start when it does not exist (MATCHPOINT_SEED, default true).
	Seed bool
	// DatabaseURL selects the Postgres store (MATCHPOINT_DATABASE_URL, a postgres:// URL);
	// empty runs on the memory store.
	DatabaseURL string
	// ReplicaURLs are streaming read replicas of the database
	// (MATCHPOINT_DATABASE_REPLICA_URLS, postgres:// URLs separated by commas). Public
	// availability, quotes and the admin lists read from them once they have replayed
	// the primary's latest writes; every other read and every write goes to the primary.
	ReplicaURLs []string
	// RedisURL selects the two-tier cache: an in-process L1 in front of this Redis,
	// shared by every instance (MATCHPOINT_REDIS_URL, a redis:// URL); empty keeps the
	// in-process cache alone, right for a single instance.
	RedisURL string
	// SMTPURL sends customers' email through this SMTP server (MATCHPOINT_SMTP_URL:
	// smtp://user:pass@host:587, STARTTLS required unless ?starttls=opportunistic or
	// off; smtps:// for implicit TLS); empty keeps the messages in the in-process
	// outbox, which the log shows.
	SMTPURL string
	// SMTPFrom is the sender of customers' email (MATCHPOINT_SMTP_FROM, default
	// "Match Point <bookings@localhost>").
	SMTPFrom string
	// Payments are the payment gateways and the clubs that use them (see
	// PaymentsConfig); by default every club uses the sandbox.
	Payments PaymentsConfig
	// Worker says where the job workers run (MATCHPOINT_WORKER): WorkerEmbedded (the
	// default) runs them, and the periodic sweeps, in this process; WorkerOff runs none:
	// the server only enqueues, into the database, for `worker` processes
	// (examples/worker) to run. Off needs MATCHPOINT_DATABASE_URL.
	Worker WorkerMode
	// QueuePollOnly keeps the River queue off LISTEN/NOTIFY (MATCHPOINT_QUEUE_POLL_ONLY,
	// default false): set it when MATCHPOINT_DATABASE_URL goes through PgBouncer in
	// transaction pooling mode.
	QueuePollOnly bool
	// MigrateAtStart applies the database migrations when the server starts
	// (MATCHPOINT_MIGRATE=auto); otherwise run `server migrate` before starting.
	MigrateAtStart bool
	// LogLevel is debug, info, warn or error (MATCHPOINT_LOG_LEVEL, default info).
	LogLevel slog.Level
	// ShutdownTimeout bounds a graceful shutdown (MATCHPOINT_SHUTDOWN_TIMEOUT, default 10s).
	ShutdownTimeout time.Duration

	// HTTP bounds the HTTP server's connections: how long a client may take and how
	// many connections it may hold (MATCHPOINT_HTTP_*_TIMEOUT, MATCHPOINT_HTTP_MAX_CONNS).
	HTTP HTTPLimits
	// DBMaxConns bounds the connections the server opens to the database, and to each
	// replica (MATCHPOINT_DATABASE_MAX_CONNS; default 4×GOMAXPROCS, between 4 and 32,
	// well under PostgreSQL's default max_connections of 100). A request that finds
	// every connection busy waits for one while it may.
	DBMaxConns int
	// DBMaxIdleConns is how many connections stay open while idle
	// (MATCHPOINT_DATABASE_MAX_IDLE_CONNS, 0 to DBMaxConns; default DBMaxConns).
	DBMaxIdleConns int
	// DBConnMaxLifetime closes connections older than it, so that the pool spreads over
	// servers as they come and go (MATCHPOINT_DATABASE_CONN_MAX_LIFETIME; default 30m;
	// 0 keeps them).
	DBConnMaxLifetime time.Duration
	// DBConnMaxIdleTime closes connections idle for longer than it, so that the pool
	// shrinks after a burst (MATCHPOINT_DATABASE_CONN_MAX_IDLE_TIME; default 5m; 0 keeps
	// them).
	DBConnMaxIdleTime time.Duration
}

// WorkerMode says where a server's job workers run.
type WorkerMode string

// The values of MATCHPOINT_WORKER.
const (
	WorkerEmbedded WorkerMode = "embedded" // in the server's process
	WorkerOff      WorkerMode = "off"      // in other processes (examples/worker): the server only enqueues
)

// LoadConfig reads the configuration from getenv; an error names the bad variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		HTTPAddr:        "127.0.0.1:8080",
		Seed:            true,
		LogLevel:        slog.LevelInfo,
		ShutdownTimeout: 10 * time.Second,
	}
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
	if v := getenv("MATCHPOINT_SEED"); v != "" {
		if c.Seed, err = strconv.ParseBool(v); err != nil {
			return Config{}, fmt.Errorf("MATCHPOINT_SEED=%q: want true or false", v)
		}
	}
	if v := getenv("MATCHPOINT_DATABASE_URL"); v != "" {
		if !strings.HasPrefix(v, "postgres://") && !strings.HasPrefix(v, "postgresql://") {
			return Config{}, fmt.Errorf("MATCHPOINT_DATABASE_URL: want a postgres:// URL")
		}
		c.DatabaseURL = v
	}
	if v := getenv("MATCHPOINT_DATABASE_REPLICA_URLS"); v != "" {
		if c.DatabaseURL == "" {
			return Config{}, fmt.Errorf("MATCHPOINT_DATABASE_REPLICA_URLS: set MATCHPOINT_DATABASE_URL too")
		}
		for u := range strings.SplitSeq(v, ",") {
			u = strings.TrimSpace(u)
			if !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
				return Config{}, fmt.Errorf("MATCHPOINT_DATABASE_REPLICA_URLS: want postgres:// URLs separated by commas")
			}
			c.ReplicaURLs = append(c.ReplicaURLs, u)
		}
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
	switch v := WorkerMode(getenv("MATCHPOINT_WORKER")); v {
	case "", WorkerEmbedded:
		c.Worker = WorkerEmbedded
	case WorkerOff:
		if c.DatabaseURL == "" {
			return Config{}, fmt.Errorf("MATCHPOINT_WORKER=off: the memory store lives in this process, so its jobs can only run here; set MATCHPOINT_DATABASE_URL, or MATCHPOINT_WORKER=embedded")
		}
		c.Worker = WorkerOff
	default:
		return Config{}, fmt.Errorf("MATCHPOINT_WORKER=%q: want embedded or off", v)
	}
	if v := getenv("MATCHPOINT_QUEUE_POLL_ONLY"); v != "" {
		if c.QueuePollOnly, err = strconv.ParseBool(v); err != nil {
			return Config{}, fmt.Errorf("MATCHPOINT_QUEUE_POLL_ONLY=%q: want true or false", v)
		}
	}
	switch v := getenv("MATCHPOINT_MIGRATE"); v {
	case "", "off":
	case "auto":
		c.MigrateAtStart = true
	default:
		return Config{}, fmt.Errorf("MATCHPOINT_MIGRATE=%q: want auto or off", v)
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
	if c.HTTP, err = loadHTTPLimits(getenv); err != nil {
		return Config{}, err
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

// FromEnv is LoadConfig over the process environment.
func FromEnv() (Config, error) { return LoadConfig(os.Getenv) }

// HTTPLimits bound the HTTP server's connections, so that clients that are slow, idle
// or merely many cannot hold every file descriptor and goroutine of the process. A
// zero field takes its default.
type HTTPLimits struct {
	// ReadHeaderTimeout bounds reading a request's headers
	// (MATCHPOINT_HTTP_READ_HEADER_TIMEOUT, default 10s).
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, its body included
	// (MATCHPOINT_HTTP_READ_TIMEOUT, default 30s): a body trickled in is cut off.
	ReadTimeout time.Duration
	// WriteTimeout bounds a request from the end of its headers to the end of its
	// response (MATCHPOINT_HTTP_WRITE_TIMEOUT, default 30s); it must leave room for a
	// payment provider's answer.
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection left idle this long
	// (MATCHPOINT_HTTP_IDLE_TIMEOUT, default 60s).
	IdleTimeout time.Duration
	// MaxConns caps the connections served at once (MATCHPOINT_HTTP_MAX_CONNS, default
	// 4096); more wait in the listen backlog until others close. Keep it below the
	// process's open-file limit less the database pools.
	MaxConns int
}

// DefaultHTTPLimits are the limits of an unconfigured server.
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

// loadHTTPLimits reads the MATCHPOINT_HTTP_* limits; an error names the bad variable.
func loadHTTPLimits(getenv func(string) string) (HTTPLimits, error) {
	l := DefaultHTTPLimits
	for _, f := range []struct {
		name string
		d    *time.Duration
	}{
		{"MATCHPOINT_HTTP_READ_HEADER_TIMEOUT", &l.ReadHeaderTimeout},
		{"MATCHPOINT_HTTP_READ_TIMEOUT", &l.ReadTimeout},
		{"MATCHPOINT_HTTP_WRITE_TIMEOUT", &l.WriteTimeout},
		{"MATCHPOINT_HTTP_IDLE_TIMEOUT", &l.IdleTimeout},
	} {
		if v := getenv(f.name); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil || t <= 0 {
				return HTTPLimits{}, fmt.Errorf("%s=%q: want a positive duration such as 30s", f.name, v)
			}
			*f.d = t
		}
	}
	if v := getenv("MATCHPOINT_HTTP_MAX_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return HTTPLimits{}, fmt.Errorf("MATCHPOINT_HTTP_MAX_CONNS=%q: want a positive whole number such as 4096", v)
		}
		l.MaxConns = n
	}
	return l, nil
}
