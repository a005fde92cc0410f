package opentelemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/matchpoint/matchpoint/adapters/cache/bigcache"
	"github.com/matchpoint/matchpoint/adapters/memory"
	"github.com/matchpoint/matchpoint/adapters/opentelemetry"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/cachetest"
	"github.com/matchpoint/matchpoint/ports/storetest"
)

// newTracing returns decorators whose spans the returned exporter holds once ended.
func newTracing(t *testing.T) (*opentelemetry.Tracing, *tracetest.InMemoryExporter, trace.Tracer) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return opentelemetry.New(tp), exp, tp.Tracer("test")
}

// named returns the ended spans named name.
func named(spans tracetest.SpanStubs, name string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// attr returns the value of a span's attribute, and whether it has it.
func attr(s tracetest.SpanStub, key string) (attribute.Value, bool) {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

func TestTracedStoreKeepsTheStoreContract(t *testing.T) {
	t.Parallel()
	tr, exp, _ := newTracing(t)
	storetest.Run(t, func(t *testing.T) ports.Store { return tr.Store(memory.New()) })
	assert.NotEmpty(t, named(exp.GetSpans(), "store.CreateBooking"))
	assert.NotEmpty(t, named(exp.GetSpans(), "store.WithinTx"))
}

func TestTracedCacheKeepsTheCacheContract(t *testing.T) {
	t.Parallel()
	tr, _, _ := newTracing(t)
	cachetest.Run(t, func(t *testing.T) ports.Cache {
		c, err := bigcache.New(bigcache.Config{})
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		return tr.Cache(c)
	})
}

// panicking is a Store and a Cache whose every method panics (its embedded
// interfaces are nil): only the decorators' spans tell what was called.
type panicking struct {
	ports.Store
	ports.Cache
}

// callEvery calls every method of the interface type iface on v, with zero arguments
// (non-nil pointers, a background context), recovering the panics of the innermost
// value, and returns the names of the methods called.
func callEvery(t *testing.T, v any, iface reflect.Type) []string {
	t.Helper()
	var names []string
	rv := reflect.ValueOf(v)
	for i := range iface.NumMethod() {
		m := iface.Method(i)
		names = append(names, m.Name)
		fn := rv.MethodByName(m.Name)
		require.True(t, fn.IsValid(), m.Name)
		args := make([]reflect.Value, fn.Type().NumIn())
		for j := range args {
			at := fn.Type().In(j)
			switch {
			case at == reflect.TypeFor[context.Context]():
				args[j] = reflect.ValueOf(context.Background())
			case at.Kind() == reflect.Pointer:
				args[j] = reflect.New(at.Elem())
			default:
				args[j] = reflect.Zero(at)
			}
		}
		func() {
			defer func() { _ = recover() }()
			if fn.Type().IsVariadic() {
				fn.CallSlice(args)
			} else {
				fn.Call(args)
			}
		}()
	}
	return names
}

// TestEveryCallIsTracedAndDelegated decorates the decorator: each call of the outer
// one must end in a span of its method whose one child is the inner decorator's span of
// the same method, so every method exists, is traced, and calls the same method of
// the value it wraps.
func TestEveryCallIsTracedAndDelegated(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		prefix string
		iface  reflect.Type
		wrap   func(tr *opentelemetry.Tracing) any
	}{
		{"store.", reflect.TypeFor[ports.Store](), func(tr *opentelemetry.Tracing) any { return tr.Store(tr.Store(panicking{})) }},
		{"cache.", reflect.TypeFor[ports.Cache](), func(tr *opentelemetry.Tracing) any { return tr.Cache(tr.Cache(panicking{})) }},
	} {
		t.Run(tc.prefix, func(t *testing.T) {
			tr, exp, _ := newTracing(t)
			methods := callEvery(t, tc.wrap(tr), tc.iface)
			require.NotEmpty(t, methods)
			spans := exp.GetSpans()
			require.Len(t, spans, 2*len(methods), "two spans per call")
			for _, m := range methods {
				got := named(spans, tc.prefix+m)
				require.Len(t, got, 2, "%s: the outer span and its child", m)
				inner, outer := got[0], got[1] // the inner span ends first
				assert.Equal(t, outer.SpanContext.SpanID(), inner.Parent.SpanID(), "%s: the inner call is a child of the outer one", m)
				assert.Equal(t, outer.SpanContext.TraceID(), inner.SpanContext.TraceID())
			}
		})
	}
}

// fakeCache answers every call with err, and Get with a hit when err is nil.
type fakeCache struct{ err error }

func (c fakeCache) Get(context.Context, string) ([]byte, bool, error) {
	return []byte("v"), c.err == nil, c.err
}
func (c fakeCache) Set(context.Context, string, []byte, time.Duration) error { return c.err }
func (c fakeCache) Delete(context.Context, ...string) error                  { return c.err }
func (c fakeCache) DeletePrefix(context.Context, string) error               { return c.err }

func TestOnlyFailuresAreRecordedAsErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		err     error
		failure bool
		code    string
	}{
		{"no error", nil, false, ""},
		{"not found is an answer", domain.Errorf(domain.CodeNotFound, "no such club"), false, domain.CodeNotFound},
		{"a conflict is an answer", domain.Errorf(domain.CodeSlotUnavailable, "taken"), false, domain.CodeSlotUnavailable},
		{"unavailable is a failure", domain.Errorf(domain.CodeUnavailable, "redis is down"), true, domain.CodeUnavailable},
		{"a plain error is a failure", errors.New("connection reset"), true, domain.CodeInternal},
		{"a cancelled context is a failure", context.Canceled, true, domain.CodeInternal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr, exp, _ := newTracing(t)
			_, _, err := tr.Cache(fakeCache{tc.err}).Get(context.Background(), "club:c1")
			require.ErrorIs(t, err, tc.err)
			spans := exp.GetSpans()
			require.Len(t, spans, 1)
			s := spans[0]
			assert.Equal(t, "cache.Get", s.Name)
			key, _ := attr(s, "matchpoint.cache.key")
			assert.Equal(t, "club:c1", key.AsString())
			hit, _ := attr(s, "matchpoint.cache.hit")
			assert.Equal(t, tc.err == nil, hit.AsBool())
			code, hasCode := attr(s, "matchpoint.error.code")
			assert.Equal(t, tc.code != "", hasCode)
			assert.Equal(t, tc.code, code.AsString())
			assert.Equal(t, tc.failure, opentelemetry.IsFailure(tc.err))
			if tc.failure {
				assert.Equal(t, codes.Error, s.Status.Code)
				require.Len(t, s.Events, 1, "the error is recorded")
				assert.Equal(t, "exception", s.Events[0].Name)
			} else {
				assert.Equal(t, codes.Unset, s.Status.Code)
				assert.Empty(t, s.Events)
			}
		})
	}
}

