package app_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// reportScenario books, on Wednesday 11 March 2026 (tomorrow), with prices from the
// harness:
//
//	A  Padel 1 10:00–11:30  3 × 4 000.00 = 1 200 000  paid; the customer does not come (no_show)
//	B  Padel 2 10:00–11:30  1 200 000                  paid, cancelled 25 hours ahead: refunded in full
//	C  Padel 1 18:00–20:00  4 × 6 000.00 = 2 400 000   paid 1 000.00 (100 000) by mistake: given
//	                                                     back; never paid, its hold expires
//	E  Tennis 1 08:00–09:00 2 × 3 500.00 = 700 000     paid, played (completed)
//
// and closes Padel 2 on 20 March from 10:00 to 14:00. It leaves the clock at 10:30 on
// the 11th, with every job run.
func reportScenario(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	book := func(court domain.Court, start string, minutes int, email string) app.CreatedBooking {
		cmd := app.CreateBookingCommand{
			ClubSlug: clubSlug, CourtID: court.ID, Start: e.at(e.tomorrow, start), Duration: time.Duration(minutes) * time.Minute,
			Customer: app.CustomerInput{Name: "Player " + email, Email: email + "@example.com"},
		}
		return e.book(t, cmd)
	}
	a := book(e.padel1, "10:00", 90, "ana")
	b := book(e.padel2, "10:00", 90, "bea")
	c := book(e.padel1, "18:00", 120, "carl")
	ev := book(e.tennis, "08:00", 60, "eva")
	require.Equal(t, int64(2_400_000), c.Booking.Quote().Total.Amount())
	require.Equal(t, int64(700_000), ev.Booking.Quote().Total.Amount())
	for _, r := range []app.CreatedBooking{a, b, ev} {
		e.payAndConfirm(t, r.Booking)
	}
	wrong := e.pay(t, c.Booking, 100_000)
	res, err := e.deliver(wrong)
	require.NoError(t, err)
	require.Equal(t, app.OutcomeRefunded, res.Outcome)

	_, err = e.app.Bookings.Cancel(ctx, b.Booking.ID(), b.AccessToken)
	require.NoError(t, err)
	e.drain(t)
	e.clock.Advance(11 * time.Minute) // C's hold runs out
	e.drain(t)

	_, err = e.app.Admin.SaveClosure(ctx, e.club, domain.Closure{CourtID: e.padel2.ID, Reason: "resurfacing",
		Interval: domain.Interval{Start: e.at(domain.MustDate("2026-03-20"), "10:00"), End: e.at(domain.MustDate("2026-03-20"), "14:00")}})
	require.NoError(t, err)

	e.clock.Set(e.at(e.tomorrow, "10:30")) // E has ended and A has started
	e.drain(t)
	_, err = e.app.Admin.MarkNoShow(ctx, e.club, a.Booking.ID())
	require.NoError(t, err)

	for id, want := range map[string]struct {
		status         domain.Status
		paid, refunded int64
	}{
		a.Booking.ID():  {domain.StatusNoShow, 1_200_000, 0},
		b.Booking.ID():  {domain.StatusCancelled, 1_200_000, 1_200_000},
		c.Booking.ID():  {domain.StatusExpired, 0, 100_000},
		ev.Booking.ID(): {domain.StatusCompleted, 700_000, 0},
	} {
		got := e.stored(t, id)
		require.Equal(t, want.status, got.Status(), id)
		require.Equal(t, want.paid, got.Paid().Amount(), id)
		require.Equal(t, want.refunded, got.Refund().Amount(), id)
		require.Equal(t, "sandbox", got.PaymentGateway(), id)
	}
}

// generate requests a report, runs the jobs and returns it ready.
func (e *env) generate(t *testing.T, kind ports.ReportKind, from, to string) ports.Report {
	t.Helper()
	r, err := e.app.Admin.RequestReport(context.Background(), e.club, kind, domain.MustMonth(from), domain.MustMonth(to))
	require.NoError(t, err)
	require.Equal(t, ports.ReportPending, r.State)
	e.drain(t)
	got, err := e.app.Admin.Report(context.Background(), e.club, r.ID)
	require.NoError(t, err)
	require.Equal(t, ports.ReportReady, got.State, "error: %s", got.Error)
	assert.Equal(t, e.clock.Now(), got.FinishedAt)
	return got
}

// csvLines writes lines as CSV rows ending in CRLF.
func csvLines(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }

