package main

import (
	"fmt"
	"log/slog"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	cache "github.com/matchpoint/matchpoint/adapters/cache/redis"
	"github.com/matchpoint/matchpoint/adapters/httpapi"
	"github.com/matchpoint/matchpoint/adapters/ratelimit/fallback"
	"github.com/matchpoint/matchpoint/adapters/ratelimit/inproc"
	ratelimitredis "github.com/matchpoint/matchpoint/adapters/ratelimit/redis"
	"github.com/matchpoint/matchpoint/examples/internal/envconf"
	"github.com/matchpoint/matchpoint/ports"
)

// RateLimitVars are the variables of the API's rate limits (httpapi.RateLimit); Limits
// is what they configure once checked.
type RateLimitVars struct {
	// RateLimit is on (the default) or off.
	RateLimit string `env:"MATCHPOINT_RATE_LIMIT" envDefault:"on" want:"on or off" help:"on limits the requests of each client, API key and payment provider; off limits nothing"`
	// RateLimitPublic is each client address's budget on availability, quotes and a
	// booking's reads and cancellations.
	RateLimitPublic string `env:"MATCHPOINT_RATE_LIMIT_PUBLIC" envDefault:"20/1s burst 40" want:"a budget such as 20/1s, 5/1m or 20/1s burst 40" help:"each client address's budget on availability, quotes and a booking's reads and cancellations"`
	// RateLimitBookings is each client address's budget of bookings made.
	RateLimitBookings string `env:"MATCHPOINT_RATE_LIMIT_BOOKINGS" envDefault:"5/1m burst 5" want:"a budget such as 20/1s, 5/1m or 20/1s burst 40" help:"each client address's budget of bookings made"`
	// RateLimitAdmin is each API key's budget on the admin routes.
	RateLimitAdmin string `env:"MATCHPOINT_RATE_LIMIT_ADMIN" envDefault:"10/1s burst 20" want:"a budget such as 20/1s, 5/1m or 20/1s burst 40" help:"each API key's budget on the admin routes"`
	// RateLimitAuthFailures is each client address's budget of failed credential
	// checks; once it is used up, the address's requests with credentials are refused.
	RateLimitAuthFailures string `env:"MATCHPOINT_RATE_LIMIT_AUTH_FAILURES" envDefault:"10/1m burst 10" want:"a budget such as 20/1s, 5/1m or 20/1s burst 40" help:"each client address's budget of wrong API keys, access tokens and webhook signatures"`
	// RateLimitWebhooks is each payment provider's budget of webhooks.
	RateLimitWebhooks string `env:"MATCHPOINT_RATE_LIMIT_WEBHOOKS" envDefault:"10/1s burst 50" want:"a budget such as 20/1s, 5/1m or 20/1s burst 40" help:"each payment provider's budget of webhooks"`
	// RateLimitClubs scales the public, bookings and admin budgets of some clubs:
	// slug=factor pairs ("demo=2x,tiny=0.5x").
	RateLimitClubs string `env:"MATCHPOINT_RATE_LIMIT_CLUBS" want:"slug=factor pairs separated by commas, such as demo=2x,small-club=0.5x" help:"slug=factor pairs: scale a club's public, bookings and admin budgets (demo=2x)"`
	// TrustedProxies are the networks of the proxies in front of the server, whose
	// Forwarded and X-Forwarded-For headers name the client.
	TrustedProxies []string `env:"MATCHPOINT_TRUSTED_PROXIES" envSeparator:"," want:"IP networks (CIDR) or addresses separated by commas, such as 10.0.0.0/8,192.0.2.7" help:"networks of the proxies in front of the server: only their Forwarded and X-Forwarded-For headers are believed"`
	// ProxyHeader is the header the trusted proxies name the client in.
	ProxyHeader string `env:"MATCHPOINT_TRUSTED_PROXY_HEADER" envDefault:"X-Forwarded-For" want:"X-Forwarded-For or Forwarded" help:"the header the trusted proxies name the client in: X-Forwarded-For or Forwarded (RFC 7239); the other is ignored"`

	// Limits are the budgets the variables configure, without a Limiter; off when
	// RateLimitOn is false.
	Limits httpapi.RateLimit `env:"-"`
	// RateLimitOn says whether the API limits requests (MATCHPOINT_RATE_LIMIT=on).
	RateLimitOn bool `env:"-"`
}

