package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	vegeta "github.com/tsenart/vegeta/v12/lib"
	"github.com/tsenart/vegeta/v12/lib/plot"
	"golang.org/x/term"
)

// run runs the tool with args (without the program name) and returns its exit status:
// 0 when the checks passed, 1 when they failed or the load could not run, 2 for a bad
// command line. The report goes to stdout; progress and errors to stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n\n", err)
		if o.usage != nil {
			o.usage(stderr)
		}
		return 2
	}
	rep, err := load(ctx, o, stderr)
	if rep != nil {
		rep.print(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return 1
	}
	if !rep.Checks.ok() {
		fmt.Fprintln(stderr, "loadtest: the checks failed")
		return 1
	}
	return 0
}

// report is what a run found.
type report struct {
	Target   string
	Clubs    []string
	Options  options
	Steps    []step         // one at a fixed rate; the knee search's, in order
	Knee     int            // the highest rate within the limits (knee search); 0: none was
	Total    vegeta.Metrics // of every request
	ByKind   map[string]*vegeta.Metrics
	Statuses map[string]map[uint16]int // by kind, by status; status 0: no answer
	Problems map[string]int            // "409 slot_unavailable" → count
	Failures map[string]int            // requests without an answer, by error
	Created  []createdBooking          // every booking answered 201
	Checks   checks
	RSS      *rss   // nil: the server is not the tool's
	Database string // the URL of the database the tool created; empty: none
	PlotFile string
}

// step is one rate the load ran at.
type step struct {
	Rate    int
	Metrics vegeta.Metrics
	Within  bool // within -max-p99 and -max-errors, and kept up with the rate
	Why     string
}

// rss is the resident memory of the server the tool started.
type rss struct {
	Idle, After, Peak int64 // bytes
}

// createdBooking is a booking answered 201.
type createdBooking struct {
	ID, Token, Club, Court, Start, End string
}

// load runs the load of o and the checks after it. progress (standard error) hears of
// the steps and shows the progress bar.
func load(ctx context.Context, o options, progress io.Writer) (_ *report, err error) {
	rep := &report{
		Options: o, ByKind: map[string]*vegeta.Metrics{}, Statuses: map[string]map[uint16]int{},
		Problems: map[string]int{}, Failures: map[string]int{},
	}
	base, slugs, dbURL := strings.TrimRight(o.Target, "/"), o.ClubSlugs, o.Postgres
	var srv *started
	if o.Target == "" {
		if srv, err = startServer(ctx, o, progress); err != nil {
			return nil, err
		}
		defer func() {
			if serr := srv.Stop(); serr != nil {
				err = errors.Join(err, fmt.Errorf("stop the server: %w", serr))
			}
		}()
		base, slugs, dbURL = srv.URL, srv.Clubs, srv.DBURL
		rep.Database = srv.DBURL
	}
	rep.Target, rep.Clubs = base, slugs
	client := newClient(o)
	g := newGenerator(base, nil, o.Days, o.Mix, rand.Uint64())
	if g.clubs, err = discoverClubs(ctx, client, g, slugs); err != nil {
		return nil, err
	}
	if srv != nil {
		rep.RSS = &rss{}
		if rep.RSS.Idle, _, err = readRSS(srv.PID()); err != nil {
			return nil, err
		}
	}

	var p *plot.Plot
	if o.Plot != "" {
		p = plot.New(plot.Title("Match Point load: latency by kind of request"), plot.Label(kindOf))
	}
	rate := o.Rate
	if rate == 0 {
		rate = o.KneeStart
	}
	for {
		st, err := rep.attack(ctx, o, client, g, p, rate, progress)
		if err != nil {
			return rep, err
		}
		rep.Steps = append(rep.Steps, st)
		if o.Rate > 0 || ctx.Err() != nil {
			break
		}
		fmt.Fprintf(progress, "%d/s: p99 %s, %.2f%% answered 2xx–3xx: %s\n", st.Rate, st.Metrics.Latencies.P99.Round(time.Microsecond), 100*st.Metrics.Success, st.Why)
		if !st.Within {
			break
		}
		rep.Knee = st.Rate
		next := int(float64(rate) * o.KneeFactor)
		if next > o.KneeMax || rate == o.KneeMax {
			break
		}
		rate = max(next, rate+1)
	}
	rep.Total.Close()
	for _, m := range rep.ByKind {
		m.Close()
	}
	if srv != nil {
		if rep.RSS.After, rep.RSS.Peak, err = readRSS(srv.PID()); err != nil {
			return rep, err
		}
	}
	if p != nil {
		p.Close()
		if err := writePlot(o.Plot, p); err != nil {
			return rep, err
		}
		rep.PlotFile = o.Plot
	}
	if o.IDs != "" {
		if err := writeIDs(o.IDs, rep.Created); err != nil {
			return rep, err
		}
	}
	checkCtx := context.WithoutCancel(ctx) // the checks run after an interrupted load too
	if dbURL != "" {
		rep.Checks, err = checkSQL(checkCtx, dbURL, rep.Created)
	} else {
		rep.Checks, err = checkAPI(checkCtx, client, base, rep.Created)
	}
	return rep, err
}

