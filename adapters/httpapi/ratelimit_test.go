package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/httpapi"
	"github.com/matchpoint/matchpoint/adapters/ratelimit/inproc"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/clocktest"
)

const availabilityPath = "/v1/clubs/club-one/availability?date=2026-03-11&sport=padel&duration=90"

// rejections counts OnReject's calls by budget.
type rejections struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *rejections) add(budget string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = map[string]int{}
	}
	r.n[budget]++
}

func (r *rejections) of(budget string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[budget]
}

// limited is a harness whose Handler limits with an in-process limiter on a clock of
// its own, which the test advances.
type limited struct {
	*env
	clock    *clocktest.Clock
	rejected *rejections
}

// newLimited returns a harness limited by rl, on an in-process limiter unless rl
// names one.
func newLimited(t *testing.T, rl httpapi.RateLimit) *limited {
	t.Helper()
	l := &limited{clock: clocktest.New(startTime), rejected: &rejections{}}
	if rl.Limiter == nil {
		lim, err := inproc.New(inproc.Config{Clock: l.clock})
		require.NoError(t, err)
		rl.Limiter = lim
	}
	rl.Clock, rl.OnReject = l.clock, l.rejected.add
	require.NoError(t, rl.Validate())
	l.env = newEnv(t, func(o *httpapi.Config) { o.RateLimit = rl })
	return l
}

// from sends req as the peer remote ("ip:port").
func (l *limited) from(remote string, req request) response {
	l.t.Helper()
	req.remote = remote
	return l.do(req)
}

func getFrom(l *limited, remote string, header map[string]string) response {
	l.t.Helper()
	return l.from(remote, request{method: http.MethodGet, path: availabilityPath, header: header})
}

func perMinute(n int) ports.Limit { return ports.Limit{Events: n, Per: time.Minute, Burst: n} }

