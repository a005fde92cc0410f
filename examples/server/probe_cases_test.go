package main

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
)

// cases returns, by operationId, how to make a valid request of each route.
func (p *prober) cases() map[string]*routeCase {
	demo, padel1, padel2, padel3 := p.demo.Club, p.demo.Courts[0], p.demo.Courts[1], p.demo.Courts[2]
	admin := func(path string) probeReq {
		return probeReq{path: path, pathVals: map[string]string{"club": "demo"}, header: http.Header{"Authorization": {"Bearer " + p.demo.Key}}}
	}
	with := func(r probeReq, method string, body jsonObj) probeReq {
		r.method, r.body, r.hasBody = method, body, body != nil
		return r
	}
	plain := func(method, path string) func(*prober) probeReq {
		return func(*prober) probeReq { return probeReq{method: method, path: path} }
	}
	hours := func() jsonObj {
		var w jsonObj
		for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
			w = append(w, kv{d, jsonObj{{"open", "08:00"}, {"close", "22:00"}}})
		}
		return w
	}
	seasonBody := func(name string, days int) jsonObj {
		return jsonObj{{"name", name}, {"from", p.today.AddDays(days).String()}, {"to", p.today.AddDays(days + 20).String()}, {"hours", hours()}}
	}
	closureBody := func(day int) jsonObj {
		start := p.at(p.day.AddDays(day), "10:00")
		return jsonObj{{"court_id", padel2.ID}, {"start", p.ts(start)}, {"end", p.ts(start.Add(2 * time.Hour))}, {"reason", "probe works"}}
	}
	ruleBody := func() jsonObj {
		return jsonObj{{"name", "Probe rule"}, {"sport", "padel"}, {"court_id", padel1.ID}, {"season_id", p.demo.Season.ID},
			{"weekdays", []any{strings.ToLower(p.day.Weekday().String()[:3])}}, {"from", "08:00"}, {"to", "12:00"},
			{"category", ""}, {"priority", 100}, {"rate", jsonObj{{"amount", 1000}, {"currency", "ARS"}}}}
	}
	customer := func(n int) jsonObj {
		return jsonObj{{"name", "Probe Customer"}, {"email", fmt.Sprintf("probe%d@example.com", n)}, {"phone", "+54 11 5555 0000"}, {"category", "guest"}}
	}
	deleteCreated := func(del func(id string) error) func(*prober, probeReq, map[string]any) {
		return func(p *prober, _ probeReq, body map[string]any) {
			if id, _ := body["id"].(string); id != "" {
				require.NoError(p.t, del(id))
			}
		}
	}
	a, ctx := p.srv.App.Admin, p.ctx
	var refundTarget string // an issued refund of the demo club, made on first use
	token := func(b app.CreatedBooking) http.Header {
		return http.Header{"Authorization": {"Bearer " + b.AccessToken}}
	}
	rivalCourt := p.rival.Courts[0].ID

	return map[string]*routeCase{
		"healthz": {want: 200, valid: plain("GET", "/healthz")},
		"readyz":  {want: 200, valid: plain("GET", "/readyz")},
		"openapi": {want: 200, valid: plain("GET", "/openapi.yaml")},

		"getAvailability": {want: 200, other: map[string]string{"club": "rival"}, valid: func(p *prober) probeReq {
			return probeReq{method: "GET", path: "/v1/clubs/{club}/availability", pathVals: map[string]string{"club": "demo"},
				query: [][2]string{{"date", p.day.String()}, {"sport", "padel"}, {"duration", "90"}, {"category", "guest"}}}
		}},
		"createQuote": {want: 200, other: map[string]string{"club": "rival", "court_id": rivalCourt}, valid: func(p *prober) probeReq {
			return probeReq{method: "POST", path: "/v1/clubs/{club}/quotes", pathVals: map[string]string{"club": "demo"}, hasBody: true,
				body: jsonObj{{"court_id", padel1.ID}, {"start", p.ts(p.at(p.day, "10:00"))}, {"duration_minutes", 90}, {"customer", customer(0)}}}
		}},
		"createBooking": {want: 201, other: map[string]string{"club": "rival", "court_id": rivalCourt},
			valid: func(p *prober) probeReq {
				n := p.bookingSlot % 30
				start := p.at(p.day.AddDays(n/5), fmt.Sprintf("%02d:00", 9+2*(n%5)))
				p.seq++
				return probeReq{method: "POST", path: "/v1/clubs/{club}/bookings", pathVals: map[string]string{"club": "demo"}, hasBody: true,
					header: http.Header{"Idempotency-Key": {fmt.Sprintf("probe-%s-%d", p.store, p.seq)}},
					body:   jsonObj{{"court_id", padel1.ID}, {"start", p.ts(start)}, {"duration_minutes", 90}, {"customer", customer(p.seq)}}}
			},
			restore: func(p *prober, req probeReq, body map[string]any) {
				p.bookingSlot++
				if p.lastKey == "" { // the valid request's key, reused below with another request
					p.lastKey = req.header.Get("Idempotency-Key")
				}
				b, _ := body["booking"].(map[string]any)
				id, _ := b["id"].(string)
				tok, _ := body["access_token"].(string)
				_, err := p.srv.App.Bookings.Cancel(p.ctx, id, tok)
				require.NoError(p.t, err, "cancel the booking the probe made")
			}},
		"getBooking": {want: 200, auth: "token", other: map[string]string{"id": p.rival.Booking.Booking.ID()}, valid: func(p *prober) probeReq {
			return probeReq{method: "GET", path: "/v1/bookings/{id}", pathVals: map[string]string{"id": p.main.Booking.ID()}, header: token(p.main)}
		}},
		"cancelBooking": {want: 200, auth: "token", other: map[string]string{"id": p.rival.Booking.Booking.ID()},
			valid: func(p *prober) probeReq {
				p.cancelTarget = p.pending(p.cancelTarget, func(n int) app.CreatedBooking {
					return p.book(padel2, p.at(p.day.AddDays(-1+n%7), fmt.Sprintf("%02d:00", 8+2*(n%6))))
				})
				return probeReq{method: "POST", path: "/v1/bookings/{id}/cancel", pathVals: map[string]string{"id": p.cancelTarget.Booking.ID()}, header: token(*p.cancelTarget)}
			}},
		"receiveWebhook": {want: 200, other: map[string]string{"booking_id": p.rival.Booking.Booking.ID()},
			valid: func(p *prober) probeReq {
				// A paid event confirms its booking, which then keeps its slot: each
				// target takes a slot of its own, ten a day from tomorrow on.
				p.hookTarg = p.pending(p.hookTarg, func(int) app.CreatedBooking {
					k := p.hookSlot % 120
					p.hookSlot++
					return p.book(padel3, p.at(p.today.AddDays(1+k/10), "08:00").Add(time.Duration(k%10)*90*time.Minute))
				})
				b := p.hookTarg
				p.seq++
				ref := b.CheckoutURL[strings.LastIndex(b.CheckoutURL, "/")+1:]
				return probeReq{method: "POST", path: "/v1/webhooks/{gateway}", pathVals: map[string]string{"gateway": "sandbox"}, hasBody: true, sign: true,
					body: jsonObj{{"id", fmt.Sprintf("evt_probe_%s_%d", p.store, p.seq)}, {"type", "paid"}, {"booking_id", b.Booking.ID()}, {"payment_ref", ref},
						{"amount", b.Booking.Quote().Total.Amount()}, {"currency", "ARS"}, {"created", time.Now().Unix()}}}
			}},

		"listCourts": {want: 200, auth: "admin", other: map[string]string{"club": "rival"}, valid: func(*prober) probeReq {
			return with(admin("/v1/admin/clubs/{club}/courts"), "GET", nil)
		}},
		"createCourt": {want: 201, auth: "admin", other: map[string]string{"club": "rival", "id": rivalCourt}, valid: func(*prober) probeReq {
			return with(admin("/v1/admin/clubs/{club}/courts"), "POST", jsonObj{{"name", "Probe court"}, {"sport", "padel"}, {"indoor", true}, {"surface", "clay"}, {"active", true}})
		}},
		"replaceCourt": {want: 200, auth: "admin", other: map[string]string{"club": "rival", "id": rivalCourt},
			valid: func(p *prober) probeReq {
				r := with(admin("/v1/admin/clubs/{club}/courts/{id}"), "PUT", jsonObj{{"id", p.courtFx.ID}, {"name", "Probe target"}, {"sport", "padel"}, {"indoor", false}, {"surface", "clay"}, {"active", true}})
				r.pathVals["id"] = p.courtFx.ID
				return r
			},
			restore: func(p *prober, _ probeReq, _ map[string]any) {
				_, err := a.SaveCourt(ctx, demo, p.courtFx)
				require.NoError(p.t, err)
			}},

		"listSeasons": {want: 200, auth: "admin", other: map[string]string{"club": "rival"}, valid: func(*prober) probeReq {
			return with(admin("/v1/admin/clubs/{club}/seasons"), "GET", nil)
		}},
		"createSeason": {want: 201, auth: "admin", other: map[string]string{"club": "rival", "id": p.rival.Season.ID},
			valid: func(*prober) probeReq {
				return with(admin("/v1/admin/clubs/{club}/seasons"), "POST", seasonBody("Probe season", 400))
			},
			restore: deleteCreated(func(id string) error { return a.DeleteSeason(ctx, demo, id) })},
		"replaceSeason": {want: 200, auth: "admin", other: map[string]string{"club": "rival", "id": p.rival.Season.ID},
			valid: func(p *prober) probeReq {
				r := with(admin("/v1/admin/clubs/{club}/seasons/{id}"), "PUT", append(jsonObj{{"id", p.seasonFx.ID}}, seasonBody("Probe target", 500)...))
				r.pathVals["id"] = p.seasonFx.ID
				return r
			},
			restore: func(p *prober, _ probeReq, _ map[string]any) {
				_, err := a.SaveSeason(ctx, demo, p.seasonFx)
				require.NoError(p.t, err)
			}},
		"deleteSeason": {want: 204, auth: "admin", other: map[string]string{"club": "rival", "id": p.rival.Season.ID},
			valid: func(p *prober) probeReq {
				if p.delSeason == "" {
					s, err := a.SaveSeason(ctx, demo, p.season("Probe deletable", 600))
					require.NoError(p.t, err)
					p.delSeason, p.dirty = s.ID, true
				}
				r := with(admin("/v1/admin/clubs/{club}/seasons/{id}"), "DELETE", nil)
				r.pathVals["id"] = p.delSeason
				return r
			},
			restore: func(p *prober, _ probeReq, _ map[string]any) { p.delSeason = "" }},

		"listClosures": {want: 200, auth: "admin", other: map[string]string{"club": "rival"}, valid: func(p *prober) probeReq {
			r := with(admin("/v1/admin/clubs/{club}/closures"), "GET", nil)
			r.query = [][2]string{{"from", p.day.String()}, {"to", p.day.AddDays(30).String()}}
			return r
		}},
		"createClosure": {want: 201, auth: "admin", other: map[string]string{"club": "rival", "court_id": rivalCourt, "id": p.rival.Closure.ID},
			valid: func(*prober) probeReq {
				return with(admin("/v1/admin/clubs/{club}/closures"), "POST", closureBody(5))
			},
			restore: deleteCreated(func(id string) error { return a.DeleteClosure(ctx, demo, id) })},
		"replaceClosure": {want: 200, auth: "admin", other: map[string]string{"club": "rival", "court_id": rivalCourt, "id": p.rival.Closure.ID},
			valid: func(p *prober) probeReq {
				r := with(admin("/v1/admin/clubs/{club}/closures/{id}"), "PUT", append(jsonObj{{"id", p.closureFx.ID}}, closureBody(6)...))
				r.pathVals["id"] = p.closureFx.ID
				return r
			},
			restore: func(p *prober, _ probeReq, _ map[string]any) {
				_, err := a.SaveClosure(ctx, demo, p.closureFx)
				require.NoError(p.t, err)
			}},
		"deleteClosure": {want: 204, auth: "admin", other: map[string]string{"club": "rival", "id": p.rival.Closure.ID},
			valid: func(p *prober) probeReq {
				if p.delClosure == "" {
					start := p.at(p.day.AddDays(7), "10:00")
					c, err := a.SaveClosure(ctx, demo, domain.Closure{Interval: domain.Interval{Start: start, End: start.Add(time.Hour)}, Reason: "probe deletable"})
					require.NoError(p.t, err)
					p.delClosure, p.dirty = c.ID, true
				}
				r := with(admin("/v1/admin/clubs/{club}/closures/{id}"), "DELETE", nil)
				r.pathVals["id"] = p.delClosure
				return r
			},
			restore: func(p *prober, _ probeReq, _ map[string]any) { p.delClosure = "" }},

		"listPriceRules": {want: 200, auth: "admin", other: map[string]string{"club": "rival"}, valid: func(*prober) probeReq {
			return with(admin("/v1/admin/clubs/{club}/price-rules"), "GET", nil)
		}},
		"createPriceRule": {want: 201, auth: "admin", other: map[string]string{"club": "rival", "court_id": rivalCourt, "season_id": p.rival.Season.ID, "id": p.rival.Rule.ID},
			valid: func(*prober) probeReq {
				return with(admin("/v1/admin/clubs/{club}/price-rules"), "POST", ruleBody())
			},
			restore: deleteCreated(func(id string) error { return a.DeletePriceRule(ctx, demo, id) })},
		"replacePriceRule": {want: 200, auth: "admin", other: map[string]string{"club": "rival", "court_id": rivalCourt, "season_id": p.rival.Season.ID, "id": p.rival.Rule.ID},
			valid: func(p *prober) probeReq {
				r := with(admin("/v1/admin/clubs/{club}/price-rules/{id}"), "PUT", append(jsonObj{{"id", p.ruleFx.ID}}, ruleBody()...))
				r.pathVals["id"] = p.ruleFx.ID
				return r
			},
			restore: func(p *prober, _ probeReq, _ map[string]any) {
				_, err := a.SavePriceRule(ctx, demo, p.ruleFx)
				require.NoError(p.t, err)
			}},
		"deletePriceRule": {want: 204, auth: "admin", other: map[string]string{"club": "rival", "id": p.rival.Rule.ID},
			valid: func(p *prober) probeReq {
				if p.delRule == "" {
					r, err := a.SavePriceRule(ctx, demo, domain.PriceRule{Name: "Probe deletable", Weekdays: domain.EveryDay,
						Window: domain.Window{From: domain.MustClock("06:00"), To: domain.MustClock("07:00")}, Rate: domain.NewMoney(1, demo.Currency)})
					require.NoError(p.t, err)
					p.delRule, p.dirty = r.ID, true
				}
				r := with(admin("/v1/admin/clubs/{club}/price-rules/{id}"), "DELETE", nil)
				r.pathVals["id"] = p.delRule
				return r
			},
			restore: func(p *prober, _ probeReq, _ map[string]any) { p.delRule = "" }},

		"listBookings": {want: 200, auth: "admin", other: map[string]string{"club": "rival", "court_id": rivalCourt}, valid: func(p *prober) probeReq {
			r := with(admin("/v1/admin/clubs/{club}/bookings"), "GET", nil)
			r.query = [][2]string{{"from", p.today.String()}, {"to", p.day.AddDays(30).String()}, {"status", "pending"}, {"court_id", padel1.ID}, {"limit", "50"}}
			return r
		}},
		// A no-show needs a confirmed booking that has started; the probe's bookings are
		// all ahead, so the valid request meets the state check (409 invalid_transition).
		"markNoShow": {want: 409, auth: "admin", other: map[string]string{"club": "rival", "id": p.rival.Booking.Booking.ID()},
			valid: func(p *prober) probeReq {
				if p.noShowTarget == nil {
					b := p.book(padel2, p.at(p.day.AddDays(-2), "16:00"))
					status, _, body, err := p.send(probeReq{method: "POST", path: strings.TrimPrefix(b.CheckoutURL, p.srv.base) + "/pay"})
					require.NoError(p.t, err)
					require.Equal(p.t, http.StatusOK, status, "pay the no-show fixture: %v", body)
					p.noShowTarget = &b
				}
				r := with(admin("/v1/admin/clubs/{club}/bookings/{id}/no-show"), "POST", nil)
				r.pathVals["id"] = p.noShowTarget.Booking.ID()
				return r
			},
			restore: func(p *prober, _ probeReq, _ map[string]any) { p.noShowTarget = nil }},

		"listReports": {want: 200, auth: "admin", other: map[string]string{"club": "rival"}, valid: func(*prober) probeReq {
			return with(admin("/v1/admin/clubs/{club}/reports"), "GET", nil)
		}},
		// Every accepted request stores a report and schedules its generation; reports
		// have no delete, and the probe's state leaves them out.
		"requestReport": {want: 202, auth: "admin", other: map[string]string{"club": "rival"}, valid: func(p *prober) probeReq {
			month := domain.MonthOf(p.today).String()
			return with(admin("/v1/admin/clubs/{club}/reports"), "POST", jsonObj{{"kind", "revenue"}, {"from", month}, {"to", month}})
		}},
		"getReport": {want: 200, auth: "admin", other: map[string]string{"club": "rival", "id": p.rivalReport},
			valid: func(p *prober) probeReq {
				p.awaitReport(p.demo.Club, p.reportFx)
				r := with(admin("/v1/admin/clubs/{club}/reports/{id}"), "GET", nil)
				r.pathVals["id"] = p.reportFx
				return r
			}},
		"listRefunds": {want: 200, auth: "admin", other: map[string]string{"club": "rival"}, valid: func(*prober) probeReq {
			r := with(admin("/v1/admin/clubs/{club}/refunds"), "GET", nil)
			r.query = [][2]string{{"state", "issued"}, {"limit", "50"}}
			return r
		}},
		// The refund retried has been issued: the valid request meets the state check
		// (409 invalid_transition), as every later one does.
		"retryRefund": {want: 409, auth: "admin", other: map[string]string{"club": "rival"},
			valid: func(p *prober) probeReq {
				if refundTarget == "" {
					refundTarget = p.issuedRefund(padel1, p.at(p.today.AddDays(1), "20:00"))
				}
				r := with(admin("/v1/admin/clubs/{club}/refunds/{id}/retry"), "POST", nil)
				r.pathVals["id"] = refundTarget
				return r
			}},
	}
}

