package compose

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// RiverLogger is the logger of the River queue: log, with component=river on every
// line, and each warning or error River repeats (the same message and attributes, as
// its fetch loop and maintenance services log on every poll while the database is
// away) logged once per riverLogWindow, so that an outage leaves a few lines rather
// than one a second. Lines about different jobs differ in their attributes and are
// all kept.
func RiverLogger(log *slog.Logger) *slog.Logger {
	return slog.New(&onceHandler{next: log.Handler(), seen: &sync.Map{}}).With("component", "river")
}

// riverLogWindow is how long a repeated River warning or error stays silent.
const riverLogWindow = time.Minute

// onceHandler drops a warning or error already handled, with the same message and
// attributes, within riverLogWindow.
type onceHandler struct {
	next  slog.Handler
	attrs string // the attributes of With, part of the key
	seen  *sync.Map
}

// Enabled is the next handler's.
func (h *onceHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// Handle drops r if it is a warning or error seen within riverLogWindow, and passes
// it on otherwise.
func (h *onceHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		var key strings.Builder
		key.WriteString(h.attrs + "|" + r.Message)
		r.Attrs(func(a slog.Attr) bool {
			key.WriteString("|" + a.String())
			return true
		})
		if last, ok := h.seen.Load(key.String()); ok && r.Time.Sub(last.(time.Time)) < riverLogWindow {
			return nil
		}
		h.seen.Store(key.String(), r.Time)
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs adds as to the next handler and to the key of repeats.
func (h *onceHandler) WithAttrs(as []slog.Attr) slog.Handler {
	attrs := h.attrs
	for _, a := range as {
		attrs += "|" + a.String()
	}
	return &onceHandler{next: h.next.WithAttrs(as), attrs: attrs, seen: h.seen}
}

// WithGroup opens the group in the next handler and in the key of repeats.
func (h *onceHandler) WithGroup(name string) slog.Handler {
	return &onceHandler{next: h.next.WithGroup(name), attrs: h.attrs + "|" + name + ".", seen: h.seen}
}
