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
	"github.com/matchpoint/matchpoint/ports"
)

// drain waits until the queue has run every job that is due.
func (e *env) drain() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(e.t, e.queue.Drain(ctx))
}

func TestAdminReports(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Ana plays 90 minutes of padel on 11 March from 10:00: 3 × 4 000.00, paid.
	id, _ := e.book(e.padel[0].ID, "2026-03-11T10:00", 90, "ana@example.com")
	paid := e.webhook(webhookEvent{EventID: "evt_r", Type: "paid", BookingID: id, Ref: "co_" + id, Amount: 1200000, Currency: "ARS"})
	require.Equal(t, http.StatusOK, paid.Code, paid.Body.String())

	res := e.post(adminBase+"/reports", `{"kind":"revenue","from":"2026-03","to":"2026-03"}`, e.admin())
	require.Equal(t, http.StatusAccepted, res.Code, res.Body.String())
	rid := res.json["id"].(string)
	location := adminBase + "/reports/" + rid
	assert.Equal(t, location, res.Header().Get("Location"))
	assert.Equal(t, map[string]any{"id": rid, "kind": "revenue", "from": "2026-03", "to": "2026-03", "state": "pending",
		"created_at": "2026-03-10T09:00:00-03:00"}, res.json)
	e.drain()

	csv := e.get(location, e.admin())
	require.Equal(t, http.StatusOK, csv.Code, csv.Body.String())
	assert.Equal(t, "text/csv; charset=utf-8", csv.Header().Get("Content-Type"))
	assert.Equal(t, `attachment; filename="club-one-revenue-2026-03-2026-03.csv"`, csv.Header().Get("Content-Disposition"))
	p1 := e.padel[0].ID
	assert.Equal(t, "month,court_id,court_name,gateway,currency,bookings,confirmed,completed,cancelled,no_show,paid_minor,refunded_minor,returned_minor,net_minor\r\n"+
		"2026-03,,,testpay,ARS,1,1,0,0,0,1200000,0,0,1200000\r\n"+
		"2026-03,"+p1+",Padel 1,testpay,ARS,1,1,0,0,0,1200000,0,0,1200000\r\n", csv.Body.String())

	e.clock.Advance(time.Minute)
	occ := e.post(adminBase+"/reports", `{"kind":"occupancy","from":"2026-02","to":"2026-03"}`, e.admin())
	require.Equal(t, http.StatusAccepted, occ.Code, occ.Body.String())
	e.drain()
	list := e.get(adminBase+"/reports", e.admin())
	require.Equal(t, http.StatusOK, list.Code, list.Body.String())
	reports := arr(list.json, "reports")
	require.Len(t, reports, 2)
	newest := reports[0].(map[string]any)
	assert.Equal(t, map[string]any{"id": occ.json["id"], "kind": "occupancy", "from": "2026-02", "to": "2026-03", "state": "ready",
		"created_at": "2026-03-10T09:01:00-03:00", "finished_at": "2026-03-10T09:01:00-03:00"}, newest)
	assert.Equal(t, rid, reports[1].(map[string]any)["id"])
	assert.Equal(t, http.StatusOK, e.get(adminBase+"/reports/"+occ.json["id"].(string), e.admin()).Code)
}