// issuedRefund books court at start, pays and cancels the booking, and returns the id
// of its refund once the server has issued it.
func (p *prober) issuedRefund(court domain.Court, start time.Time) string {
	b := p.book(court, start)
	status, _, body, err := p.send(probeReq{method: "POST", path: strings.TrimPrefix(b.CheckoutURL, p.srv.base) + "/pay"})
	require.NoError(p.t, err)
	require.Equal(p.t, http.StatusOK, status, "pay the refund fixture: %v", body)
	require.Eventually(p.t, func() bool {
		v, err := p.srv.App.Bookings.Get(p.ctx, b.Booking.ID(), b.AccessToken)
		return err == nil && v.Booking.Status() == domain.StatusConfirmed
	}, 10*time.Second, 20*time.Millisecond, "the refund fixture is confirmed")
	_, err = p.srv.App.Bookings.Cancel(p.ctx, b.Booking.ID(), b.AccessToken)
	require.NoError(p.t, err)
	var id string
	require.Eventually(p.t, func() bool {
		rs, err := p.srv.App.Admin.ListRefunds(p.ctx, p.demo.Club, domain.RefundIssued, 0)
		require.NoError(p.t, err)
		for _, r := range rs {
			if r.BookingID() == b.Booking.ID() {
				id = r.ID()
			}
		}
		return id != ""
	}, 10*time.Second, 20*time.Millisecond, "the refund fixture is issued")
	return id
}

