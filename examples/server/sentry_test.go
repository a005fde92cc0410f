package main

import (
	"bytes"
	"io"
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

// sentryInbox is a local stand-in of Sentry's ingestion endpoint: it keeps the raw
// envelopes it receives.
type sentryInbox struct {
	mu        sync.Mutex
	envelopes [][]byte
}

func (s *sentryInbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.envelopes = append(s.envelopes, b)
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (s *sentryInbox) all() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Join(s.envelopes, []byte("\n"))
}

// TestErrorReportsReachSentry runs the server with MATCHPOINT_SENTRY_DSN on a local
// stand-in: a payment that does not match its booking's price is reported there, with
// the booking, and without the customer's email or access token.
func TestErrorReportsReachSentry(t *testing.T) {
	var inbox sentryInbox
	sentry := httptest.NewServer(&inbox)
	t.Cleanup(sentry.Close)
	dsn := "http://publickey@" + strings.TrimPrefix(sentry.URL, "http://") + "/1"
	s := startServerWith(t, map[string]string{"MATCHPOINT_SENTRY_DSN": dsn, "MATCHPOINT_SENTRY_ENVIRONMENT": "test"})

	loc := s.demo.Club.Location
	start, ok := domain.DateOf(time.Now(), loc).AddDays(3).At(domain.MustClock("17:30"), loc)
	require.True(t, ok)
	r := s.do(t, "POST", "/v1/clubs/demo/bookings", bookingJSON(s.demo.Courts[0].ID, start, 90, "Ana Pérez", "ana@example.com"), nil)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	id, token := obj(t, r.body, "booking")["id"].(string), r.body["access_token"].(string)
	paid := s.do(t, "POST", r.body["checkout_url"].(string)+"/pay?amount=100", "", nil)
	require.Equal(t, http.StatusOK, paid.status, paid.raw)

	require.Eventually(t, func() bool { return bytes.Contains(inbox.all(), []byte(id)) }, 10*time.Second, 20*time.Millisecond,
		"the amount mismatch is reported to Sentry with the booking")
	got := inbox.all()
	assert.Contains(t, string(got), `"environment":"test"`)
	assert.NotContains(t, string(got), "ana@example.com")
	assert.NotContains(t, string(got), token)
}

func TestABadSentryDSNStopsTheStart(t *testing.T) {
	_, err := LoadConfig(func(k string) string {
		return map[string]string{"MATCHPOINT_SENTRY_DSN": "not a dsn"}[k]
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "MATCHPOINT_SENTRY_DSN")
	assert.NotContains(t, err.Error(), "not a dsn", "a DSN holds a key: it is not repeated")
}
