package httpapi_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/httpapi"
)

func TestUnknownRouteIsAProblem(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, path := range []string{"/", "/nope", "/v1/clubs/club-one", "/v1/bookings/", "/v1/bookings/x/cancel/more", "/sandbox/checkout"} {
		res := e.get(path, nil)
		assertProblem(t, res, http.StatusNotFound, "not_found")
		assert.NotContains(t, res.Body.String(), "404 page not found", path)
		assert.Equal(t, path, res.json["instance"])
	}
	assert.Contains(t, e.logs.String(), `status=404`)
}

func TestWrongMethodIsAProblem(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.do(request{method: http.MethodDelete, path: "/v1/bookings/abc"})
	assertProblem(t, res, http.StatusMethodNotAllowed, "method_not_allowed")
	assert.Equal(t, "GET, HEAD", res.Header().Get("Allow"))
	assert.NotContains(t, res.Body.String(), "Method Not Allowed\n")
	assert.Contains(t, res.json["detail"], "DELETE")

	res = e.get("/v1/clubs/club-one/bookings", nil)
	assertProblem(t, res, http.StatusMethodNotAllowed, "method_not_allowed")
	assert.Equal(t, "POST", res.Header().Get("Allow"))
}

func TestExtraServesTheSandbox(t *testing.T) {
	t.Parallel()
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/sandbox/checkout/co_1" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<h1>Pay</h1>"))
	})
	e := newEnv(t, func(o *httpapi.Config) { o.Extra = page })
	res := e.get("/sandbox/checkout/co_1", nil)
	require.Equal(t, http.StatusOK, res.Code)
	assert.Equal(t, "<h1>Pay</h1>", res.Body.String())
	// The mounted handler's own answers are its own.
	other := e.get("/sandbox/elsewhere", nil)
	assert.Equal(t, http.StatusNotFound, other.Code)
	assert.Equal(t, "404 page not found\n", other.Body.String())
	assert.NotContains(t, e.handler.Routes(), "/sandbox/", "Routes lists the API's own endpoints")
}

func TestPanicsBecomeInternalProblems(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *httpapi.Config) {
		o.Extra = http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("nil map in the sandbox") })
	})
	res := e.post("/sandbox/pay", `{}`, nil)
	assertProblem(t, res, http.StatusInternalServerError, "internal")
	assert.NotContains(t, res.Body.String(), "nil map")
	logs := e.logs.String()
	assert.Contains(t, logs, "panic serving request")
	assert.Contains(t, logs, "nil map in the sandbox")
	assert.Contains(t, logs, "status=500")

	// The server goes on serving.
	assert.Equal(t, http.StatusOK, e.get("/healthz", nil).Code)
}

func TestPanicAfterTheHeaderAbortsTheResponse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *httpapi.Config) {
		o.Extra = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("half a page"))
			panic("half way")
		})
	})
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() { e.get("/sandbox/page", nil) },
		"a response under way is cut, so the client cannot take it for a whole one")
	assert.Contains(t, e.logs.String(), "half way")
}

func TestInternalErrorsAreLoggedNotShown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.store.breakWith(errors.New("dial tcp 10.0.0.7:5432: password authentication failed for user matchpoint"))
	res := e.get("/v1/clubs/club-one/availability?date=2026-03-11&sport=padel&duration=90", nil)
	assertProblem(t, res, http.StatusInternalServerError, "internal")
	assert.Equal(t, "Internal", res.json["title"])
	assert.NotContains(t, res.Body.String(), "10.0.0.7")
	assert.NotContains(t, res.Body.String(), "password")
	logs := e.logs.String()
	assert.Contains(t, logs, "password authentication failed")
	assert.Contains(t, logs, `pattern="GET /v1/clubs/{club}/availability"`)
}

