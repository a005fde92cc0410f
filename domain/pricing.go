package domain

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Weekdays is a set of days of the week.
type Weekdays uint8

// EveryDay is the set of all seven weekdays.
const EveryDay Weekdays = 1<<7 - 1

// WeekdaysOf returns the set of the given days.
func WeekdaysOf(days ...time.Weekday) Weekdays {
	var w Weekdays
	for _, d := range days {
		w |= 1 << d
	}
	return w
}

// Has reports whether d is in the set.
func (w Weekdays) Has(d time.Weekday) bool { return w&(1<<d) != 0 }

// Days returns the days of the set from Sunday to Saturday.
func (w Weekdays) Days() []time.Weekday {
	var ds []time.Weekday
	for d := time.Sunday; d <= time.Saturday; d++ {
		if w.Has(d) {
			ds = append(ds, d)
		}
	}
	return ds
}

// ParseWeekday parses an English day name or its three-letter abbreviation.
func ParseWeekday(s string) (time.Weekday, error) {
	s = strings.ToLower(s)
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if s == name || s == name[:3] {
			return d, nil
		}
	}
	return 0, invalidf("%q is not a day of the week", s)
}

// Window is a range of local clock times [From, To). A To at or before From runs past
// midnight (22:00–02:00); 00:00–24:00 is the whole day.
type Window struct {
	From ClockTime
	To   ClockTime
}

// Contains reports whether clock time c falls in the window.
func (w Window) Contains(c ClockTime) bool {
	if w.To > w.From {
		return c >= w.From && c < w.To
	}
	return c >= w.From || c < w.To
}

// PriceRule prices the granularity slots it matches at Rate each. Empty Sport, CourtID,
// SeasonID and Category match anything. Among the rules that match a slot, the highest
// Priority wins; on a tie a court rule beats a sport rule, then the smaller ID wins.
type PriceRule struct {
	ID       string
	ClubID   string
	Name     string
	Sport    Sport
	CourtID  string
	SeasonID string
	Weekdays Weekdays
	Window   Window
	Category CustomerCategory
	Priority int
	Rate     Money // per granularity slot
}

// Validate checks the rule's values against its club.
func (r PriceRule) Validate(club Club) error {
	switch {
	case r.ID == "" || r.ClubID == "":
		return invalidf("price rule id and club id must be set")
	case r.ClubID != club.ID:
		return invalidf("price rule belongs to another club")
	case len(r.Name) > 100:
		return invalidf("price rule name must have at most 100 characters")
	case r.Sport != "" && !slugPattern.MatchString(string(r.Sport)):
		return invalidf("price rule sport %q must be a lowercase slug", r.Sport)
	case r.Weekdays == 0 || r.Weekdays > EveryDay:
		return invalidf("price rule must name at least one weekday")
	case r.Window.From < 0 || r.Window.From >= minutesPerDay || r.Window.To < 0 || r.Window.To > minutesPerDay || r.Window.From == r.Window.To:
		return invalidf("price rule window %s–%s is not a range of clock times", r.Window.From, r.Window.To)
	case r.Category != CategoryAny && r.Category != CategoryMember && r.Category != CategoryGuest:
		return invalidf("price rule category %q must be member, guest or empty", r.Category)
	case r.Priority < -MaxPriority || r.Priority > MaxPriority:
		return invalidf("price rule priority %d must lie between -%d and %d", r.Priority, MaxPriority, MaxPriority)
	case r.Rate.Currency() != club.Currency:
		return Errorf(CodeCurrencyMismatch, "price rule rate is in %s but the club charges in %s", r.Rate.Currency(), club.Currency)
	case r.Rate.Amount() < 0:
		return invalidf("price rule rate must not be negative")
	case r.Rate.Amount() > MaxRate(club.Currency).Amount():
		return invalidf("price rule rate %s per slot must be at most %s", r.Rate, MaxRate(club.Currency))
	case !club.Policy.onGrid(r.Window.From) || !club.Policy.onGrid(r.Window.To):
		// A boundary inside a slot would leave the slot's price to whichever rule
		// covers its start: the rule would not price what it says.
		return invalidf("price rule window %s–%s must start and end on the club's %s", r.Window.From, r.Window.To, club.Policy.gridName())
	}
	return nil
}

// MaxPriority bounds a price rule's priority either way: a million ranks are more than
// any club orders, and the bound keeps the value within every store's integer column.
const MaxPriority = 1_000_000

// rateInRange reports whether the rule's rate is one Validate accepts. A rule stored
// before the bound existed may lie beyond it: it prices nothing.
func (r *PriceRule) rateInRange() bool {
	return r.Rate.Amount() >= 0 && r.Rate.Amount() <= MaxRate(r.Rate.Currency()).Amount()
}