func TestAdminReportStates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	save := func(id string, state ports.ReportState, reason string) {
		r := ports.Report{ID: id, ClubID: e.club.ID, Kind: ports.ReportOccupancy, From: domain.MustMonth("2026-01"), To: domain.MustMonth("2026-01"),
			State: state, CreatedAt: e.clock.Now(), Error: reason}
		if state != ports.ReportPending {
			r.FinishedAt = e.clock.Now()
		}
		require.NoError(t, e.store.Store.SaveReport(ctx, r))
	}
	save("r-pending", ports.ReportPending, "")
	save("r-failed", ports.ReportFailed, "the store did not answer")

	pending := e.get(adminBase+"/reports/r-pending", e.admin())
	require.Equal(t, http.StatusAccepted, pending.Code, pending.Body.String())
	assert.Equal(t, "5", pending.Header().Get("Retry-After"))
	assert.Equal(t, "pending", pending.json["state"])
	assert.Empty(t, pending.Header().Get("Content-Disposition"))

	failed := e.get(adminBase+"/reports/r-failed", e.admin())
	assertProblem(t, failed, http.StatusConflict, "invalid_transition")
	assert.Contains(t, failed.json["detail"], "the store did not answer")

	assertProblem(t, e.get(adminBase+"/reports/nope", e.admin()), http.StatusNotFound, "not_found")
	assertProblem(t, e.get(adminBase+"/reports/r-pending", nil), http.StatusUnauthorized, "unauthorized")

	// Another club's report is not found through this club, even with its id.
	other, err := e.app.Admin.CreateClub(ctx, app.CreateClubCommand{Slug: "club-two", Name: "Club Two", Zone: zone, Currency: "ARS", Policy: domain.DefaultPolicy()})
	require.NoError(t, err)
	theirs, err := e.app.Admin.RequestReport(ctx, other.Club, ports.ReportRevenue, domain.MustMonth("2026-01"), domain.MustMonth("2026-01"))
	require.NoError(t, err)
	e.drain()
	assertProblem(t, e.get(adminBase+"/reports/"+theirs.ID, e.admin()), http.StatusNotFound, "not_found")
	assert.Equal(t, http.StatusOK, e.get("/v1/admin/clubs/club-two/reports/"+theirs.ID, bearer(other.APIKey)).Code)
	list := e.get(adminBase+"/reports", e.admin())
	assert.Len(t, arr(list.json, "reports"), 2, "only the club's own reports are listed")
}

func TestAdminReportRequestErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for name, tc := range map[string]struct {
		body, code string
	}{
		"an unknown kind":         {`{"kind":"bookings","from":"2026-01","to":"2026-01"}`, "invalid"},
		"no kind":                 {`{"from":"2026-01","to":"2026-01"}`, "invalid"},
		"a month out of range":    {`{"kind":"revenue","from":"2026-13","to":"2026-13"}`, "invalid"},
		"a month without a zero":  {`{"kind":"revenue","from":"2026-1","to":"2026-01"}`, "invalid"},
		"a date for a month":      {`{"kind":"revenue","from":"2026-01-01","to":"2026-01"}`, "invalid"},
		"no last month":           {`{"kind":"revenue","from":"2026-01"}`, "invalid"},
		"from after to":           {`{"kind":"revenue","from":"2026-03","to":"2026-01"}`, "invalid"},
		"more than 24 months":     {`{"kind":"occupancy","from":"2024-01","to":"2026-01"}`, "invalid"},
		"a year before 2000":      {`{"kind":"occupancy","from":"1999-12","to":"2000-01"}`, "invalid"},
		"a month as a number":     {`{"kind":"revenue","from":202601,"to":"2026-01"}`, "invalid"},
		"an unknown member":       {`{"kind":"revenue","from":"2026-01","to":"2026-01","format":"xlsx"}`, "invalid"},
		"a member twice":          {`{"kind":"revenue","kind":"occupancy","from":"2026-01","to":"2026-01"}`, "invalid_request"},
		"not JSON":                {`kind=revenue`, "invalid"},
		"a NUL in the kind":       {`{"kind":"rev\u0000enue","from":"2026-01","to":"2026-01"}`, "invalid_request"},
		"a kind in another case":  {`{"kind":"Revenue","from":"2026-01","to":"2026-01"}`, "invalid"},
		"an empty body of fields": {`{}`, "invalid"},
	} {
		res := e.post(adminBase+"/reports", tc.body, e.admin())
		assert.Equal(t, http.StatusBadRequest, res.Code, "%s: %s", name, res.Body.String())
		assert.Equal(t, tc.code, res.json["code"], "%s: %s", name, res.Body.String())
	}
	list := e.get(adminBase+"/reports", e.admin())
	require.Equal(t, http.StatusOK, list.Code)
	assert.Equal(t, []any{}, list.json["reports"], "nothing refused is stored")
}