func TestRequestLog(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.get("/v1/clubs/club-one/availability?date=2026-03-11&sport=padel&duration=90", nil)
	line := ""
	for _, l := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(l, `msg="http request"`) {
			line = l
		}
	}
	require.NotEmpty(t, line)
	assert.Contains(t, line, "method=GET")
	assert.Contains(t, line, `pattern="GET /v1/clubs/{club}/availability"`)
	assert.Contains(t, line, "path=/v1/clubs/club-one/availability")
	assert.Contains(t, line, "status=200")
	assert.Contains(t, line, "duration=")
}

func TestOversizeBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *httpapi.Config) { o.MaxBodyBytes = 1024 })
	big := `{"court_id":"` + strings.Repeat("x", 2000) + `"}`
	for _, path := range []string{"/v1/clubs/club-one/bookings", "/v1/clubs/club-one/quotes", "/v1/webhooks/" + provider} {
		res := e.post(path, big, nil)
		assertProblem(t, res, http.StatusBadRequest, "invalid")
		assert.Contains(t, res.json["detail"], "larger than 1024 bytes", path)
	}
	res := e.post(adminBase+"/courts", big, e.admin())
	assertProblem(t, res, http.StatusBadRequest, "invalid")

	// The default is 64 KiB.
	d := newEnv(t)
	res = d.post("/v1/clubs/club-one/bookings", `{"court_id":"`+strings.Repeat("x", 70<<10)+`"}`, nil)
	assertProblem(t, res, http.StatusBadRequest, "invalid")
	assert.Contains(t, res.json["detail"], "larger than 65536 bytes")
}

