package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// TestProbe walks every route of openapi.yaml with hostile values — NUL bytes, invalid
// UTF-8, huge strings and numbers, impossible dates and times, unknown ids and another
// club's ids, wrong JSON types, repeated and case-changed keys — one field, parameter
// or header at a time, starting from a valid request of the seeded club, on the memory
// store and on Postgres. It fails on any 5xx, any panic (logged by the recovering
// middleware), any 4xx that is not a problem, any change to the stored state by a
// refused request, any change by a read, and any hostile value taken with a 2xx unless
// the value is in fact valid (probeAllowed says why). After every write it accepts,
// the public reads and the admin lists must still answer without a 5xx.
func TestProbe(t *testing.T) {
	doc, routes := loadSpec(t)
	t.Run("memory", func(t *testing.T) {
		newProber(t, "memory", nil, doc, routes).walk()
	})
	t.Run("postgres", func(t *testing.T) {
		env := map[string]string{"MATCHPOINT_DATABASE_URL": testDatabase(t), "MATCHPOINT_MIGRATE": "auto"}
		newProber(t, "postgres", env, doc, routes).walk()
	})
}

// probeClub is a seeded club with what the probe uses of it.
type probeClub struct {
	Club    domain.Club
	Key     string
	Courts  []domain.Court
	Season  domain.Season
	Closure domain.Closure
	Rule    domain.PriceRule
	Booking app.CreatedBooking
}

// probeReq is a request under construction: path and query values are escaped.
type probeReq struct {
	method, path string
	pathVals     map[string]string
	query        [][2]string
	header       http.Header
	body         jsonObj
	raw          []byte // the body as is, instead of body, when rawSet
	rawSet       bool
	hasBody      bool
	sign         bool      // sign the body as the sandbox gateway does
	signAt       time.Time // when the signature says the body was sent; zero: now
	signature    string    // a Sandbox-Signature to send instead, when signed is false
}

func (r probeReq) clone() probeReq {
	c := r
	c.pathVals = map[string]string{}
	for k, v := range r.pathVals {
		c.pathVals[k] = v
	}
	c.query = slices.Clone(r.query)
	c.header = r.header.Clone()
	if c.header == nil {
		c.header = http.Header{}
	}
	c.body = r.body.clone()
	return c
}

func (r probeReq) bodyBytes() []byte {
	switch {
	case r.rawSet:
		return r.raw
	case r.hasBody:
		return encodeJSON(r.body)
	}
	return nil
}

// mutation is one hostile change to a valid request.
type mutation struct {
	where, label string
	exp          expectation
	apply        func(r *probeReq)
}

// routeCase is how the probe makes a valid request of one operation.
type routeCase struct {
	want  int                      // the valid request's status
	valid func(p *prober) probeReq // a fresh valid request; it may create what the request uses up
	// restore puts back what an accepted write changed (or notes what it used up).
	restore func(p *prober, req probeReq, body map[string]any)
	auth    string            // "admin", "token" or ""
	other   map[string]string // another club's id for a body field, path or query parameter, by name
}

// prober runs the probe against one server.
type prober struct {
	t      *testing.T
	store  string
	srv    *testServer
	logs   *syncBuffer
	logOff int
	client *http.Client
	doc    *oaDoc
	routes []specRoute
	ctx    context.Context

	demo, rival probeClub
	clubs       map[string]probeClub
	loc         *time.Location
	today, day  domain.LocalDate // day: the probed bookings' day, three days ahead

	state storeState
	dirty bool // something changed the state on purpose since it was read

	requests, hostileRequests int
	lastRaw                   []byte // the last answer's body
	findings                  []string
	seq                       int

	// Fixtures of the demo club the routes use.
	main                                 app.CreatedBooking // read by getBooking
	cancelTarget, noShowTarget, hookTarg *app.CreatedBooking
	courtFx                              domain.Court
	seasonFx                             domain.Season
	closureFx                            domain.Closure
	ruleFx                               domain.PriceRule
	delSeason, delClosure, delRule       string
	bookingSlot, hookSlot                int
	reportFx, rivalReport                string // a ready report of each club, read by getReport
	lastKey                              string
}

