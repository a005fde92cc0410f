package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/matchpoint/matchpoint/adapters/cache/bigcache"
	"github.com/matchpoint/matchpoint/adapters/memory"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/examples/internal/compose"
)

// startTracedServer starts the example server on the memory store, composed by its
// injector, with its spans going to exp and its log (JSON, from level info, made as
// main makes it) to logs.
func startTracedServer(t *testing.T, exp *tracetest.InMemoryExporter, logs io.Writer) *testServer {
	t.Helper()
	cfg, err := LoadConfig(func(k string) string { return map[string]string{"MATCHPOINT_HTTP_ADDR": "127.0.0.1:0"}[k] })
	require.NoError(t, err)
	require.False(t, cfg.Tracing.Enabled, "tracing is off by default")
	cfg.Tracing.Exporter = exp
	ctx, cancel := context.WithCancel(context.Background())
	srv, cleanup, err := NewServer(ctx, cfg, compose.NewLogger(slog.LevelInfo, "json", logs))
	require.NoError(t, err)
	require.True(t, srv.Tracing.Enabled())
	return runTestServer(t, ctx, cancel, srv, cleanup)
}

// traceOf returns the spans of exp's trace id.
func traceOf(spans tracetest.SpanStubs, id trace.TraceID) map[trace.SpanID]tracetest.SpanStub {
	out := map[trace.SpanID]tracetest.SpanStub{}
	for _, s := range spans {
		if s.SpanContext.TraceID() == id {
			out[s.SpanContext.SpanID()] = s
		}
	}
	return out
}

// spanNames counts the spans of a trace by name.
func spanNames(spans map[trace.SpanID]tracetest.SpanStub) map[string]int {
	n := map[string]int{}
	for _, s := range spans {
		n[s.Name]++
	}
	return n
}

// rootOf returns the span of spans named name, which must be one, and checks that
// every other span of spans descends from it.
func rootOf(t *testing.T, spans map[trace.SpanID]tracetest.SpanStub, name string) tracetest.SpanStub {
	t.Helper()
	var root tracetest.SpanStub
	for _, s := range spans {
		if s.Name == name {
			require.Empty(t, root.Name, "one %s span", name)
			root = s
		}
	}
	require.Equal(t, name, root.Name)
	for _, s := range spans {
		p := s
		for p.Parent.IsValid() {
			var ok bool
			p, ok = spans[p.Parent.SpanID()]
			require.True(t, ok, "%s: its parent is in the trace", s.Name)
		}
		assert.Equal(t, root.SpanContext.SpanID(), p.SpanContext.SpanID(), "%s descends from %s", s.Name, name)
	}
	return root
}

func TestOneBookingIsOneTrace(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	logs := &syncBuffer{}
	s := startTracedServer(t, exp, logs)
	loc := s.demo.Club.Location
	start, ok := domain.DateOf(time.Now(), loc).AddDays(3).At(domain.MustClock("17:30"), loc)
	require.True(t, ok)
	exp.Reset() // the demo's seeding is traced too, outside any request

	r := s.do(t, "POST", "/v1/clubs/demo/bookings", bookingJSON(s.demo.Courts[0].ID, start, 90, "Ana Pérez", "ana@example.com"),
		map[string]string{"X-Request-Id": "traced-booking-1"})
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	bookingID := obj(t, r.body, "booking")["id"].(string)
	checkout := r.body["checkout_url"].(string)

	var server tracetest.SpanStub
	for _, sp := range exp.GetSpans() {
		if sp.SpanKind == trace.SpanKindServer {
			require.Empty(t, server.Name, "one request, one server span")
			server = sp
		}
	}
	spans := traceOf(exp.GetSpans(), server.SpanContext.TraceID())
	root := rootOf(t, spans, "POST /v1/clubs/{club}/bookings")
	assert.False(t, root.Parent.IsValid(), "the request's span is the root of its trace")
	assert.Equal(t, "/v1/clubs/{club}/bookings", attrOf(root, "http.route"))
	assert.Equal(t, int64(http.StatusCreated), attrValue(root, "http.response.status_code").AsInt64())
	names := spanNames(spans)
	for _, want := range []string{"store.WithinTx", "store.CreateBooking", "cache.Get", "gateway.sandbox.CreateCheckout", "queue.Enqueue"} {
		assert.Positive(t, names[want], "the trace has a %s span: %v", want, names)
	}
	for _, sp := range spans {
		assert.NotEqual(t, codes.Error, sp.Status.Code, "%s: nothing failed", sp.Name)
		if sp.Name == "store.CreateBooking" || sp.Name == "gateway.sandbox.CreateCheckout" {
			assert.Equal(t, bookingID, attrOf(sp, "matchpoint.booking.id"), sp.Name)
		}
	}

	// The request's log line carries its trace.
	var line map[string]any
	for _, l := range logs.lines() {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "http request" && m["request_id"] == "traced-booking-1" {
			line = m
		}
	}
	require.NotNil(t, line, "the request is logged: %s", logs.String())
	assert.Equal(t, root.SpanContext.TraceID().String(), line["trace_id"])
	assert.Equal(t, root.SpanContext.SpanID().String(), line["span_id"])

	// Paying confirms the booking through the webhook, which schedules the
	// confirmation: its job's run is a trace of its own.
	exp.Reset()
	paid := s.do(t, "POST", checkout+"/pay", "", nil)
	require.Equal(t, http.StatusOK, paid.status, paid.raw)
	s.drain(t)
	require.Equal(t, 1, s.messages("confirmation", bookingID))
	var job tracetest.SpanStub
	for _, sp := range exp.GetSpans() {
		if sp.Name == "job notify.booking" {
			job = sp
		}
	}
	require.Equal(t, "job notify.booking", job.Name, "the confirmation's job is traced")
	assert.Equal(t, trace.SpanKindConsumer, job.SpanKind)
	assert.Equal(t, int64(1), attrValue(job, "matchpoint.job.attempt").AsInt64())
	jobSpans := traceOf(exp.GetSpans(), job.SpanContext.TraceID())
	rootOf(t, jobSpans, "job notify.booking")
	assert.Positive(t, spanNames(jobSpans)["store.GetBooking"], "the job's store calls are in its trace")
	webhook := 0
	for _, sp := range exp.GetSpans() {
		if sp.Name == "POST /v1/webhooks/{gateway}" {
			webhook++
		}
	}
	assert.Equal(t, 1, webhook, "the sandbox's webhook reached the API, traced")
}