// TestMalformedRequests sends broken bodies and parameters to every kind of endpoint:
// each is a 400 problem that says what is wrong, never a 500.
func TestMalformedRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	court := e.padel[0].ID
	avail := "/v1/clubs/club-one/availability?"
	book := "/v1/clubs/club-one/bookings"
	customer := `"customer":{"name":"Ana","email":"ana@example.com"}`
	cases := []struct {
		name   string
		req    request
		detail string // a part of the problem's detail
	}{
		{"no date", request{path: avail + "sport=padel&duration=90"}, "date is required"},
		{"impossible date", request{path: avail + "date=2026-02-30&sport=padel&duration=90"}, "not a date"},
		{"short date", request{path: avail + "date=2026-3-1&sport=padel&duration=90"}, "not a date"},
		{"date twice", request{path: avail + "date=2026-03-11&date=2026-03-12&sport=padel&duration=90"}, "given 2 times"},
		{"no sport", request{path: avail + "date=2026-03-11&duration=90"}, "sport is required"},
		{"bad sport", request{path: avail + "date=2026-03-11&sport=Padel!&duration=90"}, "lowercase slug"},
		{"no duration", request{path: avail + "date=2026-03-11&sport=padel"}, "duration is required"},
		{"word duration", request{path: avail + "date=2026-03-11&sport=padel&duration=ninety"}, "whole number of minutes"},
		{"fractional duration", request{path: avail + "date=2026-03-11&sport=padel&duration=90.5"}, "whole number of minutes"},
		{"negative duration", request{path: avail + "date=2026-03-11&sport=padel&duration=-30"}, "from 1 to 1440"},
		{"huge duration", request{path: avail + "date=2026-03-11&sport=padel&duration=99999999999999999999"}, "whole number of minutes"},
		{"bad category", request{path: avail + "date=2026-03-11&sport=padel&duration=90&category=vip"}, "member or guest"},

		{"empty body", request{method: "POST", path: book}, "body is empty"},
		{"not JSON", request{method: "POST", path: book, body: "court=1"}, "must be a JSON object"},
		{"array", request{method: "POST", path: book, body: `[{"court_id":"x"}]`}, "must be a JSON object"},
		{"null", request{method: "POST", path: book, body: `null`}, "must be a JSON object"},
		{"broken JSON", request{method: "POST", path: book, body: `{"court_id": x}`}, "not valid JSON"},
		{"truncated JSON", request{method: "POST", path: book, body: `{"court_id": "x"`}, "ends before"},
		{"trailing data", request{method: "POST", path: book, body: `{"court_id":"x"} {"court_id":"y"}`}, "data after"},
		{"unknown field", request{method: "POST", path: book, body: `{"court":"x"}`}, `unknown field "court"`},
		{"string duration", request{method: "POST", path: book, body: `{"court_id":"` + court + `","start":"2026-03-11T10:00:00-03:00","duration_minutes":"90",` + customer + `}`}, `"duration_minutes" must be an integer`},
		{"float duration", request{method: "POST", path: book, body: `{"court_id":"` + court + `","start":"2026-03-11T10:00:00-03:00","duration_minutes":90.5,` + customer + `}`}, "the number 90.5"},
		{"zero duration", request{method: "POST", path: book, body: `{"court_id":"` + court + `","start":"2026-03-11T10:00:00-03:00",` + customer + `}`}, "duration_minutes must be"},
		{"nested type", request{method: "POST", path: book, body: `{"court_id":"` + court + `","start":"2026-03-11T10:00:00-03:00","duration_minutes":60,"customer":{"name":5}}`}, `"customer.name" must be a string`},
		{"no court", request{method: "POST", path: book, body: `{"start":"2026-03-11T10:00:00-03:00","duration_minutes":60,` + customer + `}`}, "court_id is required"},
		{"no offset", request{method: "POST", path: book, body: `{"court_id":"` + court + `","start":"2026-03-11T10:00:00","duration_minutes":60,` + customer + `}`}, "RFC 3339"},
		{"prose start", request{method: "POST", path: book, body: `{"court_id":"` + court + `","start":"tomorrow at ten","duration_minutes":60,` + customer + `}`}, "RFC 3339"},
		{"no customer", request{method: "POST", path: book, body: `{"court_id":"` + court + `","start":"2026-03-11T10:00:00-03:00","duration_minutes":60}`}, "customer is required"},
		{"bad customer category", request{method: "POST", path: book, body: `{"court_id":"` + court + `","start":"2026-03-11T10:00:00-03:00","duration_minutes":60,"customer":{"name":"Ana","email":"ana@example.com","category":"vip"}}`}, "member or guest"},
		{"bad email", request{method: "POST", path: book, body: `{"court_id":"` + court + `","start":"2026-03-11T10:00:00-03:00","duration_minutes":60,"customer":{"name":"Ana","email":"not an address"}}`}, "not an address"},
		{"key with newline", request{method: "POST", path: book, header: map[string]string{"Idempotency-Key": "a\x01b"}, body: bookingBody(court, "2026-03-11T10:00", 60, "ana@example.com")}, "printable ASCII"},
		{"quote without start", request{method: "POST", path: "/v1/clubs/club-one/quotes", body: `{"court_id":"` + court + `","duration_minutes":60}`}, "start is required"},

		{"court without name", request{method: "POST", path: adminBase + "/courts", body: `{"sport":"padel"}`}, "name is required"},
		{"court active as string", request{method: "POST", path: adminBase + "/courts", body: `{"name":"X","sport":"padel","active":"yes"}`}, `"active" must be true or false`},
		{"season bad date", request{method: "POST", path: adminBase + "/seasons", body: `{"name":"S","from":"2027-13-01","to":"2027-12-31"}`}, `from "2027-13-01"`},
		{"season bad clock", request{method: "POST", path: adminBase + "/seasons", body: `{"name":"S","from":"2027-01-01","to":"2027-12-31","hours":{"monday":{"open":"8:00","close":"22:00"}}}`}, "hours.monday.open"},
		{"season funday", request{method: "POST", path: adminBase + "/seasons", body: `{"name":"S","from":"2027-01-01","to":"2027-12-31","hours":{"funday":{"open":"08:00","close":"22:00"}}}`}, "funday"},
		{"season day twice", request{method: "POST", path: adminBase + "/seasons", body: `{"name":"S","from":"2027-01-01","to":"2027-12-31","hours":{"mon":null,"monday":{"open":"08:00","close":"22:00"}}}`}, "given twice"},
		{"season backwards", request{method: "POST", path: adminBase + "/seasons", body: `{"name":"S","from":"2027-12-31","to":"2027-01-01"}`}, "before it starts"},
		{"closure backwards", request{method: "POST", path: adminBase + "/closures", body: `{"start":"2026-03-11T15:00:00Z","end":"2026-03-11T11:00:00Z"}`}, "end must be after start"},
		{"closure no end", request{method: "POST", path: adminBase + "/closures", body: `{"start":"2026-03-11T15:00:00Z"}`}, "end is required"},
		{"rule bad weekday", request{method: "POST", path: adminBase + "/price-rules", body: `{"weekdays":["mon2"],"from":"08:00","to":"09:00","rate":{"amount":1}}`}, `"mon2"`},
		{"rule no weekdays", request{method: "POST", path: adminBase + "/price-rules", body: `{"from":"08:00","to":"09:00","rate":{"amount":1}}`}, "weekdays is required"},
		{"rule no rate", request{method: "POST", path: adminBase + "/price-rules", body: `{"weekdays":["mon"],"from":"08:00","to":"09:00"}`}, "rate.amount is required"},
		{"rule decimal rate", request{method: "POST", path: adminBase + "/price-rules", body: `{"weekdays":["mon"],"from":"08:00","to":"09:00","rate":{"amount":40.5}}`}, `"rate.amount" must be an integer`},
		{"rule 25:00", request{method: "POST", path: adminBase + "/price-rules", body: `{"weekdays":["mon"],"from":"08:00","to":"25:00","rate":{"amount":1}}`}, `to "25:00"`},
		{"rule category", request{method: "POST", path: adminBase + "/price-rules", body: `{"weekdays":["mon"],"from":"08:00","to":"09:00","category":"vip","rate":{"amount":1}}`}, "member, guest or empty"},
		{"list limit zero", request{path: adminBase + "/bookings?limit=0"}, "from 1 to 1000"},
		{"list limit word", request{path: adminBase + "/bookings?limit=all"}, "whole number"},
		{"list status", request{path: adminBase + "/bookings?status=done"}, "one of pending"},
		{"list from", request{path: adminBase + "/bookings?from=yesterday"}, "RFC 3339"},
		{"list backwards", request{path: adminBase + "/closures?from=2026-03-12&to=2026-03-11"}, "after from"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := c.req
			if req.method == "" {
				req.method = http.MethodGet
			}
			if strings.HasPrefix(req.path, "/v1/admin/") {
				req.header = e.admin()
			}
			res := e.do(req)
			assertProblem(t, res, http.StatusBadRequest, "invalid")
			assert.Contains(t, res.json["detail"], c.detail)
		})
	}
}