// mutations lists the hostile variants of a route's valid request.
func (p *prober) mutations(r specRoute, rc *routeCase) []mutation {
	var ms []mutation
	valid := rc.valid(p)
	// Parameters in the path, the query and headers.
	for _, prm := range r.Params {
		ms = append(ms, p.paramMutations(r, rc, prm, valid)...)
	}
	ms = append(ms, mutation{"query", "unknown-parameter", mayAccept, func(q *probeReq) { q.query = append(q.query, [2]string{"zzz", "%00%ff"}) }})
	ms = append(ms, p.authMutations(rc)...)
	// The body, field by field, then as a whole.
	schema := r.Body
	if r.OperationID == "receiveWebhook" {
		schema = webhookSchema()
		ms = append(ms, webhookSignatureMutations()...)
	}
	if schema != nil {
		res, ref := p.doc.resolve(schema)
		ms = append(ms, p.bodyMutations(r.OperationID, rc, res, ref, nil, valid.body)...)
		ms = append(ms, structuralMutations(valid.body)...)
	}
	if r.OperationID == "receiveWebhook" {
		for i := range ms {
			if strings.HasPrefix(ms[i].where, "body") {
				ms[i].exp = webhookExpectation(ms[i].where, ms[i].label)
			}
		}
	}
	return ms
}

