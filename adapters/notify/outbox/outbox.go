package outbox

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/google/wire"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// ProviderSet provides an *Outbox as ports.Notifier.
var ProviderSet = wire.NewSet(New, wire.Bind(new(ports.Notifier), new(*Outbox)))

// DefaultLimit is how many messages an Outbox keeps when Config.Limit is zero.
const DefaultLimit = 1000

// Config configures an Outbox. The zero value keeps the last DefaultLimit messages and
// logs to slog.Default().
type Config struct {
	// Limit is how many of the most recent messages are kept; older ones are dropped.
	// Zero means DefaultLimit.
	Limit int
	// Logger receives one info line per message. Nil means slog.Default().
	Logger *slog.Logger
}

// Outbox is a Notifier that keeps messages in memory. It is safe for concurrent use.
type Outbox struct {
	log   *slog.Logger
	limit int

	mu   sync.Mutex
	ring []ports.Message // the last len(ring) messages, oldest at next once full
	next int             // where the next message goes once the ring is full
}

// New returns an empty Outbox.
func New(cfg Config) *Outbox {
	if cfg.Limit <= 0 {
		cfg.Limit = DefaultLimit
	}
	return &Outbox{log: cfg.Logger, limit: cfg.Limit}
}

// Send keeps a copy of m and logs its kind, booking and recipient. The text and
// attachments are not logged: they may hold the customer's access link.
func (o *Outbox) Send(ctx context.Context, m ports.Message) error {
	if err := ctx.Err(); err != nil {
		return domain.Errorf(domain.CodeUnavailable, "message not sent: %w", err)
	}
	if m.To == "" {
		return domain.Errorf(domain.CodeInvalid, "message %s for booking %q has no recipient", m.Kind, m.BookingID)
	}
	m = clone(m)

	o.mu.Lock()
	if len(o.ring) < o.limit {
		o.ring = append(o.ring, m)
	} else {
		o.ring[o.next] = m
		o.next = (o.next + 1) % o.limit
	}
	o.mu.Unlock()

	log := o.log
	if log == nil {
		log = slog.Default()
	}
	log.LogAttrs(ctx, slog.LevelInfo, "notification sent",
		slog.String("kind", string(m.Kind)),
		slog.String("booking_id", m.BookingID),
		slog.String("to", maskAddress(m.To)),
		slog.String("subject", m.Subject),
		slog.Int("attachments", len(m.Attachments)),
	)
	return nil
}

// Messages returns copies of the kept messages, oldest first.
func (o *Outbox) Messages() []ports.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]ports.Message, 0, len(o.ring))
	for i := range len(o.ring) {
		out = append(out, clone(o.ring[(o.next+i)%len(o.ring)]))
	}
	return out
}

// clone copies m deeply, so that neither the sender nor a reader of Messages can
// change what the outbox keeps.
func clone(m ports.Message) ports.Message {
	if m.Attachments != nil {
		m.Attachments = slices.Clone(m.Attachments)
		for i := range m.Attachments {
			m.Attachments[i].Data = slices.Clone(m.Attachments[i].Data)
		}
	}
	return m
}

// maskAddress shows an address in the log by its first letter and its domain
// ("a…@example.com"): enough to tell messages apart, not a customer's address in the
// logs of every deployment. The message itself, kept in the outbox, holds it whole.
func maskAddress(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" {
		return "…"
	}
	r, _ := utf8.DecodeRuneInString(local)
	return string(r) + "…@" + domain
}