func TestRateLimitRefusesWithAProblemAndHeaders(t *testing.T) {
	t.Parallel()
	l := newLimited(t, httpapi.RateLimit{Public: perMinute(3)})

	for i := range 3 {
		res := getFrom(l, "198.51.100.1:1000", nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		assert.Equal(t, "3", res.Header().Get("RateLimit-Limit"))
		assert.Equal(t, []string{"2", "1", "0"}[i], res.Header().Get("RateLimit-Remaining"))
		assert.Equal(t, []string{"20", "40", "60"}[i], res.Header().Get("RateLimit-Reset"), "seconds until the budget is full again")
		assert.Equal(t, "3;w=60;burst=3", res.Header().Get("RateLimit-Policy"))
		assert.Empty(t, res.Header().Get("Retry-After"), "an allowed answer has no Retry-After")
	}
	res := getFrom(l, "198.51.100.1:1001", nil)
	assertProblem(t, res, http.StatusTooManyRequests, "rate_limited")
	assert.Equal(t, "20", res.Header().Get("Retry-After"), "a token comes back every 20 s")
	assert.Equal(t, "3", res.Header().Get("RateLimit-Limit"))
	assert.Equal(t, "0", res.Header().Get("RateLimit-Remaining"))
	assert.Equal(t, "60", res.Header().Get("RateLimit-Reset"))
	assert.Contains(t, res.json["detail"], "at most 3 per 1m0s")
	assert.Equal(t, 1, l.rejected.of(httpapi.BudgetPublic))

	assert.Equal(t, http.StatusOK, getFrom(l, "198.51.100.2:1000", nil).Code, "another client has a budget of its own")
	assert.Equal(t, http.StatusOK, l.from("198.51.100.1:1000", request{method: http.MethodGet, path: "/healthz"}).Code,
		"the operations routes are never limited")
	assert.Empty(t, l.from("198.51.100.1:1000", request{method: http.MethodGet, path: "/healthz"}).Header().Get("RateLimit-Limit"))

	l.clock.Advance(20 * time.Second)
	res = getFrom(l, "198.51.100.1:1000", nil)
	require.Equal(t, http.StatusOK, res.Code, "a token has come back")
	assert.Equal(t, "0", res.Header().Get("RateLimit-Remaining"))
}

func TestRateLimitIPv6ClientsCountByTheirNetwork(t *testing.T) {
	t.Parallel()
	l := newLimited(t, httpapi.RateLimit{Public: perMinute(1)})
	require.Equal(t, http.StatusOK, getFrom(l, "[2001:db8:1:2::1]:1000", nil).Code)
	assertProblem(t, getFrom(l, "[2001:db8:1:2:ffff::9]:1000", nil), http.StatusTooManyRequests, "rate_limited")
	assert.Equal(t, http.StatusOK, getFrom(l, "[2001:db8:1:3::1]:1000", nil).Code, "another /64")
}

func TestRateLimitIgnoresForwardingHeadersOfUntrustedPeers(t *testing.T) {
	t.Parallel()
	l := newLimited(t, httpapi.RateLimit{Public: perMinute(1)})
	require.Equal(t, http.StatusOK, getFrom(l, "203.0.113.5:1000", map[string]string{"X-Forwarded-For": "198.51.100.1"}).Code)
	for _, h := range []map[string]string{
		{"X-Forwarded-For": "198.51.100.2"},
		{"Forwarded": "for=198.51.100.3"},
		nil,
	} {
		assertProblem(t, getFrom(l, "203.0.113.5:1000", h), http.StatusTooManyRequests, "rate_limited")
	}
}

func TestRateLimitTakesTheClientFromTrustedProxies(t *testing.T) {
	t.Parallel()
	l := newLimited(t, httpapi.RateLimit{Public: perMinute(1), TrustedProxies: []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8"),
	}})
	const proxy = "10.0.0.1:4000"
	xff := func(v string) map[string]string { return map[string]string{"X-Forwarded-For": v} }

	require.Equal(t, http.StatusOK, getFrom(l, proxy, xff("198.51.100.1")).Code)
	assertProblem(t, getFrom(l, proxy, xff("198.51.100.1")), http.StatusTooManyRequests, "rate_limited")
	// an address the client wrote left of its own is not taken.
	assertProblem(t, getFrom(l, proxy, xff("6.6.6.6, 198.51.100.1")), http.StatusTooManyRequests, "rate_limited")
	// trusted hops are skipped: the right-most untrusted address is the client.
	assertProblem(t, getFrom(l, proxy, xff("198.51.100.1, 10.2.3.4")), http.StatusTooManyRequests, "rate_limited")
	assert.Equal(t, http.StatusOK, getFrom(l, proxy, xff("198.51.100.2")).Code, "another client behind the proxy")

	// Forwarded is not read when the proxies write X-Forwarded-For: a client could write it.
	assertProblem(t, getFrom(l, proxy, map[string]string{"Forwarded": "for=198.51.100.3", "X-Forwarded-For": "198.51.100.1"}), http.StatusTooManyRequests, "rate_limited")

	require.Equal(t, http.StatusOK, getFrom(l, "10.9.9.9:1", nil).Code, "a proxy's own request counts as the proxy")
	require.Equal(t, http.StatusOK, getFrom(l, "192.0.2.77:1", xff("10.0.0.1")).Code)
	// an untrusted peer is the client, whatever it says.
	assertProblem(t, getFrom(l, "192.0.2.77:1", xff("198.51.100.9")), http.StatusTooManyRequests, "rate_limited")
}

func TestRateLimitTakesTheClientFromTheForwardedHeader(t *testing.T) {
	t.Parallel()
	l := newLimited(t, httpapi.RateLimit{Public: perMinute(1), ProxyHeader: "forwarded", TrustedProxies: []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8"),
	}})
	const proxy = "10.0.0.1:4000"
	fwd := func(v string) map[string]string { return map[string]string{"Forwarded": v} }

	require.Equal(t, http.StatusOK, getFrom(l, proxy, fwd(`for=198.51.100.3;proto=https, for="[fd00::7]:443"`)).Code)
	// The same client: with a port, quoted, with other parameters, or after a spoofed hop.
	for _, v := range []string{"for=198.51.100.3:5555", `for="198.51.100.3"`, "proto=http;for=198.51.100.3;by=10.0.0.1", "for=6.6.6.6, FOR=198.51.100.3"} {
		assertProblem(t, getFrom(l, proxy, fwd(v)), http.StatusTooManyRequests, "rate_limited")
	}
	// X-Forwarded-For is not read when the proxies write Forwarded.
	assertProblem(t, getFrom(l, proxy, map[string]string{"Forwarded": "for=198.51.100.3", "X-Forwarded-For": "198.51.100.50"}), http.StatusTooManyRequests, "rate_limited")

	require.Equal(t, http.StatusOK, getFrom(l, proxy, fwd(`for="[2001:db8::1]:80"`)).Code)
	// The same /64.
	assertProblem(t, getFrom(l, proxy, fwd(`for="[2001:db8::2]"`)), http.StatusTooManyRequests, "rate_limited")
	// An obfuscated identifier is a client of its own.
	require.Equal(t, http.StatusOK, getFrom(l, proxy, fwd("for=_hidden")).Code)
	assertProblem(t, getFrom(l, proxy, fwd("for=_hidden")), http.StatusTooManyRequests, "rate_limited")
}

