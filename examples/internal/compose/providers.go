package compose

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/matchpoint/matchpoint/adapters/cache/bigcache"
	"github.com/matchpoint/matchpoint/adapters/cache/redis"
	"github.com/matchpoint/matchpoint/adapters/cache/tiered"
	"github.com/matchpoint/matchpoint/adapters/notify/outbox"
	"github.com/matchpoint/matchpoint/adapters/notify/smtp"
	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/adapters/sentry"
	"github.com/matchpoint/matchpoint/adapters/system"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/ports"
)

// Cache returns the in-process cache of at most l1SizeMB megabytes, or with redisURL
// (MATCHPOINT_REDIS_URL) the tiered cache: that cache as L1 in front of Redis, with
// invalidations shared by every process on the same Redis, so that what one changes is
// invalidated in the caches of all. The cleanup closes what it opened.
//
// The in-process cache keeps an entry at most l1Life: bigcache frees the bytes of an
// entry replaced (a day's value after each booking, under a new generation) only once
// the window has passed, so a window as short as the values written most often keeps
// its memory to what a minute writes.
func Cache(ctx context.Context, redisURL string, l1SizeMB int, log *slog.Logger) (ports.Cache, func(), error) {
	l1, err := bigcache.New(bigcache.Config{MaxSizeMB: l1SizeMB, LifeWindow: l1Life})
	if err != nil {
		return nil, nil, err
	}
	if redisURL == "" {
		return l1, func() { _ = l1.Close() }, nil
	}
	rdb, err := redis.Open(redisURL)
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

// l1Life is the in-process cache's window: the life of a day's availability in the
// cache (app.Config.DayCacheTTL's default), which a booking replaces.
const l1Life = time.Minute

// Notifier sends customers' email by SMTP when smtpURL (MATCHPOINT_SMTP_URL) is set,
// from the address from, and otherwise keeps the messages in box, which logs them.
func Notifier(smtpURL, from string, box *outbox.Outbox) (ports.Notifier, error) {
	if smtpURL == "" {
		return box, nil
	}
	return smtp.New(smtp.Config{URL: smtpURL, From: from})
}

// SandboxConfig configures the sandbox gateway at the public address url (its webhooks
// arrive at url/v1/webhooks/sandbox), signing with secret.
func SandboxConfig(url string, secret []byte, clock ports.Clock, ids ports.IDs, log *slog.Logger) sandbox.Config {
	return sandbox.Config{
		BaseURL:    url,
		WebhookURL: url + "/v1/webhooks/sandbox",
		Secret:     string(secret),
		Client:     &http.Client{Timeout: 10 * time.Second},
		Clock:      clock,
		IDs:        ids,
		Logger:     log,
	}
}

// Reporter reports errors no caller sees to log and, with dsn (MATCHPOINT_SENTRY_DSN),
// to Sentry too, under environment; the cleanup sends what is queued, for up to two
// seconds.
func Reporter(dsn, environment string, log *slog.Logger) (ports.ErrorReporter, func(), error) {
	logged := system.NewReporter(log)
	if dsn == "" {
		return logged, func() {}, nil
	}
	r, err := sentry.New(sentry.Config{DSN: dsn, Environment: environment, Logger: log, Also: logged})
	if err != nil {
		return nil, nil, fmt.Errorf("MATCHPOINT_SENTRY_DSN: %w", err)
	}
	return r, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = r.Flush(ctx)
		r.Close()
	}, nil
}