func newProber(t *testing.T, store string, env map[string]string, doc *oaDoc, routes []specRoute) *prober {
	srv, logs := startProbeServer(t, env)
	p := &prober{
		t: t, store: store, srv: srv, logs: logs, doc: doc, routes: routes, ctx: context.Background(),
		client: &http.Client{Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
	p.seed()
	return p
}

// startProbeServer starts the server as startServerWith does, keeping its log (warnings
// and errors, where a recovered panic is written).
func startProbeServer(t *testing.T, env map[string]string) (*testServer, *syncBuffer) {
	t.Helper()
	vars := map[string]string{"MATCHPOINT_TOKEN_SECRET": strings.Repeat("p", 32)}
	for k, v := range env {
		vars[k] = v
	}
	logs := &syncBuffer{}
	return startServerLogging(t, vars, logs), logs
}

// seed completes the demo club with the probe's fixtures and adds a second club, so
// that another club's ids, key and token exist.
func (p *prober) seed() {
	t, a, ctx := p.t, p.srv.App, p.ctx
	demo := p.srv.demo
	require.NotEmpty(t, demo.APIKey)
	p.loc = demo.Club.Location
	p.today = domain.DateOf(time.Now(), p.loc)
	p.day = p.today.AddDays(3)
	p.demo = probeClub{Club: demo.Club, Key: demo.APIKey, Courts: demo.Courts}
	seasons, err := a.Admin.ListSeasons(ctx, demo.Club)
	require.NoError(t, err)
	require.NotEmpty(t, seasons)
	p.demo.Season = seasons[0]

	created, err := a.Admin.CreateClub(ctx, app.CreateClubCommand{Slug: "rival", Name: "Rival Club", Zone: "Europe/Madrid", Currency: "EUR", Policy: domain.DefaultPolicy()})
	require.NoError(t, err)
	rc := created.Club
	p.rival = probeClub{Club: rc, Key: created.APIKey}
	court, err := a.Admin.SaveCourt(ctx, rc, domain.Court{Name: "Rival 1", Sport: domain.Padel, Surface: "glass", Active: true})
	require.NoError(t, err)
	p.rival.Courts = []domain.Court{court}
	rtoday := domain.DateOf(time.Now(), rc.Location)
	season := domain.Season{Name: "Rival year", From: rtoday.AddDays(-30), To: rtoday.AddDays(365)}
	for wd := range season.Week {
		season.Week[wd] = &domain.Hours{Open: domain.MustClock("08:00"), Close: domain.MustClock("23:00")}
	}
	p.rival.Season, err = a.Admin.SaveSeason(ctx, rc, season)
	require.NoError(t, err)
	p.rival.Rule, err = a.Admin.SavePriceRule(ctx, rc, domain.PriceRule{Name: "Rival padel", Sport: domain.Padel, Weekdays: domain.EveryDay,
		Window: domain.Window{From: domain.MustClock("08:00"), To: domain.MustClock("23:00")}, Priority: 1, Rate: domain.NewMoney(1000, rc.Currency)})
	require.NoError(t, err)
	rstart, _ := rtoday.AddDays(3).At(domain.MustClock("10:00"), rc.Location)
	p.rival.Closure, err = a.Admin.SaveClosure(ctx, rc, domain.Closure{CourtID: court.ID, Interval: domain.Interval{Start: rstart.Add(24 * time.Hour), End: rstart.Add(26 * time.Hour)}, Reason: "rival works"})
	require.NoError(t, err)
	p.rival.Booking, err = a.Bookings.Create(ctx, app.CreateBookingCommand{ClubSlug: "rival", CourtID: court.ID, Start: rstart, Duration: 90 * time.Minute,
		Customer: app.CustomerInput{Name: "Rival Customer", Email: "rival@example.com"}})
	require.NoError(t, err)

	closures, err := a.Admin.ListClosures(ctx, demo.Club, time.Time{}, time.Time{})
	require.NoError(t, err)
	require.NotEmpty(t, closures)
	p.demo.Closure = closures[0]
	rules, err := a.Admin.ListPriceRules(ctx, demo.Club)
	require.NoError(t, err)
	p.demo.Rule = rules[0]
	p.main = p.book(p.demo.Courts[1], p.at(p.day.AddDays(-2), "12:00"))
	p.demo.Booking = p.main
	p.clubs = map[string]probeClub{"demo": p.demo, "rival": p.rival}

	// Fixtures that PUT routes replace, and restore after.
	p.courtFx, err = a.Admin.SaveCourt(ctx, demo.Club, domain.Court{Name: "Probe target", Sport: domain.Padel, Surface: "clay", Active: true})
	require.NoError(t, err)
	p.seasonFx, err = a.Admin.SaveSeason(ctx, demo.Club, p.season("Probe target", 500))
	require.NoError(t, err)
	start := p.at(p.day.AddDays(6), "10:00")
	p.closureFx, err = a.Admin.SaveClosure(ctx, demo.Club, domain.Closure{CourtID: p.demo.Courts[1].ID, Interval: domain.Interval{Start: start, End: start.Add(2 * time.Hour)}, Reason: "probe target"})
	require.NoError(t, err)
	p.ruleFx, err = a.Admin.SavePriceRule(ctx, demo.Club, domain.PriceRule{Name: "Probe target", Sport: domain.Padel, Weekdays: domain.WeekdaysOf(p.day.Weekday()),
		Window: domain.Window{From: domain.MustClock("08:00"), To: domain.MustClock("12:00")}, Priority: 1, Rate: domain.NewMoney(1000, demo.Club.Currency)})
	require.NoError(t, err)
	month := domain.MonthOf(p.today)
	for _, r := range []struct {
		club domain.Club
		id   *string
	}{{demo.Club, &p.reportFx}, {rc, &p.rivalReport}} {
		rep, err := a.Admin.RequestReport(ctx, r.club, ports.ReportOccupancy, month, month)
		require.NoError(t, err)
		*r.id = rep.ID
	}
	p.dirty = true
}

// awaitReport waits until the background job has generated one of club's reports.
func (p *prober) awaitReport(club domain.Club, id string) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		rep, err := p.srv.App.Admin.Report(p.ctx, club, id)
		require.NoError(p.t, err)
		if rep.State != ports.ReportPending {
			require.Equal(p.t, ports.ReportReady, rep.State, "the probe's report failed: %s", rep.Error)
			return
		}
		require.True(p.t, time.Now().Before(deadline), "the probe's report is still pending")
		time.Sleep(20 * time.Millisecond)
	}
}

