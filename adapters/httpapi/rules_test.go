package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These cases are requests a hostile client sent: each must be refused with a client
// error that names the problem, and change nothing.

func TestAPriceRuleRateBeyondTheBoundIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// 4 611 686 018 427 389 154 centavos per slot wrapped a 120-minute total to 50.00 ARS.
	res := e.post(adminBase+"/price-rules", `{"name":"wrap","sport":"tennis","weekdays":["wed"],"from":"08:00","to":"24:00","priority":99,"rate":{"amount":4611686018427389154}}`, e.admin())
	assertProblem(t, res, http.StatusBadRequest, "invalid")
	assert.Contains(t, res.json["detail"], "at most")

	at := e.post(adminBase+"/price-rules", `{"name":"dear","sport":"tennis","weekdays":["wed"],"from":"08:00","to":"24:00","priority":99,"rate":{"amount":1000000000000}}`, e.admin())
	require.Equal(t, http.StatusCreated, at.Code, "10 000 000 000.00 ARS per slot is the most a slot may cost: %s", at.Body.String())

	quote := e.post("/v1/clubs/club-one/quotes", `{"court_id":"`+e.tennis.ID+`","start":"2026-03-11T10:00:00-03:00","duration_minutes":120}`, nil)
	require.Equal(t, http.StatusOK, quote.Code, quote.Body.String())
	assert.Equal(t, map[string]any{"amount": 4e12, "currency": "ARS"}, obj(quote.json, "quote")["total"], "four slots at the highest rate")
}

func TestInstantsOutsideTheAcceptedRangeAreRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, body := range []string{
		`{"start":"0000-01-01T00:00:00Z","end":"0000-01-02T00:00:00Z","reason":"year zero"}`,
		`{"start":"1753-01-01T00:00:00Z","end":"2026-03-12T00:00:00Z","reason":"long ago"}`,
		`{"start":"2026-03-11T00:00:00Z","end":"9999-12-31T23:59:59-12:00","reason":"for ever"}`,
	} {
		res := e.post(adminBase+"/closures", body, e.admin())
		assertProblem(t, res, http.StatusBadRequest, "invalid")
		assert.Contains(t, res.json["detail"], "2000-01-01", body)
	}
	assert.Contains(t, e.get(adminBase+"/closures", e.admin()).Body.String(), `"closures":[]`, "nothing was saved")

	assertProblem(t, e.get(adminBase+"/closures?from=0000-06-01T00:00:00Z", e.admin()), http.StatusBadRequest, "invalid")
	assertProblem(t, e.get(adminBase+"/bookings?to=0001-01-01", e.admin()), http.StatusBadRequest, "invalid")
	assertProblem(t, e.get("/v1/clubs/club-one/availability?date=0001-01-01&sport=padel&duration=60", nil), http.StatusBadRequest, "invalid")
	assertProblem(t, e.post("/v1/clubs/club-one/quotes", `{"court_id":"`+e.padel[0].ID+`","start":"0000-01-01T10:00:00Z","duration_minutes":60}`, nil), http.StatusBadRequest, "invalid")
	assertProblem(t, e.post("/v1/clubs/club-one/bookings", bookingBody(e.padel[0].ID, "0000-01-01T10:00", 60, "ana@example.com"), nil), http.StatusBadRequest, "invalid")
	assertProblem(t, e.post(adminBase+"/seasons", `{"name":"Old","from":"0001-01-01","to":"0001-12-31","hours":{"monday":{"open":"08:00","close":"23:00"}}}`, e.admin()), http.StatusBadRequest, "invalid")
}