// paramMutations are the hostile values of one parameter.
func (p *prober) paramMutations(r specRoute, rc *routeCase, prm oaParam, valid probeReq) []mutation {
	var ms []mutation
	switch prm.In {
	case "path":
		vals := queryBasics()
		vals = append(vals, hostile{"unknown", "nope", mustRefuse}, hostile{"encoded-slash", "a%2Fb", mustRefuse})
		if o := rc.other[prm.Name]; o != "" {
			vals = append(vals, hostile{"other-club", url.PathEscape(o), mustRefuse})
		}
		if v := valid.pathVals[prm.Name]; strings.ToUpper(v) != v {
			vals = append(vals, hostile{"upper-case", strings.ToUpper(v), mustRefuse})
		}
		for _, h := range vals {
			ms = append(ms, mutation{"path:" + prm.Name, h.label, h.exp, func(q *probeReq) { q.pathVals[prm.Name] = h.value.(string) }})
		}
	case "query":
		k, res := p.doc.kindOf(prm.Name, prm.Schema)
		var cur string
		for _, q := range valid.query {
			if q[0] == prm.Name {
				cur = q[1]
			}
		}
		vals := queryValues(k, valueCtx{valid: cur, otherID: rc.other[prm.Name], maximum: res.Maximum})
		optional := func(label string) expectation {
			if prm.Required {
				return mustRefuse
			}
			return mayAccept
		}
		vals = append(vals, hostile{"empty", "", optional("empty")})
		set := func(v string) func(*probeReq) {
			return func(q *probeReq) {
				for i := range q.query {
					if q.query[i][0] == prm.Name {
						q.query[i][1] = v
						return
					}
				}
				q.query = append(q.query, [2]string{prm.Name, v})
			}
		}
		for _, h := range vals {
			ms = append(ms, mutation{"query:" + prm.Name, h.label, h.exp, set(h.value.(string))})
		}
		ms = append(ms,
			mutation{"query:" + prm.Name, "absent", optional("absent"), func(q *probeReq) {
				q.query = slices.DeleteFunc(q.query, func(x [2]string) bool { return x[0] == prm.Name })
			}},
			mutation{"query:" + prm.Name, "twice", mustRefuse, func(q *probeReq) {
				q.query = append(q.query, [2]string{prm.Name, url.QueryEscape(cur)})
			}})
	case "header":
		if prm.Name != "Idempotency-Key" {
			p.t.Fatalf("%s: the probe knows no header parameter %q", r.Pattern(), prm.Name)
		}
		hs := []struct {
			label string
			vals  []string
			exp   expectation
		}{
			{"invalid-utf8", []string{"key-\xff"}, mustRefuse},
			{"tab", []string{"key\twith-tab"}, mustRefuse},
			{"over-max", []string{strings.Repeat("k", 256)}, mustRefuse},
			{"10kb", []string{strings.Repeat("k", tenKB)}, mustRefuse},
			{"twice", []string{"key-a", "key-b"}, mustRefuse},
			{"blank", []string{"   "}, mayAccept},
		}
		for _, h := range hs {
			ms = append(ms, mutation{"header:" + prm.Name, h.label, h.exp, func(q *probeReq) { q.header[prm.Name] = h.vals }})
		}
		ms = append(ms, mutation{"header:" + prm.Name, "reused", mustRefuse, func(q *probeReq) {
			if p.lastKey != "" {
				q.header.Set(prm.Name, p.lastKey)
			}
		}})
	}
	return ms
}

