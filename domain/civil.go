package domain

import (
	"fmt"
	"time"
)

// LocalDate is a civil date in a club's time zone, without a zone of its own.
type LocalDate struct {
	year  int
	month time.Month
	day   int
}

// NewLocalDate returns the date year-month-day; it is an error if that date does not exist.
func NewLocalDate(year int, month time.Month, day int) (LocalDate, error) {
	t := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	if t.Year() != year || t.Month() != month || t.Day() != day || year < 1 || year > 9999 {
		return LocalDate{}, invalidf("%04d-%02d-%02d is not a date", year, int(month), day)
	}
	return LocalDate{year: year, month: month, day: day}, nil
}

// ParseLocalDate parses a date in the form 2006-01-02.
func ParseLocalDate(s string) (LocalDate, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Year() < 1 { // year 0 would be indistinguishable from the zero LocalDate
		return LocalDate{}, invalidf("date %q is not in the form YYYY-MM-DD", s)
	}
	return LocalDate{year: t.Year(), month: t.Month(), day: t.Day()}, nil
}

// MustDate is ParseLocalDate for constants in tests and seeds; it panics on a bad date.
func MustDate(s string) LocalDate {
	d, err := ParseLocalDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DateOf returns the civil date of the instant t in loc.
func DateOf(t time.Time, loc *time.Location) LocalDate {
	y, m, d := t.In(loc).Date()
	return LocalDate{year: y, month: m, day: d}
}

// IsZero reports whether d is the zero LocalDate.
func (d LocalDate) IsZero() bool { return d.year == 0 }

// Year, Month and Day return the parts of d.
func (d LocalDate) Year() int { return d.year }

// Month returns the month of d.
func (d LocalDate) Month() time.Month { return d.month }

// Day returns the day of the month of d.
func (d LocalDate) Day() int { return d.day }

// Weekday returns the day of the week of d.
func (d LocalDate) Weekday() time.Weekday { return d.utc().Weekday() }

// AddDays returns d moved by n days.
func (d LocalDate) AddDays(n int) LocalDate {
	t := d.utc().AddDate(0, 0, n)
	return LocalDate{year: t.Year(), month: t.Month(), day: t.Day()}
}

// Before reports whether d is before o.
func (d LocalDate) Before(o LocalDate) bool { return d.utc().Before(o.utc()) }

// After reports whether d is after o.
func (d LocalDate) After(o LocalDate) bool { return d.utc().After(o.utc()) }

// String formats d as 2006-01-02. Cache keys are built from it on every availability
// request, so the years of four digits skip fmt.
func (d LocalDate) String() string {
	if d.year < 0 || d.year > 9999 { // AddDays can leave the years NewLocalDate allows
		return fmt.Sprintf("%04d-%02d-%02d", d.year, int(d.month), d.day)
	}
	m := int(d.month)
	b := [10]byte{
		byte('0' + d.year/1000), byte('0' + d.year/100%10), byte('0' + d.year/10%10), byte('0' + d.year%10), '-',
		byte('0' + m/10), byte('0' + m%10), '-', byte('0' + d.day/10), byte('0' + d.day%10),
	}
	return string(b[:])
}

// MarshalText encodes d as 2006-01-02.
func (d LocalDate) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText decodes a date in the form 2006-01-02.
func (d *LocalDate) UnmarshalText(b []byte) error {
	v, err := ParseLocalDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func (d LocalDate) utc() time.Time { return time.Date(d.year, d.month, d.day, 0, 0, 0, 0, time.UTC) }

// At returns the instant at clock time c of d in loc, and whether that clock time exists
// on that day: on the day clocks spring forward, the skipped times do not. A clock time of
// 24:00 is midnight at the start of the next day. On the day clocks fall back, a repeated
// clock time gives its first instant.
func (d LocalDate) At(c ClockTime, loc *time.Location) (time.Time, bool) {
	day := d
	mins := int(c)
	if mins == minutesPerDay {
		day, mins = d.AddDays(1), 0
	}
	t := time.Date(day.year, day.month, day.day, mins/60, mins%60, 0, 0, loc)
	lt := t.In(loc)
	if lt.Hour() != mins/60 || lt.Minute() != mins%60 || lt.Day() != day.day {
		return t.UTC(), false
	}
	// time.Date picks one of the two instants of a repeated clock time; take the earlier.
	if earlier := t.Add(-time.Hour); earlier.In(loc).Hour() == lt.Hour() && earlier.In(loc).Minute() == lt.Minute() {
		t = earlier
	}
	return t.UTC(), true
}

// StartOfDay returns the first instant of d in loc (midnight, or the first instant after
// it where a zone moves its clocks at midnight).
func (d LocalDate) StartOfDay(loc *time.Location) time.Time {
	t := time.Date(d.year, d.month, d.day, 0, 0, 0, 0, loc)
	if DateOf(t, loc) != d { // midnight skipped: the day begins at the transition
		for DateOf(t, loc) != d {
			t = t.Add(15 * time.Minute)
		}
		return t.UTC()
	}
	if earlier := t.Add(-time.Hour); DateOf(earlier, loc) == d {
		t = earlier
	}
	return t.UTC()
}

const minutesPerDay = 24 * 60

// ClockTime is a wall-clock time of day in minutes since midnight, from 00:00 to 24:00.
type ClockTime int

// NewClockTime returns hour:minute; 24:00 is allowed as the end of a day.
func NewClockTime(hour, minute int) (ClockTime, error) {
	if hour < 0 || minute < 0 || minute > 59 || hour > 24 || (hour == 24 && minute != 0) {
		return 0, invalidf("%02d:%02d is not a clock time", hour, minute)
	}
	return ClockTime(hour*60 + minute), nil
}

// ParseClockTime parses "HH:MM" (00:00 to 24:00).
func ParseClockTime(s string) (ClockTime, error) {
	// Digits are checked one by one: fmt's scanning would let signs and spaces through.
	if len(s) != 5 || s[2] != ':' || !isDigit(s[0]) || !isDigit(s[1]) || !isDigit(s[3]) || !isDigit(s[4]) {
		return 0, invalidf("clock time %q is not in the form HH:MM", s)
	}
	return NewClockTime(int(s[0]-'0')*10+int(s[1]-'0'), int(s[3]-'0')*10+int(s[4]-'0'))
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// MustClock is ParseClockTime for constants in tests and seeds; it panics on a bad time.
func MustClock(s string) ClockTime {
	c, err := ParseClockTime(s)
	if err != nil {
		panic(err)
	}
	return c
}

// ClockOf returns the wall-clock time of the instant t in loc.
func ClockOf(t time.Time, loc *time.Location) ClockTime {
	lt := t.In(loc)
	return ClockTime(lt.Hour()*60 + lt.Minute())
}

// Minutes returns c as minutes since midnight.
func (c ClockTime) Minutes() int { return int(c) }

func (c ClockTime) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// MarshalText encodes c as HH:MM.
func (c ClockTime) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText decodes HH:MM.
func (c *ClockTime) UnmarshalText(b []byte) error {
	v, err := ParseClockTime(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Interval is the half-open range of instants [Start, End).
type Interval struct {
	Start time.Time
	End   time.Time
}

// NewInterval returns [start, end) in UTC; end must be after start.
func NewInterval(start, end time.Time) (Interval, error) {
	if !end.After(start) {
		return Interval{}, invalidf("interval end %s is not after its start %s", end.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	return Interval{Start: start.UTC(), End: end.UTC()}, nil
}

// Duration returns the length of i.
func (i Interval) Duration() time.Duration { return i.End.Sub(i.Start) }

// Overlaps reports whether i and o share an instant; touching intervals do not overlap.
func (i Interval) Overlaps(o Interval) bool { return i.Start.Before(o.End) && o.Start.Before(i.End) }

// Contains reports whether o lies entirely within i.
func (i Interval) Contains(o Interval) bool { return !o.Start.Before(i.Start) && !o.End.After(i.End) }

// The era in which Match Point accepts the instants and dates a client gives: from the
// start of 2000 to the start of 9999, UTC. A club books, closes and reports on the
// present; a time outside this era is a mistake (a year 0000 typed for 2026), and
// refusing it keeps every time stored and shown in four-digit years in every zone,
// clear of the local mean time offsets zones had before standard time.
var (
	earliestInstant = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	latestInstant   = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	earliestDate    = LocalDate{year: 2000, month: time.January, day: 1}
	latestDate      = LocalDate{year: 9998, month: time.December, day: 31}
)

// CheckInstant returns an invalid error that names what t is unless t lies between
// 2000-01-01T00:00:00Z and 9999-01-01T00:00:00Z, both included.
func CheckInstant(what string, t time.Time) error {
	if t.Before(earliestInstant) || t.After(latestInstant) {
		return invalidf("%s %s must lie between %s and %s", what, t.UTC().Format(time.RFC3339), earliestInstant.Format(time.RFC3339), latestInstant.Format(time.RFC3339))
	}
	return nil
}

// CheckDate returns an invalid error that names what d is unless d lies between
// 2000-01-01 and 9998-12-31, both included.
func CheckDate(what string, d LocalDate) error {
	if d.Before(earliestDate) || d.After(latestDate) {
		return invalidf("%s %s must lie between %s and %s", what, d, earliestDate, latestDate)
	}
	return nil
}
