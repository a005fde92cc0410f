package httpapi_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/httpapi"
)

// snapshot is everything the seeded club holds, as its admin lists show it, so that a
// test can tell that a refused request changed nothing.
func (e *env) snapshot() string {
	e.t.Helper()
	var b strings.Builder
	for _, list := range []string{"/courts", "/seasons", "/closures", "/price-rules", "/bookings"} {
		res := e.get(adminBase+list, e.admin())
		require.Equal(e.t, http.StatusOK, res.Code, res.Body.String())
		b.WriteString(res.Body.String())
	}
	return b.String()
}

// TestHostileText sends text no field should hold — NUL, other control characters,
// invalid UTF-8, unpaired surrogates — in every place a request carries text: path
// segments, query keys and values, JSON strings nested or not, and JSON member names.
// Each is a 400 invalid_request problem that changes nothing, whether or not the
// request is authenticated.
func TestHostileText(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	court := e.padel[0].ID
	book := "/v1/clubs/club-one/bookings"
	slot := `"court_id":"` + court + `","start":"2026-03-11T10:00:00-03:00","duration_minutes":60`
	withName := func(name string) string {
		return `{` + slot + `,"customer":{"name":"` + name + `","email":"ana@example.com"}}`
	}
	avail := "/v1/clubs/club-one/availability?date=2026-03-11&sport=padel&duration=90"
	rule := func(weekday string) string {
		return `{"name":"R","weekdays":["` + weekday + `"],"from":"08:00","to":"09:00","rate":{"amount":1}}`
	}
	cases := []struct {
		name  string
		req   request
		admin bool
	}{
		{"NUL in a booking id", request{path: "/v1/bookings/a%00b"}, false},
		{"NUL in a booking id to cancel", request{method: "POST", path: "/v1/bookings/a%00b/cancel"}, false},
		{"escape in a booking id", request{path: "/v1/bookings/a%1Bb"}, false},
		{"invalid UTF-8 in a booking id", request{path: "/v1/bookings/a%FFb"}, false},
		{"NUL in a club slug", request{path: "/v1/clubs/club%00one/availability?date=2026-03-11&sport=padel&duration=90"}, false},
		{"NUL in a club slug of a booking", request{method: "POST", path: "/v1/clubs/club%00one/bookings", body: withName("Ana")}, false},
		{"NUL in an admin club slug", request{path: "/v1/admin/clubs/club%00one/courts"}, true},
		{"NUL in an unrouted path", request{path: "/v2/%00"}, false},
		{"NUL in a gateway name", request{method: "POST", path: "/v1/webhooks/test%00pay", body: `{}`}, false},
		{"NUL in a query value", request{path: avail + "&category=gu%00est"}, false},
		{"NUL in an ignored query value", request{path: avail + "&utm_source=a%00b"}, false},
		{"NUL in a query key", request{path: avail + "&a%00b=1"}, false},
		{"invalid UTF-8 in a query value", request{path: avail + "&sport=pad%FFel"}, false},
		{"tab in a query value", request{path: avail + "&category=%09guest"}, false},
		{"NUL in an admin filter", request{path: adminBase + "/bookings?court_id=a%00b"}, true},
		{"invalid UTF-8 in an admin filter", request{path: adminBase + "/bookings?status=%C3%28"}, true},
		{"escaped NUL in a customer name", request{method: "POST", path: book, body: withName(`Ana\u0000`)}, false},
		{"raw NUL in a customer name", request{method: "POST", path: book, body: withName("Ana\x00")}, false},
		{"escaped escape in a customer name", request{method: "POST", path: book, body: withName(`Ana\u001b[31m`)}, false},
		{"invalid UTF-8 in a customer name", request{method: "POST", path: book, body: withName("Ana \xff\xfe")}, false},
		{"overlong UTF-8 in a customer name", request{method: "POST", path: book, body: withName("Ana \xc0\x80")}, false},
		{"unpaired surrogate in a customer name", request{method: "POST", path: book, body: withName(`Ana \ud800`)}, false},
		{"NUL in a quote's court", request{method: "POST", path: "/v1/clubs/club-one/quotes", body: `{"court_id":"a\u0000","start":"2026-03-11T10:00:00-03:00","duration_minutes":60}`}, false},
		{"NUL in a court name", request{method: "POST", path: adminBase + "/courts", body: `{"name":"Padel\u00005","sport":"padel"}`}, true},
		{"NUL in a replaced court's name", request{method: "PUT", path: adminBase + "/courts/" + court, body: `{"name":"Padel\u0000","sport":"padel"}`}, true},
		{"NUL in a court's surface", request{method: "POST", path: adminBase + "/courts", body: `{"name":"Padel 5","sport":"padel","surface":"` + "clay\x00" + `"}`}, true},
		{"NUL in a closure reason", request{method: "POST", path: adminBase + "/closures", body: `{"start":"2026-03-11T08:00:00-03:00","end":"2026-03-11T09:00:00-03:00","reason":"rain\u0000"}`}, true},
		{"invalid UTF-8 in a closure reason", request{method: "POST", path: adminBase + "/closures", body: "{\"start\":\"2026-03-11T08:00:00-03:00\",\"end\":\"2026-03-11T09:00:00-03:00\",\"reason\":\"r\xe2\x82\"}"}, true},
		{"NUL in a season's weekday key", request{method: "POST", path: adminBase + "/seasons", body: `{"name":"S","from":"2027-01-01","to":"2027-12-31","hours":{"mon\u0000":{"open":"08:00","close":"09:00"}}}`}, true},
		{"NUL in a rule's weekday", request{method: "POST", path: adminBase + "/price-rules", body: rule(`mon\u0000`)}, true},
		{"NUL in a member name", request{method: "POST", path: adminBase + "/courts", body: `{"name":"Padel 5","sport":"padel","x\u0000":1}`}, true},
	}
	before := e.snapshot()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := c.req
			if req.method == "" {
				req.method = http.MethodGet
			}
			if c.admin {
				req.header = e.admin()
			}
			assertProblem(t, e.do(req), http.StatusBadRequest, "invalid_request")
		})
	}
	assert.Equal(t, before, e.snapshot(), "a refused request changes nothing")

	// Text a person may write still passes: accents, tabs and line breaks in a reason.
	ok := e.post(adminBase+"/closures", `{"start":"2026-03-11T08:00:00-03:00","end":"2026-03-11T09:00:00-03:00","reason":"lluvia:\n\tcanchas mojadas, señalizar ☂"}`, e.admin())
	require.Equal(t, http.StatusCreated, ok.Code, ok.Body.String())
	assert.Equal(t, "lluvia:\n\tcanchas mojadas, señalizar ☂", ok.json["reason"])
	okName := e.post(book, withName(`Zoë \u00d8stergaard`), nil)
	require.Equal(t, http.StatusCreated, okName.Code, okName.Body.String())
}

