package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/google/wire"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// ProviderSet provides the Handler; the composition root provides *app.App and Config.
var ProviderSet = wire.NewSet(New)

// DefaultMaxBodyBytes bounds request bodies when Config.MaxBodyBytes is zero.
const DefaultMaxBodyBytes = 64 << 10

// readyTimeout bounds a readiness check, so that a hung dependency fails the probe
// instead of hanging it.
const readyTimeout = 3 * time.Second

// Config configures a Handler. The zero value logs to slog.Default(), is always ready,
// mounts nothing under /sandbox/ and accepts bodies of up to 64 KiB and header fields
// of up to 64 KiB.
type Config struct {
	// Logger receives one line per request and every internal error; nil means
	// slog.Default().
	Logger *slog.Logger
	// Ready reports whether this instance can serve traffic (its store answers, for
	// example); GET /readyz answers 503 while it returns an error. It is given at most
	// three seconds. Nil means always ready.
	Ready func(ctx context.Context) error
	// Extra serves every path under /sandbox/, such as the sandbox payment gateway's
	// checkout page. Nil leaves those paths unrouted (404).
	Extra http.Handler
	// MaxBodyBytes bounds request bodies, webhooks included; a larger body is a 400.
	// Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxHeaderBytes bounds a request's header fields, as headerBytes measures them; a
	// request with more is answered 431 with a problem. Zero means
	// DefaultMaxHeaderBytes. The http.Server in front should allow more
	// (Server.MaxHeaderBytes): beyond its own limit Go's server answers 431 in plain
	// text before any handler runs.
	MaxHeaderBytes int
	// Reporter hears of every request answered 500 (an internal error, or a panic),
	// with the request's method, route pattern and path — never its query string,
	// headers or body, where tokens and keys travel. Nil reports nothing beyond the log.
	Reporter ports.ErrorReporter
	// OnPanic, if set, hears of a panic instead of Reporter, with the value recovered
	// and the same attributes, so that an error tracker can keep the panic's stack (the
	// Sentry adapter's ReportPanic does). It runs in the goroutine that panicked.
	OnPanic func(ctx context.Context, recovered any, attrs map[string]string)
	// Observe, if set, hears of every request once it is answered, whatever the log
	// level: route is the path of the matched route's pattern ("/v1/bookings/{id}"),
	// "/sandbox/" for Config.Extra's paths, or "" when no route matched (a 404 or 405
	// of the router, a request refused before routing); method is the request's;
	// status is the answer's (200 when the endpoint set none; 500 after a panic); d is
	// the time from receiving the request to returning from the handler. It runs in
	// the request's goroutine, so it must be quick: a metrics library's counters, for
	// example.
	Observe func(route, method string, status int, d time.Duration)
	// RateLimit limits the requests of each client, API key and payment provider;
	// its zero value (no Limiter) limits nothing.
	RateLimit RateLimit
	// AvailabilityCache says how many availability answers the process keeps encoded
	// and how long shared caches may hold one (see answers.go); its zero value suits
	// most servers.
	AvailabilityCache AvailabilityCache
}

// Handler serves the Match Point HTTP API. It implements http.Handler.
type Handler struct {
	app     *app.App
	log     *slog.Logger
	ready   func(ctx context.Context) error
	maxBody int64
	maxHead int
	mux     *http.ServeMux
	routes  []string
	outages outageLog // see writeError
	report  ports.ErrorReporter
	onPanic func(ctx context.Context, recovered any, attrs map[string]string)
	observe func(route, method string, status int, d time.Duration)
	limits  *limits // nil: no rate limits
	answers *answers
}

// requestAttrs are what a report says of the request: never its query string,
// headers or body.
func requestAttrs(r *http.Request, pattern string) map[string]string {
	return map[string]string{"method": r.Method, "route": pattern, "path": r.URL.Path}
}

// reportPanic tells OnPanic, or else Reporter, of a panic serving r.
func (h *Handler) reportPanic(r *http.Request, pattern string, v any) {
	switch {
	case h.onPanic != nil:
		h.onPanic(r.Context(), v, requestAttrs(r, pattern))
	case h.report != nil:
		h.report.Report(r.Context(), fmt.Errorf("panic: %v", v), requestAttrs(r, pattern))
	}
}

// handlerFunc is an endpoint: it writes a response or returns an error, which the
// Handler writes as a problem.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is one endpoint of the API: a ServeMux pattern with its method.
type route struct {
	pattern string
	fn      handlerFunc
}

