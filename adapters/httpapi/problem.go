package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/matchpoint/matchpoint/domain"
)

const (
	problemContentType = "application/problem+json"
	jsonContentType    = "application/json"
	// problemTypeBase prefixes a problem's code to make its RFC 9457 type URI.
	problemTypeBase = "https://matchpoint.dev/problems/"
	// codeMethodNotAllowed is the code of a 405: a routing answer, not a domain error.
	codeMethodNotAllowed = "method_not_allowed"
	// codeHeaderTooLarge is the code of a 431: the request's header fields are too large.
	codeHeaderTooLarge = "header_too_large"
	// internalDetail is all a client learns of an internal error.
	internalDetail = "an unexpected error occurred; it has been logged"
	// retryAfterSeconds is how long a 503 asks the client to wait (Retry-After).
	retryAfterSeconds = 5
	// outageQuiet is how long no request may fail on a dependency before the outage
	// counts as over: twice the Retry-After, so that clients retrying as told do not
	// split one outage into many.
	outageQuiet = 2 * retryAfterSeconds * time.Second
)

// unavailableDetail is all a client learns of a dependency's failure: which one failed
// and why (an address, a driver's message) is for the log.
var unavailableDetail = fmt.Sprintf("a service the server depends on is unavailable; retry after %d seconds", retryAfterSeconds)

// problem is an RFC 9457 problem detail with Match Point's stable code.
type problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Code     string `json:"code"`
	Instance string `json:"instance"`
}

// statusOf is the one mapping from domain error kinds to HTTP statuses.
func statusOf(k domain.Kind) int {
	switch k {
	case domain.KindInvalid:
		return http.StatusBadRequest
	case domain.KindNotFound:
		return http.StatusNotFound
	case domain.KindConflict:
		return http.StatusConflict
	case domain.KindPolicy:
		return http.StatusUnprocessableEntity
	case domain.KindForbidden:
		return http.StatusForbidden
	case domain.KindUnauthorized:
		return http.StatusUnauthorized
	case domain.KindUnavailable:
		return http.StatusServiceUnavailable
	case domain.KindRateLimited:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

// writeError writes err as a problem. The status comes from the error's kind and the
// code from the domain. A 5xx hides its cause from the client behind a generic detail:
// an internal error is logged with its request; a dependency's failure (503) asks the
// client to retry after a while (Retry-After), and is logged once per outage, with a
// count of the requests it failed, rather than once per request.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(domain.ErrorKind(err))
	code, detail := domain.ErrorCode(err), domain.ErrorMessage(err)
	pattern := ""
	if rw, ok := w.(*responseWriter); ok {
		pattern = rw.pattern
	}
	switch {
	case status == http.StatusInternalServerError:
		h.log.ErrorContext(r.Context(), "request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("pattern", pattern), slog.Any("err", err))
		if h.report != nil {
			h.report.Report(r.Context(), err, requestAttrs(r, pattern))
		}
		code, detail = domain.CodeInternal, internalDetail
	case status == http.StatusServiceUnavailable:
		h.outages.failed(r, h.log, pattern, err)
		code, detail = domain.CodeUnavailable, unavailableDetail
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
	case status == http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="matchpoint"`)
	}
	writeProblem(w, r, status, code, detail)
}

// outageLog logs a dependency's outage once when requests start failing on it, and
// once when they stop, with how many failed: during an outage every request fails,
// and a line for each would bury the log. Its zero value is ready for use.
type outageLog struct {
	mu          sync.Mutex
	quiet       time.Duration // zero means outageQuiet
	failing     bool
	count       int       // requests failed in this outage
	first, last time.Time // the outage's first and latest failure
	timer       *time.Timer
}

// failed records a request that failed on a dependency; the first of an outage is
// logged with its cause.
func (o *outageLog) failed(r *http.Request, log *slog.Logger, pattern string, err error) {
	now := time.Now()
	o.mu.Lock()
	if o.failing {
		o.count++
		o.last = now
		o.mu.Unlock()
		return
	}
	o.failing, o.count, o.first, o.last = true, 1, now, now
	o.timer = time.AfterFunc(o.quietPeriod(), func() { o.check(log) })
	o.mu.Unlock()
	log.WarnContext(r.Context(), "requests are failing on a dependency; the failures are counted until they stop",
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("pattern", pattern), slog.Any("err", err))
}

// check ends the outage if no request has failed for the quiet period, and otherwise
// looks again when it will have passed.
func (o *outageLog) check(log *slog.Logger) {
	o.mu.Lock()
	if !o.failing {
		o.mu.Unlock()
		return
	}
	if left := o.quietPeriod() - time.Since(o.last); left > 0 {
		o.timer.Reset(left)
		o.mu.Unlock()
		return
	}
	count, lasted := o.count, o.last.Sub(o.first)
	o.timer.Stop()
	o.failing, o.timer = false, nil
	o.mu.Unlock()
	log.Warn("requests no longer fail on a dependency",
		slog.Int("failed_requests", count), slog.Duration("outage", lasted.Round(time.Millisecond)))
}

func (o *outageLog) quietPeriod() time.Duration {
	if o.quiet > 0 {
		return o.quiet
	}
	return outageQuiet
}

// writeProblem writes a problem response.
func writeProblem(w http.ResponseWriter, r *http.Request, status int, code, detail string) {
	w.Header().Set("Content-Type", problemContentType)
	w.WriteHeader(status)
	_, _ = w.Write(problemBody(r, status, code, detail))
}

// problemBody encodes the problem of a request.
func problemBody(r *http.Request, status int, code, detail string) []byte {
	// A problem holds strings and an int: encoding it cannot fail.
	b, _ := json.Marshal(problem{
		Type: problemTypeBase + code, Title: titleOf(code), Status: status,
		Detail: detail, Code: code, Instance: r.URL.Path,
	})
	return append(b, '\n')
}

// titleOf makes a problem's title from its code ("slot_unavailable" gives "Slot
// unavailable"), so that every problem of one type has the same title.
func titleOf(code string) string {
	if code == "" {
		return "Error"
	}
	t := strings.ReplaceAll(code, "_", " ")
	return strings.ToUpper(t[:1]) + t[1:]
}

// writeJSON writes v as a JSON response with the status. It encodes v in full before
// writing anything, so that an encoding failure can still be answered with a problem.
func (h *Handler) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	buf := bufferPool.Get().(*bytes.Buffer)
	defer putBuffer(buf)
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// bufferPool holds the buffers responses are encoded in; availability answers run to
// tens of kilobytes, and reusing their buffers spares the allocator and the collector.
var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer keeps a rare huge response from pinning its buffer in the pool.
const maxPooledBuffer = 1 << 20

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuffer {
		bufferPool.Put(b)
	}
}

// invalidf returns a domain invalid error: the request is malformed.
func invalidf(format string, args ...any) error {
	return domain.Errorf(domain.CodeInvalid, format, args...)
}