// fakeGateway records the calls it gets and answers them with err.
type fakeGateway struct {
	calls []string
	err   error
}

func (g *fakeGateway) Provider() string { return "stripe" }
func (g *fakeGateway) CreateCheckout(_ context.Context, req ports.CheckoutRequest) (ports.Checkout, error) {
	g.calls = append(g.calls, "CreateCheckout "+req.BookingID)
	return ports.Checkout{Ref: "cs_1"}, g.err
}
func (g *fakeGateway) GetPayment(_ context.Context, ref string) (ports.Payment, error) {
	g.calls = append(g.calls, "GetPayment "+ref)
	return ports.Payment{Ref: ref}, g.err
}
func (g *fakeGateway) Refund(_ context.Context, req ports.RefundRequest) (ports.Refund, error) {
	g.calls = append(g.calls, "Refund "+req.PaymentRef)
	return ports.Refund{ID: "re_1"}, g.err
}
func (g *fakeGateway) ExpireCheckout(_ context.Context, ref string) error {
	g.calls = append(g.calls, "ExpireCheckout "+ref)
	return g.err
}
func (g *fakeGateway) ParseWebhook(http.Header, []byte) (ports.PaymentEvent, error) {
	g.calls = append(g.calls, "ParseWebhook")
	return ports.PaymentEvent{EventID: "evt_1"}, g.err
}

