package domain

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

var slugPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$`)

// Sport names a game played on a court, such as "padel", "tennis" or "pickleball".
type Sport string

// Sports Match Point knows by name; a club may use any other lowercase slug too.
const (
	Padel      Sport = "padel"
	Tennis     Sport = "tennis"
	Pickleball Sport = "pickleball"
	Football5  Sport = "football5"
)

// ParseSport validates a sport name: a lowercase slug.
func ParseSport(s string) (Sport, error) {
	if !slugPattern.MatchString(s) {
		return "", invalidf("sport %q must be a lowercase slug such as padel or tennis", s)
	}
	return Sport(s), nil
}

// KnownSports returns the sports a club knows, sorted: those Match Point names and those
// of the club's courts (a club may name a sport of its own by giving a court that sport).
func KnownSports(courts []Court) []Sport {
	known := []Sport{Padel, Tennis, Pickleball, Football5}
	for _, c := range courts {
		known = append(known, c.Sport)
	}
	slices.Sort(known)
	return slices.Compact(known)
}

// CheckSport returns an invalid error, listing the known sports, unless sport is one
// of the sports a club with these courts knows. A known sport the club has no court
// for is not an error: the answer to a question about it is "no court".
func CheckSport(sport Sport, courts []Court) error {
	known := KnownSports(courts)
	if slices.Contains(known, sport) {
		return nil
	}
	names := make([]string, len(known))
	for i, s := range known {
		names[i] = string(s)
	}
	return invalidf("unknown sport %q: the known sports are %s", sport, strings.Join(names, ", "))
}

// CustomerCategory distinguishes members from guests for pricing.
type CustomerCategory string

// Customer categories. A price rule for CategoryAny applies to both.
const (
	CategoryAny    CustomerCategory = ""
	CategoryMember CustomerCategory = "member"
	CategoryGuest  CustomerCategory = "guest"
)

// OrGuest returns c, or CategoryGuest for a customer whose category is not given.
func (c CustomerCategory) OrGuest() CustomerCategory {
	if c == CategoryAny {
		return CategoryGuest
	}
	return c
}

// ParseCategory validates a customer category; "" is a guest.
func ParseCategory(s string) (CustomerCategory, error) {
	switch CustomerCategory(s) {
	case CategoryMember:
		return CategoryMember, nil
	case CategoryGuest, "":
		return CategoryGuest, nil
	}
	return "", invalidf("customer category %q must be member or guest", s)
}

// Policy is a club's booking policy.
type Policy struct {
	// Granularity is the step of start times and the unit of pricing (e.g. 30 minutes).
	Granularity time.Duration
	// Durations lists the allowed booking lengths per sport; a sport not listed may be
	// booked for any multiple of Granularity up to four hours.
	Durations map[Sport][]time.Duration
	// MinLead is how long before its start a booking must be made.
	MinLead time.Duration
	// MaxHorizon is how far ahead a booking may start.
	MaxHorizon time.Duration
	// Hold is how long a pending booking keeps its slot while the customer pays.
	Hold time.Duration
	// CancelCutoff: cancelling at least this long before the start refunds in full;
	// later (but before the start) refunds LateRefundBasisPoints of the total.
	CancelCutoff time.Duration
	// LateRefundBasisPoints is the share refunded after the cut-off (10 000 = 100 %).
	LateRefundBasisPoints int
	// MaxActivePerCustomer bounds a customer's active bookings; 0 means no limit.
	MaxActivePerCustomer int
	// Reminder is how long before a confirmed game its customer is reminded of it; 0
	// sends no reminder. A game confirmed later than that gets none: its confirmation
	// came close enough.
	Reminder time.Duration
}

// DefaultPolicy is a sensible policy for a padel club, a starting point that a club
// adjusts to its own rules. Its values, and why:
//
//   - Granularity 30 minutes: games start on the hour or the half hour, the grid clubs
//     publish, and prices are set per half hour.
//   - Durations for padel and tennis 60, 90 or 120 minutes: the lengths clubs sell, 90
//     being the usual padel game; other sports may take any multiple of 30 minutes up to
//     four hours.
//   - MinLead 15 minutes: time to pay and to reach the court, and for the club to see
//     the booking before play.
//   - MaxHorizon 14 days: two weeks is how far ahead players plan a game, and a short
//     horizon keeps regulars from holding the courts for months.
//   - Hold 10 minutes: long enough to pay at a checkout, short enough that an abandoned
//     checkout frees its slot soon.
//   - CancelCutoff 24 hours, LateRefundBasisPoints 5000: a day's notice refunds all that
//     was paid, leaving the club time to sell the court again; later, half, as the club
//     may not fill the slot; nothing once the game has started.
//   - MaxActivePerCustomer 4: a customer may hold four bookings that have not ended, a
//     busy week of games, but not a large share of the courts.
//   - Reminder 24 hours: the day before, when a player can still cancel with a full
//     refund (the cut-off is 24 hours too) or find a partner.
func DefaultPolicy() Policy {
	return Policy{
		Granularity: 30 * time.Minute,
		Durations: map[Sport][]time.Duration{
			Padel:  {60 * time.Minute, 90 * time.Minute, 120 * time.Minute},
			Tennis: {60 * time.Minute, 90 * time.Minute, 120 * time.Minute},
		},
		MinLead:               15 * time.Minute,
		MaxHorizon:            14 * 24 * time.Hour,
		Hold:                  10 * time.Minute,
		CancelCutoff:          24 * time.Hour,
		LateRefundBasisPoints: 5000,
		MaxActivePerCustomer:  4,
		Reminder:              24 * time.Hour,
	}
}

// Validate checks the policy's values.
func (p Policy) Validate() error {
	switch {
	case p.Granularity < 5*time.Minute || p.Granularity > 4*time.Hour || p.Granularity%(5*time.Minute) != 0:
		return invalidf("granularity %s must be a multiple of 5 minutes between 5m and 4h", p.Granularity)
	case (24*time.Hour)%p.Granularity != 0:
		return invalidf("granularity %s must divide a day", p.Granularity)
	case p.MinLead < 0 || p.MaxHorizon <= p.MinLead:
		return invalidf("lead time %s and horizon %s must satisfy 0 <= lead < horizon", p.MinLead, p.MaxHorizon)
	case p.Hold < time.Minute || p.Hold > 24*time.Hour:
		return invalidf("hold %s must be between 1m and 24h", p.Hold)
	case p.CancelCutoff < 0:
		return invalidf("cancellation cut-off %s must not be negative", p.CancelCutoff)
	case p.LateRefundBasisPoints < 0 || p.LateRefundBasisPoints > 10000:
		return invalidf("late refund share %d must be between 0 and 10000 basis points", p.LateRefundBasisPoints)
	case p.MaxActivePerCustomer < 0:
		return invalidf("maximum active bookings %d must not be negative", p.MaxActivePerCustomer)
	case p.Reminder < 0 || p.Reminder > p.MaxHorizon:
		return invalidf("reminder %s must be between 0 (none) and the horizon %s", p.Reminder, p.MaxHorizon)
	}
	for sport, ds := range p.Durations {
		for _, d := range ds {
			if d <= 0 || d%p.Granularity != 0 {
				return invalidf("duration %s for %s must be a positive multiple of the granularity %s", d, sport, p.Granularity)
			}
		}
	}
	return nil
}

// onGrid reports whether clock time c is a multiple of the granularity, so that slots
// can start and end there.
func (p Policy) onGrid(c ClockTime) bool {
	return p.Granularity > 0 && time.Duration(c)*time.Minute%p.Granularity == 0
}

// gridName names the slot grid in messages: "30-minute slot grid (08:00, 08:30, …)".
func (p Policy) gridName() string {
	step := ClockTime(p.Granularity / time.Minute)
	return fmt.Sprintf("%d-minute slot grid (%s, %s, …)", int(step), 8*60-8*60%step, 8*60-8*60%step+step)
}

// CheckStart returns a policy error unless a booking starting at start may be made at
// now: no sooner than the lead time from now (so never in the past), no further ahead
// than the horizon.
func (p Policy) CheckStart(start, now time.Time) error {
	switch {
	case start.Before(now.Add(p.MinLead)):
		return Errorf(CodeLeadTime, "bookings must be made at least %d minutes before they start", int(p.MinLead.Minutes()))
	case start.After(now.Add(p.MaxHorizon)):
		return Errorf(CodeHorizon, "bookings may start at most %d days ahead", int(p.MaxHorizon.Hours()/24))
	}
	return nil
}

// AllowsDuration reports whether a booking of d may be made for sport.
func (p Policy) AllowsDuration(sport Sport, d time.Duration) bool {
	if p.Granularity <= 0 || d <= 0 || d%p.Granularity != 0 {
		return false
	}
	if ds, ok := p.Durations[sport]; ok {
		return slices.Contains(ds, d)
	}
	return d <= 4*time.Hour
}

// Club is a tenant: every other record belongs to exactly one club.
type Club struct {
	ID       string
	Slug     string
	Name     string
	Location *time.Location
	Currency Currency
	Policy   Policy
}

// NewClub validates and returns a club. zone is an IANA zone name and currency an
// ISO 4217 code.
func NewClub(id, slug, name, zone, currency string, policy Policy) (Club, error) {
	if id == "" {
		return Club{}, invalidf("club id is empty")
	}
	if !slugPattern.MatchString(slug) {
		return Club{}, invalidf("club slug %q must be a lowercase slug", slug)
	}
	if strings.TrimSpace(name) == "" {
		return Club{}, invalidf("club name is empty")
	}
	if zone == "" || zone == "Local" {
		return Club{}, invalidf("club time zone %q must be an IANA zone name", zone)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return Club{}, invalidf("club time zone %q is not an IANA zone name", zone)
	}
	cur, err := ParseCurrency(currency)
	if err != nil {
		return Club{}, err
	}
	if err := policy.Validate(); err != nil {
		return Club{}, err
	}
	return Club{ID: id, Slug: slug, Name: strings.TrimSpace(name), Location: loc, Currency: cur, Policy: policy}, nil
}

// Court is a court of a club.
type Court struct {
	ID      string
	ClubID  string
	Name    string
	Sport   Sport
	Indoor  bool
	Surface string
	Active  bool
}

// NewCourt validates and returns an active court.
func NewCourt(id, clubID, name string, sport Sport, indoor bool, surface string) (Court, error) {
	c := Court{ID: id, ClubID: clubID, Name: strings.TrimSpace(name), Sport: sport, Indoor: indoor, Surface: strings.TrimSpace(surface), Active: true}
	return c, c.Validate()
}

// Validate checks the court's values.
func (c Court) Validate() error {
	switch {
	case c.ID == "" || c.ClubID == "":
		return invalidf("court id and club id must be set")
	case c.Name == "" || len(c.Name) > 100:
		return invalidf("court name must have 1 to 100 characters")
	case !slugPattern.MatchString(string(c.Sport)):
		return invalidf("court sport %q must be a lowercase slug", c.Sport)
	case len(c.Surface) > 50:
		return invalidf("court surface must have at most 50 characters")
	}
	return nil
}
