package sentry_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sentrygo "github.com/getsentry/sentry-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/sentry"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

var _ ports.ErrorReporter = (*sentry.Reporter)(nil)

// sink is a local stand-in for Sentry: an HTTP server on a loopback port that keeps
// the body of every envelope it accepts. With hold set, it holds each request until
// hold is closed, the client gives up, or the test ends.
type sink struct {
	srv       *httptest.Server
	hold      chan struct{}
	stop      chan struct{}
	arrived   chan struct{} // one value per request, as it arrives
	abandoned chan struct{} // one value per held request the client gave up on

	mu     sync.Mutex
	bodies [][]byte
}

func newSink(t *testing.T, hold bool) *sink {
	t.Helper()
	s := &sink{
		stop:      make(chan struct{}),
		arrived:   make(chan struct{}, 1000),
		abandoned: make(chan struct{}, 1000),
	}
	if hold {
		s.hold = make(chan struct{})
	}
	s.srv = httptest.NewServer(s)
	t.Cleanup(func() {
		close(s.stop) // a held request must end before the server can close
		s.srv.Close()
	})
	return s
}

// dsn is the DSN of the sink: public key "publickey", project 1.
func (s *sink) dsn() string {
	return "http://publickey@" + s.srv.Listener.Addr().String() + "/1"
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/api/1/envelope/" ||
		!strings.Contains(r.Header.Get("X-Sentry-Auth"), "sentry_key=publickey") {
		http.NotFound(w, r)
		return
	}
	s.arrived <- struct{}{}
	if s.hold != nil {
		select {
		case <-s.hold:
		case <-r.Context().Done():
			s.abandoned <- struct{}{}
			return
		case <-s.stop:
			return
		}
	}
	s.mu.Lock()
	s.bodies = append(s.bodies, body)
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// raw returns every body the sink accepted, joined.
func (s *sink) raw() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Join(s.bodies, []byte("\n"))
}

// events returns the event items of the envelopes accepted so far, in order.
func (s *sink) events(t *testing.T) []map[string]any {
	t.Helper()
	s.mu.Lock()
	bodies := append([][]byte(nil), s.bodies...)
	s.mu.Unlock()
	var events []map[string]any
	for _, b := range bodies {
		env := parseEnvelope(t, b)
		assert.Equal(t, "http://publickey@"+s.srv.Listener.Addr().String()+"/1", env.header["dsn"], "the envelope names its DSN")
		for _, it := range env.items {
			if it.header["type"] != "event" {
				continue
			}
			var ev map[string]any
			require.NoError(t, json.Unmarshal(it.payload, &ev), "an event item is a JSON object")
			assert.Equal(t, env.header["event_id"], ev["event_id"], "the envelope header names the event it carries")
			events = append(events, ev)
		}
	}
	return events
}

// envelope is a parsed Sentry envelope: a JSON header line, then items, each a JSON
// header line and a payload of the header's "length" bytes, or up to the next newline
// when the header has no length.
type envelope struct {
	header map[string]any
	items  []envelopeItem
}

type envelopeItem struct {
	header  map[string]any
	payload []byte
}

func parseEnvelope(t *testing.T, raw []byte) envelope {
	t.Helper()
	r := bufio.NewReader(bytes.NewReader(raw))
	line := func() []byte {
		b, err := r.ReadBytes('\n')
		if err != nil && err != io.EOF {
			t.Fatalf("reading the envelope: %v", err)
		}
		return bytes.TrimSuffix(b, []byte("\n"))
	}
	var env envelope
	require.NoError(t, json.Unmarshal(line(), &env.header), "the envelope starts with a JSON header line")
	for {
		h := line()
		if len(h) == 0 {
			if _, err := r.Peek(1); err == io.EOF {
				return env
			}
			continue
		}
		var it envelopeItem
		require.NoError(t, json.Unmarshal(h, &it.header), "an item starts with a JSON header line: %s", h)
		if n, ok := it.header["length"].(float64); ok {
			it.payload = make([]byte, int(n))
			_, err := io.ReadFull(r, it.payload)
			require.NoError(t, err, "the item's payload has the length its header says")
		} else {
			it.payload = line()
		}
		env.items = append(env.items, it)
	}
}

