package sentry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	sentrygo "github.com/getsentry/sentry-go"

	"github.com/matchpoint/matchpoint/ports"
)

// Defaults for the zero values of Config.
const (
	DefaultTimeout   = 10 * time.Second
	DefaultQueueSize = 100
)

// Config configures a Reporter. DSN is required; the zero value of every other field
// is usable.
type Config struct {
	// DSN is the Sentry project's client key URL,
	// "https://PUBLIC_KEY@HOST/PROJECT_ID". Required.
	DSN string
	// Environment names the deployment in Sentry ("production", "staging"). Empty
	// means the SENTRY_ENVIRONMENT variable, and without it none (Sentry shows
	// "production").
	Environment string
	// Release names the running build ("matchpoint@1.4.0", a commit). Empty lets
	// sentry-go find one: SENTRY_RELEASE (or a CI's commit variable), else the VCS
	// revision the binary was built from, else `git describe` in the working
	// directory, else none.
	Release string
	// SampleRate is the share of reports sent to Sentry, in (0, 1]. Zero means 1
	// (every report); a value outside [0, 1] is an error. Reports not sent still reach
	// Also.
	SampleRate float64
	// Timeout bounds each request to Sentry, so that a hanging endpoint holds the
	// sending goroutine, never a caller of Report, for at most this long. Zero means
	// DefaultTimeout; a negative value is an error.
	Timeout time.Duration
	// QueueSize is how many reports may wait to be sent; a report that finds the queue
	// full is dropped (Sentry is told how many were, with the next one that goes
	// through). Zero means DefaultQueueSize; a negative value is an error.
	QueueSize int
	// Logger receives the reporter's own messages: at debug level the event id of each
	// report sent (to find it in Sentry from the logs), at warn level a Flush that
	// ended with reports unsent and a report that could not be built. Nil means
	// slog.Default().
	Logger *slog.Logger
	// Also receives every report too, unchanged and before it is sent: for instance
	// adapters/system's Reporter, to keep each failure in the process's log. Nil means
	// Sentry only.
	Also ports.ErrorReporter
}

// Reporter is a ports.ErrorReporter that sends each report to Sentry as an event,
// scrubbed of the secrets it recognises first (see the package documentation). Report never
// blocks on the network: events wait in a bounded queue for one sending goroutine.
// It is safe for concurrent use. Each Reporter has its own sentry-go client and hub;
// it never touches sentry-go's global hub.
type Reporter struct {
	client *sentrygo.Client
	hub    *sentrygo.Hub
	log    *slog.Logger
	also   ports.ErrorReporter
	closed atomic.Bool // set by Close: the client's transport may still send otherwise
}