func TestGatewaysTraceTheirCallsUnderTheirNames(t *testing.T) {
	t.Parallel()
	tr, exp, tracer := newTracing(t)
	fake := &fakeGateway{}
	set, err := ports.NewGatewaySet(map[string]ports.PaymentGateway{"card": fake}, "card", nil)
	require.NoError(t, err)
	gws := tr.Gateways(set)

	ctx, parent := tracer.Start(context.Background(), "request")
	name, gw, err := gws.ForClub(ctx, domain.Club{Slug: "demo"})
	require.NoError(t, err)
	assert.Equal(t, "card", name)
	assert.Equal(t, "stripe", gw.Provider())
	co, err := gw.CreateCheckout(ctx, ports.CheckoutRequest{BookingID: "b1", ClubID: "c1"})
	require.NoError(t, err)
	assert.Equal(t, "cs_1", co.Ref)
	p, err := gw.GetPayment(ctx, "cs_1")
	require.NoError(t, err)
	assert.Equal(t, "cs_1", p.Ref)
	byName, err := gws.Named("card")
	require.NoError(t, err)
	r, err := byName.Refund(ctx, ports.RefundRequest{BookingID: "b1", PaymentRef: "pi_1"})
	require.NoError(t, err)
	assert.Equal(t, "re_1", r.ID)
	fake.err = domain.Errorf(domain.CodeUnavailable, "stripe answered 503")
	require.Error(t, byName.ExpireCheckout(ctx, "cs_1"))
	ev, err := byName.ParseWebhook(http.Header{}, nil)
	require.Error(t, err)
	assert.Equal(t, "evt_1", ev.EventID)
	_, err = gws.Named("cash")
	assert.Equal(t, domain.KindNotFound, domain.ErrorKind(err))
	parent.End()

	assert.Equal(t, []string{"CreateCheckout b1", "GetPayment cs_1", "Refund pi_1", "ExpireCheckout cs_1", "ParseWebhook"}, fake.calls)
	var names []string
	for _, s := range exp.GetSpans() {
		names = append(names, s.Name)
		if s.Name != "request" {
			assert.Equal(t, parent.SpanContext().SpanID(), s.Parent.SpanID(), s.Name)
			gwAttr, _ := attr(s, "matchpoint.gateway")
			assert.Equal(t, "card", gwAttr.AsString(), s.Name)
		}
	}
	assert.Equal(t, []string{"gateway.card.CreateCheckout", "gateway.card.GetPayment", "gateway.card.Refund", "gateway.card.ExpireCheckout", "request"}, names)
	expire := named(exp.GetSpans(), "gateway.card.ExpireCheckout")[0]
	assert.Equal(t, codes.Error, expire.Status.Code, "a provider's failure is recorded")
}

type greetArgs struct {
	Name string `json:"name"`
}

func (greetArgs) Kind() string { return "test.greet" }

func TestAJobRunIsASpan(t *testing.T) {
	t.Parallel()
	tr, exp, _ := newTracing(t)
	store := tr.Store(memory.New())
	ws := ports.NewWorkers()
	ports.AddWorker(ws, ports.WorkFunc[greetArgs](func(ctx context.Context, j *ports.Job[greetArgs]) error {
		if _, err := store.GetClub(ctx, "c1"); domain.ErrorKind(err) != domain.KindNotFound {
			return err
		}
		if j.Args.Name == "Bo" {
			return errors.New("no greeting for Bo")
		}
		return nil
	}))
	tr.Workers(ws)

	require.NoError(t, ws.Work(context.Background(), ports.RawJob{ID: "j1", Kind: "test.greet", Args: []byte(`{"name":"Ana"}`), Attempt: 2}))
	require.Error(t, ws.Work(context.Background(), ports.RawJob{ID: "j2", Kind: "test.greet", Args: []byte(`{"name":"Bo"}`), Attempt: 1}))

	jobs := named(exp.GetSpans(), "job test.greet")
	require.Len(t, jobs, 2)
	gets := named(exp.GetSpans(), "store.GetClub")
	require.Len(t, gets, 2)
	for i, want := range []struct {
		id      string
		attempt int64
		status  codes.Code
	}{{"j1", 2, codes.Unset}, {"j2", 1, codes.Error}} {
		j := jobs[i]
		assert.Equal(t, trace.SpanKindConsumer, j.SpanKind)
		assert.False(t, j.Parent.IsValid(), "a job's run starts its own trace")
		kind, _ := attr(j, "matchpoint.job.kind")
		assert.Equal(t, "test.greet", kind.AsString())
		id, _ := attr(j, "matchpoint.job.id")
		assert.Equal(t, want.id, id.AsString())
		attempt, _ := attr(j, "matchpoint.job.attempt")
		assert.Equal(t, want.attempt, attempt.AsInt64())
		assert.Equal(t, want.status, j.Status.Code)
		assert.Equal(t, j.SpanContext.SpanID(), gets[i].Parent.SpanID(), "the worker's calls are the job's children")
		assert.Equal(t, codes.Unset, gets[i].Status.Code, "a club not found is an answer, not a failure")
	}
}