// newReporter returns a Reporter on cfg with the sink's DSN, closed when the test ends.
func newReporter(t *testing.T, s *sink, cfg sentry.Config) *sentry.Reporter {
	t.Helper()
	cfg.DSN = s.dsn()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	}
	r, err := sentry.New(cfg)
	require.NoError(t, err)
	t.Cleanup(r.Close)
	return r
}

func flush(t *testing.T, r *sentry.Reporter) {
	t.Helper()
	require.NoError(t, r.Flush(t.Context()))
}

// path reads a value of a decoded JSON object by its keys and array indexes.
func path(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k < 0 {
				k += len(a)
			}
			if k < 0 || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

const bookingID = "0190a5d2-ac96-774b-bcce-b302099a8057"

func TestReportSendsTheErrorChainAttrsReleaseAndEnvironment(t *testing.T) {
	t.Parallel()
	s := newSink(t, false)
	r := newReporter(t, s, sentry.Config{Environment: "staging", Release: "matchpoint@1.4.0"})

	inner := domain.Errorf(domain.CodeRefundedElsewhere, "6000.00 ARS of booking %s was refunded at the provider", bookingID)
	err := fmt.Errorf("apply refund event: %w", inner)
	long := strings.Repeat("x", 201)
	r.Report(t.Context(), err, map[string]string{
		"booking":     bookingID,
		"amount":      "6000.00 ARS",
		"problem":     "refund refused",
		"detail":      long,
		"two lines":   "a",
		"multi_line":  "first\nsecond",
		"gateway.ref": "cs_test_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0",
	})
	flush(t, r)

	events := s.events(t)
	require.Len(t, events, 1)
	ev := events[0]
	assert.Equal(t, "matchpoint@1.4.0", ev["release"])
	assert.Equal(t, "staging", ev["environment"])
	assert.Equal(t, "error", ev["level"])
	assert.Equal(t, "go", ev["platform"])

	// The chain, innermost first as Sentry wants it, with each error's type.
	exc, _ := path(ev, "exception").([]any)
	require.Len(t, exc, 2)
	assert.Equal(t, "*domain.Error", path(exc, 0, "type"))
	assert.Equal(t, inner.Error(), path(exc, 0, "value"))
	assert.Equal(t, "*fmt.wrapError", path(exc, 1, "type"))
	assert.Equal(t, err.Error(), path(exc, 1, "value"))
	frames, _ := path(exc, 1, "stacktrace", "frames").([]any)
	require.NotEmpty(t, frames, "the outermost error carries the stack of the call")
	assert.Equal(t, "TestReportSendsTheErrorChainAttrsReleaseAndEnvironment", path(frames, -1, "function"), "the innermost frame is the caller of Report")

	assert.Equal(t, map[string]any{
		"booking":     bookingID,
		"amount":      "6000.00 ARS",
		"problem":     "refund refused",
		"gateway.ref": "cs_test_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0",
	}, ev["tags"], "attributes that fit Sentry's tag limits are tags")
	assert.Equal(t, map[string]any{
		"detail":     long,
		"two lines":  "a",
		"multi_line": "first\nsecond",
	}, path(ev, "contexts", "attrs"), "the others are in the attrs context")
	assert.Nil(t, ev["request"], "no request without the request attributes")
}

// secrets are the kinds of secret the scrubbing must remove, each with a value
// that appears nowhere else.
var secrets = map[string]string{
	"bearer token":            "eyJhbGciOiJIUzI1NiJ9bearer",
	"admin API key":           "mpk_Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eA",
	"customer access token":   "q7Vd0kL9s2XbT4mN8pR1wYc6Ze3Hj5Ua0GiKoPl2Fxs",
	"Stripe secret key":       "sk_live_51HqLyjWDarjtT1zdp7dc0aFz",
	"Stripe restricted key":   "rk_test_51HqLyjWDarjtT1zdRESTRICT",
	"Stripe webhook secret":   "whsec_a1b2c3d4e5f6a7b8c9d0",
	"Mercado Pago token":      "APP_USR-1234567890123456-120212-abcdef0123456789-987654321",
	"Mercado Pago test token": "TEST-8765432109876543-120212-fedcba9876543210-123456789",
	"card number":             "4242424242424242",
	"spaced card number":      "4000 0566 5566 5556",
	"dashed card number":      "5555-5555-5555-4444",
	"customer e-mail":         "ana.perez+padel@example.com",
	"URL query token":         "querysecretvalue1",
	"URL password":            "pgsecretpass1",
	"key=value secret":        "kvsecretvalue1",
	"JSON secret":             "jsonsecretvalue1",
	"authorization header":    "hdrsecretvalue1",
	"cookie header":           "cookiesecretvalue1",
	"request path query":      "pathquerysecret1",
}

func TestNoSecretLeaves(t *testing.T) {
	t.Parallel()
	s := newSink(t, false)
	r := newReporter(t, s, sentry.Config{Release: "r1", Environment: "test"})

	inner := fmt.Errorf("stripe: request with Bearer %s and key %s refused (sk %s, rk %s)",
		secrets["bearer token"], secrets["admin API key"], secrets["Stripe secret key"], secrets["Stripe restricted key"])
	err := fmt.Errorf("refund of %s for %s, card %s, %s and %s, at https://api.example.com/v1/x?token=%s&x=1 on postgres://mp:%s@db:5432/mp (client_secret=%s, {\"webhook_secret\": \"%s\"}): %w",
		bookingID, secrets["customer e-mail"], secrets["card number"], secrets["spaced card number"], secrets["dashed card number"],
		secrets["URL query token"], secrets["URL password"], secrets["key=value secret"], secrets["JSON secret"], inner)
	attrs := map[string]string{
		"booking":         bookingID,
		"amount":          "6000.00 ARS",
		"payment":         "cs_test_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0",
		"access":          secrets["customer access token"],
		"webhook":         "signed with " + secrets["Stripe webhook secret"],
		"mp":              secrets["Mercado Pago token"] + " / " + secrets["Mercado Pago test token"],
		"customer_email":  "someone-else@example.org",
		"to":              secrets["customer e-mail"],
		"authorization":   "Custom " + secrets["authorization header"],
		"cookie":          "sid=" + secrets["cookie header"],
		"long card":       strings.Repeat("to be in the context: ", 10) + secrets["card number"],
		"problem":         "refund refused",
		"request_summary": "GET https://club.example.com/v1/bookings/" + bookingID + "?token=" + secrets["URL query token"],
	}
	r.Report(t.Context(), err, attrs)
	func() {
		defer func() {
			r.ReportPanic(t.Context(), recover(), map[string]string{
				"method": "GET",
				"route":  "GET /v1/bookings/{id}",
				"path":   "/v1/bookings/" + bookingID + "?token=" + secrets["request path query"],
			})
		}()
		panic("cannot render booking for " + secrets["customer e-mail"] + " with token " + secrets["customer access token"])
	}()
	flush(t, r)

	require.Len(t, s.events(t), 2)
	raw := string(s.raw())
	for kind, secret := range secrets {
		assert.NotContains(t, raw, secret, "the %s left in an envelope", kind)
	}
	assert.NotContains(t, raw, "someone-else", "an attribute named email is replaced whatever its value")
	assert.NotContains(t, raw, "ana.perez", "no part of an e-mail address is left")

	// What a report is for passes unchanged, and the marks say what was removed.
	for _, kept := range []string{bookingID, "6000.00 ARS", "cs_test_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0", "refund refused",
		"mpk_[redacted]", "sk_[redacted]", "whsec_[redacted]", "APP_USR-[redacted]", "TEST-[redacted]", "[email]", "[card]", "[token]",
		"Bearer [redacted]", "https://api.example.com/v1/x?[redacted]", "postgres://mp:[redacted]@db:5432/mp"} {
		assert.Contains(t, raw, kept)
	}
}

func TestReportPanicSendsAFatalUnhandledEventWithTheRequest(t *testing.T) {
	t.Parallel()
	s := newSink(t, false)
	r := newReporter(t, s, sentry.Config{})
	attrs := map[string]string{"method": "POST", "route": "POST /v1/clubs/{club}/bookings", "path": "/v1/clubs/palermo/bookings?x=1"}

	panicking := func(v any) {
		defer func() { r.ReportPanic(t.Context(), recover(), attrs) }()
		panic(v)
	}
	panicking("index out of range")
	panicking(fmt.Errorf("render: %w", errors.New("nil club")))
	r.ReportPanic(t.Context(), nil, attrs) // nothing recovered: nothing sent
	flush(t, r)

	events := s.events(t)
	require.Len(t, events, 2)
	for _, ev := range events {
		assert.Equal(t, "fatal", ev["level"])
		assert.Equal(t, map[string]any{"method": "POST", "url": "/v1/clubs/palermo/bookings"}, ev["request"])
		assert.Equal(t, "POST /v1/clubs/{club}/bookings", ev["transaction"])
		assert.Equal(t, "POST", path(ev, "tags", "method"))
		assert.Equal(t, "panic", path(ev, "exception", -1, "mechanism", "type"))
		assert.Equal(t, false, path(ev, "exception", -1, "mechanism", "handled"))
		frames, _ := path(ev, "exception", -1, "stacktrace", "frames").([]any)
		var functions []string
		for _, f := range frames {
			functions = append(functions, fmt.Sprint(path(f, "function")))
		}
		// sentry-go names a closure by what follows its function's name: the panicking
		// closure is "func1" after the test's own frame.
		require.Len(t, functions, 3, "the stack ends in the deferred function that recovered: %v", functions)
		assert.Equal(t, []string{"TestReportPanicSendsAFatalUnhandledEventWithTheRequest", "func1", "1"}, functions,
			"the stack is the panicking goroutine's: the test, the function that panicked, the deferred function")
	}
	assert.Equal(t, "panic", path(events[0], "exception", -1, "type"))
	assert.Equal(t, "index out of range", path(events[0], "exception", -1, "value"))
	assert.Equal(t, "*fmt.wrapError", path(events[1], "exception", -1, "type"))
	assert.Equal(t, "render: nil club", path(events[1], "exception", -1, "value"))
	assert.Equal(t, "nil club", path(events[1], "exception", 0, "value"))
}

// recorder is a ports.ErrorReporter that keeps what it is told.
type recorder struct {
	mu      sync.Mutex
	errs    []error
	attrsOf []map[string]string
}

func (r *recorder) Report(_ context.Context, err error, attrs map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err)
	r.attrsOf = append(r.attrsOf, attrs)
}