// authMutations replace the request's credentials.
func (p *prober) authMutations(rc *routeCase) []mutation {
	var hs []struct {
		label string
		h     http.Header
		exp   expectation
	}
	add := func(label string, exp expectation, kv ...string) {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h[kv[i]] = []string{kv[i+1]}
		}
		hs = append(hs, struct {
			label string
			h     http.Header
			exp   expectation
		}{label, h, exp})
	}
	switch rc.auth {
	case "admin":
		add("no-credentials", mustRefuse)
		add("other-club-key", mustRefuse, "Authorization", "Bearer "+p.rival.Key)
		add("unknown-key", mustRefuse, "Authorization", "Bearer mpk_nope")
		add("basic-scheme", mustRefuse, "Authorization", "Basic "+p.demo.Key)
		add("10kb", mustRefuse, "Authorization", "Bearer "+strings.Repeat("k", tenKB))
		add("invalid-utf8", mustRefuse, "Authorization", "Bearer mpk_\xff")
		add("booking-token", mustRefuse, "Authorization", "Bearer "+p.main.AccessToken)
		add("x-api-key", mayAccept, "X-Api-Key", p.demo.Key)
		add("x-api-key-other-club", mustRefuse, "X-Api-Key", p.rival.Key)
	case "token":
		add("no-token", mustRefuse)
		add("other-booking-token", mustRefuse, "Authorization", "Bearer "+p.rival.Booking.AccessToken)
		add("admin-key", mustRefuse, "Authorization", "Bearer "+p.demo.Key)
		add("10kb", mustRefuse, "Authorization", "Bearer "+strings.Repeat("t", tenKB))
		add("invalid-utf8", mustRefuse, "Authorization", "Bearer t\xff")
	default:
		return nil
	}
	var ms []mutation
	if rc.auth == "token" {
		ms = append(ms, mutation{"header:Authorization", "lower-case-scheme", mayAccept, func(q *probeReq) {
			q.header.Set("Authorization", "bearer"+strings.TrimPrefix(q.header.Get("Authorization"), "Bearer"))
		}})
	}
	for _, h := range hs {
		ms = append(ms, mutation{"header:Authorization", h.label, h.exp, func(q *probeReq) {
			q.header.Del("Authorization")
			for k, v := range h.h {
				q.header[k] = v
			}
		}})
	}
	return ms
}

