package domain

import (
	"strings"
	"time"
)

// Hours are one day's opening hours. A Close at or before Open means the club closes
// on the next day: 08:00–01:30 is open until 01:30 of the following local day.
type Hours struct {
	Open  ClockTime
	Close ClockTime
}

// Overnight reports whether the hours run past midnight into the next day.
func (h Hours) Overnight() bool { return h.Close <= h.Open }

// span returns the instants the club is open on day d under h. A clock time that does
// not exist on that day (skipped by a daylight-saving change) moves to the first instant
// after the gap, so an opening or closing in the gap keeps its meaning.
func (h Hours) span(d LocalDate, loc *time.Location) Interval {
	closeDay := d
	if h.Overnight() {
		closeDay = d.AddDays(1)
	}
	return Interval{Start: resolve(d, h.Open, loc), End: resolve(closeDay, h.Close, loc)}
}

// resolve returns the instant of clock time c on day d, or for a skipped clock time the
// first instant after the gap.
func resolve(d LocalDate, c ClockTime, loc *time.Location) time.Time {
	if t, ok := d.At(c, loc); ok {
		return t
	}
	for m := int(c) + 1; m <= minutesPerDay; m++ {
		if t, ok := d.At(ClockTime(m), loc); ok {
			return t
		}
	}
	return d.AddDays(1).StartOfDay(loc)
}

// Season is a named range of a club's local dates with weekly opening hours.
type Season struct {
	ID     string
	ClubID string
	Name   string
	From   LocalDate // first day, inclusive
	To     LocalDate // last day, inclusive
	// Week holds the opening hours per weekday (indexed by time.Weekday); nil is closed.
	Week [7]*Hours
}

// Validate checks the season's values against its club. Opening and closing times lie
// on the club's slot grid: a club open from 08:07 on a 30-minute grid could sell no
// slot before 08:30, and its last one would end before it closes.
func (s Season) Validate(club Club) error {
	switch {
	case s.ID == "" || s.ClubID == "":
		return invalidf("season id and club id must be set")
	case s.ClubID != club.ID:
		return invalidf("season belongs to another club")
	case strings.TrimSpace(s.Name) == "" || len(s.Name) > 100:
		return invalidf("season name must have 1 to 100 characters")
	case s.From.IsZero() || s.To.IsZero():
		return invalidf("season dates must be set")
	case s.To.Before(s.From):
		return invalidf("season ends %s before it starts %s", s.To, s.From)
	}
	if err := CheckDate("season start", s.From); err != nil {
		return err
	}
	if err := CheckDate("season end", s.To); err != nil {
		return err
	}
	for wd, h := range s.Week {
		if h == nil {
			continue
		}
		if h.Open < 0 || h.Open >= minutesPerDay || h.Close < 0 || h.Close > minutesPerDay {
			return invalidf("%s opening hours %s–%s are not clock times", time.Weekday(wd), h.Open, h.Close)
		}
		if h.Close == h.Open {
			return invalidf("%s opening hours open and close at %s", time.Weekday(wd), h.Open)
		}
		if !club.Policy.onGrid(h.Open) || !club.Policy.onGrid(h.Close) {
			return invalidf("%s opening hours %s–%s must open and close on the club's %s", time.Weekday(wd), h.Open, h.Close, club.Policy.gridName())
		}
	}
	return nil
}

// Covers reports whether d is one of the season's days.
func (s Season) Covers(d LocalDate) bool { return !d.Before(s.From) && !d.After(s.To) }

// Overlaps reports whether s and o share a day.
func (s Season) Overlaps(o Season) bool { return !s.To.Before(o.From) && !o.To.Before(s.From) }

// CheckSeasonOverlap returns a conflict if s shares a day with another season in others
// (a season with the same id is the one being replaced and is ignored).
func CheckSeasonOverlap(s Season, others []Season) error {
	for _, o := range others {
		if o.ID != s.ID && o.ClubID == s.ClubID && s.Overlaps(o) {
			return Errorf(CodeSeasonOverlap, "season %q (%s to %s) overlaps season %q (%s to %s)", s.Name, s.From, s.To, o.Name, o.From, o.To)
		}
	}
	return nil
}

// seasonOn returns the season in force on d, or nil when no season covers it.
func seasonOn(seasons []Season, d LocalDate) *Season {
	for i := range seasons {
		if seasons[i].Covers(d) {
			return &seasons[i]
		}
	}
	return nil
}

// Closure is a blackout of the whole club (CourtID empty) or one court.
type Closure struct {
	ID       string
	ClubID   string
	CourtID  string // empty for the whole club
	Interval Interval
	Reason   string
}

// Validate checks the closure's values.
func (c Closure) Validate() error {
	switch {
	case c.ID == "" || c.ClubID == "":
		return invalidf("closure id and club id must be set")
	case !c.Interval.End.After(c.Interval.Start):
		return invalidf("closure must end after it starts")
	case len(c.Reason) > 200:
		return invalidf("closure reason must have at most 200 characters")
	}
	if err := CheckInstant("closure start", c.Interval.Start); err != nil {
		return err
	}
	return CheckInstant("closure end", c.Interval.End)
}

// Applies reports whether the closure affects court.
func (c Closure) Applies(courtID string) bool { return c.CourtID == "" || c.CourtID == courtID }

// CheckClosures returns a policy error with code closed if a closure of the list keeps
// court closed during any part of iv.
func CheckClosures(closures []Closure, court Court, iv Interval) error {
	for _, c := range closures {
		if c.Applies(court.ID) && c.Interval.Overlaps(iv) {
			return Errorf(CodeClosed, "court %q is closed then (%s)", court.Name, c.Reason)
		}
	}
	return nil
}