// New returns a Reporter that sends to cfg.DSN. A missing or malformed DSN, a
// SampleRate outside [0, 1], or a negative Timeout or QueueSize is an error naming the
// Config field. It starts the sending goroutine; Close stops it.
func New(cfg Config) (*Reporter, error) {
	if strings.TrimSpace(cfg.DSN) == "" {
		return nil, errors.New("sentry: Config.DSN is required")
	}
	if _, err := sentrygo.NewDsn(cfg.DSN); err != nil {
		// The parser's message may quote the DSN, key included: only its reason is kept.
		reason := "not a URL"
		var perr *sentrygo.DsnParseError
		if errors.As(err, &perr) && !strings.HasPrefix(perr.Message, "invalid url") {
			reason = perr.Message
		}
		return nil, fmt.Errorf("sentry: Config.DSN is not a Sentry DSN (%s); want scheme://PUBLIC_KEY@HOST/PROJECT_ID", reason)
	}
	if math.IsNaN(cfg.SampleRate) || cfg.SampleRate < 0 || cfg.SampleRate > 1 {
		return nil, fmt.Errorf("sentry: Config.SampleRate %v is outside [0, 1]", cfg.SampleRate)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("sentry: Config.Timeout %v is negative", cfg.Timeout)
	}
	if cfg.QueueSize < 0 {
		return nil, fmt.Errorf("sentry: Config.QueueSize %d is negative", cfg.QueueSize)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.QueueSize == 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}

	transport := sentrygo.NewHTTPTransport()
	transport.Timeout = cfg.Timeout
	transport.BufferSize = cfg.QueueSize
	client, err := sentrygo.NewClient(sentrygo.ClientOptions{
		Dsn:         cfg.DSN,
		Environment: cfg.Environment,
		Release:     cfg.Release,
		SampleRate:  cfg.SampleRate, // sentry-go, too, takes 0 for 1
		// Asynchronous: SendEvent queues the envelope and returns; one goroutine sends.
		Transport:      transport,
		BeforeSend:     func(ev *sentrygo.Event, _ *sentrygo.EventHint) *sentrygo.Event { return scrubEvent(ev) },
		SendDefaultPII: false,
		MaxBreadcrumbs: -1, // reports are self-contained: no breadcrumbs collected
		DisableMetrics: true,
		Integrations: func(in []sentrygo.Integration) []sentrygo.Integration {
			// ContextifyFrames reads source files to add lines around each frame: disk
			// reads in the caller's goroutine, and code the event has no need of.
			out := in[:0]
			for _, i := range in {
				if i.Name() != "ContextifyFrames" {
					out = append(out, i)
				}
			}
			return out
		},
	})
	if err != nil {
		return nil, fmt.Errorf("sentry: %w", err)
	}
	return &Reporter{
		client: client,
		hub:    sentrygo.NewHub(client, sentrygo.NewScope()),
		log:    cfg.Logger,
		also:   cfg.Also,
	}, nil
}

// errNilReport stands for the error of a Report called with nil, so that the call is
// still visible.
var errNilReport = errors.New("an error was reported without an error value (nil)")

// Report sends err to Sentry as an error event after passing it to Config.Also. The
// event carries err's message and type and those of every error it wraps
// (errors.Unwrap, and each error of a join), the stack of the call, the release and
// environment, and attrs as tags: each attribute whose key and value fit Sentry's tag
// limits (a key of at most 32 letters, digits, '_', '.', ':' or '-'; a value of at
// most 200 characters on one line) is a tag, searchable in Sentry; the others are in
// the event's "attrs" context. The attributes "method", "route" and "path" also make
// the event's request (see ReportPanic). Everything is scrubbed before it is queued.
// Report returns once the event is queued; it never fails and never waits for the
// network.
func (r *Reporter) Report(ctx context.Context, err error, attrs map[string]string) {
	if r.also != nil {
		r.also.Report(ctx, err, attrs)
	}
	if err == nil {
		err = errNilReport
	}
	r.capture(ctx, func() *sentrygo.Event { return r.client.EventFromException(err, sentrygo.LevelError) }, attrs)
}

// ReportPanic reports a value recovered from a panic, with the stack of the panicking
// goroutine: call it in the deferred function that recovered, before anything else.
// It does nothing when recovered is nil. The event is at fatal level and marked
// unhandled; an error value keeps its type and wrapped chain, any other value is an
// exception of type "panic" with the value printed. Config.Also receives the panic as
// an error "panic: <value>" (the error itself when the value is one).
//
// It takes no *http.Request, so that an HTTP layer that must not import this package
// can be given it as a plain function. Such a layer passes the request in attrs:
// "method" (r.Method), "route" (the matched pattern, r.Pattern) and "path"
// (r.URL.Path), which make the event's request and its transaction (the route).
// Never pass the query string or headers: the scrubbing removes what it recognises,
// but a query string is dropped from any URL and a header is never read.
func (r *Reporter) ReportPanic(ctx context.Context, recovered any, attrs map[string]string) {
	if recovered == nil {
		return
	}
	err, isErr := recovered.(error)
	if r.also != nil {
		if isErr {
			r.also.Report(ctx, err, attrs)
		} else {
			r.also.Report(ctx, fmt.Errorf("panic: %v", recovered), attrs)
		}
	}
	r.capture(ctx, func() *sentrygo.Event {
		var ev *sentrygo.Event
		if isErr {
			ev = r.client.EventFromException(err, sentrygo.LevelFatal)
		} else {
			ev = sentrygo.NewEvent()
			ev.Level = sentrygo.LevelFatal
			ev.Exception = []sentrygo.Exception{{
				Type:       "panic",
				Value:      fmt.Sprint(recovered),
				Stacktrace: sentrygo.NewStacktrace(),
			}}
		}
		if n := len(ev.Exception); n > 0 {
			top := &ev.Exception[n-1]
			if top.Mechanism == nil {
				top.Mechanism = &sentrygo.Mechanism{}
			}
			top.Mechanism.Type = "panic"
			top.Mechanism.SetUnhandled()
		}
		return ev
	}, attrs)
}