// TestOverTheWire serves the Handler from a real server: what a client sees of
// routing, problems, bodies and flushing pages mounted through Extra.
func TestOverTheWire(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *httpapi.Config) {
		o.Extra = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("first part "))
			assert.NoError(t, http.NewResponseController(w).Flush(), "the Handler's writer unwraps to one that flushes")
			_, _ = w.Write([]byte("second part"))
		})
	})
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	c := srv.Client()

	res, err := c.Post(srv.URL+"/v1/clubs/club-one/bookings", "application/json", strings.NewReader(bookingBody(e.padel[0].ID, "2026-03-11T10:00", 60, "ana@example.com")))
	require.NoError(t, err)
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.NoError(t, res.Body.Close())
	assert.Equal(t, http.StatusCreated, res.StatusCode, string(body))
	assert.Contains(t, string(body), `"access_token"`)

	head, err := c.Head(srv.URL + "/healthz")
	require.NoError(t, err)
	require.NoError(t, head.Body.Close())
	assert.Equal(t, http.StatusOK, head.StatusCode)

	missing, err := c.Get(srv.URL + "/v2/anything")
	require.NoError(t, err)
	body, err = io.ReadAll(missing.Body)
	require.NoError(t, err)
	require.NoError(t, missing.Body.Close())
	assert.Equal(t, http.StatusNotFound, missing.StatusCode)
	assert.Equal(t, "application/problem+json", missing.Header.Get("Content-Type"))
	assert.JSONEq(t, `{"type":"https://matchpoint.dev/problems/not_found","title":"Not found","status":404,"detail":"no resource at /v2/anything","code":"not_found","instance":"/v2/anything"}`, string(body))

	page, err := c.Get(srv.URL + "/sandbox/checkout")
	require.NoError(t, err)
	body, err = io.ReadAll(page.Body)
	require.NoError(t, err)
	require.NoError(t, page.Body.Close())
	assert.Equal(t, "first part second part", string(body))
}