func TestRateLimitBookingsAreTighterThanReads(t *testing.T) {
	t.Parallel()
	l := newLimited(t, httpapi.RateLimit{Public: perMinute(100), Bookings: perMinute(1)})
	l.book(l.padel[0].ID, "2026-03-11T10:00", 90, "ana@example.com")
	res := l.post("/v1/clubs/"+clubSlug+"/bookings", bookingBody(l.padel[1].ID, "2026-03-11T10:00", 90, "ana@example.com"), nil)
	assertProblem(t, res, http.StatusTooManyRequests, "rate_limited")
	assert.Equal(t, "1", res.Header().Get("RateLimit-Limit"))
	assert.Equal(t, 1, l.rejected.of(httpapi.BudgetBookings))
	assert.Equal(t, http.StatusOK, l.get(availabilityPath, nil).Code, "reads keep their own budget")
}

func TestRateLimitAdminPerAPIKey(t *testing.T) {
	t.Parallel()
	l := newLimited(t, httpapi.RateLimit{Public: perMinute(1), Admin: perMinute(2)})
	courts := "/v1/admin/clubs/" + clubSlug + "/courts"
	for i, remote := range []string{"198.51.100.1:1", "198.51.100.2:1"} {
		res := l.from(remote, request{method: http.MethodGet, path: courts, header: l.admin()})
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		assert.Equal(t, []string{"1", "0"}[i], res.Header().Get("RateLimit-Remaining"), "one key, one budget, from any address")
	}
	res := l.from("198.51.100.3:1", request{method: http.MethodGet, path: courts, header: l.admin()})
	assertProblem(t, res, http.StatusTooManyRequests, "rate_limited")
	assert.NotEmpty(t, res.Header().Get("Retry-After"))
	assert.Equal(t, 1, l.rejected.of(httpapi.BudgetAdmin))

	other, err := l.app.Admin.IssueAPIKey(context.Background(), l.club, "second")
	require.NoError(t, err)
	res = l.from("198.51.100.3:1", request{method: http.MethodGet, path: courts, header: bearer(other)})
	assert.Equal(t, http.StatusOK, res.Code, "another key of the club has a budget of its own")
}

