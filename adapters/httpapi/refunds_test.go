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

// cancelPaid books Padel 1 tomorrow at 10:00 (three slots: 12 000.00), pays it and
// cancels it more than a day ahead, which owes the whole payment back, and runs the
// refund job.
func (e *env) cancelPaid(email string) (bookingID string) {
	e.t.Helper()
	id, token := e.book(e.padel[0].ID, "2026-03-11T10:00", 90, email)
	wh := e.webhook(webhookEvent{EventID: "evt_" + id, Type: "paid", BookingID: id, Ref: "co_" + id, Amount: 1200000, Currency: "ARS"})
	require.Equal(e.t, http.StatusOK, wh.Code, wh.Body.String())
	res := e.post("/v1/bookings/"+id+"/cancel", "", bearer(token))
	require.Equal(e.t, http.StatusOK, res.Code, res.Body.String())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(e.t, e.queue.Drain(ctx))
	return id
}

func (g *testGateway) refuseRefunds(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refuse = err
}

func TestAdminRefunds(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gateway.refuseRefunds(domain.Errorf(domain.CodeInvalid, "the account cannot refund"))
	id := e.cancelPaid("ana@example.com")
	e.clock.Advance(time.Minute)
	e.gateway.refuseRefunds(nil)
	issuedID := e.cancelPaid("bea@example.com")

	all := e.get(adminBase+"/refunds", e.admin())
	require.Equal(t, http.StatusOK, all.Code, all.Body.String())
	list := arr(all.json, "refunds")
	require.Len(t, list, 2)
	assert.Equal(t, issuedID, list[0].(map[string]any)["booking_id"], "newest first")
	refused := list[1].(map[string]any)
	refundID := refused["id"].(string)
	assert.Equal(t, map[string]any{
		"id": refundID, "booking_id": id, "amount": map[string]any{"amount": 1200000.0, "currency": "ARS"},
		"reason": "cancellation", "state": "attention", "attempts": 1.0, "last_error": "invalid: the account cannot refund",
		"created_at": "2026-03-10T09:00:00-03:00", "updated_at": "2026-03-10T09:00:00-03:00",
	}, refused)
	assert.Equal(t, "issued", list[0].(map[string]any)["state"])
	assert.NotEmpty(t, list[0].(map[string]any)["provider_refund_id"])

	attention := e.get(adminBase+"/refunds?state=attention", e.admin())
	require.Equal(t, http.StatusOK, attention.Code)
	require.Len(t, arr(attention.json, "refunds"), 1)
	assert.Equal(t, refundID, arr(attention.json, "refunds")[0].(map[string]any)["id"])
	owed := e.get(adminBase+"/refunds?state=owed", e.admin())
	require.Equal(t, http.StatusOK, owed.Code)
	assert.Empty(t, arr(owed.json, "refunds"))
	limited := e.get(adminBase+"/refunds?limit=1", e.admin())
	require.Equal(t, http.StatusOK, limited.Code)
	assert.Len(t, arr(limited.json, "refunds"), 1)

	for _, q := range []string{"?state=lost", "?state=OWED", "?state=owed&state=issued", "?limit=0", "?limit=1001", "?limit=many"} {
		assertProblem(t, e.get(adminBase+"/refunds"+q, e.admin()), http.StatusBadRequest, "invalid")
	}

	// The club fixed its account: the retry issues the refund.
	e.clock.Advance(time.Hour)
	retried := e.post(adminBase+"/refunds/"+refundID+"/retry", "", e.admin())
	require.Equal(t, http.StatusOK, retried.Code, retried.Body.String())
	r := obj(retried.json, "refund")
	assert.Equal(t, "issued", r["state"])
	assert.Equal(t, "re_cancel:"+id, r["provider_refund_id"])
	assert.Equal(t, "2026-03-10T10:01:00-03:00", r["updated_at"])
	assertProblem(t, e.post(adminBase+"/refunds/"+refundID+"/retry", "", e.admin()), http.StatusConflict, "invalid_transition")
	assertProblem(t, e.post(adminBase+"/refunds/nope/retry", "", e.admin()), http.StatusNotFound, "not_found")
}

func TestAdminRefundsOfAnotherClub(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gateway.refuseRefunds(domain.Errorf(domain.CodeNotFound, "no such payment"))
	e.cancelPaid("ana@example.com")
	refundID := arr(e.get(adminBase+"/refunds", e.admin()).json, "refunds")[0].(map[string]any)["id"].(string)

	other, err := e.app.Admin.CreateClub(context.Background(), app.CreateClubCommand{Slug: "club-two", Name: "Club Two", Zone: zone, Currency: "ARS", Policy: domain.DefaultPolicy()})
	require.NoError(t, err)
	two := "/v1/admin/clubs/club-two"
	list := e.get(two+"/refunds", bearer(other.APIKey))
	require.Equal(t, http.StatusOK, list.Code)
	assert.Empty(t, arr(list.json, "refunds"), "a club sees its own refunds only")
	assertProblem(t, e.post(two+"/refunds/"+refundID+"/retry", "", bearer(other.APIKey)), http.StatusNotFound, "not_found")

	// Authentication first: no key, a wrong key, another club's key.
	assertProblem(t, e.get(adminBase+"/refunds", nil), http.StatusUnauthorized, "unauthorized")
	assertProblem(t, e.post(adminBase+"/refunds/"+refundID+"/retry", "", bearer("mpk_unknown")), http.StatusUnauthorized, "unauthorized")
	assertProblem(t, e.get(adminBase+"/refunds", bearer(other.APIKey)), http.StatusForbidden, "forbidden")
	assertProblem(t, e.post(adminBase+"/refunds/"+refundID+"/retry", "", bearer(other.APIKey)), http.StatusForbidden, "forbidden")
	still := arr(e.get(adminBase+"/refunds", e.admin()).json, "refunds")[0].(map[string]any)
	assert.Equal(t, "attention", still["state"], "nothing was retried")
}