// reports is an error reporter that keeps what it heard.
type reports struct {
	mu  sync.Mutex
	got []reported
}

type reported struct {
	err   error
	attrs map[string]string
}

func (r *reports) Report(_ context.Context, err error, attrs map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, reported{err, attrs})
}

func (r *reports) all() []reported {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]reported(nil), r.got...)
}

func TestInternalErrorsAndPanicsAreReportedWithoutSecrets(t *testing.T) {
	t.Parallel()
	var rep reports
	e := newEnv(t, func(o *httpapi.Config) {
		o.Reporter = &rep
		o.Extra = http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("nil map in the sandbox") })
	})
	e.store.breakWith(errors.New("dial tcp 10.0.0.7:5432: connection reset"))
	res := e.get("/v1/clubs/club-one/availability?date=2026-03-11&sport=padel&duration=90&token=secret-in-the-query", map[string]string{"Authorization": "Bearer mpk_secret"})
	assertProblem(t, res, http.StatusInternalServerError, "internal")
	got := rep.all()
	require.Len(t, got, 1, "an internal error is reported")
	assert.Contains(t, got[0].err.Error(), "connection reset")
	assert.Equal(t, map[string]string{"method": "GET", "route": "GET /v1/clubs/{club}/availability", "path": "/v1/clubs/club-one/availability"}, got[0].attrs,
		"the request's method, route and path, never its query string or headers")

	assertProblem(t, e.post("/sandbox/pay", `{}`, nil), http.StatusInternalServerError, "internal")
	got = rep.all()
	require.Len(t, got, 2, "a panic is reported")
	assert.Contains(t, got[1].err.Error(), "nil map in the sandbox")
	assert.Equal(t, "/sandbox/", got[1].attrs["route"])

	// Client mistakes are not reported.
	assertProblem(t, e.get("/v1/clubs/club-one/availability?date=yesterday", nil), http.StatusBadRequest, "invalid")
	assert.Len(t, rep.all(), 2)
}

func TestOnPanicHearsOfPanicsWithTheRecoveredValue(t *testing.T) {
	t.Parallel()
	var rep reports
	var mu sync.Mutex
	var recovered []any
	e := newEnv(t, func(o *httpapi.Config) {
		o.Reporter = &rep
		o.OnPanic = func(_ context.Context, v any, attrs map[string]string) {
			mu.Lock()
			defer mu.Unlock()
			recovered = append(recovered, v)
			assert.Equal(t, "POST", attrs["method"])
		}
		o.Extra = http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(errors.New("boom")) })
	})
	assertProblem(t, e.post("/sandbox/pay", `{}`, nil), http.StatusInternalServerError, "internal")
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, recovered, 1)
	assert.EqualError(t, recovered[0].(error), "boom")
	assert.Empty(t, rep.all(), "OnPanic takes the panic instead of Reporter")
}