// at is the instant of a clock time on a day of the demo club.
func (p *prober) at(d domain.LocalDate, clock string) time.Time {
	t, ok := d.At(domain.MustClock(clock), p.loc)
	require.True(p.t, ok)
	return t
}

// ts formats an instant in the demo club's offset, as a client would send it.
func (p *prober) ts(t time.Time) string { return t.In(p.loc).Format(time.RFC3339) }

// season is a season of the demo club starting days from today, open every day.
func (p *prober) season(name string, days int) domain.Season {
	s := domain.Season{Name: name, From: p.today.AddDays(days), To: p.today.AddDays(days + 20)}
	for wd := range s.Week {
		s.Week[wd] = &domain.Hours{Open: domain.MustClock("08:00"), Close: domain.MustClock("22:00")}
	}
	return s
}

// book holds a court of the demo club for a new customer.
func (p *prober) book(court domain.Court, start time.Time) app.CreatedBooking {
	p.seq++
	b, err := p.srv.App.Bookings.Create(p.ctx, app.CreateBookingCommand{ClubSlug: "demo", CourtID: court.ID, Start: start, Duration: 90 * time.Minute,
		Customer: app.CustomerInput{Name: "Probe Fixture", Email: fmt.Sprintf("fixture%d@example.com", p.seq)}})
	require.NoError(p.t, err)
	p.dirty = true
	return b
}

// pending returns b if it is still pending, or else a new booking made by mk.
func (p *prober) pending(b *app.CreatedBooking, mk func(n int) app.CreatedBooking) *app.CreatedBooking {
	if b != nil {
		got, err := p.srv.App.Bookings.Get(p.ctx, b.Booking.ID(), b.AccessToken)
		if err == nil && got.Booking.Status() == domain.StatusPending {
			return b
		}
	}
	p.seq++
	nb := mk(p.seq)
	return &nb
}

