package domain

import (
	"time"
)

// Occupancy is what availability needs to know of a booking: which court it holds,
// when, and whether it still holds it.
type Occupancy struct {
	BookingID     string
	CourtID       string
	Interval      Interval
	Status        Status
	HoldExpiresAt time.Time
}

// Occupancy returns what b occupies.
func (b *Booking) Occupancy() Occupancy {
	return Occupancy{BookingID: b.r.ID, CourtID: b.r.CourtID, Interval: b.r.Interval, Status: b.r.Status, HoldExpiresAt: b.r.HoldExpiresAt}
}

// Slot is a bookable start with its end and price.
type Slot struct {
	Start time.Time
	End   time.Time
	Price Money
}

// CourtSlots lists one court's bookable slots.
type CourtSlots struct {
	Court Court
	Slots []Slot
}

// AvailabilityQuery holds everything availability depends on.
type AvailabilityQuery struct {
	Schedule  Schedule
	Courts    []Court
	Closures  []Closure
	Occupancy []Occupancy // bookings of the club overlapping the day, in any state
	Date      LocalDate   // a local date of the club
	Sport     Sport
	Duration  time.Duration
	Category  CustomerCategory
	Now       time.Time
}

// Availability returns, for each active court of the sport, the starts on the local
// date at which a booking of the duration could be made at now, with its price. Starts
// fall on the granularity of the local clock, lie within one opening of the club
// (including the part of the previous day's hours that runs past midnight), are priced
// slot by slot, respect the lead time and horizon, and overlap no closure and no active
// booking. A pending booking whose hold has passed does not block.
func Availability(q AvailabilityQuery) ([]CourtSlots, error) {
	club := q.Schedule.Club
	loc, pol := club.Location, club.Policy
	gran := pol.Granularity
	if !pol.AllowsDuration(q.Sport, q.Duration) {
		return nil, Errorf(KindPolicy, CodeDurationNotAllowed, "%s may not be booked for %d minutes", q.Sport, int(q.Duration.Minutes()))
	}
	k := int(q.Duration / gran)
	dayStart, dayEnd := q.Date.StartOfDay(loc), q.Date.AddDays(1).StartOfDay(loc)
	earliest, latest := q.Now.Add(pol.MinLead), q.Now.Add(pol.MaxHorizon)

	out := make([]CourtSlots, 0, len(q.Courts))
	busy := make(map[string][]Interval)
	for _, c := range q.Courts {
		if c.Active && c.Sport == q.Sport {
			out = append(out, CourtSlots{Court: c})
			busy[c.ID] = nil
		}
	}
	if len(out) == 0 {
		return out, nil
	}
	for _, o := range q.Occupancy {
		if _, ok := busy[o.CourtID]; ok && IsActive(o.Status, o.HoldExpiresAt, q.Now) {
			busy[o.CourtID] = append(busy[o.CourtID], o.Interval)
		}
	}
	var clubClosures []Interval
	for _, c := range q.Closures {
		if c.CourtID == "" {
			clubClosures = append(clubClosures, c.Interval)
		} else if _, ok := busy[c.CourtID]; ok {
			busy[c.CourtID] = append(busy[c.CourtID], c.Interval)
		}
	}

	var starts []time.Time
	var clocks []ClockTime
	var amounts []int64
	var unpriced []int
	for _, plan := range q.Schedule.plans(q.Date, q.Date) {
		if !plan.span.End.After(dayStart) || !plan.span.Start.Before(dayEnd) {
			continue
		}
		// The grid of granularity slots that covers the span, aligned on the local clock.
		t := plan.span.Start
		if off := time.Duration(ClockOf(t, loc)) * time.Minute % gran; off != 0 || t.Second() != 0 {
			t = t.Truncate(time.Minute).Add(gran - off)
		}
		starts, clocks = starts[:0], clocks[:0]
		for ; !t.Add(gran).After(plan.span.End); t = t.Add(gran) {
			starts = append(starts, t)
			clocks = append(clocks, ClockOf(t, loc))
		}
		n := len(starts)
		if n < k {
			continue
		}
		cands := q.Schedule.candidates(plan, q.Category)
		for ci := range out {
			court := out[ci].Court
			// Prefix sums of slot prices and of unpriced slots make each start O(1).
			amounts, unpriced = append(amounts[:0], 0), append(unpriced[:0], 0)
			for i := range n {
				var a int64
				u := 0
				if r := match(cands, court, clocks[i]); r != nil {
					a = r.Rate.Amount()
				} else {
					u = 1
				}
				amounts = append(amounts, amounts[i]+a)
				unpriced = append(unpriced, unpriced[i]+u)
			}
			for i := 0; i+k <= n; i++ {
				s := starts[i]
				if s.Before(dayStart) || !s.Before(dayEnd) || s.Before(earliest) || s.After(latest) {
					continue
				}
				if time.Duration(clocks[i])*time.Minute%gran != 0 || unpriced[i+k] != unpriced[i] {
					continue
				}
				iv := Interval{Start: s, End: s.Add(q.Duration)}
				if overlapsAny(iv, busy[court.ID]) || overlapsAny(iv, clubClosures) {
					continue
				}
				out[ci].Slots = append(out[ci].Slots, Slot{Start: s, End: iv.End, Price: NewMoney(amounts[i+k]-amounts[i], club.Currency)})
			}
		}
	}
	return out, nil
}

func overlapsAny(iv Interval, ivs []Interval) bool {
	for _, o := range ivs {
		if iv.Overlaps(o) {
			return true
		}
	}
	return false
}
