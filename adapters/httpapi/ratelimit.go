package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// The budgets of RateLimit, by the names OnReject and OnError give them.
const (
	BudgetPublic       = "public"
	BudgetBookings     = "bookings"
	BudgetAdmin        = "admin"
	BudgetAuthFailures = "auth_failures"
	BudgetWebhooks     = "webhooks"
)

// DefaultRateLimit holds the budgets a RateLimit takes for its zero Limits. They are
// sized so that one client takes no more than a small share of an instance: tens of
// availability requests a second, a few bookings a minute.
var DefaultRateLimit = RateLimit{
	Public:       ports.Limit{Events: 20, Per: time.Second, Burst: 40},
	Bookings:     ports.Limit{Events: 5, Per: time.Minute, Burst: 5},
	Admin:        ports.Limit{Events: 10, Per: time.Second, Burst: 20},
	AuthFailures: ports.Limit{Events: 10, Per: time.Minute, Burst: 10},
	Webhooks:     ports.Limit{Events: 10, Per: time.Second, Burst: 50},
}

// maxBlocked bounds how many client addresses the failed-credentials check remembers.
const maxBlocked = 10_000

// RateLimit configures the request budgets of a Handler (Config.RateLimit). Each
// budget is a ports.Limit of the Limiter, counted under its own key:
//
//   - Public: per client address, on availability, quotes and a booking's reads and
//     cancellations;
//   - Bookings: per client address, on booking creation, instead of Public;
//   - Admin: per API key, on the admin routes, once the key has been checked;
//   - AuthFailures: per client address, the failed checks of credentials: an API key
//     that is missing, unknown or of another club, a booking's access token that is
//     missing or wrong, a webhook's bad signature. Only failures take from it; once a
//     failure finds it used up, every request of that address on a route that checks
//     credentials is answered 429 before the check, until a failure would be allowed
//     again;
//   - Webhooks: per payment provider (the {gateway} of the path), on its webhooks;
//     names of no configured gateway share one budget.
//
// /healthz, /readyz and /openapi.yaml are never limited. A refused request is answered
// 429 rate_limited with Retry-After and the RateLimit-Limit, RateLimit-Remaining,
// RateLimit-Reset and RateLimit-Policy headers; an allowed one carries the same
// RateLimit-* headers of the budget it took from. A limiter that fails lets the
// request through: its failure is logged once when it starts and once when it ends,
// never answered as an error.
type RateLimit struct {
	// Limiter counts the requests; nil switches rate limiting off.
	Limiter ports.RateLimiter
	// Public, Bookings, Admin, AuthFailures and Webhooks are the budgets above; a zero
	// Limit takes DefaultRateLimit's.
	Public, Bookings, Admin, AuthFailures, Webhooks ports.Limit
	// Clubs scales the Public, Bookings and Admin budgets on the routes of a club, by
	// its slug: 2 doubles its events and burst, 0.5 halves them (to no less than one).
	// A club named here has budgets of its own: a client's requests to it do not take
	// from its budget at other clubs. A factor must be positive.
	Clubs map[string]float64
	// TrustedProxies are the networks of the proxies in front of the server. Only a
	// request whose peer is in one of them has its client taken from its
	// ProxyHeader (the right-most address that is not a trusted proxy); otherwise, and
	// by default, the headers are ignored and the peer is the client.
	TrustedProxies []netip.Prefix
	// ProxyHeader is the header the trusted proxies name the client in:
	// "X-Forwarded-For" (the default, when empty) or "Forwarded" (RFC 7239). The other
	// is never read: a proxy passes it on as the client wrote it.
	ProxyHeader string
	// OnReject, if set, hears of every request answered 429, with the name of the
	// budget used up (BudgetPublic, …). It must be quick: a metric's counter.
	OnReject func(budget string)
	// OnError, if set, hears of every limiter call that failed (the request went
	// through), with the budget's name.
	OnError func(budget string)
	// Clock tells when a client refused for its failed checks may try again; it should
	// be the Limiter's. Nil means ports.SystemClock.
	Clock ports.Clock
}

