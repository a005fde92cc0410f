package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
)

// dbDown is what the Postgres store returns while its server is away.
var dbDown = domain.Errorf(domain.CodeUnavailable,
	"postgres: begin a transaction: %w", fmt.Errorf("failed to connect to `user=postgres database=matchpoint`: 10.0.0.7:5432: dial tcp 10.0.0.7:5432: connect: connection refused"))

func TestUnavailableHidesItsCause(t *testing.T) {
	t.Parallel()
	for name, err := range map[string]error{
		"database down":         dbDown,
		"payment provider down": domain.Errorf(domain.CodeUnavailable, "mercadopago: create checkout: the access token was refused (401): invalid token"),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rec, p, logs := writeErrorTo(t, "/v1/clubs/demo/availability", fmt.Errorf("use case: %w", err))
			assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
			assert.Equal(t, "5", rec.Header().Get("Retry-After"))
			assert.Equal(t, "unavailable", p.Code)
			assert.Equal(t, "a service the server depends on is unavailable; retry after 5 seconds", p.Detail)
			for _, secret := range []string{"postgres", "dial", "10.0.0.7", "mercadopago", "token"} {
				assert.NotContains(t, rec.Body.String(), secret)
			}
			assert.Contains(t, logs, domain.ErrorMessage(err), "the cause is logged")
		})
	}
}

// lockedBuffer is a log sink the outage's timer may write to while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Split(strings.TrimSpace(b.b.String()), "\n")
}

// TestOutageLoggedOnce fails many requests on a dependency: one line says the
// outage began, with its cause, and one that it ended, with how many requests failed;
// no line for each request.
func TestOutageLoggedOnce(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	h := &Handler{log: slog.New(slog.NewJSONHandler(logs, nil))}
	h.outages.quiet = time.Hour // the test ends the outage itself
	fail := func(n int) {
		for range n {
			h.writeError(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/v1/clubs/demo/availability", nil), dbDown)
		}
	}

	fail(500)
	lines := logs.lines()
	require.Len(t, lines, 1, "one line for the outage so far")
	assert.Contains(t, lines[0], "connection refused", "with its cause")
	assert.Contains(t, lines[0], "/v1/clubs/demo/availability")

	endOutage(h)
	lines = logs.lines()
	require.Len(t, lines, 2)
	var end struct {
		Msg    string `json:"msg"`
		Failed int    `json:"failed_requests"`
	}
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &end), lines[1])
	assert.Equal(t, 500, end.Failed)

	fail(3)
	lines = logs.lines()
	require.Len(t, lines, 3, "a new outage is logged again")
	assert.Contains(t, lines[2], "connection refused")
}

// TestOutageEndsWhenRequestsStopFailing lets the outage's own timer end it.
func TestOutageEndsWhenRequestsStopFailing(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	h := &Handler{log: slog.New(slog.NewTextHandler(logs, nil))}
	h.outages.quiet = time.Millisecond
	h.writeError(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/readyz", nil), dbDown)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for len(logs.lines()) < 2 {
		select {
		case <-ctx.Done():
			t.Fatalf("the outage did not end: %q", logs.lines())
		case <-time.After(time.Millisecond):
		}
	}
	assert.Contains(t, logs.lines()[1], "failed_requests=1")
}

// endOutage runs the outage's check as if its quiet period had passed.
func endOutage(h *Handler) {
	h.outages.mu.Lock()
	h.outages.quiet = time.Nanosecond
	h.outages.mu.Unlock()
	h.outages.check(h.log)
	h.outages.mu.Lock()
	h.outages.quiet = time.Hour
	h.outages.mu.Unlock()
}