// budgetSyntax is "EVENTS/PERIOD" with an optional " burst N"; the period is a Go
// duration, or a bare unit (s, m, h) meaning one of it.
var budgetSyntax = regexp.MustCompile(`^\s*(\d+)\s*/\s*(\S+?)(?:\s+burst\s+(\d+))?\s*$`)

// parseBudget parses a budget: "30/1s", "5/1m burst 10", "100/h".
func parseBudget(s string) (ports.Limit, error) {
	m := budgetSyntax.FindStringSubmatch(s)
	if m == nil {
		return ports.Limit{}, fmt.Errorf("not EVENTS/PERIOD [burst N]")
	}
	events, err := strconv.Atoi(m[1])
	if err != nil {
		return ports.Limit{}, err
	}
	period := m[2]
	if period != "" && (period[0] < '0' || period[0] > '9') {
		period = "1" + period
	}
	per, err := time.ParseDuration(period)
	if err != nil {
		return ports.Limit{}, err
	}
	burst := events
	if m[3] != "" {
		if burst, err = strconv.Atoi(m[3]); err != nil {
			return ports.Limit{}, err
		}
	}
	l := ports.Limit{Events: events, Per: per, Burst: burst}
	return l, l.Validate()
}

// parseClubFactors parses "demo=2x,small=0.5" (the x is optional).
func parseClubFactors(s string) (map[string]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := map[string]float64{}
	for pair := range strings.SplitSeq(s, ",") {
		slug, factor, ok := strings.Cut(strings.TrimSpace(pair), "=")
		slug = strings.TrimSpace(slug)
		if !ok || slug == "" {
			return nil, fmt.Errorf("%q is not slug=factor", pair)
		}
		f, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(factor), "x"), 64)
		if err != nil || !(f > 0) || f > 1e6 {
			return nil, fmt.Errorf("%q: the factor must be a positive number", pair)
		}
		if _, dup := out[slug]; dup {
			return nil, fmt.Errorf("club %q is named twice", slug)
		}
		out[slug] = f
	}
	return out, nil
}

// parseTrustedProxies parses networks ("10.0.0.0/8") and single addresses.
func parseTrustedProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a network nor an address", s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// check parses the variables into Limits; an error names the bad variable.
func (v *RateLimitVars) check(e envconf.Environment) error {
	switch strings.ToLower(strings.TrimSpace(v.RateLimit)) {
	case "on":
		v.RateLimitOn = true
	case "off":
		v.RateLimitOn = false
	default:
		return e.Bad("RateLimit")
	}
	var err error
	for _, b := range []struct {
		field string
		text  string
		into  *ports.Limit
	}{
		{"RateLimitPublic", v.RateLimitPublic, &v.Limits.Public},
		{"RateLimitBookings", v.RateLimitBookings, &v.Limits.Bookings},
		{"RateLimitAdmin", v.RateLimitAdmin, &v.Limits.Admin},
		{"RateLimitAuthFailures", v.RateLimitAuthFailures, &v.Limits.AuthFailures},
		{"RateLimitWebhooks", v.RateLimitWebhooks, &v.Limits.Webhooks},
	} {
		if *b.into, err = parseBudget(b.text); err != nil {
			return fmt.Errorf("%w (%v)", e.Bad(b.field), err)
		}
	}
	if v.Limits.Clubs, err = parseClubFactors(v.RateLimitClubs); err != nil {
		return fmt.Errorf("%w (%v)", e.Bad("RateLimitClubs"), err)
	}
	if v.Limits.TrustedProxies, err = parseTrustedProxies(v.TrustedProxies); err != nil {
		return fmt.Errorf("%w (%v)", e.Bad("TrustedProxies"), err)
	}
	switch strings.ToLower(strings.TrimSpace(v.ProxyHeader)) {
	case "x-forwarded-for":
		v.Limits.ProxyHeader = "X-Forwarded-For"
	case "forwarded":
		v.Limits.ProxyHeader = "Forwarded"
	default:
		return e.Bad("ProxyHeader")
	}
	return v.Limits.Validate()
}

