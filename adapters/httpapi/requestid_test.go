package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/httpapi"
)

func TestEveryAnswerCarriesItsRequestID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	given := e.get("/v1/clubs/club-one", map[string]string{"X-Request-Id": "lb-7f3a:42"})
	assert.Equal(t, "lb-7f3a:42", given.Header().Get("X-Request-Id"), "a well-formed id from the client is kept")

	made := e.get("/v1/clubs/club-one", nil)
	assert.Regexp(t, `^[0-9a-f]{32}$`, made.Header().Get("X-Request-Id"), "a request without one gets one")

	for _, bad := range []string{"two words", strings.Repeat("x", 129), "id\x7f", "<script>"} {
		res := e.get("/v1/clubs/club-one", map[string]string{"X-Request-Id": bad})
		assert.Regexp(t, `^[0-9a-f]{32}$`, res.Header().Get("X-Request-Id"), "%q is replaced: the log takes no text of the client's choosing", bad)
	}

	problem := e.get("/v1/clubs/club-one/availability?date=yesterday", map[string]string{"X-Request-Id": "req-1"})
	assert.Equal(t, http.StatusBadRequest, problem.Code)
	assert.Equal(t, "req-1", problem.Header().Get("X-Request-Id"), "problems carry it too")
	logs := e.logs.String()
	assert.Contains(t, logs, "request_id=req-1")
	assert.Contains(t, logs, `pattern="GET /v1/clubs/{club}/availability"`)
	assert.Contains(t, logs, "club=club-one")
	assert.Contains(t, logs, "status=400")
}

func TestLogHandlerAddsTheRequestIDToEveryLine(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(httpapi.LogHandler(slog.NewJSONHandler(&buf, nil))).With("component", "test")
	var inner context.Context
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner = r.Context()
		log.InfoContext(r.Context(), "inside the request")
	})
	e := newEnv(t, func(o *httpapi.Config) { o.Logger = log; o.Extra = h })
	res := e.get("/sandbox/page", map[string]string{"X-Request-Id": "req-2"})
	require.Equal(t, http.StatusOK, res.Code)
	assert.Equal(t, "req-2", httpapi.RequestID(inner))

	var lines []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		lines = append(lines, m)
	}
	require.Len(t, lines, 2, "the endpoint's line and the request's")
	for _, m := range lines {
		assert.Equal(t, "req-2", m["request_id"], "%v", m)
		assert.Equal(t, "test", m["component"])
	}
	assert.Equal(t, "http request", lines[1]["msg"])
	assert.Empty(t, httpapi.RequestID(context.Background()))
}
