package httpapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
)

const adminBase = "/v1/admin/clubs/club-one"

func (e *env) put(path, body string) response {
	e.t.Helper()
	return e.do(request{method: http.MethodPut, path: path, body: body, header: e.admin()})
}

func (e *env) del(path string) response {
	e.t.Helper()
	return e.do(request{method: http.MethodDelete, path: path, header: e.admin()})
}

func TestAdminAuthentication(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	missing := e.get(adminBase+"/courts", nil)
	assertProblem(t, missing, http.StatusUnauthorized, "unauthorized")
	assert.NotEmpty(t, missing.Header().Get("WWW-Authenticate"))
	assertProblem(t, e.get(adminBase+"/courts", bearer("mpk_unknown")), http.StatusUnauthorized, "unauthorized")
	assert.Equal(t, http.StatusOK, e.get(adminBase+"/courts", map[string]string{"X-API-Key": e.apiKey}).Code)
	assert.Equal(t, http.StatusOK, e.get(adminBase+"/courts", e.admin()).Code)

	// A key administers its own club only; an unknown club looks the same as another's.
	other, err := e.app.Admin.CreateClub(context.Background(), app.CreateClubCommand{Slug: "club-two", Name: "Club Two", Zone: zone, Currency: "ARS", Policy: domain.DefaultPolicy()})
	require.NoError(t, err)
	assertProblem(t, e.get(adminBase+"/courts", bearer(other.APIKey)), http.StatusForbidden, "forbidden")
	assertProblem(t, e.get("/v1/admin/clubs/nowhere/courts", e.admin()), http.StatusForbidden, "forbidden")
	// Authentication comes before the body is read.
	assertProblem(t, e.post(adminBase+"/courts", "not json", nil), http.StatusUnauthorized, "unauthorized")
}

func TestAdminCourts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.post(adminBase+"/courts", `{"name":" Padel 5 ","sport":"padel","indoor":false,"surface":"glass"}`, e.admin())
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	id := res.json["id"].(string)
	assert.Equal(t, adminBase+"/courts/"+id, res.Header().Get("Location"))
	assert.Equal(t, map[string]any{"id": id, "name": "Padel 5", "sport": "padel", "indoor": false, "surface": "glass", "active": true}, res.json)

	put := e.put(adminBase+"/courts/"+id, `{"id":"`+id+`","name":"Padel 5","sport":"padel","indoor":true,"surface":"glass","active":false}`)
	require.Equal(t, http.StatusOK, put.Code, put.Body.String())
	assert.Equal(t, false, put.json["active"])
	assert.Equal(t, true, put.json["indoor"])

	list := e.get(adminBase+"/courts", e.admin())
	require.Equal(t, http.StatusOK, list.Code)
	assert.Len(t, arr(list.json, "courts"), 6)

	// The inactive court takes no bookings and offers no slots.
	avail := e.get("/v1/clubs/club-one/availability?date=2026-03-11&sport=padel&duration=60", nil)
	assert.Len(t, arr(avail.json, "courts"), 4)

	assertProblem(t, e.put(adminBase+"/courts/nope", `{"name":"X","sport":"padel"}`), http.StatusNotFound, "not_found")
	assertProblem(t, e.put(adminBase+"/courts/"+id, `{"id":"other","name":"X","sport":"padel"}`), http.StatusBadRequest, "invalid")
	assertProblem(t, e.post(adminBase+"/courts", `{"id":"mine","name":"X","sport":"padel"}`, e.admin()), http.StatusBadRequest, "invalid")
	assertProblem(t, e.post(adminBase+"/courts", `{"name":"X","sport":"Padel"}`, e.admin()), http.StatusBadRequest, "invalid")
}