func TestAlsoReceivesEveryReportUnchanged(t *testing.T) {
	t.Parallel()
	s := newSink(t, false)
	also := &recorder{}
	r := newReporter(t, s, sentry.Config{Also: also})

	err := errors.New("payment for " + secrets["customer e-mail"])
	attrs := map[string]string{"booking": bookingID}
	r.Report(t.Context(), err, attrs)
	func() {
		defer func() { r.ReportPanic(t.Context(), recover(), nil) }()
		panic("boom")
	}()
	r.Report(t.Context(), nil, nil)
	flush(t, r)

	require.Len(t, also.errs, 3)
	assert.Same(t, err, also.errs[0], "Also gets the error itself, unscrubbed: it is a log of the process")
	assert.Equal(t, attrs, also.attrsOf[0])
	assert.EqualError(t, also.errs[1], "panic: boom")
	assert.Nil(t, also.errs[2])

	events := s.events(t)
	require.Len(t, events, 3)
	assert.Equal(t, "an error was reported without an error value (nil)", path(events[2], "exception", -1, "value"),
		"a report of nil is sent, so that the faulty call shows")
}

func TestReportDoesNotWaitForAHangingEndpoint(t *testing.T) {
	t.Parallel()
	s := newSink(t, true)
	const queue = 2
	r := newReporter(t, s, sentry.Config{QueueSize: queue, Timeout: time.Hour})

	r.Report(t.Context(), errors.New("first"), nil)
	<-s.arrived // the endpoint holds the first request from now on

	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 10 {
			r.Report(t.Context(), errors.New("more "+strconv.Itoa(i)), nil)
		}
	}()
	<-done
	select {
	case <-s.hold:
		t.Fatal("the endpoint was released before the reports returned")
	default:
	}
	assert.Empty(t, s.events(t), "Report returned while the endpoint still held the first request")

	close(s.hold)
	flush(t, r)
	events := s.events(t)
	require.Len(t, events, 1+queue, "the held report and the queue are sent; the rest was dropped")
	for i, want := range []string{"first", "more 0", "more 1"} {
		assert.Equal(t, want, path(events[i], "exception", -1, "value"))
	}
}