// walk probes every route of the description, then reports.
func (p *prober) walk() {
	cases := p.cases()
	var patterns []string
	for _, r := range p.routes {
		patterns = append(patterns, r.Pattern())
		require.Contains(p.t, cases, r.OperationID, "the probe has no valid request for %s", r.Pattern())
	}
	sort.Strings(patterns)
	require.Equal(p.t, p.srv.API.Routes(), patterns, "openapi.yaml describes exactly the Handler's routes")
	for _, r := range p.routes {
		p.probeRoute(r, cases[r.OperationID])
	}
	p.t.Logf("probe on %s: %d requests (%d hostile, the rest valid requests and reads after accepted writes), %d findings",
		p.store, p.requests, p.hostileRequests, len(p.findings))
	for _, f := range p.findings {
		p.t.Errorf("%s", f)
	}
}

func (p *prober) finding(format string, args ...any) {
	p.findings = append(p.findings, fmt.Sprintf("[%s] ", p.store)+fmt.Sprintf(format, args...))
}

// probeRoute sends the valid request, then every mutation of it.
func (p *prober) probeRoute(r specRoute, rc *routeCase) {
	op := r.OperationID
	req := rc.valid(p)
	st, body := p.run(r, rc, "valid", "", mayAccept, req, false)
	if st != rc.want {
		p.finding("%s: the valid request answered %d, want %d: the probe does not reach past validation (%v)", op, st, rc.want, body)
	}
	for _, m := range p.mutations(r, rc) {
		req := rc.valid(p).clone()
		m.apply(&req)
		exp := m.exp
		if exp == mustRefuse {
			if why := allowed(op, m.where, m.label); why != "" {
				exp = mayAccept
			}
		}
		p.run(r, rc, m.where, m.label, exp, req, true)
	}
}

// run sends one request and checks what it did.
func (p *prober) run(r specRoute, rc *routeCase, where, label string, exp expectation, req probeReq, hostile bool) (int, map[string]any) {
	if p.dirty || p.state == nil {
		p.readState()
	}
	before := p.state
	name := fmt.Sprintf("%s %s %s", r.OperationID, where, label)
	if hostile {
		p.hostileRequests++
	}
	status, ctype, body, err := p.send(req)
	if err != nil {
		p.finding("%s: no answer: %v", name, err)
		p.dirty = true
		return 0, nil
	}
	p.checkLog(name)
	p.checkAnswer(name, status, ctype, body)
	if status < 300 {
		p.checkMoney(name, p.lastRaw)
	}
	after := p.readState()
	write := r.Method != http.MethodGet
	switch {
	case status >= 400 || !write:
		if d := before.diff(after); d != "" {
			if status >= 400 {
				p.finding("%s: refused with %d but the state changed: %s", name, status, d)
			} else {
				p.finding("%s: a read changed the state: %s", name, d)
			}
		}
	}
	if status >= 200 && status < 300 {
		if exp == mustRefuse {
			p.finding("%s: hostile value accepted with %d", name, status)
		}
		if write {
			// Read with what the write stored first, then put things back.
			p.afterCheck(name, r.Path)
			if rc.restore != nil {
				rc.restore(p, req, body)
			}
			p.dirty = true
		}
	}
	return status, body
}

