package system

import (
	"context"
	"log/slog"
	"maps"
	"slices"

	"github.com/google/uuid"
	"github.com/google/wire"

	"github.com/matchpoint/matchpoint/ports"
)

// ProviderSet provides the system Clock and IDs as ports.Clock and ports.IDs.
var ProviderSet = wire.NewSet(
	NewClock,
	NewIDs,
	wire.Bind(new(ports.Clock), new(Clock)),
	wire.Bind(new(ports.IDs), new(IDs)),
)

// ReporterSet provides Reporter as ports.ErrorReporter. It is separate from
// ProviderSet so that a composition root can keep the system clock while reporting
// errors elsewhere (Sentry).
var ReporterSet = wire.NewSet(
	NewReporter,
	wire.Bind(new(ports.ErrorReporter), new(*Reporter)),
)

// Clock is the system clock: it tells the time through ports.SystemClock, the one
// implementation the adapters' defaults share, under a name of its own for the
// composition roots. Its zero value is ready to use.
type Clock struct{ ports.SystemClock }

// NewClock returns the system clock.
func NewClock() Clock { return Clock{} }

// IDs makes UUIDv7 identifiers: 36-character lowercase strings that sort in the order
// they were made within one process, and roughly by time across processes. Its zero
// value is ready to use.
type IDs struct{}

// NewIDs returns the UUIDv7 generator.
func NewIDs() IDs { return IDs{} }

// NewID returns a new UUIDv7 string. It panics only if the system's random source
// fails, which leaves the process unable to make any secret or identifier.
func (IDs) NewID() string { return uuid.Must(uuid.NewV7()).String() }

// Reporter is a ports.ErrorReporter that logs each report at error level. It never
// blocks beyond the logger's own write.
type Reporter struct {
	log *slog.Logger
}

// NewReporter returns a Reporter that logs to log, or to slog.Default() when log is nil.
func NewReporter(log *slog.Logger) *Reporter { return &Reporter{log: log} }

// Report logs err with attrs as attributes, in key order.
func (r *Reporter) Report(ctx context.Context, err error, attrs map[string]string) {
	log := r.log
	if log == nil {
		log = slog.Default()
	}
	args := make([]slog.Attr, 0, len(attrs)+1)
	args = append(args, slog.Any("error", err))
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		args = append(args, slog.String(k, attrs[k]))
	}
	log.LogAttrs(ctx, slog.LevelError, "error reported", args...)
}
