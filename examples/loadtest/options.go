package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kinds of request the mix is made of.
const (
	kindAvailability = "availability" // GET …/availability
	kindETag         = "etag"         // the same, with If-None-Match: the ETag last received for its URL
	kindBooking      = "booking"      // POST …/bookings
)

var kinds = []string{kindAvailability, kindETag, kindBooking}

// Ways to start a server.
const (
	startEmbedded = "embedded"
	startPostgres = "postgres"
)

// defaultPostgres is the server a fresh database is created on when neither -postgres
// nor MATCHPOINT_DATABASE_URL names one.
const defaultPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// options are the command line's settings.
type options struct {
	Target      string        // base URL of a running server; empty: start one
	Start       string        // startEmbedded or startPostgres, when Target is empty
	Postgres    string        // a Postgres URL: where -start postgres creates its database, or the target's database for the checks
	KeepDB      bool          // keep the database -start postgres created
	Rate        int           // requests per second; 0 searches the knee
	Duration    time.Duration // of the run, or of each step of the knee search
	Clubs       int           // clubs to seed when starting a server
	ClubSlugs   []string      // the clubs of a -target
	Days        int           // days ahead the requests spread over
	Mix         map[string]int
	Plot        string  // HTML latency plot written here; empty: none
	IDs         string  // the IDs of the bookings answered 201 written here; empty: none
	KneeStart   int     // the knee search's first rate
	KneeFactor  float64 // by how much each step raises the rate
	KneeMax     int     // the knee search stops here
	MaxP99      time.Duration
	MaxErrors   float64 // share of server errors and failed requests, 0–1
	Timeout     time.Duration
	MaxWorkers  uint64
	AllowRemote bool
	Insecure    bool
	Quiet       bool

	usage func(w io.Writer) // prints -h
}

// usageText introduces the flags in -h.
const usageText = `usage: go run ./examples/loadtest [flags]

Puts the Match Point HTTP API under load: availability reads (some revalidated with
If-None-Match) and bookings across clubs and days, at -rate requests per second for
-duration, or with -rate 0 stepping the rate up until the 99th percentile latency or the
errors pass their limits (the knee). Prints the throughput, the latencies, the answers by
status and by problem code, and checks at the end that no two active bookings of a court
overlap and that every booking answered 201 is stored (in SQL on Postgres, else through
the API).

Without -target it builds examples/server into a temporary directory and starts it on a
free loopback port (rate limits off), on the memory store or, with -start postgres, on a
fresh database it migrates and drops afterwards, and reports the server's resident
memory (VmRSS) before and after the load. A -target that is not on the loopback
interface is refused unless -allow-remote is given.

examples:
  go run ./examples/loadtest -rate 500 -duration 30s -plot latency.html
  go run ./examples/loadtest -start postgres -clubs 4 -rate 0
  go run ./examples/loadtest -target http://127.0.0.1:8080 -club demo -mix availability=80,booking=20

flags:
`