// withDefaults fills rl's zero limits from DefaultRateLimit.
func (rl RateLimit) withDefaults() RateLimit {
	d := DefaultRateLimit
	for _, f := range []struct{ v, def *ports.Limit }{
		{&rl.Public, &d.Public}, {&rl.Bookings, &d.Bookings}, {&rl.Admin, &d.Admin},
		{&rl.AuthFailures, &d.AuthFailures}, {&rl.Webhooks, &d.Webhooks},
	} {
		if *f.v == (ports.Limit{}) {
			*f.v = *f.def
		}
	}
	return rl
}

// Validate returns an invalid domain error for a limit ports.Limit.Validate refuses
// or a club's factor that is not a positive number. Zero limits are valid: they take
// the defaults.
func (rl RateLimit) Validate() error {
	rl = rl.withDefaults()
	for name, l := range map[string]ports.Limit{
		BudgetPublic: rl.Public, BudgetBookings: rl.Bookings, BudgetAdmin: rl.Admin,
		BudgetAuthFailures: rl.AuthFailures, BudgetWebhooks: rl.Webhooks,
	} {
		if err := l.Validate(); err != nil {
			return domain.Errorf(domain.CodeInvalid, "rate limit of %s: %s", name, domain.ErrorMessage(err))
		}
	}
	if !slices.Contains([]string{"", "X-Forwarded-For", "Forwarded"}, http.CanonicalHeaderKey(rl.ProxyHeader)) {
		return domain.Errorf(domain.CodeInvalid, "rate limit: the proxy header %q is neither X-Forwarded-For nor Forwarded", rl.ProxyHeader)
	}
	for club, f := range rl.Clubs {
		if !(f > 0) || math.IsInf(f, 0) {
			return domain.Errorf(domain.CodeInvalid, "rate limit of club %q: the factor %v must be a positive number", club, f)
		}
	}
	return nil
}

// routeClass says which budgets a route takes from.
type routeClass int

const (
	classNone    routeClass = iota // operations: never limited
	classPublic                    // Public per client
	classBooking                   // Bookings per client
	classToken                     // Public per client; checks a booking's token
	classWebhook                   // Webhooks per provider; checks a signature
	classAdmin                     // Admin per key once checked; checks the key
)

// classOf classifies a route of the table by its pattern.
func classOf(pattern string) routeClass {
	_, path, _ := strings.Cut(pattern, " ")
	switch {
	case pattern == "POST /v1/clubs/{club}/bookings":
		return classBooking
	case strings.HasPrefix(path, "/v1/bookings/"):
		return classToken
	case strings.HasPrefix(path, "/v1/webhooks/"):
		return classWebhook
	case strings.HasPrefix(path, "/v1/admin/"):
		return classAdmin
	case strings.HasPrefix(path, "/v1/"):
		return classPublic
	}
	return classNone
}

// checksCredentials tells whether a route's requests take from AuthFailures when
// they fail their check, and so are refused while it is used up.
func (c routeClass) checksCredentials() bool {
	return c == classToken || c == classWebhook || c == classAdmin
}

// failedCheck tells whether err, answered on a route of class c, is a failed check of
// credentials. A wrong access token is answered not_found, so as not to tell which
// bookings exist; a valid key of another club is forbidden.
func (c routeClass) failedCheck(err error) bool {
	switch domain.ErrorKind(err) {
	case domain.KindUnauthorized:
		return true
	case domain.KindNotFound:
		return c == classToken
	case domain.KindForbidden:
		return c == classAdmin
	}
	return false
}

// limits applies a RateLimit. A nil *limits limits nothing.
type limits struct {
	cfg     RateLimit
	log     *slog.Logger
	blocked *lru.Cache[string, block] // client address → until its failed checks are allowed again
	fwd     bool                      // the proxies name the client in Forwarded
	health  limiterHealth
	gateway func(name string) bool // whether a name is a configured gateway's
}

// unknownGateway is the one webhook budget of every name that is no configured
// gateway's, so that made-up names do not each get a budget of their own.
const unknownGateway = "(unknown)"

// block is what a client whose failed checks used up AuthFailures waits for.
type block struct {
	until time.Time
}

