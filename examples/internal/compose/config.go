package compose

import (
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/matchpoint/matchpoint/adapters/notify/smtp"
	"github.com/matchpoint/matchpoint/adapters/sentry"
	"github.com/matchpoint/matchpoint/examples/internal/envconf"
)

// The checks below serve the examples' Config structs, read by envconf: they name the
// struct fields they check (RedisURL, DBMaxConns and so on), which every example's
// Config must therefore spell alike.

// IsPostgresURL says whether u is a postgres:// or postgresql:// URL.
func IsPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// CheckServices checks the addresses of the services an example may use: redisURL
// (field RedisURL, a redis://, rediss:// or unix:// URL, or empty), the Sentry DSN and
// environment, and the SMTP URL and sender, each as its adapter would take it. An
// error names the variable.
func CheckServices(e envconf.Environment, redisURL, sentryDSN, sentryEnvironment, smtpURL, smtpFrom string) error {
	if redisURL != "" && !strings.HasPrefix(redisURL, "redis://") && !strings.HasPrefix(redisURL, "rediss://") && !strings.HasPrefix(redisURL, "unix://") {
		return e.Bad("RedisURL")
	}
	if sentryDSN != "" {
		r, err := sentry.New(sentry.Config{DSN: sentryDSN, Environment: sentryEnvironment})
		if err != nil {
			return fmt.Errorf("MATCHPOINT_SENTRY_DSN: %w", err)
		}
		r.Close()
	}
	if smtpURL != "" {
		if _, err := smtp.New(smtp.Config{URL: smtpURL, From: smtpFrom}); err != nil {
			return fmt.Errorf("MATCHPOINT_SMTP_URL or MATCHPOINT_SMTP_FROM: %w", err)
		}
	}
	return nil
}

// DefaultDBMaxConns is the pool bound when MATCHPOINT_DATABASE_MAX_CONNS is not set:
// four connections per CPU the process may use, at least 4 and at most 32, so that a
// few instances stay well under PostgreSQL's default max_connections of 100.
func DefaultDBMaxConns() int { return min(max(4*runtime.GOMAXPROCS(0), 4), 32) }

// CheckDBPool checks the database pool's settings (fields DBMaxConns, DBMaxIdleConns,
// DBConnMaxLifetime, DBConnMaxIdleTime) and fills the defaults of the two bounds left
// unset: DefaultDBMaxConns, and idle connections up to the bound.
func CheckDBPool(e envconf.Environment, maxConns, maxIdleConns *int, maxLifetime, maxIdleTime time.Duration) error {
	if !e.IsSet("DBMaxConns") {
		*maxConns = DefaultDBMaxConns()
	} else if *maxConns < 1 {
		return e.Bad("DBMaxConns")
	}
	if !e.IsSet("DBMaxIdleConns") {
		*maxIdleConns = *maxConns
	} else if *maxIdleConns < 0 || *maxIdleConns > *maxConns {
		return fmt.Errorf("%w (%d)", e.Bad("DBMaxIdleConns"), *maxConns)
	}
	if maxLifetime < 0 {
		return e.Bad("DBConnMaxLifetime")
	}
	if maxIdleTime < 0 {
		return e.Bad("DBConnMaxIdleTime")
	}
	return nil
}