// bodyMutations are the hostile values of every field of an object schema (recursing
// into objects), each field in turn.
func (p *prober) bodyMutations(op string, rc *routeCase, s *oaSchema, ref string, prefix []string, valid jsonObj) []mutation {
	var ms []mutation
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	if ref == "Week" {
		// The seven weekdays share one schema: Monday and Sunday (time.Weekday 0) stand
		// for them; the object's own keys are probed below.
		names = []string{"monday", "sunday"}
		ms = append(ms, weekMutations(prefix)...)
	}
	for _, name := range names {
		path := append(slices.Clone(prefix), name)
		where := "body:" + strings.Join(path, ".")
		required := slices.Contains(s.Required, name)
		kind, res := p.doc.kindOf(name, s.Properties[name])
		_, subRef := p.doc.resolve(s.Properties[name])
		cur, _ := lookup(valid, path)
		ctx := valueCtx{valid: cur, otherID: rc.other[name], maximum: res.Maximum}
		if res.MaxLength != nil {
			ctx.maxLen = *res.MaxLength
		}
		vals := bodyValues(kind, ctx)
		for _, h := range vals {
			exp := h.exp
			if !required && within(h.label, "empty") && (kind != kArray) {
				exp = mayAccept
			}
			if !required && kind == kText && h.label == "blank" {
				exp = mayAccept
			}
			ms = append(ms, mutation{where, h.label, exp, setter(path, h.value)})
		}
		exp := mustRefuse
		if !required {
			exp = mayAccept
		}
		ms = append(ms,
			mutation{where, "null", exp, setter(path, nil)},
			mutation{where, "removed", exp, func(q *probeReq) { q.body = q.body.remove(path) }})
		switch kind {
		case kObject:
			ms = append(ms, p.bodyMutations(op, rc, res, subRef, path, valid)...)
		case kArray:
			ik := kWeekday
			if res.Items != nil && name != "weekdays" {
				ik, _ = p.doc.kindOf(name, res.Items)
			}
			first := ""
			if arr, ok := cur.([]any); ok && len(arr) > 0 {
				first, _ = arr[0].(string)
			}
			for _, h := range bodyValues(ik, valueCtx{valid: first}) {
				item := h.value
				ms = append(ms, mutation{where + "[0]", h.label, h.exp, func(q *probeReq) {
					arr, _ := cloneValue(cur).([]any)
					if len(arr) == 0 {
						arr = []any{nil}
					}
					arr[0] = item
					q.body = q.body.set(path, arr)
				}})
			}
			ms = append(ms, mutation{where, "repeated-items", mayAccept, setter(path, []any{first, first, first})})
		}
	}
	return ms
}

// weekMutations probe a week's keys: an unknown day, a day named twice, short and
// upper-case names.
func weekMutations(prefix []string) []mutation {
	where := "body:" + strings.Join(prefix, ".")
	day := jsonObj{{"open", "09:00"}, {"close", "20:00"}}
	return []mutation{
		{where, "unknown-day", mustRefuse, func(q *probeReq) { q.body = q.body.set(append(slices.Clone(prefix), "funday"), day) }},
		{where, "day-twice", mustRefuse, func(q *probeReq) { q.body = q.body.set(append(slices.Clone(prefix), "mon"), day) }},
		{where, "short-day-name", mayAccept, func(q *probeReq) {
			q.body = q.body.remove(append(slices.Clone(prefix), "monday")).set(append(slices.Clone(prefix), "mon"), day)
		}},
		{where, "upper-case-day", mayAccept, func(q *probeReq) {
			q.body = q.body.remove(append(slices.Clone(prefix), "monday")).set(append(slices.Clone(prefix), "MONDAY"), day)
		}},
		{where, "10kb-day-name", mustRefuse, func(q *probeReq) {
			q.body = q.body.set(append(slices.Clone(prefix), strings.Repeat("d", tenKB)), day)
		}},
	}
}

