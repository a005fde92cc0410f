package domain

import (
	"math"
	"slices"
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
	courts, _, err := AvailabilityUntil(q)
	return courts, err
}

// AvailabilityUntil returns what Availability returns, and the first instant after
// q.Now at which the answer may differ because time has passed: a listed start comes
// within the lead time, a start of the day comes within the horizon, or the hold of a
// pending booking that blocks a court runs out. The answer holds for every later Now
// before that instant, as long as nothing else it depends on changes. The zero Time
// means that time alone never changes it.
func AvailabilityUntil(q AvailabilityQuery) ([]CourtSlots, time.Time, error) {
	var until time.Time
	changeAt := func(t time.Time) {
		if t.After(q.Now) && (until.IsZero() || t.Before(until)) {
			until = t
		}
	}
	club := q.Schedule.Club
	loc, pol := club.Location, club.Policy
	gran := pol.Granularity
	if gran <= 0 || loc == nil {
		return nil, time.Time{}, invalidf("the club has no valid policy or time zone")
	}
	if err := CheckSport(q.Sport, q.Courts); err != nil {
		return nil, time.Time{}, err
	}
	if !pol.AllowsDuration(q.Sport, q.Duration) {
		return nil, time.Time{}, Errorf(CodeDurationNotAllowed, "%s may not be booked for %d minutes", q.Sport, int(q.Duration.Minutes()))
	}
	k := int(q.Duration / gran)
	dayStart, dayEnd := q.Date.StartOfDay(loc), q.Date.AddDays(1).StartOfDay(loc)
	// The inner loops compare instants as offsets from the start of the day: comparing
	// durations is much cheaper than comparing times, and Sub saturates instead of
	// overflowing for instants centuries away.
	offset := func(t time.Time) time.Duration { return t.Sub(dayStart) }
	dayLen := offset(dayEnd)
	earliest, latest := offset(q.Now.Add(pol.MinLead)), offset(q.Now.Add(pol.MaxHorizon))

	out := make([]CourtSlots, 0, len(q.Courts))
	byID := make(map[string]int, len(q.Courts)) // court id → its index in bounds
	for _, c := range q.Courts {
		if c.Active && c.Sport == q.Sport {
			out = append(out, CourtSlots{Court: c})
			if _, ok := byID[c.ID]; !ok {
				byID[c.ID] = len(byID)
			}
		}
	}
	if len(out) == 0 {
		return out, time.Time{}, nil
	}
	// The periods each court is taken, by an active booking or a closure of the court,
	// grouped by court in one array: bounds[bi]:bounds[bi+1] is court bi's part of taken.
	type hold struct {
		bi int // index in bounds
		p  period
	}
	holds := make([]hold, 0, len(q.Occupancy)+len(q.Closures))
	for _, o := range q.Occupancy {
		if bi, ok := byID[o.CourtID]; ok && IsActive(o.Status, o.HoldExpiresAt, q.Now) {
			holds = append(holds, hold{bi, period{offset(o.Interval.Start), offset(o.Interval.End)}})
			if o.Status == StatusPending {
				changeAt(o.HoldExpiresAt) // the court is free again then
			}
		}
	}
	var clubClosures []period
	for _, c := range q.Closures {
		p := period{offset(c.Interval.Start), offset(c.Interval.End)}
		if c.CourtID == "" {
			clubClosures = append(clubClosures, p)
		} else if bi, ok := byID[c.CourtID]; ok {
			holds = append(holds, hold{bi, p})
		}
	}
	bounds := make([]int, len(byID)+1) // a counting sort of holds by court
	for _, h := range holds {
		bounds[h.bi+1]++
	}
	for bi := 1; bi < len(bounds); bi++ {
		bounds[bi] += bounds[bi-1]
	}
	taken := make([]period, len(holds))
	for _, h := range holds {
		taken[bounds[h.bi]] = h.p
		bounds[h.bi]++
	}
	copy(bounds[1:], bounds) // filling moved each start to the next court's start
	bounds[0] = 0

	// What does not depend on the court is worked out once per opening.
	var grids []grid
	most := 0 // the most starts a court can get
	for _, plan := range q.Schedule.plans(q.Date, q.Date) {
		if !plan.span.End.After(dayStart) || !plan.span.Start.Before(dayEnd) {
			continue
		}
		// The grid of granularity slots that covers the span, aligned on the local clock.
		t := plan.span.Start
		if off := time.Duration(ClockOf(t, loc)) * time.Minute % gran; off != 0 || t.Second() != 0 {
			t = t.Truncate(time.Minute).Add(gran - off)
		}
		size := max(int(plan.span.End.Sub(t)/gran)+1, 0)
		g := grid{starts: make([]time.Time, 0, size), offsets: make([]time.Duration, 0, size), clocks: make([]ClockTime, 0, size), open: make([]int, 0, size)}
		for ; !t.Add(gran).After(plan.span.End); t = t.Add(gran) {
			g.starts = append(g.starts, t)
			g.offsets = append(g.offsets, offset(t))
			g.clocks = append(g.clocks, ClockOf(t, loc))
		}
		for i := 0; i+k <= len(g.starts); i++ {
			s := g.offsets[i]
			if s < 0 || s >= dayLen || s < earliest || time.Duration(g.clocks[i])*time.Minute%gran != 0 {
				continue
			}
			if s > latest {
				// The first start past the horizon comes within it then; the later ones
				// after it.
				changeAt(g.starts[i].Add(-pol.MaxHorizon))
				break
			}
			g.open = append(g.open, i)
		}
		if len(g.open) == 0 {
			continue
		}
		g.cands = q.Schedule.candidates(plan, q.Category.OrGuest())
		g.perCourt = slices.ContainsFunc(g.cands, func(r *PriceRule) bool { return r.CourtID != "" })
		if !g.perCourt { // every court of the sport is priced alike
			g.amounts, g.unpriced = g.price(out[0].Court, nil, nil)
		}
		grids = append(grids, g)
		most += len(g.open)
	}

	// The starts a court gets are picked first and its slots made in one allocation.
	type pick struct {
		start time.Time
		price int64
	}
	picks := make([]pick, 0, most)
	var amountsBuf []int64
	var unpricedBuf []int
	for ci := range out {
		court := out[ci].Court
		bi := byID[court.ID]
		blocked := taken[bounds[bi]:bounds[bi+1]]
		last := time.Duration(math.MinInt64) // the latest start picked for the court
		picks = picks[:0]
		for _, g := range grids {
			amounts, unpriced := g.amounts, g.unpriced
			if g.perCourt {
				amountsBuf, unpricedBuf = g.price(court, amountsBuf, unpricedBuf)
				amounts, unpriced = amountsBuf, unpricedBuf
			}
			for _, i := range g.open {
				// Yesterday's opening may run into today's: a start it already listed is
				// listed once, priced as Quote prices it (by the earlier opening).
				s := g.offsets[i]
				if unpriced[i+k] != unpriced[i] || s <= last {
					continue
				}
				p := period{s, s + q.Duration}
				if p.overlapsAny(blocked) || p.overlapsAny(clubClosures) {
					continue
				}
				picks = append(picks, pick{g.starts[i], amounts[i+k] - amounts[i]})
				last = s
				// Listed while Now+MinLead <= start: it goes a moment after start-MinLead.
				changeAt(g.starts[i].Add(-pol.MinLead + time.Nanosecond))
			}
		}
		if len(picks) == 0 {
			continue
		}
		slots := make([]Slot, len(picks))
		for j, pk := range picks {
			slots[j] = Slot{Start: pk.start, End: pk.start.Add(q.Duration), Price: NewMoney(pk.price, club.Currency)}
		}
		out[ci].Slots = slots
	}
	return out, until, nil
}