func TestAPriceRuleOfAnUnknownSeasonIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rule := func(seasonID string) string {
		return `{"name":"x","season_id":"` + seasonID + `","weekdays":["mon"],"from":"08:00","to":"09:00","rate":{"amount":1}}`
	}
	assertProblem(t, e.post(adminBase+"/price-rules", rule("no-such-season"), e.admin()), http.StatusNotFound, "not_found")

	res := e.post(adminBase+"/seasons", `{"name":"2027","from":"2027-01-01","to":"2027-12-31","hours":{"monday":{"open":"08:00","close":"23:00"}}}`, e.admin())
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	ok := e.post(adminBase+"/price-rules", rule(res.json["id"].(string)), e.admin())
	require.Equal(t, http.StatusCreated, ok.Code, "a season of the club: %s", ok.Body.String())
	assert.Len(t, arr(e.get(adminBase+"/price-rules", e.admin()).json, "price_rules"), 6, "only the valid rule was added")
}

func TestTimesOffTheSlotGridAreRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.post(adminBase+"/seasons", `{"name":"2027","from":"2027-01-01","to":"2027-12-31","hours":{"monday":{"open":"08:07","close":"23:00"}}}`, e.admin())
	assertProblem(t, res, http.StatusBadRequest, "invalid")
	assert.Contains(t, res.json["detail"], "30-minute")
	res = e.post(adminBase+"/seasons", `{"name":"2027","from":"2027-01-01","to":"2027-12-31","hours":{"monday":{"open":"08:00","close":"23:45"}}}`, e.admin())
	assertProblem(t, res, http.StatusBadRequest, "invalid")

	res = e.post(adminBase+"/price-rules", `{"name":"x","weekdays":["mon"],"from":"08:10","to":"09:00","rate":{"amount":1}}`, e.admin())
	assertProblem(t, res, http.StatusBadRequest, "invalid")
	assert.Contains(t, res.json["detail"], "30-minute")
	assert.Len(t, arr(e.get(adminBase+"/seasons", e.admin()).json, "seasons"), 1)
	assert.Len(t, arr(e.get(adminBase+"/price-rules", e.admin()).json, "price_rules"), 5)
}

func TestAQuoteAppliesTheBookingWindow(t *testing.T) {
	t.Parallel()
	e := newEnv(t) // the clock is at 2026-03-10 09:00 at the club
	quote := func(start string) response {
		return e.post("/v1/clubs/club-one/quotes", `{"court_id":"`+e.padel[0].ID+`","start":"`+start+`","duration_minutes":60}`, nil)
	}
	assertProblem(t, quote("2026-03-09T10:00:00-03:00"), http.StatusUnprocessableEntity, "lead_time")
	assertProblem(t, quote("2026-03-10T09:00:00-03:00"), http.StatusUnprocessableEntity, "lead_time")
	assertProblem(t, quote("2026-03-30T10:00:00-03:00"), http.StatusUnprocessableEntity, "horizon")
	ok := quote("2026-03-10T09:30:00-03:00")
	require.Equal(t, http.StatusOK, ok.Code, ok.Body.String())
}

func TestAvailabilityOfAnUnknownSportIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.get("/v1/clubs/club-one/availability?date=2026-03-11&sport=curling&duration=60", nil)
	assertProblem(t, res, http.StatusBadRequest, "invalid")
	for _, known := range []string{"padel", "tennis", "pickleball", "football5"} {
		assert.Contains(t, res.json["detail"], known)
	}

	none := e.get("/v1/clubs/club-one/availability?date=2026-03-11&sport=pickleball&duration=60", nil)
	require.Equal(t, http.StatusOK, none.Code, "a known sport the club has no court for: %s", none.Body.String())
	assert.Empty(t, arr(none.json, "courts"))

	// A club may name a sport of its own by giving a court that sport.
	court := e.post(adminBase+"/courts", `{"name":"Squash 1","sport":"squash"}`, e.admin())
	require.Equal(t, http.StatusCreated, court.Code, court.Body.String())
	own := e.get("/v1/clubs/club-one/availability?date=2026-03-11&sport=squash&duration=60", nil)
	require.Equal(t, http.StatusOK, own.Code, own.Body.String())
	assert.Len(t, arr(own.json, "courts"), 1)
	assert.True(t, strings.Contains(e.get("/v1/clubs/club-one/availability?date=2026-03-11&sport=curling&duration=60", nil).Body.String(), "squash"),
		"the club's own sports are listed among the known ones")
}
