package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"

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
)

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
	default:
		return http.StatusInternalServerError
	}
}

// writeError writes err as a problem. The status comes from the error's kind and the
// code from the domain; an internal error is logged with its request and reaches the
// client only as a generic detail.
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
		code, detail = domain.CodeInternal, internalDetail
	case status == http.StatusServiceUnavailable:
		h.log.WarnContext(r.Context(), "request failed on a dependency",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("pattern", pattern), slog.Any("err", err))
	case status == http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="matchpoint"`)
	}
	writeProblem(w, r, status, code, detail)
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
	return domain.Errorf(domain.KindInvalid, domain.CodeInvalid, format, args...)
}