// capture builds the event with build, adds attrs, and hands it to a hub of its own,
// whose client scrubs it (BeforeSend) and queues it. A panic while building (an
// error whose Error method panics) is logged, never passed on.
func (r *Reporter) capture(ctx context.Context, build func() *sentrygo.Event, attrs map[string]string) {
	if r.closed.Load() {
		return
	}
	defer func() {
		if v := recover(); v != nil {
			r.log.WarnContext(ctx, "sentry: a report could not be built", "panic", scrub(fmt.Sprint(v)))
		}
	}()
	ev := build()
	tags, rest := splitAttrs(attrs)
	hub := r.hub.Clone()
	scope := hub.Scope()
	scope.SetTags(tags)
	if len(rest) > 0 {
		scope.SetContext("attrs", rest)
	}
	if req := requestOf(attrs); req != nil {
		ev.Request = req
		ev.Transaction = attrs["route"]
	}
	trimOwnFrames(ev)
	if id := hub.CaptureEvent(ev); id != nil {
		r.log.DebugContext(ctx, "sentry: error reported", "event_id", string(*id))
	}
}

// pkgPath is this package's import path, the module of its stack frames.
var pkgPath = reflect.TypeFor[Reporter]().PkgPath()

// trimOwnFrames drops the reporter's own frames from the innermost end of each stack
// of ev, so that a stack ends where Report or ReportPanic was called.
func trimOwnFrames(ev *sentrygo.Event) {
	for _, e := range ev.Exception {
		if e.Stacktrace == nil {
			continue
		}
		f := e.Stacktrace.Frames
		for len(f) > 0 && f[len(f)-1].Module == pkgPath {
			f = f[:len(f)-1]
		}
		e.Stacktrace.Frames = f
	}
}

// tagKey is what Sentry accepts as a tag key.
var tagKey = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,32}$`)

// splitAttrs parts attrs into Sentry tags and the rest, which goes to a context.
func splitAttrs(attrs map[string]string) (map[string]string, sentrygo.Context) {
	tags := make(map[string]string, len(attrs))
	var rest sentrygo.Context
	for k, v := range attrs {
		if tagKey.MatchString(k) && len([]rune(v)) <= 200 && !strings.ContainsAny(v, "\r\n") {
			tags[k] = v
			continue
		}
		if rest == nil {
			rest = sentrygo.Context{}
		}
		rest[k] = v
	}
	return tags, rest
}

// requestOf returns the request the attributes "method", "route" and "path"
// describe, or nil when there is none. The URL is the path alone.
func requestOf(attrs map[string]string) *sentrygo.Request {
	method, path := attrs["method"], attrs["path"]
	if method == "" && path == "" && attrs["route"] == "" {
		return nil
	}
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	return &sentrygo.Request{Method: method, URL: path}
}

// Flush waits until every queued report has been sent or has failed, or until ctx
// ends; then it returns an error, as reports are still queued. With a ctx without
// deadline it waits at most Config.Timeout for each queued report. Call it before
// the process exits.
func (r *Reporter) Flush(ctx context.Context) error {
	if r.client.FlushWithContext(ctx) {
		return nil
	}
	err := fmt.Errorf("sentry: the flush ended with reports unsent: %w", context.Cause(ctx))
	r.log.WarnContext(ctx, err.Error())
	return err
}

// Close stops the sending goroutine; reports still queued are lost, so Flush first.
// Reports made after Close are dropped (Config.Also still receives them). Calling
// Close twice is harmless.
func (r *Reporter) Close() {
	r.closed.Store(true)
	r.client.Close()
}
