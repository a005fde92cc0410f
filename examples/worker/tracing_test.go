package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/matchpoint/matchpoint/adapters/payments/mercadopago/mptest"
)

// collector is an OTLP/HTTP endpoint that counts the spans it receives at
// /v1/traces, by service and name.
type collector struct {
	mu    sync.Mutex
	spans map[string]map[string]int // service.name → span name → count
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	req := &coltrace.ExportTraceServiceRequest{}
	if err == nil && r.URL.Path == "/v1/traces" {
		err = proto.Unmarshal(body, req)
	}
	if err != nil || r.URL.Path != "/v1/traces" {
		http.Error(w, "not an OTLP/HTTP protobuf export", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	for _, rs := range req.ResourceSpans {
		service := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.Key == "service.name" {
				service = kv.GetValue().GetStringValue()
			}
		}
		if c.spans[service] == nil {
			c.spans[service] = map[string]int{}
		}
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				c.spans[service][sp.Name]++
			}
		}
	}
	c.mu.Unlock()
	res, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(res)
}

func (c *collector) of(service string) map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.spans[service] {
		out[k] = v
	}
	return out
}

// TestServerAndWorkerExportTheirTraces runs a server that runs no workers and a worker,
// both with OTEL_EXPORTER_OTLP_ENDPOINT naming a collector on loopback: the server's
// requests and the worker's job runs reach it over OTLP/HTTP, each under its service.
func TestServerAndWorkerExportTheirTraces(t *testing.T) {
	db := testDatabase(t)
	acct := mptest.Start(t)
	col := &collector{spans: map[string]map[string]int{}}
	hs := httptest.NewServer(col)
	t.Cleanup(hs.Close)
	env := with(mercadoPagoEnv(acct), map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": hs.URL})
	server, base := startServer(t, db, with(env, map[string]string{"MATCHPOINT_WORKER": "off"}))
	bookAndPay(t, base, acct)
	worker, _ := startWorker(t, db, env)
	waitIdle(t, db)

	worker.signal(t, syscall.SIGTERM)
	assert.Equal(t, 0, worker.exited(t, 20*time.Second), worker.stderr.String())
	server.signal(t, syscall.SIGTERM)
	assert.Equal(t, 0, server.exited(t, 20*time.Second), server.stderr.String())

	srv, wrk := col.of("matchpoint-server"), col.of("matchpoint-worker")
	for _, name := range []string{"POST /v1/clubs/{club}/bookings", "gateway.mercadopago.CreateCheckout", "store.CreateBooking", "POST /v1/webhooks/{gateway}"} {
		assert.Positive(t, srv[name], "the server exported %s: %v", name, srv)
	}
	require.Equal(t, 1, wrk["job notify.booking"], "the worker exported the confirmation's run: %v", wrk)
	assert.Positive(t, wrk["store.GetBooking"], "%v", wrk)
	assert.Zero(t, srv["job notify.booking"], "the server ran no job")
}
