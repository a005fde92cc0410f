package httpapi_test

import (
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/httpapi"
)

// observation is one call of Config.Observe.
type observation struct {
	route, method string
	status        int
	d             time.Duration
}

// observer records Config.Observe's calls.
type observer struct {
	mu   sync.Mutex
	seen []observation
}

func (o *observer) observe(route, method string, status int, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen = append(o.seen, observation{route, method, status, d})
}

func (o *observer) take() []observation {
	o.mu.Lock()
	defer o.mu.Unlock()
	seen := o.seen
	o.seen = nil
	return seen
}

func TestObserveHearsOfEveryRequestOnce(t *testing.T) {
	var obs observer
	e := newEnv(t, func(o *httpapi.Config) {
		o.Observe = obs.observe
		o.Logger = slog.New(slog.DiscardHandler) // the hook does not depend on the log level
		o.Extra = http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("broken page") })
	})

	cases := []struct {
		name     string
		method   string
		path     string
		route    string
		status   int
		withBody string
	}{
		{"a route answering 200", http.MethodGet, "/healthz", "/healthz", http.StatusOK, ""},
		{"a route answering 401", http.MethodGet, "/v1/bookings/nope", "/v1/bookings/{id}", http.StatusUnauthorized, ""},
		{"a route answering 400", http.MethodPost, "/v1/clubs/" + clubSlug + "/quotes", "/v1/clubs/{club}/quotes", http.StatusBadRequest, "{"},
		{"no route: the router's 404", http.MethodGet, "/nowhere", "", http.StatusNotFound, ""},
		{"no route: the router's 405", http.MethodDelete, "/healthz", "", http.StatusMethodNotAllowed, ""},
		{"a panic in Extra", http.MethodGet, "/sandbox/checkout", "/sandbox/", http.StatusInternalServerError, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(request{method: tc.method, path: tc.path, body: tc.withBody})
			require.Equal(t, tc.status, res.Code, res.Body.String())
			seen := obs.take()
			require.Len(t, seen, 1)
			require.Equal(t, tc.route, seen[0].route)
			require.Equal(t, tc.method, seen[0].method)
			require.Equal(t, tc.status, seen[0].status)
			require.Positive(t, seen[0].d)
		})
	}
}
