package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
)

func TestStatusOfEveryKind(t *testing.T) {
	t.Parallel()
	want := map[domain.Kind]int{
		domain.KindInvalid:      http.StatusBadRequest,
		domain.KindNotFound:     http.StatusNotFound,
		domain.KindConflict:     http.StatusConflict,
		domain.KindPolicy:       http.StatusUnprocessableEntity,
		domain.KindForbidden:    http.StatusForbidden,
		domain.KindUnauthorized: http.StatusUnauthorized,
		domain.KindUnavailable:  http.StatusServiceUnavailable,
		domain.KindInternal:     http.StatusInternalServerError,
		"":                      http.StatusInternalServerError,
		"something new":         http.StatusInternalServerError,
	}
	for kind, status := range want {
		assert.Equal(t, status, statusOf(kind), "kind %q", kind)
	}
}

// writeErrorTo runs writeError for err on a request to path and returns the response
// with its decoded problem and what was logged.
func writeErrorTo(t *testing.T, path string, err error) (*httptest.ResponseRecorder, problem, string) {
	t.Helper()
	var logs bytes.Buffer
	h := &Handler{log: slog.New(slog.NewTextHandler(&logs, nil))}
	rec := httptest.NewRecorder()
	h.writeError(rec, httptest.NewRequest(http.MethodGet, path, nil), err)
	var p problem
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p), rec.Body.String())
	return rec, p, logs.String()
}

func TestWriteErrorMapsDomainErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err    error
		status int
		code   string
		title  string
	}{
		{domain.Errorf(domain.CodeInvalid, "date is required"), 400, "invalid", "Invalid"},
		{domain.Errorf(domain.CodeCurrencyMismatch, "rate in USD"), 400, "currency_mismatch", "Currency mismatch"},
		{domain.Errorf(domain.CodeNotFound, "court %q not found", "c1"), 404, "not_found", "Not found"},
		{domain.Errorf(domain.CodeSlotUnavailable, "court 1 is taken"), 409, "slot_unavailable", "Slot unavailable"},
		{domain.Errorf(domain.CodeTooManyActive, "at most 4"), 422, "too_many_active_bookings", "Too many active bookings"},
		{domain.Errorf(domain.CodeForbidden, "not your club"), 403, "forbidden", "Forbidden"},
		{domain.Errorf(domain.CodeBadSignature, "bad signature"), 401, "bad_signature", "Bad signature"},
		{domain.Errorf(domain.CodeUnavailable, "provider down"), 503, "unavailable", "Unavailable"},
	}
	for _, c := range cases {
		t.Run(c.code, func(t *testing.T) {
			t.Parallel()
			// Wrapping on the way up does not hide the kind.
			err := fmt.Errorf("use case: %w", c.err)
			rec, p, _ := writeErrorTo(t, "/v1/things/1", err)
			assert.Equal(t, c.status, rec.Code)
			assert.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
			detail := domain.ErrorMessage(c.err)
			if c.status == http.StatusServiceUnavailable { // a 5xx tells nothing of its cause
				detail = unavailableDetail
			}
			assert.Equal(t, problem{
				Type: "https://matchpoint.dev/problems/" + c.code, Title: c.title, Status: c.status,
				Detail: detail, Code: c.code, Instance: "/v1/things/1",
			}, p)
			if c.status == http.StatusUnauthorized {
				assert.Equal(t, `Bearer realm="matchpoint"`, rec.Header().Get("WWW-Authenticate"))
			} else {
				assert.Empty(t, rec.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

func TestWriteErrorHidesInternalErrors(t *testing.T) {
	t.Parallel()
	for name, err := range map[string]error{
		"plain error":           errors.New("pq: password authentication failed for user admin"),
		"internal domain error": domain.Errorf(domain.CodeInternal, "pq: password authentication failed for user admin"),
		"unknown code":          &domain.Error{Code: "pq", Message: "pq: password authentication failed for user admin"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rec, p, logs := writeErrorTo(t, "/v1/bookings/b1", err)
			assert.Equal(t, http.StatusInternalServerError, rec.Code)
			assert.Equal(t, "internal", p.Code)
			assert.Equal(t, internalDetail, p.Detail)
			assert.NotContains(t, rec.Body.String(), "password")
			assert.Contains(t, logs, "password authentication failed", "the cause is logged")
			assert.Contains(t, logs, "path=/v1/bookings/b1")
		})
	}
}

func TestTitleOf(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "Method not allowed", titleOf(codeMethodNotAllowed))
	assert.Equal(t, "Error", titleOf(""))
}