// QuoteLine is the price of one granularity slot.
type QuoteLine struct {
	Start  time.Time
	End    time.Time
	RuleID string
	Amount Money
}

// Quote is the price of a booking, slot by slot.
type Quote struct {
	Lines []QuoteLine
	Total Money
}

// Schedule is what decides when a club's courts open and what each slot costs.
type Schedule struct {
	Club    Club
	Seasons []Season
	Rules   []PriceRule
}

// dayPlan is one operating day's open span with what prices its slots.
type dayPlan struct {
	day    LocalDate
	season *Season
	span   Interval
}

// plans returns the open spans of the operating days from-1 to to, in order.
func (s Schedule) plans(from, to LocalDate) []dayPlan {
	var out []dayPlan
	for d := from.AddDays(-1); !d.After(to); d = d.AddDays(1) {
		season := seasonOn(s.Seasons, d)
		if season == nil {
			continue
		}
		h := season.Week[d.Weekday()]
		if h == nil {
			continue
		}
		span := h.span(d, s.Club.Location)
		if !span.End.After(span.Start) {
			continue
		}
		out = append(out, dayPlan{day: d, season: season, span: span})
	}
	return out
}

// candidates returns the rules that may price slots of the day for the category, by
// precedence (best first). Sport, court and window are checked per slot.
func (s Schedule) candidates(p dayPlan, cat CustomerCategory) []*PriceRule {
	var rs []*PriceRule
	wd := p.day.Weekday()
	for i := range s.Rules {
		r := &s.Rules[i]
		if !r.Weekdays.Has(wd) || (r.SeasonID != "" && r.SeasonID != p.season.ID) || (r.Category != CategoryAny && r.Category != cat) {
			continue
		}
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b *PriceRule) int {
		if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
			return c
		}
		if (a.CourtID != "") != (b.CourtID != "") {
			if a.CourtID != "" {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	return rs
}

// match returns the first candidate that prices a slot of court at clock c, or nil.
func match(cands []*PriceRule, court Court, c ClockTime) *PriceRule {
	for _, r := range cands {
		if (r.Sport == "" || r.Sport == court.Sport) && (r.CourtID == "" || r.CourtID == court.ID) && r.Window.Contains(c) {
			return r
		}
	}
	return nil
}

// Quote prices a booking of court over iv for a customer of category cat (no category
// is a guest), slot by slot.
// The interval must start on the granularity, last a whole number of slots and lie
// within one opening of the club; every slot must be priced by some rule.
func (s Schedule) Quote(court Court, iv Interval, cat CustomerCategory) (Quote, error) {
	loc, gran := s.Club.Location, s.Club.Policy.Granularity
	if gran <= 0 || loc == nil {
		return Quote{}, invalidf("the club has no valid policy or time zone")
	}
	if iv.Duration()%gran != 0 || iv.Duration() <= 0 {
		return Quote{}, Errorf(CodeDurationNotAllowed, "a booking must last a whole number of %d-minute slots", int(gran.Minutes()))
	}
	if iv.Start.Second() != 0 || iv.Start.Nanosecond() != 0 || time.Duration(ClockOf(iv.Start, loc))*time.Minute%gran != 0 {
		return Quote{}, Errorf(CodeMisaligned, "a booking must start on a %d-minute boundary", int(gran.Minutes()))
	}
	day := DateOf(iv.Start, loc)
	var plan *dayPlan
	for _, p := range s.plans(day, day) {
		if p.span.Contains(iv) {
			plan = &p
			break
		}
	}
	if plan == nil {
		return Quote{}, Errorf(CodeOutsideOpeningHours, "the club is not open for all of %s–%s", iv.Start.In(loc).Format("2006-01-02 15:04"), iv.End.In(loc).Format("15:04"))
	}
	cands := s.candidates(*plan, cat.OrGuest())
	q := Quote{Total: NewMoney(0, s.Club.Currency)}
	for t := iv.Start; t.Before(iv.End); t = t.Add(gran) {
		r := match(cands, court, ClockOf(t, loc))
		if r == nil {
			return Quote{}, Errorf(CodeNotPriced, "no price rule covers %s on court %q", t.In(loc).Format("2006-01-02 15:04"), court.Name)
		}
		if !r.rateInRange() {
			return Quote{}, invalidf("price rule %q charges %s per slot, beyond the most a slot may cost (%s)", r.Name, r.Rate, MaxRate(r.Rate.Currency()))
		}
		total, err := q.Total.Add(r.Rate)
		if err != nil {
			return Quote{}, err
		}
		q.Lines = append(q.Lines, QuoteLine{Start: t, End: t.Add(gran), RuleID: r.ID, Amount: r.Rate})
		q.Total = total
	}
	return q, nil
}