// rateLimitPrefix is the Redis limiter's key prefix: every instance on one Redis
// shares the budgets under it.
const rateLimitPrefix = "mp:rl:"

// RateLimitMetrics are the rate limits' metrics, in the server's registry:
//
//   - ratelimit_rejections_total{budget}: requests answered 429, by budget (public,
//     bookings, admin, auth_failures, webhooks);
//   - ratelimit_errors_total{budget}: limiter calls that failed, the request let
//     through unlimited;
//   - ratelimit_fallbacks_total: with Redis, the calls the in-process limiter answered
//     because Redis did not;
//   - ratelimit_outages_total: with Redis, the outages of Redis the limiter saw.
type RateLimitMetrics struct {
	rejections *prometheus.CounterVec
	errors     *prometheus.CounterVec
}

func newRateLimitMetrics(reg prometheus.Registerer, fb *fallback.Limiter) *RateLimitMetrics {
	m := &RateLimitMetrics{
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ratelimit_rejections_total",
			Help: "Requests answered 429 because their budget was used up, by budget.",
		}, []string{"budget"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ratelimit_errors_total",
			Help: "Rate limiter calls that failed, the request let through unlimited, by budget.",
		}, []string{"budget"}),
	}
	for _, b := range []string{httpapi.BudgetPublic, httpapi.BudgetBookings, httpapi.BudgetAdmin, httpapi.BudgetAuthFailures, httpapi.BudgetWebhooks} {
		m.rejections.WithLabelValues(b) // every budget shows, at zero
	}
	reg.MustRegister(m.rejections, m.errors)
	if fb != nil {
		reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "ratelimit_fallbacks_total",
				Help: "Rate limiter calls the in-process limiter answered because Redis did not.",
			}, func() float64 { return float64(fb.Fallbacks()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "ratelimit_outages_total",
				Help: "Outages of Redis the rate limiter fell back to the in-process limiter for.",
			}, func() float64 { return float64(fb.Outages()) }),
		)
	}
	return m
}

// provideRateLimit returns the API's rate limits: off with MATCHPOINT_RATE_LIMIT=off;
// with MATCHPOINT_REDIS_URL, budgets shared by every instance through Redis, answered
// by an in-process limiter while Redis is down; otherwise in-process alone.
func provideRateLimit(cfg Config, log *slog.Logger, m *Metrics) (httpapi.RateLimit, func(), error) {
	v := cfg.RateLimits
	if !v.RateLimitOn {
		return httpapi.RateLimit{}, func() {}, nil
	}
	local, err := inproc.New(inproc.Config{})
	if err != nil {
		return httpapi.RateLimit{}, nil, err
	}
	rl := v.Limits
	rl.Limiter = local
	cleanup := func() {}
	var fb *fallback.Limiter
	if cfg.RedisURL != "" {
		rdb, err := cache.Open(cfg.RedisURL)
		if err != nil {
			return httpapi.RateLimit{}, nil, fmt.Errorf("MATCHPOINT_REDIS_URL: %w", err)
		}
		fb, err = fallback.New(fallback.Config{
			Primary:   ratelimitredis.New(rdb, ratelimitredis.Config{Prefix: rateLimitPrefix}),
			Secondary: local,
			Logger:    log,
		})
		if err != nil {
			_ = rdb.Close()
			return httpapi.RateLimit{}, nil, err
		}
		rl.Limiter = fb
		cleanup = func() { _ = rdb.Close() }
	}
	metrics := newRateLimitMetrics(m.Registry, fb)
	rl.OnReject = func(budget string) { metrics.rejections.WithLabelValues(budget).Inc() }
	rl.OnError = func(budget string) { metrics.errors.WithLabelValues(budget).Inc() }
	return rl, cleanup, nil
}

// rateLimitDescription says how the API limits requests, for the start's log line.
func rateLimitDescription(cfg Config) string {
	switch {
	case !cfg.RateLimits.RateLimitOn:
		return "off"
	case cfg.RedisURL != "":
		return "shared through Redis"
	}
	return "in process"
}