// New returns the HTTP API over a.
func New(a *app.App, cfg Config) *Handler {
	h := &Handler{app: a, log: cfg.Logger, ready: cfg.Ready, maxBody: cfg.MaxBodyBytes, maxHead: cfg.MaxHeaderBytes, mux: http.NewServeMux(),
		report: cfg.Reporter, onPanic: cfg.OnPanic, observe: cfg.Observe}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if h.maxHead <= 0 {
		h.maxHead = DefaultMaxHeaderBytes
	}
	h.limits = newLimits(cfg.RateLimit, h.log, a.Payments.Accepts)
	h.answers = newAnswers(cfg.AvailabilityCache)
	for _, rt := range h.table() {
		h.mux.Handle(rt.pattern, h.endpoint(rt.pattern, rt.fn))
		h.routes = append(h.routes, rt.pattern)
	}
	slices.Sort(h.routes)
	if cfg.Extra != nil {
		const mount = "/sandbox/"
		h.mux.Handle(mount, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			markRouted(w, mount)
			cfg.Extra.ServeHTTP(w, r)
		}))
	}
	return h
}

// table lists every endpoint of the API. openapi.yaml describes each one; a test
// checks that the two agree.
func (h *Handler) table() []route {
	return []route{
		{"GET /healthz", h.healthz},
		{"GET /readyz", h.readyz},
		{"GET /openapi.yaml", h.openapi},

		{"GET /v1/clubs/{club}/availability", h.availability},
		{"POST /v1/clubs/{club}/quotes", h.quote},
		{"POST /v1/clubs/{club}/bookings", h.createBooking},
		{"GET /v1/bookings/{id}", h.getBooking},
		{"POST /v1/bookings/{id}/cancel", h.cancelBooking},
		{"POST /v1/webhooks/{gateway}", h.webhook},

		{"GET /v1/admin/clubs/{club}/courts", h.admin(h.listCourts)},
		{"POST /v1/admin/clubs/{club}/courts", h.admin(h.createCourt)},
		{"PUT /v1/admin/clubs/{club}/courts/{id}", h.admin(h.replaceCourt)},
		{"GET /v1/admin/clubs/{club}/seasons", h.admin(h.listSeasons)},
		{"POST /v1/admin/clubs/{club}/seasons", h.admin(h.createSeason)},
		{"PUT /v1/admin/clubs/{club}/seasons/{id}", h.admin(h.replaceSeason)},
		{"DELETE /v1/admin/clubs/{club}/seasons/{id}", h.admin(h.deleteSeason)},
		{"GET /v1/admin/clubs/{club}/closures", h.admin(h.listClosures)},
		{"POST /v1/admin/clubs/{club}/closures", h.admin(h.createClosure)},
		{"PUT /v1/admin/clubs/{club}/closures/{id}", h.admin(h.replaceClosure)},
		{"DELETE /v1/admin/clubs/{club}/closures/{id}", h.admin(h.deleteClosure)},
		{"GET /v1/admin/clubs/{club}/price-rules", h.admin(h.listPriceRules)},
		{"POST /v1/admin/clubs/{club}/price-rules", h.admin(h.createPriceRule)},
		{"PUT /v1/admin/clubs/{club}/price-rules/{id}", h.admin(h.replacePriceRule)},
		{"DELETE /v1/admin/clubs/{club}/price-rules/{id}", h.admin(h.deletePriceRule)},
		{"GET /v1/admin/clubs/{club}/bookings", h.admin(h.listBookings)},
		{"POST /v1/admin/clubs/{club}/bookings/{id}/no-show", h.admin(h.markNoShow)},
		{"GET /v1/admin/clubs/{club}/reports", h.admin(h.listReports)},
		{"POST /v1/admin/clubs/{club}/reports", h.admin(h.requestReport)},
		{"GET /v1/admin/clubs/{club}/reports/{id}", h.admin(h.getReport)},
		{"GET /v1/admin/clubs/{club}/refunds", h.admin(h.listRefunds)},
		{"POST /v1/admin/clubs/{club}/refunds/{id}/retry", h.admin(h.retryRefund)},
	}
}

// Routes returns the pattern ("METHOD /path") of every endpoint of the API, sorted.
// The mount for Config.Extra is not among them: it belongs to another adapter.
func (h *Handler) Routes() []string { return slices.Clone(h.routes) }