func TestAdminSeasons(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	overlap := e.post(adminBase+"/seasons", `{"name":"Summer","from":"2026-12-01","to":"2027-02-28","hours":{"monday":{"open":"08:00","close":"23:00"}}}`, e.admin())
	assertProblem(t, overlap, http.StatusConflict, "season_overlap")

	res := e.post(adminBase+"/seasons", `{"name":"2027","from":"2027-01-01","to":"2027-12-31","hours":{"sun":{"open":"10:00","close":"20:00"},"monday":{"open":"08:00","close":"01:30"},"tuesday":null}}`, e.admin())
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	id := res.json["id"].(string)
	assert.Equal(t, map[string]any{
		"id": id, "name": "2027", "from": "2027-01-01", "to": "2027-12-31",
		"hours": map[string]any{"monday": map[string]any{"open": "08:00", "close": "01:30"}, "sunday": map[string]any{"open": "10:00", "close": "20:00"}},
	}, res.json)
	assert.Regexp(t, `"hours":\{"monday":.*"sunday":`, res.Body.String(), "the week runs from Monday")

	put := e.put(adminBase+"/seasons/"+id, `{"name":"Next year","from":"2027-01-01","to":"2027-06-30","hours":{}}`)
	require.Equal(t, http.StatusOK, put.Code, put.Body.String())
	assert.Equal(t, "Next year", put.json["name"])
	assert.Equal(t, map[string]any{}, put.json["hours"])

	list := e.get(adminBase+"/seasons", e.admin())
	require.Len(t, arr(list.json, "seasons"), 2)
	assert.Equal(t, "2026", arr(list.json, "seasons")[0].(map[string]any)["name"])

	assert.Equal(t, http.StatusNoContent, e.del(adminBase+"/seasons/"+id).Code)
	assertProblem(t, e.del(adminBase+"/seasons/"+id), http.StatusNotFound, "not_found")
	assertProblem(t, e.put(adminBase+"/seasons/"+id, `{"name":"Gone","from":"2028-01-01","to":"2028-01-02"}`), http.StatusNotFound, "not_found")
}

func TestAdminClosures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	court := e.padel[0].ID
	res := e.post(adminBase+"/closures", `{"court_id":"`+court+`","start":"2026-03-11T11:00:00Z","end":"2026-03-11T15:00:00Z","reason":"resurfacing"}`, e.admin())
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	id := res.json["id"].(string)
	assert.Equal(t, map[string]any{"id": id, "court_id": court, "start": "2026-03-11T08:00:00-03:00", "end": "2026-03-11T12:00:00-03:00", "reason": "resurfacing"}, res.json)

	booking := e.post("/v1/clubs/club-one/bookings", bookingBody(court, "2026-03-11T09:00", 60, "ana@example.com"), nil)
	assertProblem(t, booking, http.StatusUnprocessableEntity, "closed")

	put := e.put(adminBase+"/closures/"+id, `{"start":"2026-03-12T08:00:00-03:00","end":"2026-03-12T09:00:00-03:00","reason":"whole club"}`)
	require.Equal(t, http.StatusOK, put.Code, put.Body.String())
	assert.Equal(t, "", put.json["court_id"], "no court closes the whole club")

	in := e.get(adminBase+"/closures?from=2026-03-12&to=2026-03-13", e.admin())
	require.Equal(t, http.StatusOK, in.Code, in.Body.String())
	assert.Len(t, arr(in.json, "closures"), 1)
	out := e.get(adminBase+"/closures?from=2026-03-13T00:00:00-03:00", e.admin())
	require.Equal(t, http.StatusOK, out.Code, out.Body.String())
	assert.Contains(t, out.Body.String(), `"closures":[]`)

	assert.Equal(t, http.StatusNoContent, e.del(adminBase+"/closures/"+id).Code)
	assertProblem(t, e.del(adminBase+"/closures/"+id), http.StatusNotFound, "not_found")
	assertProblem(t, e.post(adminBase+"/closures", `{"court_id":"nope","start":"2026-03-11T11:00:00Z","end":"2026-03-11T15:00:00Z"}`, e.admin()), http.StatusNotFound, "not_found")
}

func TestAdminPriceRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.post(adminBase+"/price-rules", `{"name":"Tennis weekend","sport":"tennis","weekdays":["sun","saturday"],"from":"08:00","to":"24:00","category":"","priority":30,"rate":{"amount":500000,"currency":"ARS"}}`, e.admin())
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	id := res.json["id"].(string)
	assert.Equal(t, map[string]any{
		"id": id, "name": "Tennis weekend", "sport": "tennis", "court_id": "", "season_id": "",
		"weekdays": []any{"sat", "sun"}, "from": "08:00", "to": "24:00", "category": "", "priority": 30.0,
		"rate": map[string]any{"amount": 500000.0, "currency": "ARS"},
	}, res.json)

	// Saturday 14 March: the weekend rule outranks the everyday one.
	avail := e.get("/v1/clubs/club-one/availability?date=2026-03-14&sport=tennis&duration=60", nil)
	require.Equal(t, http.StatusOK, avail.Code)
	prices := map[string]any{}
	for _, s := range arr(arr(avail.json, "courts")[0], "slots") {
		prices[s.(map[string]any)["start"].(string)] = s.(map[string]any)["price"]
	}
	assert.Equal(t, map[string]any{"amount": 1000000.0, "currency": "ARS"}, prices["2026-03-14T08:00:00-03:00"])
	// Friday's opening runs to 01:00 on Saturday, and Friday's rules price it.
	assert.Equal(t, map[string]any{"amount": 700000.0, "currency": "ARS"}, prices["2026-03-14T00:00:00-03:00"])

	put := e.put(adminBase+"/price-rules/"+id, `{"name":"Tennis Mondays","court_id":"`+e.tennis.ID+`","weekdays":["mon"],"from":"22:00","to":"02:00","category":"member","priority":5,"rate":{"amount":100}}`)
	require.Equal(t, http.StatusOK, put.Code, put.Body.String())
	assert.Equal(t, []any{"mon"}, put.json["weekdays"])
	assert.Equal(t, e.tennis.ID, put.json["court_id"])
	assert.Equal(t, map[string]any{"amount": 100.0, "currency": "ARS"}, put.json["rate"], "the club's currency is implied")

	list := e.get(adminBase+"/price-rules", e.admin())
	assert.Len(t, arr(list.json, "price_rules"), 6)

	assertProblem(t, e.post(adminBase+"/price-rules", `{"weekdays":["mon"],"from":"08:00","to":"09:00","rate":{"amount":1,"currency":"USD"}}`, e.admin()),
		http.StatusBadRequest, "currency_mismatch")
	assertProblem(t, e.post(adminBase+"/price-rules", `{"weekdays":["mon"],"from":"08:00","to":"09:00","rate":{"amount":-1}}`, e.admin()),
		http.StatusBadRequest, "invalid")
	assertProblem(t, e.post(adminBase+"/price-rules", `{"court_id":"nope","weekdays":["mon"],"from":"08:00","to":"09:00","rate":{"amount":1}}`, e.admin()),
		http.StatusNotFound, "not_found")

	assert.Equal(t, http.StatusNoContent, e.del(adminBase+"/price-rules/"+id).Code)
	assertProblem(t, e.del(adminBase+"/price-rules/"+id), http.StatusNotFound, "not_found")
}

func TestAdminBookings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first, _ := e.book(e.padel[0].ID, "2026-03-11T10:00", 60, "ana@example.com")
	second, token := e.book(e.padel[1].ID, "2026-03-12T10:00", 60, "bea@example.com")
	require.Equal(t, http.StatusOK, e.post("/v1/bookings/"+second+"/cancel", "", bearer(token)).Code)

	ids := func(res response) []string {
		t.Helper()
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		var out []string
		for _, b := range arr(res.json, "bookings") {
			out = append(out, b.(map[string]any)["id"].(string))
		}
		return out
	}
	assert.Equal(t, []string{first, second}, ids(e.get(adminBase+"/bookings", e.admin())))
	assert.Equal(t, []string{second}, ids(e.get(adminBase+"/bookings?status=cancelled", e.admin())))
	assert.Equal(t, []string{first}, ids(e.get(adminBase+"/bookings?court_id="+e.padel[0].ID, e.admin())))
	assert.Equal(t, []string{first}, ids(e.get(adminBase+"/bookings?limit=1", e.admin())))
	assert.Equal(t, []string{second}, ids(e.get(adminBase+"/bookings?from=2026-03-12&to=2026-03-13", e.admin())))
	assert.Empty(t, ids(e.get(adminBase+"/bookings?from=2026-03-20T00:00:00Z", e.admin())))

	b := arr(e.get(adminBase+"/bookings?limit=1", e.admin()).json, "bookings")[0].(map[string]any)
	assert.Equal(t, "pending", b["status"])
	assert.NotContains(t, b, "access_token", "an admin never sees a customer's token")
}

func TestAdminMarksANoShow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id, _ := e.book(e.padel[0].ID, "2026-03-11T19:30", 90, "ana@example.com")
	path := adminBase + "/bookings/" + id + "/no-show"

	assertProblem(t, e.post(path, "", e.admin()), http.StatusConflict, "invalid_transition") // pending
	paid := e.webhook(webhookEvent{EventID: "evt_ns", Type: "paid", BookingID: id, Ref: "co_" + id, Amount: 1800000, Currency: "ARS"})
	require.Equal(t, http.StatusOK, paid.Code, paid.Body.String())
	assertProblem(t, e.post(path, "", e.admin()), http.StatusConflict, "invalid_transition") // not started
	assertProblem(t, e.post(adminBase+"/bookings/nope/no-show", "", e.admin()), http.StatusNotFound, "not_found")
	assertProblem(t, e.post(path, "", nil), http.StatusUnauthorized, "unauthorized")

	e.clock.Set(time.Date(2026, 3, 11, 22, 45, 0, 0, time.UTC)) // 19:45 in the club
	res := e.post(path, "", e.admin())
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	assert.Equal(t, "no_show", obj(res.json, "booking")["status"])
}