func TestTimeoutEndsAHangingRequest(t *testing.T) {
	t.Parallel()
	s := newSink(t, true)
	r := newReporter(t, s, sentry.Config{Timeout: 50 * time.Millisecond})

	r.Report(t.Context(), errors.New("never answered"), nil)
	// The flush has no deadline of its own: only the timeout can end the request.
	require.NoError(t, r.Flush(context.Background()))
	<-s.abandoned // the reporter gave up on the request the endpoint held
	assert.Empty(t, s.events(t))
}

func TestFlushDeliversWhatWasQueued(t *testing.T) {
	t.Parallel()
	s := newSink(t, false)
	r := newReporter(t, s, sentry.Config{})

	for i := range 5 {
		r.Report(t.Context(), errors.New("report"), map[string]string{"n": strconv.Itoa(i)})
	}
	flush(t, r)

	events := s.events(t)
	require.Len(t, events, 5)
	seen := map[any]bool{}
	for _, ev := range events {
		seen[path(ev, "tags", "n")] = true
	}
	assert.Equal(t, map[any]bool{"0": true, "1": true, "2": true, "3": true, "4": true}, seen)
}

func TestFlushEndsWithItsContext(t *testing.T) {
	t.Parallel()
	s := newSink(t, true)
	r := newReporter(t, s, sentry.Config{Timeout: time.Hour})

	r.Report(t.Context(), errors.New("held"), nil)
	<-s.arrived
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := r.Flush(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "unsent")
}