// newLimits returns the limits of rl, or nil when rl has no Limiter; gateway reports
// whether a name is a configured payment gateway's.
func newLimits(rl RateLimit, log *slog.Logger, gateway func(name string) bool) *limits {
	if rl.Limiter == nil {
		return nil
	}
	if rl.Clock == nil {
		rl.Clock = ports.SystemClock{}
	}
	blocked, _ := lru.New[string, block](maxBlocked) // a positive size cannot fail
	return &limits{cfg: rl.withDefaults(), log: log, blocked: blocked, fwd: http.CanonicalHeaderKey(rl.ProxyHeader) == "Forwarded", gateway: gateway}
}

// before takes the request's route budget and, on a route that checks credentials,
// refuses a client whose failed checks are used up. It returns the rate_limited error
// to answer, or nil to go on.
func (l *limits) before(w http.ResponseWriter, r *http.Request, c routeClass) error {
	if l == nil || c == classNone {
		return nil
	}
	client := clientAddr(r, l.cfg.TrustedProxies, l.fwd)
	if c.checksCredentials() {
		if b, ok := l.blocked.Get(client); ok {
			if wait := b.until.Sub(l.cfg.Clock.Now()); wait > 0 {
				setRateLimitHeaders(w.Header(), ports.Decision{Limit: l.cfg.AuthFailures, RetryAfter: wait, ResetAfter: wait})
				return l.rejected(BudgetAuthFailures, l.cfg.AuthFailures)
			}
			l.blocked.Remove(client)
		}
	}
	switch c {
	case classPublic, classToken:
		return l.take(w, r, BudgetPublic, l.clubKey(r, client), l.clubLimit(r, l.cfg.Public))
	case classBooking:
		return l.take(w, r, BudgetBookings, l.clubKey(r, client), l.clubLimit(r, l.cfg.Bookings))
	case classWebhook:
		gw := r.PathValue("gateway")
		if !l.gateway(gw) {
			gw = unknownGateway
		}
		return l.take(w, r, BudgetWebhooks, gw, l.cfg.Webhooks)
	}
	return nil
}

// admin takes a request from the Admin budget of its API key, once the key has been
// checked.
func (l *limits) admin(w http.ResponseWriter, r *http.Request, key string) error {
	if l == nil {
		return nil
	}
	sum := sha256.Sum256([]byte(key)) // the key itself never leaves the process
	return l.take(w, r, BudgetAdmin, l.clubKey(r, hex.EncodeToString(sum[:12])), l.clubLimit(r, l.cfg.Admin))
}

// after counts a failed check of credentials against the client's AuthFailures.
// When that failure used the budget up, the client is refused until a failure would
// be allowed again. The request's own answer stays the failed check's.
func (l *limits) after(r *http.Request, c routeClass, err error) {
	if l == nil || err == nil || !c.checksCredentials() || !c.failedCheck(err) {
		return
	}
	client := clientAddr(r, l.cfg.TrustedProxies, l.fwd)
	d, lerr := l.cfg.Limiter.Allow(r.Context(), BudgetAuthFailures+":"+client, l.cfg.AuthFailures)
	if lerr != nil {
		l.failed(r.Context(), BudgetAuthFailures, lerr)
		return
	}
	l.health.ok(r.Context(), l.log)
	var wait time.Duration
	switch {
	case !d.Allowed:
		wait = d.RetryAfter
	case d.Remaining == 0:
		// The next token comes back once the budget is Burst-1 from full.
		wait = d.ResetAfter - time.Duration(d.Limit.Burst-1)*d.Limit.Interval()
	}
	if wait > 0 {
		l.blocked.Add(client, block{until: l.cfg.Clock.Now().Add(wait)})
	}
}

// take takes one request from the budget of key, setting the RateLimit headers of
// the decision. A limiter's failure lets the request through.
func (l *limits) take(w http.ResponseWriter, r *http.Request, budget, key string, limit ports.Limit) error {
	if key == "" {
		return nil
	}
	d, err := l.cfg.Limiter.Allow(r.Context(), budget+":"+key, limit)
	if err != nil {
		l.failed(r.Context(), budget, err)
		return nil
	}
	l.health.ok(r.Context(), l.log)
	setRateLimitHeaders(w.Header(), d)
	if !d.Allowed {
		return l.rejected(budget, limit)
	}
	return nil
}