func setter(path []string, v any) func(*probeReq) {
	return func(q *probeReq) { q.body = q.body.set(path, cloneValue(v)) }
}

func lookup(o jsonObj, path []string) (any, bool) {
	v, ok := o.get(path[0])
	if !ok || len(path) == 1 {
		return v, ok
	}
	child, _ := v.(jsonObj)
	return lookup(child, path[1:])
}

// structuralMutations break the body as a whole: not an object, cut short, trailing
// data, unknown, repeated and case-changed keys, bytes outside strings, deep nesting
// and 10 MB.
func structuralMutations(valid jsonObj) []mutation {
	enc := encodeJSON(valid)
	raw := func(label string, b []byte) mutation {
		return mutation{"body", label, mustRefuse, func(q *probeReq) { q.raw, q.rawSet = b, true }}
	}
	first := valid[0]
	nested := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	firstText := ""
	for _, m := range valid {
		if _, ok := m.V.(string); ok {
			firstText = m.K
			break
		}
	}
	return []mutation{
		raw("empty-body", []byte{}),
		raw("null-body", []byte("null")),
		raw("array-body", []byte("[]")),
		raw("string-body", []byte(`"x"`)),
		raw("truncated", enc[:len(enc)/2]),
		raw("trailing-data", append(slices.Clone(enc), []byte(`{}`)...)),
		raw("leading-invalid-utf8", append([]byte{0xff}, enc...)),
		raw("bom", append([]byte{0xef, 0xbb, 0xbf}, enc...)),
		{"body", "unknown-field", mustRefuse, func(q *probeReq) { q.body = append(q.body, kv{"zzz", 1}) }},
		{"body", "duplicate-key", mustRefuse, func(q *probeReq) { q.body = append(q.body, kv{first.K, cloneValue(first.V)}) }},
		{"body", "case-changed-key", mustRefuse, func(q *probeReq) { q.body[0].K = strings.ToUpper(q.body[0].K) }},
		{"body", "nul-in-key", mustRefuse, func(q *probeReq) { q.body = append(q.body, kv{first.K + "\x00", cloneValue(first.V)}) }},
		{"body", "deep-nesting", mustRefuse, func(q *probeReq) { q.body = q.body.set([]string{firstText}, rawJSON(nested)) }},
		{"body", "10mb-string", mustRefuse, func(q *probeReq) { q.body = q.body.set([]string{firstText}, tenMBString) }},
	}
}

// webhookSchema describes the sandbox gateway's event, the body its webhooks carry
// (openapi.yaml leaves a provider's format to the provider).
func webhookSchema() *oaSchema {
	str := func() *oaSchema { return &oaSchema{Type: "string"} }
	return &oaSchema{Type: "object", Required: []string{"id", "type", "booking_id", "payment_ref", "amount", "currency", "created"},
		Properties: map[string]*oaSchema{
			"id": str(), "type": {Type: "string", Enum: []any{"paid", "failed", "expired", "refunded"}}, "booking_id": str(),
			"payment_ref": str(), "amount": {Type: "integer"}, "currency": str(), "created": {Type: "integer"},
		}}
}

// webhookSignatureMutations send the event unsigned or with a bad signature.
func webhookSignatureMutations() []mutation {
	sig := func(label, s string) mutation {
		return mutation{"header:Sandbox-Signature", label, mustRefuse, func(q *probeReq) { q.sign, q.signature = false, s }}
	}
	now := time.Now().Unix()
	return []mutation{
		{"header:Sandbox-Signature", "absent", mustRefuse, func(q *probeReq) { q.sign = false }},
		sig("wrong", fmt.Sprintf("t=%d,v1=00", now)),
		sig("malformed", "garbage"),
		sig("huge-timestamp", "t="+maxInt64+",v1=00"),
		sig("10kb", "t=1,v1="+strings.Repeat("ab", tenKB/2)),
		sig("invalid-utf8", "t=\xff,v1=\xff"),
		{"header:Sandbox-Signature", "stale", mustRefuse, func(q *probeReq) { q.signAt = time.Now().Add(-time.Hour) }},
		{"header:Sandbox-Signature", "future", mustRefuse, func(q *probeReq) { q.signAt = time.Now().Add(time.Hour) }},
	}
}

// webhookExpectation is what a signed event with a hostile field may get. The event
// comes signed with the gateway's secret, so it is the provider's word: the app may
// acknowledge what it cannot match (an unknown booking, another payment) with a 200.
// A malformed event is refused.
func webhookExpectation(where, label string) expectation {
	field := strings.TrimPrefix(where, "body:")
	switch {
	case where == "body":
		if within(label, "unknown-field", "duplicate-key", "case-changed-key", "nul-in-key") {
			return mayAccept // the provider's format: encoding/json's reading of it
		}
		return mustRefuse
	case within(label, "number", "bool", "array", "object", "string", "fraction", "1e308", "beyond-int64", "exponent"):
		return mustRefuse
	case field == "type":
		return mustRefuse
	case field == "currency" && label != "other-currency":
		return mustRefuse
	case within(field, "id", "booking_id", "payment_ref") && within(label, "empty", "null", "removed"):
		return mustRefuse
	case field == "amount" && within(label, "negative", "min-int64"):
		return mustRefuse
	}
	return mayAccept
}

