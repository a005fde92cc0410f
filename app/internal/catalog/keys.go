package catalog

import (
	"strings"
	"time"

	"github.com/matchpoint/matchpoint/domain"
)

func clubPrefix(clubID string) string { return "club:" + clubID + ":" }
func slugKey(slug string) string      { return "slug:" + slug }
func clubKey(clubID string) string    { return clubPrefix(clubID) + "club" }
func courtsKey(clubID string) string  { return clubPrefix(clubID) + "courts" }
func seasonsKey(clubID string) string { return clubPrefix(clubID) + "seasons" }
func rulesKey(clubID string) string   { return clubPrefix(clubID) + "rules" }
func dayKey(clubID string, d domain.LocalDate) string {
	return clubPrefix(clubID) + "day:" + d.String()
}

// Family names the family of a cache key of the scheme, for counters: slug, club,
// courts, seasons, rules or day, with ".gen" for a generation key, and "other" for a
// key outside the scheme.
func Family(key string) string {
	gen := strings.HasSuffix(key, "#gen")
	if strings.HasPrefix(key, "slug:") {
		return pick(gen, "slug.gen", "slug")
	}
	rest, ok := strings.CutPrefix(key, "club:")
	if !ok {
		return "other"
	}
	i := strings.IndexByte(rest, ':') // after the club id
	if i < 0 {
		return "other"
	}
	rest = rest[i+1:]
	for j := 0; j < len(rest); j++ {
		if c := rest[j]; c == ':' || c == '@' || c == '#' {
			rest = rest[:j]
			break
		}
	}
	switch rest {
	case "club":
		return pick(gen, "club.gen", "club")
	case "courts":
		return pick(gen, "courts.gen", "courts")
	case "seasons":
		return pick(gen, "seasons.gen", "seasons")
	case "rules":
		return pick(gen, "rules.gen", "rules")
	case "day":
		return pick(gen, "day.gen", "day")
	}
	return "other"
}

// pick returns a if cond holds, else b. Family runs on every cache read, so it
// returns constants rather than building names.
func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

// dayWindow is the range of instants whose bookings and closures can affect the
// availability of local date d: starts on d, and games of up to a day from them.
func dayWindow(d domain.LocalDate, loc *time.Location) domain.Interval {
	return domain.Interval{Start: d.StartOfDay(loc), End: d.AddDays(2).StartOfDay(loc)}
}

// bookableDates returns the first and last local dates whose availability can hold a
// start at now: from yesterday (a clock change can move a start across midnight) to
// the day after the horizon. Only these days are cached.
func bookableDates(club domain.Club, now time.Time) (first, last domain.LocalDate) {
	return domain.DateOf(now, club.Location).AddDays(-1), domain.DateOf(now.Add(club.Policy.MaxHorizon), club.Location).AddDays(1)
}

// datesAffectedBy returns the cached local dates whose dayWindow overlaps iv.
func datesAffectedBy(iv domain.Interval, club domain.Club, now time.Time) []domain.LocalDate {
	first, last := bookableDates(club, now)
	if d := domain.DateOf(iv.Start, club.Location).AddDays(-1); d.After(first) {
		first = d
	}
	if d := domain.DateOf(iv.End, club.Location); d.Before(last) {
		last = d
	}
	var ds []domain.LocalDate
	for d := first; !d.After(last); d = d.AddDays(1) {
		ds = append(ds, d)
	}
	return ds
}

// datesAroundUTC returns the local dates whose dayWindow can overlap iv in any time
// zone (zones lie within a day of UTC): what a booking's change invalidates when its
// club, and so its zone and horizon, cannot be read.
func datesAroundUTC(iv domain.Interval) []domain.LocalDate {
	var ds []domain.LocalDate
	last := domain.DateOf(iv.End, time.UTC).AddDays(1)
	for d := domain.DateOf(iv.Start, time.UTC).AddDays(-2); !d.After(last); d = d.AddDays(1) {
		ds = append(ds, d)
	}
	return ds
}