func TestRateLimitFailedCredentials(t *testing.T) {
	t.Parallel()
	l := newLimited(t, httpapi.RateLimit{AuthFailures: perMinute(3)})
	courts := "/v1/admin/clubs/" + clubSlug + "/courts"
	const attacker, other = "198.51.100.66:1", "198.51.100.7:1"

	// Successful checks take nothing from the failures' budget.
	for range 5 {
		require.Equal(t, http.StatusOK, l.from(attacker, request{method: http.MethodGet, path: courts, header: l.admin()}).Code)
	}
	// A wrong key, a missing one, a wrong booking token: three failures, each answered as such.
	assertProblem(t, l.from(attacker, request{method: http.MethodGet, path: courts, header: bearer("mpk_wrong")}), http.StatusUnauthorized, "unauthorized")
	assertProblem(t, l.from(attacker, request{method: http.MethodGet, path: courts}), http.StatusUnauthorized, "unauthorized")
	id, _ := l.book(l.padel[0].ID, "2026-03-11T10:00", 90, "ana@example.com")
	assertProblem(t, l.from(attacker, request{method: http.MethodGet, path: "/v1/bookings/" + id, header: bearer("not-the-token")}), http.StatusNotFound, "not_found")

	// The budget is used up: the next attempt is refused before its check, even with the right key.
	res := l.from(attacker, request{method: http.MethodGet, path: courts, header: l.admin()})
	assertProblem(t, res, http.StatusTooManyRequests, "rate_limited")
	assert.Equal(t, "20", res.Header().Get("Retry-After"))
	assert.Equal(t, "3", res.Header().Get("RateLimit-Limit"))
	assert.Contains(t, res.json["detail"], "failed credential checks")
	assertProblem(t, l.from(attacker, request{method: http.MethodGet, path: "/v1/bookings/" + id, header: bearer("guess")}), http.StatusTooManyRequests, "rate_limited")
	assert.Equal(t, 2, l.rejected.of(httpapi.BudgetAuthFailures))
	assert.Equal(t, http.StatusOK, getFrom(l, attacker, nil).Code, "routes without credentials are not refused")
	assert.Equal(t, http.StatusOK, l.from(other, request{method: http.MethodGet, path: courts, header: l.admin()}).Code, "another address is not refused")

	// A token comes back after 20 s: one more failure, then refused again.
	l.clock.Advance(20 * time.Second)
	assertProblem(t, l.from(attacker, request{method: http.MethodGet, path: courts, header: bearer("mpk_wrong")}), http.StatusUnauthorized, "unauthorized")
	assertProblem(t, l.from(attacker, request{method: http.MethodGet, path: courts, header: l.admin()}), http.StatusTooManyRequests, "rate_limited")
	l.clock.Advance(20 * time.Second)
	assert.Equal(t, http.StatusOK, l.from(attacker, request{method: http.MethodGet, path: courts, header: l.admin()}).Code)
}

func TestRateLimitWebhooksPerProvider(t *testing.T) {
	t.Parallel()
	l := newLimited(t, httpapi.RateLimit{Webhooks: perMinute(2)})
	for i := range 2 {
		ev := webhookEvent{EventID: "evt_" + string(rune('a'+i)), Type: "paid", BookingID: "nope", Ref: "co_nope", Amount: 100, Currency: "ARS"}
		res := l.webhook(ev)
		assert.NotEqual(t, http.StatusTooManyRequests, res.Code, res.Body.String())
		assert.Equal(t, "2", res.Header().Get("RateLimit-Limit"))
	}
	res := l.from("198.51.100.99:1", request{method: http.MethodPost, path: "/v1/webhooks/" + provider, body: `{}`})
	assertProblem(t, res, http.StatusTooManyRequests, "rate_limited")
	assert.Equal(t, 1, l.rejected.of(httpapi.BudgetWebhooks), "one budget per provider, from any address")
	res = l.post("/v1/webhooks/otherpay", `{}`, nil)
	assert.NotEqual(t, http.StatusTooManyRequests, res.Code, "another provider has a budget of its own")
}

// TestRateLimitWebhooksOfMadeUpGatewaysShareABudget: names that are no configured
// gateway's share one budget, so a client cannot get a fresh one by making names up,
// and the real provider keeps its own.
func TestRateLimitWebhooksOfMadeUpGatewaysShareABudget(t *testing.T) {
	t.Parallel()
	l := newLimited(t, httpapi.RateLimit{Webhooks: perMinute(2)})
	for i := range 2 {
		res := l.post(fmt.Sprintf("/v1/webhooks/madeup-%d", i), `{}`, nil)
		assertProblem(t, res, http.StatusNotFound, "not_found")
	}
	res := l.post("/v1/webhooks/madeup-2", `{}`, nil)
	assertProblem(t, res, http.StatusTooManyRequests, "rate_limited")
	assert.Equal(t, 1, l.rejected.of(httpapi.BudgetWebhooks))
	res = l.webhook(webhookEvent{EventID: "evt_real", Type: "paid", BookingID: "nope", Ref: "co_nope", Amount: 100, Currency: "ARS"})
	assert.NotEqual(t, http.StatusTooManyRequests, res.Code, "the configured provider has its own budget: %s", res.Body.String())
}