func TestReportersShareNothing(t *testing.T) {
	t.Parallel()
	s1, s2 := newSink(t, false), newSink(t, false)
	r1 := newReporter(t, s1, sentry.Config{Release: "one", Environment: "e1"})
	r2 := newReporter(t, s2, sentry.Config{Release: "two", Environment: "e2"})

	r1.Report(t.Context(), errors.New("to one"), map[string]string{"only": "one"})
	r2.Report(t.Context(), errors.New("to two"), nil)
	flush(t, r1)
	flush(t, r2)

	e1, e2 := s1.events(t), s2.events(t)
	require.Len(t, e1, 1)
	require.Len(t, e2, 1)
	assert.Equal(t, "one", e1[0]["release"])
	assert.Equal(t, "to one", path(e1[0], "exception", -1, "value"))
	assert.Equal(t, "two", e2[0]["release"])
	assert.Equal(t, "e2", e2[0]["environment"])
	assert.Nil(t, e2[0]["tags"], "a report's tags stay with it")
	assert.Nil(t, sentrygo.CurrentHub().Client(), "sentry-go's global hub is never given a client")
}

func TestNewRefusesABadConfig(t *testing.T) {
	t.Parallel()
	const good = "https://publickey@o1.ingest.sentry.io/42"
	cases := []struct {
		name  string
		cfg   sentry.Config
		field string
	}{
		{"no DSN", sentry.Config{}, "Config.DSN is required"},
		{"blank DSN", sentry.Config{DSN: "  "}, "Config.DSN is required"},
		{"not a URL", sentry.Config{DSN: "https://secretkey@bad host/1"}, "Config.DSN is not a Sentry DSN (not a URL)"},
		{"no key", sentry.Config{DSN: "https://o1.ingest.sentry.io/42"}, "Config.DSN is not a Sentry DSN (empty username)"},
		{"other scheme", sentry.Config{DSN: "ftp://secretkey@o1.ingest.sentry.io/42"}, "Config.DSN is not a Sentry DSN (invalid scheme)"},
		{"no project", sentry.Config{DSN: "https://secretkey@o1.ingest.sentry.io/"}, "Config.DSN is not a Sentry DSN (empty project id)"},
		{"sample rate above 1", sentry.Config{DSN: good, SampleRate: 1.5}, "Config.SampleRate 1.5 is outside [0, 1]"},
		{"negative sample rate", sentry.Config{DSN: good, SampleRate: -0.1}, "Config.SampleRate"},
		{"NaN sample rate", sentry.Config{DSN: good, SampleRate: math.NaN()}, "Config.SampleRate"},
		{"negative timeout", sentry.Config{DSN: good, Timeout: -time.Second}, "Config.Timeout -1s is negative"},
		{"negative queue", sentry.Config{DSN: good, QueueSize: -1}, "Config.QueueSize -1 is negative"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r, err := sentry.New(c.cfg)
			require.Error(t, err)
			assert.Nil(t, r)
			assert.Contains(t, err.Error(), c.field)
			assert.NotContains(t, err.Error(), "secretkey", "the error does not repeat the DSN's key")
		})
	}
}

