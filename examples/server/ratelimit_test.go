package main

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/cache/redis/redistest"
	"github.com/matchpoint/matchpoint/adapters/httpapi"
	"github.com/matchpoint/matchpoint/adapters/ratelimit/fallback"
	"github.com/matchpoint/matchpoint/adapters/ratelimit/inproc"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

func TestRateLimitConfig(t *testing.T) {
	t.Parallel()
	load := func(env map[string]string) (Config, error) {
		return LoadConfig(func(k string) string { return env[k] })
	}

	cfg, err := load(nil)
	require.NoError(t, err)
	assert.True(t, cfg.RateLimits.RateLimitOn, "on by default")
	d := httpapi.DefaultRateLimit
	assert.Equal(t, []ports.Limit{d.Public, d.Bookings, d.Admin, d.AuthFailures, d.Webhooks},
		[]ports.Limit{cfg.RateLimits.Limits.Public, cfg.RateLimits.Limits.Bookings, cfg.RateLimits.Limits.Admin, cfg.RateLimits.Limits.AuthFailures, cfg.RateLimits.Limits.Webhooks},
		"the variables' defaults are httpapi's")
	assert.Empty(t, cfg.RateLimits.Limits.TrustedProxies, "no proxy is trusted by default")
	assert.Equal(t, "X-Forwarded-For", cfg.RateLimits.Limits.ProxyHeader)

	cfg, err = load(map[string]string{
		"MATCHPOINT_RATE_LIMIT":           "OFF",
		"MATCHPOINT_RATE_LIMIT_PUBLIC":    "30/s",
		"MATCHPOINT_RATE_LIMIT_BOOKINGS":  " 3 / 2m burst 1 ",
		"MATCHPOINT_RATE_LIMIT_CLUBS":     "demo=2x, small-club=0.5",
		"MATCHPOINT_TRUSTED_PROXIES":      "10.0.0.0/8, 192.0.2.7,fd00::/8",
		"MATCHPOINT_TRUSTED_PROXY_HEADER": "forwarded",
	})
	require.NoError(t, err)
	assert.False(t, cfg.RateLimits.RateLimitOn)
	assert.Equal(t, ports.Limit{Events: 30, Per: time.Second, Burst: 30}, cfg.RateLimits.Limits.Public)
	assert.Equal(t, ports.Limit{Events: 3, Per: 2 * time.Minute, Burst: 1}, cfg.RateLimits.Limits.Bookings)
	assert.Equal(t, map[string]float64{"demo": 2, "small-club": 0.5}, cfg.RateLimits.Limits.Clubs)
	assert.Equal(t, "Forwarded", cfg.RateLimits.Limits.ProxyHeader)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("fd00::/8")},
		cfg.RateLimits.Limits.TrustedProxies)

	for name, bad := range map[string][]string{
		"MATCHPOINT_RATE_LIMIT":               {"maybe"},
		"MATCHPOINT_RATE_LIMIT_PUBLIC":        {"30", "thirty/1s", "30/1x", "0/1s", "30/0s", "30/1s burst 0", "30/-1s"},
		"MATCHPOINT_RATE_LIMIT_BOOKINGS":      {"5 per minute"},
		"MATCHPOINT_RATE_LIMIT_ADMIN":         {"10/1s burst"},
		"MATCHPOINT_RATE_LIMIT_AUTH_FAILURES": {"/1m"},
		"MATCHPOINT_RATE_LIMIT_WEBHOOKS":      {"-1/1s"},
		"MATCHPOINT_RATE_LIMIT_CLUBS":         {"demo", "demo=0", "demo=-2x", "demo=twice", "=2", "demo=2,demo=3"},
		"MATCHPOINT_TRUSTED_PROXIES":          {"10.0.0.0/33", "proxy.local"},
		"MATCHPOINT_TRUSTED_PROXY_HEADER":     {"X-Real-IP"},
	} {
		for _, v := range bad {
			_, err := load(map[string]string{name: v})
			require.Error(t, err, "%s=%q", name, v)
			assert.Contains(t, err.Error(), name+"=", "%s=%q: the error names the variable", name, v)
		}
	}
}