func TestRevenueReport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	reportScenario(t, e)
	r := e.generate(t, ports.ReportRevenue, "2026-02", "2026-04")
	p1, p2, t1 := e.padel1.ID, e.padel2.ID, e.tennis.ID
	// Paid: A 1 200 000 + B 1 200 000 + E 700 000 = 3 100 000; refunded: B's 1 200 000;
	// returned: the 100 000 C was paid by mistake; net 1 900 000.
	want := csvLines(
		"month,court_id,court_name,gateway,currency,bookings,confirmed,completed,cancelled,no_show,paid_minor,refunded_minor,returned_minor,net_minor",
		"2026-02,,,none,ARS,0,0,0,0,0,0,0,0,0",
		"2026-03,,,sandbox,ARS,4,0,1,1,1,3100000,1200000,100000,1900000",
		"2026-03,"+p1+",Padel 1,sandbox,ARS,2,0,0,0,1,1200000,0,100000,1200000",
		"2026-03,"+p2+",Padel 2,sandbox,ARS,1,0,0,1,0,1200000,1200000,0,0",
		"2026-03,"+t1+",Tennis 1,sandbox,ARS,1,0,1,0,0,700000,0,0,700000",
		"2026-04,,,none,ARS,0,0,0,0,0,0,0,0,0",
	)
	assert.Equal(t, want, string(r.CSV))
}

func TestOccupancyReport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	reportScenario(t, e)
	r := e.generate(t, ports.ReportOccupancy, "2026-03", "2026-03")
	p1, p2, t1 := e.padel1.ID, e.padel2.ID, e.tennis.ID
	// Open 08:00–01:00 every day, Buenos Aires keeps UTC−3: March has 31 × 17 hours =
	// 31 620 minutes (the night of 28 February runs into 1 March, and that of 31 March
	// into April). Padel 2 is closed 240 minutes of them. Booked: A's 90 minutes (a
	// no-show occupies the court) on Padel 1, E's 60 on Tennis 1; B was cancelled and C
	// expired. 90/31620 = 0.00285, 60/31620 = 0.00190, 150/94620 = 0.00159.
	want := csvLines(
		"month,court_id,court_name,open_minutes,booked_minutes,occupancy,bookings",
		"2026-03,,,94620,150,0.0016,2",
		"2026-03,"+p1+",Padel 1,31620,90,0.0028,1",
		"2026-03,"+p2+",Padel 2,31380,0,0.0000,0",
		"2026-03,"+t1+",Tennis 1,31620,60,0.0019,1",
	)
	assert.Equal(t, want, string(r.CSV))
}

func TestReportIsRecomputable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	reportScenario(t, e)
	for _, kind := range []ports.ReportKind{ports.ReportRevenue, ports.ReportOccupancy} {
		first := e.generate(t, kind, "2026-01", "2026-06")
		e.clock.Advance(time.Hour) // later, over the same data
		second := e.generate(t, kind, "2026-01", "2026-06")
		assert.NotEqual(t, first.ID, second.ID)
		assert.True(t, second.CreatedAt.After(first.CreatedAt))
		assert.Equal(t, first.CSV, second.CSV, "%s: the same data gives the same bytes", kind)
	}
	rows := func(r ports.Report) int { return strings.Count(string(r.CSV), "\r\n") - 1 }
	assert.Equal(t, 5+4, rows(e.generate(t, ports.ReportRevenue, "2026-01", "2026-06")), "a total of zeros a month, and March's four rows")
	assert.Equal(t, 6*4, rows(e.generate(t, ports.ReportOccupancy, "2026-01", "2026-06")), "a total and three courts a month")
}

func TestRequestReportRefusesBadRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	m := domain.MustMonth
	for name, req := range map[string]struct {
		kind     ports.ReportKind
		from, to domain.Month
	}{
		"an unknown kind":       {"bookings", m("2026-01"), m("2026-01")},
		"from after to":         {ports.ReportRevenue, m("2026-03"), m("2026-02")},
		"25 months":             {ports.ReportRevenue, m("2025-01"), m("2027-01")},
		"a month before 2000":   {ports.ReportOccupancy, m("1999-12"), m("2000-01")},
		"no months":             {ports.ReportOccupancy, domain.Month{}, domain.Month{}},
		"no last month":         {ports.ReportOccupancy, m("2026-01"), domain.Month{}},
		"an empty kind":         {"", m("2026-01"), m("2026-01")},
		"a kind in other case":  {"Revenue", m("2026-01"), m("2026-01")},
		"the first of 25 years": {ports.ReportRevenue, m("2000-01"), m("2025-01")},
	} {
		_, err := e.app.Admin.RequestReport(ctx, e.club, req.kind, req.from, req.to)
		requireCode(t, err, domain.KindInvalid, domain.CodeInvalid)
		assert.NotEmpty(t, name)
	}
	list, err := e.app.Admin.ListReports(ctx, e.club)
	require.NoError(t, err)
	assert.Empty(t, list, "a refused request stores nothing")

	r, err := e.app.Admin.RequestReport(ctx, e.club, ports.ReportRevenue, m("2025-01"), m("2026-12"))
	require.NoError(t, err, "24 months are allowed")
	assert.Equal(t, ports.Report{ID: r.ID, ClubID: e.club.ID, Kind: ports.ReportRevenue, From: m("2025-01"), To: m("2026-12"),
		State: ports.ReportPending, CreatedAt: e.clock.Now()}, r)
}