func TestReportsNotSampledStillReachAlso(t *testing.T) {
	t.Parallel()
	s := newSink(t, false)
	also := &recorder{}
	// The smallest positive rate: in practice nothing is sampled.
	r := newReporter(t, s, sentry.Config{SampleRate: math.SmallestNonzeroFloat64, Also: also})

	for range 20 {
		r.Report(t.Context(), errors.New("not sampled"), nil)
	}
	flush(t, r)

	assert.Empty(t, s.events(t))
	assert.Len(t, also.errs, 20)
}

func TestLoggerGetsTheEventIDOfEachReport(t *testing.T) {
	t.Parallel()
	s := newSink(t, false)
	var buf syncBuffer
	r := newReporter(t, s, sentry.Config{Logger: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))})

	r.Report(t.Context(), errors.New("logged"), nil)
	flush(t, r)

	events := s.events(t)
	require.Len(t, events, 1)
	var line map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line))
	assert.Equal(t, "DEBUG", line["level"])
	assert.Equal(t, events[0]["event_id"], line["event_id"], "the log names the event as Sentry knows it")
}

func TestReportAfterCloseReturns(t *testing.T) {
	t.Parallel()
	s := newSink(t, false)
	also := &recorder{}
	r := newReporter(t, s, sentry.Config{QueueSize: 1, Also: also})
	r.Close()
	r.Close() // twice is harmless

	for range 5 {
		r.Report(t.Context(), errors.New("after close"), nil)
	}
	assert.Len(t, also.errs, 5, "Also still receives reports")
	assert.Empty(t, s.events(t))
}

// syncBuffer is a bytes.Buffer safe for the logger's writes and the test's read.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