// limitedServer starts a server with the rate limits on and env, trusting loopback
// as a proxy so that each test names its own client in X-Forwarded-For.
func limitedServer(t *testing.T, env map[string]string, logs *syncBuffer) *testServer {
	t.Helper()
	vars := map[string]string{"MATCHPOINT_RATE_LIMIT": "on", "MATCHPOINT_TRUSTED_PROXIES": "127.0.0.1/32,::1/128"}
	for k, v := range env {
		vars[k] = v
	}
	if logs == nil {
		logs = &syncBuffer{}
	}
	return startServerLogging(t, vars, logs)
}

// availabilityFor is the path of the demo club's availability three days ahead.
func availabilityFor(s *testServer) string {
	day := domain.DateOf(time.Now(), s.demo.Club.Location).AddDays(3)
	return "/v1/clubs/demo/availability?date=" + day.String() + "&sport=padel&duration=90"
}

// counterValue is the value of a counter family's sample with labels, or 0.
func counterValue(t *testing.T, s *testServer, family string, labels map[string]string) float64 {
	t.Helper()
	m := sample(scrape(t, s.base+"/metrics")[family], labels)
	if m == nil {
		return 0
	}
	return m.GetCounter().GetValue()
}

// TestRateLimitOnTheServer: with the defaults' switch on, a client over its budget is
// answered 429 as a problem with Retry-After and the RateLimit headers, allowed
// answers carry the headers, and the rejection is counted in /metrics.
func TestRateLimitOnTheServer(t *testing.T) {
	s := limitedServer(t, map[string]string{"MATCHPOINT_RATE_LIMIT_PUBLIC": "3/1m"}, nil)
	path := availabilityFor(s)
	client := map[string]string{"X-Forwarded-For": "198.51.100.10"}
	for i := range 3 {
		r, h := s.doWithHeader(t, "GET", path, "", client)
		require.Equal(t, http.StatusOK, r.status, r.raw)
		assert.Equal(t, "3", h.Get("RateLimit-Limit"))
		assert.Equal(t, fmt.Sprint(2-i), h.Get("RateLimit-Remaining"))
	}
	r, h := s.doWithHeader(t, "GET", path, "", client)
	require.Equal(t, http.StatusTooManyRequests, r.status, r.raw)
	assert.Equal(t, "application/problem+json", h.Get("Content-Type"))
	assert.Equal(t, "rate_limited", r.body["code"])
	assert.Equal(t, "20", h.Get("Retry-After"))
	assert.Equal(t, "0", h.Get("RateLimit-Remaining"))
	assert.Equal(t, http.StatusOK, s.do(t, "GET", path, "", map[string]string{"X-Forwarded-For": "198.51.100.11"}).status, "another client")
	assert.Equal(t, http.StatusOK, s.do(t, "GET", "/healthz", "", client).status)
	assert.Equal(t, 1.0, counterValue(t, s, "ratelimit_rejections_total", map[string]string{"budget": "public"}))
	assert.Equal(t, 0.0, counterValue(t, s, "ratelimit_rejections_total", map[string]string{"budget": "bookings"}))
}

// TestRateLimitFailedKeysAndClubFactor: wrong API keys use up the address's budget of
// failures, after which even the right key is refused from that address; a club's
// factor scales its budgets.
func TestRateLimitFailedKeysAndClubFactor(t *testing.T) {
	s := limitedServer(t, map[string]string{
		"MATCHPOINT_RATE_LIMIT_AUTH_FAILURES": "2/1m", "MATCHPOINT_RATE_LIMIT_PUBLIC": "2/1m",
		"MATCHPOINT_RATE_LIMIT_CLUBS": "demo=1.5x",
	}, nil)
	courts := "/v1/admin/clubs/demo/courts"
	attacker := func(key string) map[string]string {
		return map[string]string{"X-Forwarded-For": "198.51.100.30", "Authorization": "Bearer " + key}
	}
	for range 2 {
		assert.Equal(t, http.StatusUnauthorized, s.do(t, "GET", courts, "", attacker("mpk_guess")).status)
	}
	r, h := s.doWithHeader(t, "GET", courts, "", attacker(s.demo.APIKey))
	assert.Equal(t, http.StatusTooManyRequests, r.status, r.raw)
	assert.Equal(t, "30", h.Get("Retry-After"))
	r = s.do(t, "GET", courts, "", map[string]string{"X-Forwarded-For": "198.51.100.31", "Authorization": "Bearer " + s.demo.APIKey})
	assert.Equal(t, http.StatusOK, r.status, "another address is not refused")
	assert.Equal(t, 1.0, counterValue(t, s, "ratelimit_rejections_total", map[string]string{"budget": "auth_failures"}))

	client := map[string]string{"X-Forwarded-For": "198.51.100.32"}
	for range 3 {
		r, h := s.doWithHeader(t, "GET", availabilityFor(s), "", client)
		require.Equal(t, http.StatusOK, r.status, r.raw)
		assert.Equal(t, "3", h.Get("RateLimit-Limit"), "2 × 1.5")
	}
	assert.Equal(t, http.StatusTooManyRequests, s.do(t, "GET", availabilityFor(s), "", client).status)
}

