package app

import (
	"context"
	"time"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// Availability answers the public questions: which courts are free when, and at what price.
type Availability struct{ *core }

// AvailabilityQuery asks for a club's free starts on one local date.
type AvailabilityQuery struct {
	ClubSlug string
	Date     domain.LocalDate
	Sport    domain.Sport
	Duration time.Duration
	Category domain.CustomerCategory // zero: guest
}

// DayAvailability is the answer to an AvailabilityQuery.
type DayAvailability struct {
	Club     domain.Club
	Date     domain.LocalDate
	Sport    domain.Sport
	Duration time.Duration
	Courts   []domain.CourtSlots
	// Version names what the answer was computed from: the club's configuration and
	// the date's bookings and closures, as the cache last saw them change (on this
	// process or any other sharing the cache). Two answers to the same query with the
	// same Version, at instants before ValidUntil, are the same. Empty when the answer
	// must not be kept: the cache is failing, or the date is not one the cache keeps.
	Version string
	// ValidUntil is the instant from which the answer may differ because time has
	// passed (a start comes within the lead time or the horizon, a hold runs out), and
	// at most the next minute's start, so that an answer kept under a Version is
	// computed afresh at least once a minute.
	ValidUntil time.Time
}

// AvailabilityVersion is what Availability.Version reads: the Version Get would give
// its answer now, and that now.
type AvailabilityVersion struct {
	Version string
	Now     time.Time
}

// Holds reports whether an answer Get gave, kept by the caller, is still the answer to
// its query at v: its Version is v's, and its ValidUntil has not come.
func (v AvailabilityVersion) Holds(d DayAvailability) bool {
	return d.Version != "" && d.Version == v.Version && v.Now.Before(d.ValidUntil)
}

// Version returns the version of the answer Get would give to q now, reading only the
// cache's generations of the club and the date (a few in-process reads where the cache
// has a local tier), so that a caller keeping Get's answers, or what it made of them,
// can tell whether a kept one still holds (AvailabilityVersion.Holds) without
// computing it again. The sport, duration and category of q are not part of the
// version: a caller keeps one answer per query.
func (a *Availability) Version(ctx context.Context, q AvailabilityQuery) (AvailabilityVersion, error) {
	ctx = ports.ReplicaReadsOK(ctx)
	now := a.Clock.Now()
	_, version, err := a.catalog.DayVersion(ctx, q.ClubSlug, q.Date, now)
	if err != nil {
		return AvailabilityVersion{}, err
	}
	return AvailabilityVersion{Version: version, Now: now}, nil
}

// Get returns every active court of the sport with its free starts and their prices.
// Its reads decide nothing (the booking decision is made again on the primary when a
// customer books), so the store may serve them from a read replica.
func (a *Availability) Get(ctx context.Context, q AvailabilityQuery) (DayAvailability, error) {
	ctx = ports.ReplicaReadsOK(ctx)
	now := a.Clock.Now()
	// The version is read before what it is the version of (see catalog.DayVersion).
	club, version, err := a.catalog.DayVersion(ctx, q.ClubSlug, q.Date, now)
	if err != nil {
		return DayAvailability{}, err
	}
	if q.Date.IsZero() {
		return DayAvailability{}, domain.Errorf(domain.CodeInvalid, "date is required")
	}
	if err := domain.CheckDate("date", q.Date); err != nil {
		return DayAvailability{}, err
	}
	sched, err := a.catalog.Schedule(ctx, club)
	if err != nil {
		return DayAvailability{}, err
	}
	courts, err := a.catalog.Courts(ctx, club.ID)
	if err != nil {
		return DayAvailability{}, err
	}
	day, err := a.catalog.Day(ctx, club, q.Date, now)
	if err != nil {
		return DayAvailability{}, err
	}
	slots, until, err := domain.AvailabilityUntil(domain.AvailabilityQuery{
		Schedule: sched, Courts: courts, Closures: day.Closures, Occupancy: day.Occupancy,
		Date: q.Date, Sport: q.Sport, Duration: q.Duration, Category: q.Category, Now: now,
	})
	if err != nil {
		return DayAvailability{}, err
	}
	validUntil := now.Truncate(time.Minute).Add(time.Minute)
	if !until.IsZero() && until.Before(validUntil) {
		validUntil = until
	}
	return DayAvailability{Club: club, Date: q.Date, Sport: q.Sport, Duration: q.Duration, Courts: slots, Version: version, ValidUntil: validUntil}, nil
}

// QuoteCommand asks for the price of a booking without making it.
type QuoteCommand struct {
	ClubSlug string
	CourtID  string
	Start    time.Time
	Duration time.Duration
	Category domain.CustomerCategory
}

// QuoteResult is the price of a booking and the club it would be at, whose zone and
// currency a caller needs to show it.
type QuoteResult struct {
	Club  domain.Club
	Quote domain.Quote
}

// Quote prices a booking slot by slot, checking it as a booking is checked: against the
// lead time and horizon of the club's policy and its opening hours. Its reads may be served by a read replica, as Get's.
func (a *Availability) Quote(ctx context.Context, cmd QuoteCommand) (QuoteResult, error) {
	ctx = ports.ReplicaReadsOK(ctx)
	club, err := a.catalog.ClubBySlug(ctx, cmd.ClubSlug)
	if err != nil {
		return QuoteResult{}, err
	}
	court, err := a.catalog.Court(ctx, club.ID, cmd.CourtID)
	if err != nil {
		return QuoteResult{}, err
	}
	q, err := a.quote(ctx, club, court, cmd.Start, cmd.Duration, cmd.Category)
	if err != nil {
		return QuoteResult{}, err
	}
	return QuoteResult{Club: club, Quote: q}, nil
}

// quote prices a booking of court from start for d, refusing what could not be booked
// now: a quote is the price of a booking the customer can make.
func (c *core) quote(ctx context.Context, club domain.Club, court domain.Court, start time.Time, d time.Duration, cat domain.CustomerCategory) (domain.Quote, error) {
	if d <= 0 || d > 24*time.Hour {
		return domain.Quote{}, domain.Errorf(domain.CodeInvalid, "duration must be between 1 minute and 24 hours")
	}
	if err := domain.CheckInstant("start", start); err != nil {
		return domain.Quote{}, err
	}
	if err := club.Policy.CheckStart(start, c.Clock.Now()); err != nil {
		return domain.Quote{}, err
	}
	if !club.Policy.AllowsDuration(court.Sport, d) {
		return domain.Quote{}, domain.Errorf(domain.CodeDurationNotAllowed, "%s may not be booked for %d minutes", court.Sport, int(d.Minutes()))
	}
	sched, err := c.catalog.Schedule(ctx, club)
	if err != nil {
		return domain.Quote{}, err
	}
	return sched.Quote(court, domain.Interval{Start: start.UTC(), End: start.Add(d).UTC()}, cat)
}