func TestReportsBelongToTheirClub(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	other, _ := e.seedClub(t, "club-two", domain.DefaultPolicy())
	mine, err := e.app.Admin.RequestReport(ctx, e.club, ports.ReportRevenue, domain.MustMonth("2026-03"), domain.MustMonth("2026-03"))
	require.NoError(t, err)
	e.clock.Advance(time.Minute)
	theirs, err := e.app.Admin.RequestReport(ctx, other, ports.ReportOccupancy, domain.MustMonth("2026-03"), domain.MustMonth("2026-03"))
	require.NoError(t, err)
	e.drain(t)

	_, err = e.app.Admin.Report(ctx, e.club, theirs.ID)
	requireCode(t, err, domain.KindNotFound, domain.CodeNotFound)
	list, err := e.app.Admin.ListReports(ctx, e.club)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, mine.ID, list[0].ID)
	assert.Equal(t, ports.ReportReady, list[0].State)
	assert.Nil(t, list[0].CSV, "a listing carries no CSV")
}

// A report whose generation fails is stored failed with the reason, and reported; the
// job is not retried.
func TestReportGenerationFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	// A report of a club that is not stored (as if written by another version).
	orphan := ports.Report{ID: "r-orphan", ClubID: "no-such-club", Kind: ports.ReportRevenue, From: domain.MustMonth("2026-03"),
		To: domain.MustMonth("2026-03"), State: ports.ReportPending, CreatedAt: e.clock.Now()}
	require.NoError(t, e.store.Store.SaveReport(ctx, orphan))
	args, err := json.Marshal(app.ReportArgs{ReportID: orphan.ID, ClubID: orphan.ClubID})
	require.NoError(t, err)
	handle := func(ctx context.Context, args []byte) error {
		return e.app.Workers().Work(ctx, ports.RawJob{ID: "1", Kind: app.KindReport, Args: args, Attempt: 1})
	}
	require.NoError(t, handle(ctx, args))

	got, err := e.store.Store.GetReport(ctx, orphan.ClubID, orphan.ID)
	require.NoError(t, err)
	assert.Equal(t, ports.ReportFailed, got.State)
	assert.Contains(t, got.Error, "not found")
	assert.Equal(t, e.clock.Now(), got.FinishedAt)
	assert.Nil(t, got.CSV)
	reports := e.reporter.all()
	require.Len(t, reports, 1)
	assert.Equal(t, orphan.ID, reports[0].attrs["report"])

	// Run again, the job changes nothing; for a report that is gone, it does nothing.
	e.clock.Advance(time.Minute)
	require.NoError(t, handle(ctx, args))
	again, err := e.store.Store.GetReport(ctx, orphan.ClubID, orphan.ID)
	require.NoError(t, err)
	assert.Equal(t, got, again)
	gone, err := json.Marshal(app.ReportArgs{ReportID: "r-gone", ClubID: e.club.ID})
	require.NoError(t, err)
	require.NoError(t, handle(ctx, gone))
	assert.Len(t, e.reporter.all(), 1)
}

// A day with more bookings than one read of the store returns is read in parts, and a
// pile of bookings over one slot (expired holds) is read whole: every booking counts once.
func TestReportReadsEveryBooking(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	customer, err := domain.NewCustomer("Bot", "bot@example.com", "", domain.CategoryGuest)
	require.NoError(t, err)
	made := e.clock.Now()
	hold := func(court domain.Court, start time.Time, i int) {
		iv, err := domain.NewInterval(start, start.Add(time.Hour))
		require.NoError(t, err)
		q := domain.Quote{Lines: []domain.QuoteLine{{Start: iv.Start, End: iv.End, RuleID: "r", Amount: money(1)}}, Total: money(1)}
		b, err := domain.NewBooking(domain.NewBookingParams{ID: "hold-" + strconv.Itoa(i), Club: e.club, Court: court, Customer: customer,
			Interval: iv, Quote: q, Now: made})
		require.NoError(t, err)
		// Each hold has run out when the next is made, so they may all overlap.
		require.NoError(t, e.store.Store.CreateBooking(ctx, b, ports.CreateBookingOptions{Now: made.Add(time.Hour)}))
	}
	const pile, spread = 1200, 1400
	for i := range pile {
		hold(e.padel1, e.at(e.tomorrow, "11:00"), i)
	}
	for i := range spread { // on Padel 2, one a minute on 20 March from midnight
		hold(e.padel2, e.at(domain.MustDate("2026-03-20"), "00:00").Add(time.Duration(i)*time.Minute), pile+i)
	}
	r := e.generate(t, ports.ReportRevenue, "2026-03", "2026-03")
	lines := strings.Split(strings.TrimSuffix(string(r.CSV), "\r\n"), "\r\n")
	require.Len(t, lines, 4, string(r.CSV))
	assert.Equal(t, "2026-03,,,none,ARS,"+strconv.Itoa(pile+spread)+",0,0,0,0,0,0,0,0", lines[1])
	assert.Equal(t, "2026-03,"+e.padel1.ID+",Padel 1,none,ARS,"+strconv.Itoa(pile)+",0,0,0,0,0,0,0,0", lines[2])
	assert.Equal(t, "2026-03,"+e.padel2.ID+",Padel 2,none,ARS,"+strconv.Itoa(spread)+",0,0,0,0,0,0,0,0", lines[3])
}