// send sends a request and returns its status, content type and JSON body.
func (p *prober) send(req probeReq) (int, string, map[string]any, error) {
	path := req.path
	for k, v := range req.pathVals {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	url := p.srv.base + path
	if len(req.query) > 0 {
		parts := make([]string, len(req.query))
		for i, q := range req.query {
			parts[i] = q[0] + "=" + q[1]
		}
		url += "?" + strings.Join(parts, "&")
	}
	body := req.bodyBytes()
	hr, err := http.NewRequestWithContext(p.ctx, req.method, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", nil, fmt.Errorf("build request: %w", err)
	}
	for k, vs := range req.header {
		hr.Header[k] = vs
	}
	if body != nil && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	switch {
	case req.sign:
		at := req.signAt
		if at.IsZero() {
			at = time.Now()
		}
		hr.Header.Set(sandbox.SignatureHeader, sandbox.Sign(string(p.srv.Config.SandboxSecret), at, body))
	case req.signature != "":
		hr.Header.Set(sandbox.SignatureHeader, req.signature)
	}
	p.requests++
	res, err := p.client.Do(hr)
	if err != nil {
		return 0, "", nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, "", nil, fmt.Errorf("read the answer: %w", err)
	}
	p.lastRaw = raw
	var m map[string]any
	ctype := res.Header.Get("Content-Type")
	if strings.Contains(ctype, "json") {
		if err := json.Unmarshal(raw, &m); err != nil {
			m = map[string]any{"unparsable": string(raw)}
		}
	}
	return res.StatusCode, ctype, m, nil
}

// checkAnswer fails a 5xx and a 4xx that is not an RFC 9457 problem.
func (p *prober) checkAnswer(name string, status int, ctype string, body map[string]any) {
	switch {
	case status >= 500:
		p.finding("%s: answered %d %v", name, status, body["code"])
	case status >= 400:
		if !strings.HasPrefix(ctype, "application/problem+json") {
			p.finding("%s: answered %d as %q, not a problem", name, status, ctype)
			return
		}
		if s, _ := body["status"].(float64); int(s) != status || body["code"] == nil || body["code"] == "" {
			p.finding("%s: answered %d with a malformed problem %v", name, status, body)
		}
	}
}

// checkLog fails a panic the server logged while serving the request.
func (p *prober) checkLog(name string) {
	var logged string
	logged, p.logOff = p.logs.since(p.logOff)
	if i := strings.Index(logged, "panic"); i >= 0 {
		end := min(len(logged), i+400)
		p.finding("%s: the server panicked: %s", name, logged[i:end])
	}
}

// readState reads the stored state of both clubs.
func (p *prober) readState() storeState {
	st, err := readState(p.ctx, p.srv.App, p.clubs)
	require.NoError(p.t, err)
	p.state, p.dirty = st, false
	return st
}

// afterCheck reads what an accepted write may have broken: the day's availability, a
// quote and the admin list of what the route writes must answer without a 5xx, with
// sound amounts.
func (p *prober) afterCheck(after, routePath string) {
	list := "/v1/admin/clubs/demo/bookings"
	if rest, ok := strings.CutPrefix(routePath, "/v1/admin/clubs/{club}/"); ok {
		list = "/v1/admin/clubs/demo/" + strings.Split(rest, "/")[0]
	}
	quote := jsonObj{{"court_id", p.demo.Courts[0].ID}, {"start", p.ts(p.at(p.day, "09:00"))}, {"duration_minutes", 90}}
	reads := []probeReq{
		{method: "GET", path: "/v1/clubs/demo/availability", query: [][2]string{{"date", p.day.String()}, {"sport", "padel"}, {"duration", "90"}}},
		{method: "POST", path: "/v1/clubs/demo/quotes", body: quote, hasBody: true},
		{method: "GET", path: list, header: http.Header{"Authorization": {"Bearer " + p.demo.Key}}},
	}
	for _, r := range reads {
		name := fmt.Sprintf("after %s: %s %s", after, r.method, r.path)
		status, ctype, body, err := p.send(r)
		if err != nil {
			p.finding("%s: no answer: %v", name, err)
			continue
		}
		p.checkLog(name)
		p.checkAnswer(name, status, ctype, body)
		if status < 300 {
			p.checkMoney(name, p.lastRaw)
		}
	}
}

// checkMoney fails an answer whose amounts are negative or whose quote total is not
// the sum of its lines: the mark of an amount that overflowed.
func (p *prober) checkMoney(name string, raw []byte) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return
	}
	var bad []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if n, ok := x["amount"].(json.Number); ok && strings.HasPrefix(n.String(), "-") {
				bad = append(bad, "a negative amount "+n.String())
			}
			if lines, ok := x["lines"].([]any); ok {
				sum := new(big.Int)
				for _, l := range lines {
					if m, ok := l.(map[string]any); ok {
						if n, ok := m["amount"].(json.Number); ok {
							if a, ok := new(big.Int).SetString(n.String(), 10); ok {
								sum.Add(sum, a)
							}
						}
					}
				}
				if tot, ok := x["total"].(map[string]any); ok {
					if n, ok := tot["amount"].(json.Number); ok && n.String() != sum.String() {
						bad = append(bad, fmt.Sprintf("a quote total %s that is not the sum %s of its lines", n, sum))
					}
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	if len(bad) > 0 {
		p.finding("%s: %s (%d unsound amounts in the answer)", name, bad[0], len(bad))
	}
}