// grid is the granularity slots of one opening of the club that touch the day asked for.
type grid struct {
	starts   []time.Time
	offsets  []time.Duration // of starts, from the start of the day
	clocks   []ClockTime     // of starts, on the local clock
	open     []int           // the slots where a booking may start, whatever the court
	cands    []*PriceRule
	perCourt bool    // some candidate rule prices one court only
	amounts  []int64 // when !perCourt: prefix sums of slot prices
	unpriced []int   // when !perCourt: prefix counts of slots no rule prices
}

// price returns the prefix sums of the slot prices on court and the prefix counts of
// unpriced slots, so that any run of slots is priced in O(1). It reuses the arrays of
// amounts and unpriced.
func (g grid) price(court Court, amounts []int64, unpriced []int) ([]int64, []int) {
	n := len(g.clocks) + 1
	amounts, unpriced = slices.Grow(amounts[:0], n), slices.Grow(unpriced[:0], n)
	amounts, unpriced = append(amounts, 0), append(unpriced, 0)
	for i, c := range g.clocks {
		var a int64
		u := 0
		if r := match(g.cands, court, c); r != nil && r.rateInRange() {
			a = r.Rate.Amount()
		} else {
			u = 1
		}
		amounts = append(amounts, amounts[i]+a)
		unpriced = append(unpriced, unpriced[i]+u)
	}
	return amounts, unpriced
}

// period is a half-open range of instants as offsets from the start of a day.
type period struct{ from, to time.Duration }

func (p period) overlapsAny(ps []period) bool {
	for _, o := range ps {
		if p.from < o.to && o.from < p.to {
			return true
		}
	}
	return false
}