// TestStrictJSON refuses JSON that names a member twice, or names it in another case
// than the API's: encoding/json would take the last of two and match names regardless
// of case, so such a body would mean something other than it seems to.
func TestStrictJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	court := e.padel[0].ID
	book := "/v1/clubs/club-one/bookings"
	customer := `"customer":{"name":"Ana","email":"ana@example.com"}`
	slot := `"court_id":"` + court + `","start":"2026-03-11T10:00:00-03:00","duration_minutes":60`
	cases := []struct {
		name, path, body, detail string
	}{
		{"a member twice", book, `{` + slot + `,"court_id":"` + e.padel[1].ID + `",` + customer + `}`, `"court_id" is given twice`},
		{"a member twice, escaped", book, `{` + slot + `,"court\u005fid":"` + e.padel[1].ID + `",` + customer + `}`, `"court_id" is given twice`},
		{"a nested member twice", book, `{` + slot + `,"customer":{"name":"Ana","email":"ana@example.com","name":"Bea"}}`, `"customer.name" is given twice`},
		{"a member in capitals", book, `{"Court_ID":"` + court + `","start":"2026-03-11T10:00:00-03:00","duration_minutes":60,` + customer + `}`, `"Court_ID"`},
		{"a nested member in capitals", book, `{` + slot + `,"customer":{"Name":"Ana","email":"ana@example.com"}}`, `"customer.Name"`},
		{"a member folded by Unicode", adminBase + "/courts", `{"name":"X","\u017fport":"padel"}`, `"ſport"`},
		{"a map key twice", adminBase + "/seasons", `{"name":"S","from":"2027-01-01","to":"2027-12-31","hours":{"monday":null,"monday":{"open":"08:00","close":"09:00"}}}`, `"hours.monday" is given twice`},
		{"a member of an array's object twice", adminBase + "/price-rules", `{"name":"R","weekdays":["mon"],"from":"08:00","to":"09:00","rate":{"amount":1,"amount":2}}`, `"rate.amount" is given twice`},
		{"a price rule's member in capitals", adminBase + "/price-rules", `{"name":"R","Weekdays":["mon"],"from":"08:00","to":"09:00","rate":{"amount":1}}`, `"Weekdays"`},
	}
	before := e.snapshot()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := e.do(request{method: http.MethodPost, path: c.path, body: c.body, header: e.admin()})
			assertProblem(t, res, http.StatusBadRequest, "invalid_request")
			assert.Contains(t, res.json["detail"], c.detail)
		})
	}
	assert.Equal(t, before, e.snapshot(), "a refused request changes nothing")
}

// TestLargeHeaders answers request headers beyond the Handler's limit with a 431
// problem; a server's own limit (http.Server.MaxHeaderBytes) lies above it, and beyond
// that Go's server answers in plain text before the Handler sees the request.
func TestLargeHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *httpapi.Config) { o.MaxHeaderBytes = 8 << 10 })
	res := e.do(request{method: http.MethodGet, path: "/healthz", header: map[string]string{"X-Padding": strings.Repeat("p", 9<<10)}})
	assertProblem(t, res, http.StatusRequestHeaderFieldsTooLarge, "header_too_large")
	assert.Contains(t, res.json["detail"], "8192 bytes")

	// Many small headers count as much as a big one.
	r := request{method: http.MethodGet, path: "/healthz", header: map[string]string{}}
	for i := range 200 {
		r.header["X-Padding-"+strconv.Itoa(i)] = strings.Repeat("p", 64)
	}
	assertProblem(t, e.do(r), http.StatusRequestHeaderFieldsTooLarge, "header_too_large")

	ok := e.do(request{method: http.MethodGet, path: "/healthz", header: map[string]string{"X-Padding": strings.Repeat("p", 6<<10)}})
	assert.Equal(t, http.StatusOK, ok.Code)

	// The default is 64 KiB.
	d := newEnv(t)
	assertProblem(t, d.do(request{method: http.MethodGet, path: "/healthz", header: map[string]string{"X-Padding": strings.Repeat("p", 65<<10)}}),
		http.StatusRequestHeaderFieldsTooLarge, "header_too_large")
	assert.Equal(t, http.StatusOK, d.do(request{method: http.MethodGet, path: "/healthz", header: map[string]string{"X-Padding": strings.Repeat("p", 60<<10)}}).Code)
}