// parseOptions parses the command line. -h prints the usage to stdout and returns
// flag.ErrHelp; a mistake returns an error for stderr, with the usage.
func parseOptions(args []string, getenv func(string) string, stdout io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.Target, "target", "", "base URL of a running server, e.g. http://127.0.0.1:8080 (default: start one, see -start)")
	fs.StringVar(&o.Start, "start", startEmbedded, "without -target, the server to build and start: embedded (memory store, the demo club) or postgres (a fresh database, see -postgres)")
	fs.StringVar(&o.Postgres, "postgres", getenv("MATCHPOINT_DATABASE_URL"), "a Postgres URL: with -start postgres, the server the fresh database is created on (if empty, "+defaultPostgres+"); with -target, the target's own database, for the checks in SQL (default $MATCHPOINT_DATABASE_URL)")
	fs.BoolVar(&o.KeepDB, "keep-db", false, "with -start postgres, keep the database afterwards (it is dropped by default)")
	fs.IntVar(&o.Rate, "rate", 200, "requests per second; 0 searches the knee (see -knee-*)")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "how long the load lasts; with -rate 0, how long each step lasts")
	fs.IntVar(&o.Clubs, "clubs", 1, "when starting a server, the clubs to load: the demo club and copies of it (more than one needs -start postgres)")
	slugs := fs.String("club", "demo", "with -target, the slugs of the clubs to load, separated by commas")
	fs.IntVar(&o.Days, "days", 7, "the requests spread over this many days from tomorrow")
	mix := fs.String("mix", "availability=90,etag=5,booking=5", "the requests' shares by kind: availability, etag (an availability read revalidated with If-None-Match) and booking")
	fs.StringVar(&o.Plot, "plot", "", "write an HTML plot of the latencies to this file")
	fs.StringVar(&o.IDs, "ids", "", "write the IDs of the bookings answered 201 to this file, one a line")
	fs.IntVar(&o.KneeStart, "knee-start", 100, "with -rate 0, the first step's rate")
	fs.Float64Var(&o.KneeFactor, "knee-factor", 1.5, "with -rate 0, each step's rate is the previous one's times this")
	fs.IntVar(&o.KneeMax, "knee-max", 20000, "with -rate 0, the highest rate tried")
	fs.DurationVar(&o.MaxP99, "max-p99", 100*time.Millisecond, "with -rate 0, a step whose 99th percentile latency is above this is past the knee")
	fs.Float64Var(&o.MaxErrors, "max-errors", 0.01, "with -rate 0, a step whose share of 5xx answers and failed requests is above this (0–1) is past the knee")
	fs.DurationVar(&o.Timeout, "timeout", 30*time.Second, "how long a request may take")
	fs.Uint64Var(&o.MaxWorkers, "max-workers", 512, "most requests in flight at once")
	fs.BoolVar(&o.AllowRemote, "allow-remote", false, "let -target name a host that is not on the loopback interface")
	fs.BoolVar(&o.Insecure, "insecure", false, "accept any TLS certificate of an https -target")
	fs.BoolVar(&o.Quiet, "quiet", false, "no progress bar (there is none either when standard error is not a terminal)")
	printUsage := func(w io.Writer) {
		fmt.Fprint(w, usageText)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	o.usage = printUsage
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
		}
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	o.ClubSlugs = splitList(*slugs)
	var err error
	if o.Mix, err = parseMix(*mix); err != nil {
		return o, fmt.Errorf("-mix: %w", err)
	}
	return o, o.check()
}

// check refuses settings that cannot work together.
func (o *options) check() error {
	switch {
	case o.Rate < 0:
		return errors.New("-rate must be 0 (the knee) or more")
	case o.Duration <= 0:
		return errors.New("-duration must be positive")
	case o.Days < 1:
		return errors.New("-days must be 1 or more")
	case o.Clubs < 1:
		return errors.New("-clubs must be 1 or more")
	case o.Start != startEmbedded && o.Start != startPostgres:
		return fmt.Errorf("-start %q: want embedded or postgres", o.Start)
	case o.Target == "" && o.Start == startEmbedded && o.Clubs > 1:
		return errors.New("-clubs: the embedded server has only the demo club; more clubs need -start postgres")
	case o.Target != "" && len(o.ClubSlugs) == 0:
		return errors.New("-club: name at least one club")
	case o.Rate == 0 && (o.KneeStart < 1 || o.KneeFactor <= 1 || o.KneeMax < o.KneeStart):
		return errors.New("the knee search needs -knee-start ≥ 1, -knee-factor > 1 and -knee-max ≥ -knee-start")
	case o.MaxErrors < 0 || o.MaxErrors > 1:
		return errors.New("-max-errors is a share, from 0 to 1")
	case o.MaxWorkers < 1:
		return errors.New("-max-workers must be 1 or more")
	}
	if o.Target != "" {
		return checkTarget(o.Target, o.AllowRemote)
	}
	return nil
}

// checkTarget refuses a target that is not an http(s) URL, or whose host is not on the
// loopback interface (127.0.0.0/8, ::1, localhost) unless allowRemote.
func checkTarget(target string, allowRemote bool) error {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-target %q: want an http:// or https:// URL", target)
	}
	if allowRemote || isLoopback(u.Hostname()) {
		return nil
	}
	return fmt.Errorf("-target %q is not on the loopback interface: loading another machine needs -allow-remote", target)
}

// isLoopback reports whether host names the loopback interface.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// parseMix parses "availability=90,etag=5,booking=5": each kind's weight.
func parseMix(s string) (map[string]int, error) {
	m := map[string]int{}
	total := 0
	for _, part := range splitList(s) {
		name, weight, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		if !ok || !slices.Contains(kinds, name) {
			return nil, fmt.Errorf("%q: want KIND=WEIGHT, KIND one of %s", part, strings.Join(kinds, ", "))
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("%s is given twice", name)
		}
		w, err := strconv.Atoi(strings.TrimSpace(weight))
		if err != nil || w < 0 {
			return nil, fmt.Errorf("%q: the weight must be a whole number, 0 or more", part)
		}
		m[name] = w
		total += w
	}
	if total == 0 {
		return nil, errors.New("no request has a weight above 0")
	}
	return m, nil
}

// splitList splits a list separated by commas, leaving out empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