// probeAllowed lists hostile values a route may take with a 2xx, because they are in
// fact valid, with the reason. Keys are "operationId where label"; "*" stands for any
// operation or any label. NUL and invalid UTF-8 are never allowed.
var probeAllowed = map[string]string{
	"createQuote body:customer.name *":  "a quote reads only the customer's category: name, email and phone are ignored",
	"createQuote body:customer.email *": "a quote reads only the customer's category: name, email and phone are ignored",
	"createQuote body:customer.phone *": "a quote reads only the customer's category: name, email and phone are ignored",

	"getAvailability path:club other-club":      "availability is public: another club's slug is a valid request",
	"createPriceRule body:category member":      "a rule may price members",
	"replacePriceRule body:category member":     "a rule may price members",
	"getAvailability query:date year-1":         "a day no season covers has no slots: an empty answer",
	"getAvailability query:date year-9999":      "a day no season covers has no slots: an empty answer",
	"getAvailability query:sport unknown-sport": "sports are open slugs; a sport without courts has no slots",
	"createCourt body:sport unknown-sport":      "a club may add a court of any sport; unlisted sports take any whole number of slots",
	"replaceCourt body:sport unknown-sport":     "a club may add a court of any sport; unlisted sports take any whole number of slots",
	"createPriceRule body:sport unknown-sport":  "a rule may price any sport a club adds",
	"replacePriceRule body:sport unknown-sport": "a rule may price any sport a club adds",
	"* body:priority max-int64":                 "a priority is any integer: only its order counts",
	"* body:priority min-int64":                 "a priority is any integer: only its order counts",
	"* body:priority 2^62-ish":                  "a priority is any integer: only its order counts",
	"* body:priority negative":                  "a priority is any integer: only its order counts",
	"* body:priority zero":                      "a priority is any integer: only its order counts",
	"* body:rate.amount zero":                   "a free slot is a valid price (a free game is confirmed at once)",
	"* body:rate.amount max-int64":              "a large rate may be stored; pricing with it must refuse or cap, never overflow: the reads after the write quote it",
	"* body:rate.amount 2^62-ish":               "a large rate may be stored; pricing with it must refuse or cap, never overflow: the reads after the write quote it",
	"* body:weekdays[0] upper-case":             "weekday names are read without case",
	"* body:weekdays[0] full-name":              "weekday names may be short or full",
	"createPriceRule body:from off-grid":        "a rule's window prices the slots whose start it contains; it need not sit on the grid",
	"createPriceRule body:to off-grid":          "a rule's window prices the slots whose start it contains; it need not sit on the grid",
	"replacePriceRule body:from off-grid":       "a rule's window prices the slots whose start it contains; it need not sit on the grid",
	"replacePriceRule body:to off-grid":         "a rule's window prices the slots whose start it contains; it need not sit on the grid",
	"* body:to 24:00":                           "24:00 ends a window at midnight",
	"* body:hours.monday.close 24:00":           "24:00 closes at midnight",
	"* body:hours.sunday.close 24:00":           "24:00 closes at midnight",
	"createSeason body:to year-9999":            "a season may run for ever",
	"replaceSeason body:to year-9999":           "a season may run for ever",
	"createClosure body:start off-grid":         "a closure may start at any minute",
	"createClosure body:start past":             "a closure may have begun already",
	"createClosure body:end off-grid":           "a closure may end at any minute",
	"createClosure body:end year-9999":          "a closure may last for ever",
	"replaceClosure body:start off-grid":        "a closure may start at any minute",
	"replaceClosure body:start past":            "a closure may have begun already",
	"replaceClosure body:end off-grid":          "a closure may end at any minute",
	"replaceClosure body:end year-9999":         "a closure may last for ever",
	"* query:from year-0-instant":               "a range bound before every record selects from the start",
	"* query:to year-0-instant":                 "a range bound before every record selects nothing",
	"* query:from year-1":                       "a range bound before every record selects from the start",
	"* query:from year-9999":                    "a range bound after every record selects nothing",
	"* query:to year-9999":                      "a range bound after every record selects to the end",
	"listBookings query:court_id unknown-id":    "a filter that matches no court selects no booking",
	"listBookings query:court_id other-club-id": "a filter that matches no court of the club selects no booking",
	"listBookings query:court_id 10kb":          "a filter that matches no court selects no booking",
	"listBookings query:court_id encoded-slash": "a filter that matches no court selects no booking",
	"listBookings query:status empty":           "no status filter",
}

// allowed returns why a hostile value may be taken, or "".
func allowed(op, where, label string) string {
	if within(label, "nul", "invalid-utf8", "nul-in-key", "leading-invalid-utf8") {
		return ""
	}
	for _, k := range []string{op + " " + where + " " + label, "* " + where + " " + label, op + " " + where + " *"} {
		if why := probeAllowed[k]; why != "" {
			return why
		}
	}
	return ""
}