// attrValue returns the value of a span's attribute.
func attrValue(s tracetest.SpanStub, key string) (v attribute.Value) {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value
		}
	}
	return v
}

// attrOf returns the string value of a span's attribute.
func attrOf(s tracetest.SpanStub, key string) string { return attrValue(s, key).AsString() }

// collector is an OTLP/HTTP endpoint that keeps what it receives at /v1/traces.
type collector struct {
	mu  sync.Mutex
	got []*coltrace.ExportTraceServiceRequest
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "not an OTLP/HTTP protobuf export", http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := &coltrace.ExportTraceServiceRequest{}
	if err := proto.Unmarshal(body, req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.got = append(c.got, req)
	c.mu.Unlock()
	res, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(res)
}

// spans returns the names of the spans received, and the service.name of each.
func (c *collector) spans() (names map[string]int, services map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	names, services = map[string]int{}, map[string]bool{}
	for _, req := range c.got {
		for _, rs := range req.ResourceSpans {
			for _, kv := range rs.GetResource().GetAttributes() {
				if kv.Key == "service.name" {
					services[kv.GetValue().GetStringValue()] = true
				}
			}
			for _, ss := range rs.ScopeSpans {
				for _, sp := range ss.Spans {
					names[sp.Name]++
				}
			}
		}
	}
	return names, services
}

// TestTracesReachAnOTLPCollector runs `server serve` with OTEL_EXPORTER_OTLP_ENDPOINT
// naming a collector on loopback: what the server traces reaches it over OTLP/HTTP,
// at the latest when the server stops.
func TestTracesReachAnOTLPCollector(t *testing.T) {
	col := &collector{}
	hs := httptest.NewServer(col)
	t.Cleanup(hs.Close)
	env := map[string]string{"MATCHPOINT_HTTP_ADDR": "127.0.0.1:0", "OTEL_EXPORTER_OTLP_ENDPOINT": hs.URL}
	for k, v := range env { // the exporter reads the process's environment itself
		t.Setenv(k, v)
	}
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test")

	stdout, stderr, stop := serveCLI(t, env)
	base := regexp.MustCompile(`Match Point is serving (http://\S+)`).FindStringSubmatch(stdout.String())[1]
	res, err := http.Get(base + "/v1/clubs/demo/availability?date=" + time.Now().AddDate(0, 0, 2).Format(time.DateOnly) + "&sport=padel&duration=60")
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, 0, stop(), stderr.String())

	names, services := col.spans()
	assert.Equal(t, 1, names["GET /v1/clubs/{club}/availability"], "the request's span was exported: %v", names)
	assert.Positive(t, names["cache.Get"], "%v", names)
	assert.Positive(t, names["store.CreateBooking"]+names["store.SaveClub"], "the seeding's spans too: %v", names)
	assert.Equal(t, map[string]bool{"matchpoint-server": true}, services)
}

func TestTracingConfiguration(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		on   bool
		err  string
	}{
		{"off by default", nil, false, ""},
		{"an endpoint turns it on", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, true, ""},
		{"a traces endpoint turns it on", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, true, ""},
		{"otlp turns it on with the default endpoint", map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, true, ""},
		{"none keeps it off", map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, false, ""},
		{"the SDK disabled keeps it off", map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, false, ""},
		{"JSON over HTTP", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, true, ""},
		{"gRPC is refused", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"}, false,
			`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL="grpc": want http/protobuf or http/json (the exporter speaks OTLP over HTTP)`},
		{"another exporter is refused", map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, false, `OTEL_TRACES_EXPORTER="zipkin": want otlp or none`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := LoadConfig(func(k string) string { return tc.env[k] })
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.on, cfg.Tracing.Enabled)
		})
	}
}

// BenchmarkTracingOverhead serves one day's padel availability of the demo club on the
// memory store and the in-process cache, warm, through the HTTP handler, untraced and
// traced (every span sampled, handed to an exporter that drops it), to measure what
// tracing costs a request.
func BenchmarkTracingOverhead(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "off"
		cfg := compose.TracingConfig{}
		if on {
			name, cfg.Exporter = "on", tracetest.NewNoopExporter()
		}
		b.Run(name, func(b *testing.B) {
			tr, cleanup, err := compose.NewTracing(b.Context(), cfg, "bench")
			require.NoError(b, err)
			b.Cleanup(cleanup)
			l1, err := bigcache.New(bigcache.Config{})
			require.NoError(b, err)
			b.Cleanup(func() { _ = l1.Close() })
			d := tr.Deps(app.Deps{Store: memory.New(), Cache: l1})
			h, mp := handlerOn(b, d.Store, d.Cache)
			h = tr.Handler(h)
			demo, err := SeedDemo(b.Context(), mp, time.Now())
			require.NoError(b, err)
			day := domain.DateOf(time.Now(), demo.Club.Location).AddDays(3)
			req := httptest.NewRequest(http.MethodGet, "/v1/clubs/demo/availability?date="+day.String()+"&sport=padel&duration=90", nil)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