func TestRateLimitBadWebhookSignaturesAreFailedChecks(t *testing.T) {
	t.Parallel()
	l := newLimited(t, httpapi.RateLimit{AuthFailures: perMinute(2)})
	const forger = "198.51.100.40:1"
	forged := request{method: http.MethodPost, path: "/v1/webhooks/" + provider, body: `{"event_id":"evt_x"}`, header: map[string]string{sigHeader: "00"}}
	for range 2 {
		assertProblem(t, l.from(forger, forged), http.StatusUnauthorized, "bad_signature")
	}
	assertProblem(t, l.from(forger, forged), http.StatusTooManyRequests, "rate_limited")
	assert.Equal(t, 1, l.rejected.of(httpapi.BudgetAuthFailures))
	res := l.webhook(webhookEvent{EventID: "evt_ok", Type: "paid", BookingID: "nope", Ref: "co_nope", Amount: 100, Currency: "ARS"})
	assert.NotEqual(t, http.StatusTooManyRequests, res.Code, "the provider's own address is not refused: %s", res.Body.String())
}

func TestRateLimitPerClubFactor(t *testing.T) {
	t.Parallel()
	l := newLimited(t, httpapi.RateLimit{Public: perMinute(2), Clubs: map[string]float64{clubSlug: 2}})
	for range 4 {
		res := getFrom(l, "198.51.100.1:1", nil)
		require.Equal(t, http.StatusOK, res.Code)
		assert.Equal(t, "4", res.Header().Get("RateLimit-Limit"))
	}
	assertProblem(t, getFrom(l, "198.51.100.1:1", nil), http.StatusTooManyRequests, "rate_limited")
	// Another club takes from the client's default budget, untouched by club-one's.
	res := l.from("198.51.100.1:1", request{method: http.MethodGet, path: "/v1/clubs/elsewhere/availability?date=2026-03-11&sport=padel&duration=90"})
	assert.Equal(t, http.StatusNotFound, res.Code, res.Body.String())
	assert.Equal(t, "2", res.Header().Get("RateLimit-Limit"))
	assert.Equal(t, "1", res.Header().Get("RateLimit-Remaining"))
}

// brokenLimiter fails every call, as a limiter whose Redis is away without a fallback.
type brokenLimiter struct{}

func (brokenLimiter) Allow(context.Context, string, ports.Limit) (ports.Decision, error) {
	return ports.Decision{}, errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
}

func TestRateLimiterFailureLetsRequestsThrough(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	errs := map[string]int{}
	l := newLimited(t, httpapi.RateLimit{Limiter: brokenLimiter{}, Public: perMinute(1), AuthFailures: perMinute(1), OnError: func(b string) {
		mu.Lock()
		defer mu.Unlock()
		errs[b]++
	}})
	for range 5 {
		res := getFrom(l, "198.51.100.1:1", nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		assert.Empty(t, res.Header().Get("RateLimit-Limit"), "no decision, no headers")
	}
	for range 3 {
		assertProblem(t, l.get("/v1/admin/clubs/"+clubSlug+"/courts", bearer("mpk_wrong")), http.StatusUnauthorized, "unauthorized")
	}
	mu.Lock()
	assert.Equal(t, map[string]int{httpapi.BudgetPublic: 5, httpapi.BudgetAuthFailures: 3}, errs)
	mu.Unlock()
	assert.Equal(t, 1, strings.Count(l.logs.String(), "rate limiter failed"), "one warning per outage:\n%s", l.logs.String())
	assert.Zero(t, l.rejected.of(httpapi.BudgetPublic))
}

func TestRateLimitValidate(t *testing.T) {
	t.Parallel()
	require.NoError(t, httpapi.RateLimit{}.Validate(), "zero limits take the defaults")
	assert.Error(t, httpapi.RateLimit{Bookings: ports.Limit{Events: 1, Per: time.Minute}}.Validate())
	assert.Error(t, httpapi.RateLimit{Clubs: map[string]float64{"x": 0}}.Validate())
	assert.Error(t, httpapi.RateLimit{ProxyHeader: "X-Real-IP"}.Validate())
	require.NoError(t, httpapi.RateLimit{ProxyHeader: "forwarded"}.Validate())
	for _, l := range []ports.Limit{httpapi.DefaultRateLimit.Public, httpapi.DefaultRateLimit.Bookings, httpapi.DefaultRateLimit.Admin,
		httpapi.DefaultRateLimit.AuthFailures, httpapi.DefaultRateLimit.Webhooks} {
		require.NoError(t, l.Validate())
	}
}
