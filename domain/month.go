package domain

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Month is a calendar month of a club's time zone, such as 2026-03: the unit of the
// club reports. The zero Month is no month.
type Month struct {
	year  int
	month time.Month
}

// NewMonth returns the month year-month; it is an error unless year lies in 1..9999
// and month in 1..12.
func NewMonth(year int, month time.Month) (Month, error) {
	if year < 1 || year > 9999 || month < time.January || month > time.December {
		return Month{}, invalidf("%04d-%02d is not a month", year, int(month))
	}
	return Month{year: year, month: month}, nil
}

// ParseMonth parses a month in the form 2006-01.
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || t.Year() < 1 {
		return Month{}, invalidf("month %q is not in the form YYYY-MM", s)
	}
	return Month{year: t.Year(), month: t.Month()}, nil
}

// MustMonth is ParseMonth for constants in tests; it panics on a bad month.
func MustMonth(s string) Month {
	m, err := ParseMonth(s)
	if err != nil {
		panic(err)
	}
	return m
}

// MonthOf returns the month of date d.
func MonthOf(d LocalDate) Month { return Month{year: d.year, month: d.month} }

// IsZero reports whether m is the zero Month.
func (m Month) IsZero() bool { return m.year == 0 }

// Year returns the year of m.
func (m Month) Year() int { return m.year }

// Month returns the month of the year of m.
func (m Month) Month() time.Month { return m.month }

// First returns the first day of m.
func (m Month) First() LocalDate { return LocalDate{year: m.year, month: m.month, day: 1} }

// Next returns the month after m.
func (m Month) Next() Month {
	if m.month == time.December {
		return Month{year: m.year + 1, month: time.January}
	}
	return Month{year: m.year, month: m.month + 1}
}

// Compare returns -1, 0 or +1 as m is before, equal to or after o.
func (m Month) Compare(o Month) int {
	return cmp.Or(cmp.Compare(m.year, o.year), cmp.Compare(m.month, o.month))
}

// MonthsBetween returns how many months from to to span, both included: 1 when they
// are the same month, 0 or less when to is before from.
func MonthsBetween(from, to Month) int {
	return (to.year-from.year)*12 + int(to.month) - int(from.month) + 1
}

// Interval returns the instants of m in loc: from the start of its first day to the
// start of the first day of the next month.
func (m Month) Interval(loc *time.Location) Interval {
	return Interval{Start: m.First().StartOfDay(loc), End: m.Next().First().StartOfDay(loc)}
}

func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.year, int(m.month)) }

// MarshalText encodes m as 2006-01.
func (m Month) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText decodes a month in the form 2006-01.
func (m *Month) UnmarshalText(b []byte) error {
	v, err := ParseMonth(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// Overlap returns how long i and o share: zero when they do not overlap.
func (i Interval) Overlap(o Interval) time.Duration {
	start, end := i.Start, i.End
	if o.Start.After(start) {
		start = o.Start
	}
	if o.End.Before(end) {
		end = o.End
	}
	if !end.After(start) {
		return 0
	}
	return end.Sub(start)
}

// OpenTime returns how long court is open for bookings within iv under the schedule:
// the opening spans of the seasons' hours (a previous day's hours that run past
// midnight included) clipped to iv, less the closures of the club or of the court
// (closures lists them; others are ignored). Spans or closures that overlap count once.
// It works on instants, so a day on which the clocks change has its real length: a
// club open 00:00–24:00 is open 23 hours on the day the clocks spring forward. A club
// without a zone is open for no time.
func (s Schedule) OpenTime(courtID string, closures []Closure, iv Interval) time.Duration {
	loc := s.Club.Location
	if loc == nil || !iv.End.After(iv.Start) {
		return 0
	}
	var open []Interval
	for _, p := range s.plans(DateOf(iv.Start, loc), DateOf(iv.End, loc)) {
		if c, ok := clip(p.span, iv); ok {
			open = append(open, c)
		}
	}
	var closed []Interval
	for _, c := range closures {
		if !c.Applies(courtID) {
			continue
		}
		if x, ok := clip(c.Interval, iv); ok {
			closed = append(closed, x)
		}
	}
	open, closed = union(open), union(closed)
	var total time.Duration
	for _, o := range open {
		total += o.Duration()
		for _, c := range closed {
			total -= o.Overlap(c)
		}
	}
	return total
}

// clip returns the part of i within o, and whether there is any.
func clip(i, o Interval) (Interval, bool) {
	if i.Start.Before(o.Start) {
		i.Start = o.Start
	}
	if i.End.After(o.End) {
		i.End = o.End
	}
	return i, i.End.After(i.Start)
}

// union returns the intervals merged where they overlap or touch, ordered by start.
func union(ivs []Interval) []Interval {
	slices.SortFunc(ivs, func(a, b Interval) int { return a.Start.Compare(b.Start) })
	var out []Interval
	for _, iv := range ivs {
		if n := len(out); n > 0 && !iv.Start.After(out[n-1].End) {
			if iv.End.After(out[n-1].End) {
				out[n-1].End = iv.End
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}
