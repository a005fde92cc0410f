package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// maxListed is how many booking IDs, missing bookings or overlaps the report lists.
const maxListed = 10

// print writes the report for people.
func (rep *report) print(w io.Writer) {
	o := rep.Options
	var mix []string
	for _, k := range kinds {
		mix = append(mix, fmt.Sprintf("%s=%d", k, o.Mix[k]))
	}
	fmt.Fprintf(w, "target      %s, clubs %s, %d days, mix %s\n", rep.Target, strings.Join(rep.Clubs, ","), o.Days, strings.Join(mix, ","))
	if o.Rate == 0 {
		fmt.Fprintf(w, "knee search steps of %s from %d/s (×%.2f, up to %d/s), limits p99 ≤ %s and failed or 5xx ≤ %.2f%%\n",
			o.Duration, o.KneeStart, o.KneeFactor, o.KneeMax, o.MaxP99, 100*o.MaxErrors)
		for _, st := range rep.Steps {
			m := st.Metrics
			fmt.Fprintf(w, "  %6d/s  throughput %8.1f/s  p50 %-9s p99 %-9s max %-9s %s\n", st.Rate, m.Throughput,
				round(m.Latencies.P50), round(m.Latencies.P99), round(m.Latencies.Max), st.Why)
		}
		if rep.Knee > 0 {
			fmt.Fprintf(w, "knee        %d/s: the highest rate within the limits\n", rep.Knee)
		} else {
			fmt.Fprintln(w, "knee        none: the first step was past the limits already (lower -knee-start)")
		}
	} else {
		fmt.Fprintf(w, "load        %d/s for %s\n", o.Rate, o.Duration)
	}
	t := rep.Total
	fmt.Fprintf(w, "requests    %d, sent at %.1f/s; throughput %.1f/s (answered 2xx–3xx); success %.2f%% (2xx–3xx)\n",
		t.Requests, t.Rate, t.Throughput, 100*t.Success)
	fmt.Fprintf(w, "latency     %s\n", latencies(t))
	for _, k := range kinds {
		if m := rep.ByKind[k]; m != nil {
			fmt.Fprintf(w, "  %-12s %6d requests  %s\n", k, m.Requests, latencies(*m))
		}
	}
	fmt.Fprintln(w, "status      by kind of request (0: no answer)")
	for _, k := range kinds {
		if s := rep.Statuses[k]; s != nil {
			var parts []string
			for _, code := range sortedKeys(s) {
				parts = append(parts, fmt.Sprintf("%d × %d", code, s[code]))
			}
			fmt.Fprintf(w, "  %-12s %s\n", k, strings.Join(parts, ", "))
		}
	}
	if len(rep.Problems) > 0 {
		fmt.Fprintln(w, "problems    by status and code (RFC 9457)")
		for _, p := range sortedKeys(rep.Problems) {
			fmt.Fprintf(w, "  %-40s %d\n", p, rep.Problems[p])
		}
	}
	if len(rep.Failures) > 0 {
		fmt.Fprintln(w, "failures    requests without an answer")
		for _, e := range sortedKeys(rep.Failures) {
			fmt.Fprintf(w, "  %-40s %d\n", e, rep.Failures[e])
		}
	}
	fmt.Fprintf(w, "bookings    %d answered 201", len(rep.Created))
	switch {
	case o.IDs != "":
		fmt.Fprintf(w, "; their IDs are in %s\n", o.IDs)
	case len(rep.Created) == 0:
		fmt.Fprintln(w)
	case len(rep.Created) <= maxListed:
		fmt.Fprintf(w, ": %s\n", strings.Join(ids(rep.Created), " "))
	default:
		fmt.Fprintf(w, " (-ids FILE lists them): %s …\n", strings.Join(ids(rep.Created[:maxListed]), " "))
	}
	c := rep.Checks
	fmt.Fprintf(w, "check (%s)  stored: %d of the %d bookings answered 201", c.Via, c.Stored, c.Bookings)
	if len(c.Missing) > 0 {
		fmt.Fprintf(w, "; MISSING %d: %s\n", len(c.Missing), strings.Join(first(c.Missing), " "))
	} else {
		fmt.Fprintln(w, ": ok")
	}
	fmt.Fprintf(w, "check (%s)  overlaps among %d active bookings", c.Via, c.Active)
	if len(c.Overlaps) > 0 {
		fmt.Fprintf(w, ": %d OVERLAPPING PAIRS: %s\n", len(c.Overlaps), strings.Join(first(c.Overlaps), "; "))
	} else {
		fmt.Fprintln(w, ": none, ok")
	}
	if c.Note != "" {
		fmt.Fprintf(w, "            %s\n", c.Note)
	}
	if r := rep.RSS; r != nil {
		fmt.Fprintf(w, "server RSS  idle %s, after the load %s (%.2f× idle), peak %s\n",
			mib(r.Idle), mib(r.After), float64(r.After)/float64(r.Idle), mib(r.Peak))
	}
	if rep.PlotFile != "" {
		fmt.Fprintf(w, "plot        %s\n", rep.PlotFile)
	}
}

func latencies(m vegeta.Metrics) string {
	l := m.Latencies
	return fmt.Sprintf("p50 %s  p95 %s  p99 %s  max %s", round(l.P50), round(l.P95), round(l.P99), round(l.Max))
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func ids(bs []createdBooking) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.ID
	}
	return out
}

func first(s []string) []string { return s[:min(len(s), maxListed)] }