// TestRateLimitOff: MATCHPOINT_RATE_LIMIT=off limits nothing and sends no headers.
func TestRateLimitOff(t *testing.T) {
	s := limitedServer(t, map[string]string{"MATCHPOINT_RATE_LIMIT": "off", "MATCHPOINT_RATE_LIMIT_PUBLIC": "1/1m"}, nil)
	for range 5 {
		r, h := s.doWithHeader(t, "GET", availabilityFor(s), "", nil)
		require.Equal(t, http.StatusOK, r.status)
		assert.Empty(t, h.Get("RateLimit-Limit"))
	}
	assert.Nil(t, scrape(t, s.base+"/metrics")["ratelimit_rejections_total"])
}

// TestRateLimitSharedThroughRedis runs two servers on one Postgres database and one
// Redis. A client's budget of N requests a minute is one budget, whichever server it
// asks: N requests pass, alternating between the two, however many are sent, within
// the tokens that come back while the test runs (one every 60/N s). Under concurrent
// load from 16 goroutines across both servers the same holds. When Redis is killed,
// requests keep being answered (from each server's in-process limiter, which starts
// full), the fallback is counted in /metrics and logged once, and the limits hold
// again, shared, once Redis is back.
func TestRateLimitSharedThroughRedis(t *testing.T) {
	r := redistest.Start(t)
	const budget = 30
	logsA, logsB := &syncBuffer{}, &syncBuffer{}
	env := map[string]string{
		"MATCHPOINT_DATABASE_URL": testDatabase(t), "MATCHPOINT_MIGRATE": "auto",
		"MATCHPOINT_REDIS_URL": r.URL(), "MATCHPOINT_TOKEN_SECRET": strings.Repeat("s", 32),
		"MATCHPOINT_RATE_LIMIT_PUBLIC": fmt.Sprintf("%d/1m", budget),
	}
	a := limitedServer(t, env, logsA)
	b := limitedServer(t, env, logsB)
	require.IsType(t, &fallback.Limiter{}, a.RateLimit.Limiter, "MATCHPOINT_REDIS_URL shares the limits through Redis")
	servers := []*testServer{a, b}
	path := availabilityFor(a)

	// tolerance is how many tokens may have come back since start.
	tolerance := func(start time.Time) int { return int(time.Since(start)/(time.Minute/budget)) + 1 }

	t.Run("alternating", func(t *testing.T) {
		client := map[string]string{"X-Forwarded-For": "198.51.100.20"}
		start := time.Now()
		allowed := 0
		for i := range 3 * budget {
			res := servers[i%2].do(t, "GET", path, "", client)
			require.Contains(t, []int{http.StatusOK, http.StatusTooManyRequests}, res.status, res.raw)
			if res.status == http.StatusOK {
				allowed++
			}
		}
		t.Logf("alternating: %d of %d requests allowed on a shared budget of %d, in %v", allowed, 3*budget, budget, time.Since(start).Round(time.Millisecond))
		assert.GreaterOrEqual(t, allowed, budget, "the whole budget is served")
		assert.LessOrEqual(t, allowed, budget+tolerance(start), "one budget for both servers, not one each")
	})

	t.Run("concurrent", func(t *testing.T) {
		client := map[string]string{"X-Forwarded-For": "198.51.100.21"}
		const workers, each = 16, 12
		var allowed, other atomic.Int64
		start := time.Now()
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for range each {
					req, err := http.NewRequest(http.MethodGet, servers[w%2].base+path, nil)
					if err != nil {
						other.Add(1)
						continue
					}
					req.Header.Set("X-Forwarded-For", client["X-Forwarded-For"])
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						other.Add(1)
						continue
					}
					_ = res.Body.Close()
					switch res.StatusCode {
					case http.StatusOK:
						allowed.Add(1)
					case http.StatusTooManyRequests:
					default:
						other.Add(1)
					}
				}
			})
		}
		wg.Wait()
		t.Logf("concurrent: %d of %d requests allowed on a shared budget of %d, in %v", allowed.Load(), workers*each, budget, time.Since(start).Round(time.Millisecond))
		assert.Zero(t, other.Load(), "every answer is 200 or 429")
		assert.GreaterOrEqual(t, int(allowed.Load()), budget)
		assert.LessOrEqual(t, int(allowed.Load()), budget+tolerance(start))
	})

	t.Run("redis killed", func(t *testing.T) {
		client := map[string]string{"X-Forwarded-For": "198.51.100.22"}
		for i := range budget { // use the shared budget up
			require.Equal(t, http.StatusOK, servers[i%2].do(t, "GET", path, "", client).status)
		}
		require.Equal(t, http.StatusTooManyRequests, a.do(t, "GET", path, "", client).status)
		require.Zero(t, counterValue(t, a, "ratelimit_fallbacks_total", nil))

		r.Stop()
		statuses := map[int]int{}
		start := time.Now()
		for i := range 4 * budget {
			res := servers[i%2].do(t, "GET", path, "", client)
			statuses[res.status]++
		}
		t.Logf("with Redis killed: %v", statuses)
		assert.Equal(t, 4*budget, statuses[http.StatusOK]+statuses[http.StatusTooManyRequests], "no request fails: %v", statuses)
		assert.GreaterOrEqual(t, statuses[http.StatusOK], 2*budget, "requests keep flowing, each server's limiter starting full")
		assert.LessOrEqual(t, statuses[http.StatusOK], 2*(budget+tolerance(start)), "each server limits on its own")
		for _, s := range servers {
			assert.Positive(t, counterValue(t, s, "ratelimit_fallbacks_total", nil), "the fallback is counted")
			assert.Equal(t, 1.0, counterValue(t, s, "ratelimit_outages_total", nil))
		}
		for _, logs := range []*syncBuffer{logsA, logsB} {
			assert.Equal(t, 1, strings.Count(logs.String(), "rate limiter: the primary limiter failed"), "one warning per outage:\n%s", logs.String())
		}

		r.Restart(t)
		probe := map[string]string{"X-Forwarded-For": "198.51.100.23"}
		require.Eventually(t, func() bool {
			for _, s := range servers {
				_ = s.do(t, "GET", path, "", probe) // a call tries Redis again once a second
			}
			return !a.RateLimit.Limiter.(*fallback.Limiter).Degraded() && !b.RateLimit.Limiter.(*fallback.Limiter).Degraded()
		}, 10*time.Second, 100*time.Millisecond, "both servers use Redis again")
		fresh := map[string]string{"X-Forwarded-For": "198.51.100.24"}
		start = time.Now()
		allowed := 0
		for i := range 2 * budget {
			if servers[i%2].do(t, "GET", path, "", fresh).status == http.StatusOK {
				allowed++
			}
		}
		assert.GreaterOrEqual(t, allowed, budget)
		assert.LessOrEqual(t, allowed, budget+tolerance(start), "shared again once Redis is back")
	})
}

// TestRateLimitInProcessWithoutRedis: without MATCHPOINT_REDIS_URL each server limits
// on its own count.
func TestRateLimitInProcessWithoutRedis(t *testing.T) {
	s := limitedServer(t, nil, nil)
	require.IsType(t, &inproc.Limiter{}, s.RateLimit.Limiter)
}