// attack runs the load at rate for o.Duration, adding what it finds to rep.
func (rep *report) attack(ctx context.Context, o options, client *http.Client, g *generator, p *plot.Plot, rate int, progress io.Writer) (step, error) {
	st := step{Rate: rate}
	atk := vegeta.NewAttacker(vegeta.Client(client), vegeta.MaxWorkers(o.MaxWorkers), vegeta.Workers(min(o.MaxWorkers, 16)))
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	expected := int64(rate) * int64(o.Duration/time.Millisecond) / 1000
	bar := newBar(o, progress, expected, fmt.Sprintf("%d req/s", rate))
	name := fmt.Sprintf("%d/s", rate)
	for r := range atk.Attack(g.targeter(), vegeta.Rate{Freq: rate, Per: time.Second}, o.Duration, name) {
		rep.add(r)
		st.Metrics.Add(r)
		if r.Method == http.MethodGet {
			g.learn(r)
		}
		if p != nil {
			if err := p.Add(r); err != nil {
				return st, err
			}
		}
		if bar != nil {
			_ = bar.Add(1)
		}
	}
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(progress)
	}
	st.Metrics.Close()
	st.Within, st.Why = rep.judge(o, st)
	return st, nil
}

// judge says whether a step of the knee search stayed within the limits, and why not.
func (rep *report) judge(o options, st step) (bool, string) {
	m := st.Metrics
	if m.Requests == 0 {
		return false, "no request was sent"
	}
	failed := 0
	for code, n := range m.StatusCodes {
		if code == "0" || strings.HasPrefix(code, "5") {
			failed += n
		}
	}
	share := float64(failed) / float64(m.Requests)
	answered := float64(m.Requests) / (m.Duration + m.Wait).Seconds()
	switch {
	case share > o.MaxErrors:
		return false, fmt.Sprintf("%.2f%% of the requests failed or answered 5xx, above -max-errors %.2f%%", 100*share, 100*o.MaxErrors)
	case m.Latencies.P99 > o.MaxP99:
		return false, fmt.Sprintf("p99 %s is above -max-p99 %s", m.Latencies.P99.Round(time.Microsecond), o.MaxP99)
	case m.Rate < 0.9*float64(st.Rate) || answered < 0.9*float64(st.Rate):
		return false, fmt.Sprintf("sent %.0f/s and answered %.0f/s: not keeping up with %d/s", m.Rate, answered, st.Rate)
	}
	return true, "within the limits"
}

// add counts a result.
func (rep *report) add(r *vegeta.Result) {
	kind := kindOf(r)
	rep.Total.Add(r)
	m := rep.ByKind[kind]
	if m == nil {
		m = &vegeta.Metrics{}
		rep.ByKind[kind] = m
	}
	m.Add(r)
	if rep.Statuses[kind] == nil {
		rep.Statuses[kind] = map[uint16]int{}
	}
	rep.Statuses[kind][r.Code]++
	if r.Code == 0 {
		rep.Failures[r.Error]++
		return
	}
	if code := problemCode(r); code != "" {
		rep.Problems[fmt.Sprintf("%d %s", r.Code, code)]++
	}
	if r.Code == http.StatusCreated && kind == kindBooking {
		var b struct {
			Booking struct {
				ID, Club, Start, End string
				CourtID              string `json:"court_id"`
			} `json:"booking"`
			AccessToken string `json:"access_token"`
		}
		if err := json.Unmarshal(r.Body, &b); err != nil || b.Booking.ID == "" {
			rep.Problems["201 (a body without a booking id)"]++
			return
		}
		rep.Created = append(rep.Created, createdBooking{
			ID: b.Booking.ID, Token: b.AccessToken, Club: b.Booking.Club, Court: b.Booking.CourtID, Start: b.Booking.Start, End: b.Booking.End,
		})
	}
}

// newBar returns the progress bar of a step on w, or nil when w is not a terminal or
// o.Quiet.
func newBar(o options, w io.Writer, expected int64, desc string) *progressbar.ProgressBar {
	f, ok := w.(*os.File)
	if o.Quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions64(expected,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("req"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
	)
}

// writePlot writes the HTML plot to file.
func writePlot(file string, p *plot.Plot) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := p.WriteTo(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("write the plot: %w", err)
	}
	return f.Close()
}

// writeIDs writes the booking IDs to file, one a line.
func writeIDs(file string, created []createdBooking) error {
	var b strings.Builder
	for _, c := range created {
		b.WriteString(c.ID)
		b.WriteByte('\n')
	}
	return os.WriteFile(file, []byte(b.String()), 0o644)
}

// sortedKeys returns m's keys, sorted.
func sortedKeys[K interface{ ~string | ~uint16 }, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