// rejected counts a refusal and returns its error.
func (l *limits) rejected(budget string, limit ports.Limit) error {
	if l.cfg.OnReject != nil {
		l.cfg.OnReject(budget)
	}
	what := "requests"
	if budget == BudgetAuthFailures {
		what = "failed credential checks"
	}
	return domain.Errorf(domain.CodeRateLimited, "too many %s: at most %d per %s are allowed; retry after the seconds of Retry-After", what, limit.Events, limit.Per)
}

// failed records a limiter's failure: the request goes through. A call cut short by
// the request's own end (its client gone, its deadline passed) is not the limiter's
// failure.
func (l *limits) failed(ctx context.Context, budget string, err error) {
	if ctx.Err() != nil {
		return
	}
	if l.cfg.OnError != nil {
		l.cfg.OnError(budget)
	}
	l.health.failed(ctx, l.log, budget, err)
}

// clubKey names a client's budget on the request's club: a club with a factor of its
// own has budgets of its own.
func (l *limits) clubKey(r *http.Request, client string) string {
	club := r.PathValue("club")
	if _, ok := l.cfg.Clubs[club]; ok && club != "" {
		return club + ":" + client
	}
	return client
}

// clubLimit scales limit by the request's club's factor, if it has one.
func (l *limits) clubLimit(r *http.Request, limit ports.Limit) ports.Limit {
	f, ok := l.cfg.Clubs[r.PathValue("club")]
	if !ok || f == 1 {
		return limit
	}
	scale := func(n int) int { return max(1, int(math.Round(float64(n)*f))) }
	return ports.Limit{Events: scale(limit.Events), Per: limit.Per, Burst: scale(limit.Burst)}
}

// setRateLimitHeaders writes a decision's headers: RateLimit-Limit, -Remaining,
// -Reset and -Policy always, Retry-After on a refusal. Durations are whole seconds,
// rounded up.
func setRateLimitHeaders(h http.Header, d ports.Decision) {
	h.Set("RateLimit-Limit", strconv.Itoa(d.Limit.Events))
	h.Set("RateLimit-Remaining", strconv.Itoa(d.Remaining))
	h.Set("RateLimit-Reset", strconv.FormatInt(ceilSeconds(d.ResetAfter), 10))
	h.Set("RateLimit-Policy", fmt.Sprintf("%d;w=%d;burst=%d", d.Limit.Events, max(ceilSeconds(d.Limit.Per), 1), d.Limit.Burst))
	if !d.Allowed {
		h.Set("Retry-After", strconv.FormatInt(max(ceilSeconds(d.RetryAfter), 1), 10))
	}
}

func ceilSeconds(d time.Duration) int64 {
	return int64(math.Ceil(d.Seconds()))
}

// limiterHealth logs a limiter's outage once when calls start failing, and once when
// one succeeds again, with how many failed meanwhile.
type limiterHealth struct {
	down    atomic.Bool // failing, read without the lock by every request
	mu      sync.Mutex
	failing bool
	count   int
	since   time.Time
}

func (h *limiterHealth) failed(ctx context.Context, log *slog.Logger, budget string, err error) {
	h.mu.Lock()
	if h.failing {
		h.count++
		h.mu.Unlock()
		return
	}
	h.failing, h.count, h.since = true, 1, time.Now()
	h.down.Store(true)
	h.mu.Unlock()
	log.WarnContext(ctx, "rate limiter failed; requests go through unlimited until it answers again",
		slog.String("budget", budget), slog.Any("err", err))
}

func (h *limiterHealth) ok(ctx context.Context, log *slog.Logger) {
	if !h.down.Load() {
		return
	}
	h.mu.Lock()
	if !h.failing {
		h.mu.Unlock()
		return
	}
	count, lasted := h.count, time.Since(h.since)
	h.failing = false
	h.down.Store(false)
	h.mu.Unlock()
	log.InfoContext(ctx, "rate limiter answers again",
		slog.Int("unlimited_requests", count), slog.Duration("outage", lasted.Round(time.Millisecond)))
}
