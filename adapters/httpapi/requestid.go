package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
)

// requestIDHeader carries a request's id both ways: a client (or the proxy in front)
// may name its request, and every answer says which id it was logged under.
const requestIDHeader = "X-Request-Id"

// maxRequestID bounds an id taken from a client.
const maxRequestID = 128

type requestIDKey struct{}

// RequestID returns the id of the request whose context ctx is, or "" outside one.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestIDOf returns the client's X-Request-Id when it is 1 to 128 characters of
// letters, digits, '-', '_', '.' or ':', and a new random id otherwise, so that no
// client can put text of its choosing into the log.
func requestIDOf(given string) string {
	if len(given) > 0 && len(given) <= maxRequestID {
		ok := true
		for i := 0; i < len(given) && ok; i++ {
			c := given[i]
			ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':'
		}
		if ok {
			return given
		}
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// LogHandler wraps h so that every record logged with a request's context carries
// the request's id (request_id), as the Handler's own line of the request does: the
// lines the use cases log while serving it can be told apart from other requests'.
func LogHandler(h slog.Handler) slog.Handler { return requestIDHandler{h} }

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