func TestLogHandlerAddsTheTraceOfTheContext(t *testing.T) {
	t.Parallel()
	_, _, tracer := newTracing(t)
	var buf bytes.Buffer
	log := slog.New(opentelemetry.LogHandler(slog.NewJSONHandler(&buf, nil))).With("service", "test").WithGroup("g")

	log.InfoContext(context.Background(), "outside")
	ctx, span := tracer.Start(context.Background(), "request")
	log.InfoContext(ctx, "inside", "k", "v")
	span.End()

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	require.Len(t, lines, 2)
	var outside, inside map[string]any
	require.NoError(t, json.Unmarshal(lines[0], &outside))
	require.NoError(t, json.Unmarshal(lines[1], &inside))
	assert.NotContains(t, outside, "trace_id")
	assert.NotContains(t, string(lines[0]), "trace_id", "no span, no trace")
	g, ok := inside["g"].(map[string]any)
	require.True(t, ok, "%s", lines[1])
	assert.Equal(t, span.SpanContext().TraceID().String(), g["trace_id"])
	assert.Equal(t, span.SpanContext().SpanID().String(), g["span_id"])
	assert.Equal(t, "v", g["k"])
}

// fakeQueue records the calls it gets.
type fakeQueue struct{ calls []string }

func (q *fakeQueue) Enqueue(_ context.Context, args ports.JobArgs, opts ports.EnqueueOptions) error {
	q.calls = append(q.calls, "Enqueue "+args.Kind()+" "+opts.UniqueKey)
	return nil
}

func (q *fakeQueue) Cancel(_ context.Context, key string) error {
	q.calls = append(q.calls, "Cancel "+key)
	return domain.Errorf(domain.CodeUnavailable, "the queue's database is down")
}

func TestQueueCallsAreSpansOfTheirCaller(t *testing.T) {
	t.Parallel()
	tr, exp, tracer := newTracing(t)
	fake := &fakeQueue{}
	q := tr.Queue(fake)
	ctx, parent := tracer.Start(context.Background(), "request")
	at := time.Date(2030, 3, 4, 9, 0, 0, 0, time.UTC)
	require.NoError(t, q.Enqueue(ctx, greetArgs{}, ports.EnqueueOptions{RunAt: at, UniqueKey: "greet:1"}))
	require.Error(t, q.Cancel(ctx, "greet:1"))
	parent.End()

	assert.Equal(t, []string{"Enqueue test.greet greet:1", "Cancel greet:1"}, fake.calls)
	enq := named(exp.GetSpans(), "queue.Enqueue")
	require.Len(t, enq, 1)
	assert.Equal(t, parent.SpanContext().SpanID(), enq[0].Parent.SpanID())
	kind, _ := attr(enq[0], "matchpoint.job.kind")
	assert.Equal(t, "test.greet", kind.AsString())
	runAt, _ := attr(enq[0], "matchpoint.job.run_at")
	assert.Equal(t, "2030-03-04T09:00:00Z", runAt.AsString())
	cancel := named(exp.GetSpans(), "queue.Cancel")
	require.Len(t, cancel, 1)
	assert.Equal(t, codes.Error, cancel[0].Status.Code)
}