// ServeHTTP refuses requests with oversized headers (431) or with text no field may
// hold in their path or query (400 invalid_request), routes the rest, turns the
// ServeMux's plain-text 404 and 405 answers into problems, recovers from panics and
// logs one line per request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := requestIDOf(r.Header.Get(requestIDHeader))
	r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
	w.Header().Set(requestIDHeader, id)
	rw := &responseWriter{ResponseWriter: w, req: r}
	defer func() {
		v := recover()
		abort := v == http.ErrAbortHandler
		if v != nil && !abort {
			h.log.ErrorContext(r.Context(), "panic serving request",
				"method", r.Method, "path", r.URL.Path, "pattern", rw.pattern,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			h.reportPanic(r, rw.pattern, v)
			if rw.wroteHeader {
				// The response is under way: abort the connection rather than let the
				// client take a truncated body for a whole one.
				abort = true
			} else {
				// Whatever the endpoint had set (a Location, a cache policy) is not about
				// this answer.
				clear(rw.Header())
				rw.Header().Set(requestIDHeader, id)
				rw.writeProblem(http.StatusInternalServerError, domain.CodeInternal, internalDetail)
			}
		}
		h.logRequest(r, rw, time.Since(start))
		if abort {
			panic(http.ErrAbortHandler)
		}
	}()
	if n := headerBytes(r); n > h.maxHead {
		rw.writeProblem(http.StatusRequestHeaderFieldsTooLarge, codeHeaderTooLarge,
			fmt.Sprintf("the request's header fields take %d bytes; at most %d bytes are accepted", n, h.maxHead))
		return
	}
	if err := checkURLText(r.URL); err != nil {
		h.writeError(rw, r, err)
		return
	}
	h.mux.ServeHTTP(rw, r)
}

// endpoint adapts an endpoint to http.Handler: it records the matched pattern for the
// request log, applies the rate limits of the route and writes the endpoint's error as
// a problem.
func (h *Handler) endpoint(pattern string, fn handlerFunc) http.Handler {
	class := classOf(pattern)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		markRouted(w, pattern)
		err := h.limits.before(w, r, class)
		if err == nil {
			err = fn(w, r)
			h.limits.after(r, class, err)
		}
		if err != nil {
			h.writeError(w, r, err)
		}
	})
}

func (h *Handler) logRequest(r *http.Request, rw *responseWriter, d time.Duration) {
	status := rw.status
	if status == 0 {
		status = http.StatusOK
	}
	if h.observe != nil {
		route := rw.pattern
		if _, path, ok := strings.Cut(route, " "); ok { // "GET /v1/…": the method is apart
			route = path
		}
		h.observe(route, r.Method, status, d)
	}
	ctx := r.Context()
	if !h.log.Enabled(ctx, slog.LevelInfo) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("pattern", rw.pattern),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Duration("duration", d),
		slog.Int64("bytes", rw.bytes),
	}
	if club := r.PathValue("club"); club != "" {
		attrs = append(attrs, slog.String("club", club))
	}
	if _, ok := h.log.Handler().(requestIDHandler); !ok { // LogHandler adds it itself
		attrs = append(attrs, slog.String("request_id", RequestID(ctx)))
	}
	h.log.LogAttrs(ctx, slog.LevelInfo, "http request", attrs...)
}

// readBody reads the request body, at most h.maxBody bytes of it.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, invalidf("the request body is larger than %d bytes", tooLarge.Limit)
		}
		return nil, invalidf("the request body could not be read")
	}
	return body, nil
}

// responseWriter records what a response did for the request log, and stands in for
// the ServeMux's own 404 and 405 bodies with problems.
type responseWriter struct {
	http.ResponseWriter
	req         *http.Request
	pattern     string // the matched route; empty while unrouted
	status      int
	wroteHeader bool
	swallow     bool // the ServeMux's plain-text body is being replaced
	bytes       int64
}

// markRouted tells the responseWriter under w (if any) which pattern matched, and
// names the request's span after it.
func markRouted(w http.ResponseWriter, pattern string) {
	if rw, ok := w.(*responseWriter); ok {
		rw.pattern = pattern
		nameSpan(rw.req, pattern)
	}
}

func (w *responseWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	if w.pattern == "" && (code == http.StatusNotFound || code == http.StatusMethodNotAllowed) {
		// The ServeMux found no route: answer with a problem and drop its text body.
		w.swallow = true
		if code == http.StatusNotFound {
			w.writeProblem(code, domain.CodeNotFound, fmt.Sprintf("no resource at %s", w.req.URL.Path))
		} else {
			w.writeProblem(code, codeMethodNotAllowed, fmt.Sprintf("%s is not allowed on %s (allowed: %s)", w.req.Method, w.req.URL.Path, w.Header().Get("Allow")))
		}
		return
	}
	w.status, w.wroteHeader = code, true
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.swallow {
		return len(p), nil
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// writeProblem writes a problem straight to the client, bypassing the interception.
func (w *responseWriter) writeProblem(status int, code, detail string) {
	hdr := w.Header()
	hdr.Del("Content-Length")
	body := problemBody(w.req, status, code, detail)
	hdr.Set("Content-Type", problemContentType)
	w.status, w.wroteHeader = status, true
	w.ResponseWriter.WriteHeader(status)
	n, _ := w.ResponseWriter.Write(body)
	w.bytes += int64(n)
}

// Unwrap lets http.ResponseController reach the underlying writer (to flush, for one).
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
