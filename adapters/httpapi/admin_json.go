package httpapi

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/matchpoint/matchpoint/domain"
)

// The admin resources as JSON, with their decoders. A decoder checks the form of
// each field; the use case checks the values against the club (names, ranges,
// overlaps, courts that exist).

type courtJSON struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Sport   string `json:"sport"`
	Indoor  bool   `json:"indoor"`
	Surface string `json:"surface"`
	Active  *bool  `json:"active"` // left out of a request: true
}

type courtsResponse struct {
	Courts []courtJSON `json:"courts"`
}

func courtOf(c domain.Court) courtJSON {
	active := c.Active
	return courtJSON{ID: c.ID, Name: c.Name, Sport: string(c.Sport), Indoor: c.Indoor, Surface: c.Surface, Active: &active}
}

// decodeCourt decodes {"id","name","sport","indoor","surface","active"}.
func decodeCourt(body []byte) (domain.Court, error) {
	var in courtJSON
	if err := decodeJSON(body, &in); err != nil {
		return domain.Court{}, err
	}
	if strings.TrimSpace(in.Name) == "" {
		return domain.Court{}, invalidf("name is required")
	}
	if in.Sport == "" {
		return domain.Court{}, invalidf("sport is required, such as padel")
	}
	sport, err := domain.ParseSport(in.Sport)
	if err != nil {
		return domain.Court{}, err
	}
	active := in.Active == nil || *in.Active
	return domain.Court{ID: in.ID, Name: in.Name, Sport: sport, Indoor: in.Indoor, Surface: in.Surface, Active: active}, nil
}

type hoursJSON struct {
	Open  string `json:"open"`
	Close string `json:"close"`
}

// seasonJSON is a season as a request gives it: hours by weekday name.
type seasonJSON struct {
	ID    string                `json:"id"`
	Name  string                `json:"name"`
	From  string                `json:"from"`
	To    string                `json:"to"`
	Hours map[string]*hoursJSON `json:"hours"`
}

// seasonView is a season as a response shows it, its week from Monday to Sunday.
type seasonView struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	From  string   `json:"from"`
	To    string   `json:"to"`
	Hours weekView `json:"hours"`
}

type weekView struct {
	Monday    *hoursJSON `json:"monday,omitempty"`
	Tuesday   *hoursJSON `json:"tuesday,omitempty"`
	Wednesday *hoursJSON `json:"wednesday,omitempty"`
	Thursday  *hoursJSON `json:"thursday,omitempty"`
	Friday    *hoursJSON `json:"friday,omitempty"`
	Saturday  *hoursJSON `json:"saturday,omitempty"`
	Sunday    *hoursJSON `json:"sunday,omitempty"`
}

type seasonsResponse struct {
	Seasons []seasonView `json:"seasons"`
}

func seasonOf(s domain.Season) seasonView {
	hours := func(d time.Weekday) *hoursJSON {
		if h := s.Week[d]; h != nil {
			return &hoursJSON{Open: h.Open.String(), Close: h.Close.String()}
		}
		return nil
	}
	return seasonView{
		ID: s.ID, Name: s.Name, From: s.From.String(), To: s.To.String(),
		Hours: weekView{
			Monday: hours(time.Monday), Tuesday: hours(time.Tuesday), Wednesday: hours(time.Wednesday),
			Thursday: hours(time.Thursday), Friday: hours(time.Friday), Saturday: hours(time.Saturday), Sunday: hours(time.Sunday),
		},
	}
}

// decodeSeason decodes {"id","name","from","to","hours":{"monday":{"open","close"},…}};
// a weekday left out (or null) is closed.
func decodeSeason(body []byte) (domain.Season, error) {
	var in seasonJSON
	if err := decodeJSON(body, &in); err != nil {
		return domain.Season{}, err
	}
	s := domain.Season{ID: in.ID, Name: in.Name}
	var err error
	if s.From, err = parseDate("from", in.From); err != nil {
		return domain.Season{}, err
	}
	if s.To, err = parseDate("to", in.To); err != nil {
		return domain.Season{}, err
	}
	var seen [7]bool
	for _, name := range slices.Sorted(maps.Keys(in.Hours)) {
		h := in.Hours[name]
		d, err := domain.ParseWeekday(name)
		if err != nil {
			return domain.Season{}, invalidf("hours: %q is not a day of the week, such as monday", name)
		}
		if seen[d] {
			return domain.Season{}, invalidf("hours: %s is given twice", strings.ToLower(d.String()))
		}
		seen[d] = true
		if h == nil {
			continue
		}
		open, err := parseClock("hours."+name+".open", h.Open)
		if err != nil {
			return domain.Season{}, err
		}
		closing, err := parseClock("hours."+name+".close", h.Close)
		if err != nil {
			return domain.Season{}, err
		}
		s.Week[d] = &domain.Hours{Open: open, Close: closing}
	}
	return s, nil
}

// parseDate parses a required YYYY-MM-DD field.
func parseDate(field, s string) (domain.LocalDate, error) {
	if s == "" {
		return domain.LocalDate{}, invalidf("%s is required: a date such as 2026-03-14", field)
	}
	d, err := domain.ParseLocalDate(s)
	if err != nil {
		return domain.LocalDate{}, invalidf("%s %q is not a date in the form YYYY-MM-DD", field, s)
	}
	return d, nil
}

// parseClock parses a required HH:MM field.
func parseClock(field, s string) (domain.ClockTime, error) {
	if s == "" {
		return 0, invalidf("%s is required: a clock time such as 08:00", field)
	}
	c, err := domain.ParseClockTime(s)
	if err != nil {
		return 0, invalidf("%s %q is not a clock time from 00:00 to 24:00", field, s)
	}
	return c, nil
}

type closureJSON struct {
	ID      string `json:"id"`
	CourtID string `json:"court_id"` // empty: the whole club
	Start   string `json:"start"`
	End     string `json:"end"`
	Reason  string `json:"reason"`
}

type closuresResponse struct {
	Closures []closureJSON `json:"closures"`
}

func closureOf(c domain.Closure, club domain.Club) closureJSON {
	return closureJSON{ID: c.ID, CourtID: c.CourtID, Start: clubTime(c.Interval.Start, club), End: clubTime(c.Interval.End, club), Reason: c.Reason}
}

// decodeClosure decodes {"id","court_id","start","end","reason"}.
func decodeClosure(body []byte) (domain.Closure, error) {
	var in closureJSON
	if err := decodeJSON(body, &in); err != nil {
		return domain.Closure{}, err
	}
	start, err := parseInstant("start", in.Start)
	if err != nil {
		return domain.Closure{}, err
	}
	end, err := parseInstant("end", in.End)
	if err != nil {
		return domain.Closure{}, err
	}
	iv, err := domain.NewInterval(start, end)
	if err != nil {
		return domain.Closure{}, invalidf("end must be after start")
	}
	return domain.Closure{ID: in.ID, CourtID: in.CourtID, Interval: iv, Reason: in.Reason}, nil
}

// weekdayNames are the names rules use for weekdays, indexed by time.Weekday.
var weekdayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// weekOrder lists the weekdays from Monday, the way clubs write their week.
var weekOrder = [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

type rateJSON struct {
	Amount   *int64 `json:"amount"`
	Currency string `json:"currency,omitempty"` // a request may leave it out: the club's
}

type priceRuleJSON struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Sport    string   `json:"sport"`
	CourtID  string   `json:"court_id"`
	SeasonID string   `json:"season_id"`
	Weekdays []string `json:"weekdays"`
	From     string   `json:"from"`
	To       string   `json:"to"`
	Category string   `json:"category"`
	Priority int      `json:"priority"`
	Rate     rateJSON `json:"rate"`
}

type priceRulesResponse struct {
	PriceRules []priceRuleJSON `json:"price_rules"`
}

func priceRuleOf(r domain.PriceRule, club domain.Club) priceRuleJSON {
	days := make([]string, 0, 7)
	for _, d := range weekOrder {
		if r.Weekdays.Has(d) {
			days = append(days, weekdayNames[d])
		}
	}
	amount := r.Rate.Amount()
	return priceRuleJSON{
		ID: r.ID, Name: r.Name, Sport: string(r.Sport), CourtID: r.CourtID, SeasonID: r.SeasonID,
		Weekdays: days, From: r.Window.From.String(), To: r.Window.To.String(),
		Category: string(r.Category), Priority: r.Priority,
		Rate: rateJSON{Amount: &amount, Currency: moneyOf(r.Rate, club).Currency},
	}
}

// decodePriceRule decodes a price rule of a club charging in cur. The rate is in minor
// units of cur; a rate that names another currency is an error.
func decodePriceRule(body []byte, cur domain.Currency) (domain.PriceRule, error) {
	var in priceRuleJSON
	if err := decodeJSON(body, &in); err != nil {
		return domain.PriceRule{}, err
	}
	r := domain.PriceRule{ID: in.ID, Name: in.Name, CourtID: in.CourtID, SeasonID: in.SeasonID, Priority: in.Priority}
	if in.Sport != "" {
		sport, err := domain.ParseSport(in.Sport)
		if err != nil {
			return domain.PriceRule{}, err
		}
		r.Sport = sport
	}
	if len(in.Weekdays) == 0 {
		return domain.PriceRule{}, invalidf("weekdays is required: the days the rule applies, such as [\"mon\", \"tue\"]")
	}
	for _, name := range in.Weekdays {
		d, err := domain.ParseWeekday(name)
		if err != nil {
			return domain.PriceRule{}, invalidf("weekdays: %q is not a day of the week, such as mon", name)
		}
		r.Weekdays |= domain.WeekdaysOf(d)
	}
	var err error
	if r.Window.From, err = parseClock("from", in.From); err != nil {
		return domain.PriceRule{}, err
	}
	if r.Window.To, err = parseClock("to", in.To); err != nil {
		return domain.PriceRule{}, err
	}
	switch c := domain.CustomerCategory(in.Category); c {
	case domain.CategoryAny, domain.CategoryMember, domain.CategoryGuest:
		r.Category = c
	default:
		return domain.PriceRule{}, invalidf("category %q must be member, guest or empty (both)", in.Category)
	}
	if in.Rate.Amount == nil {
		return domain.PriceRule{}, invalidf("rate.amount is required: the price of one slot in minor units")
	}
	if in.Rate.Currency != "" && in.Rate.Currency != cur.Code() {
		return domain.PriceRule{}, domain.Errorf(domain.CodeCurrencyMismatch, "rate.currency %q differs from the club's currency %s", in.Rate.Currency, cur.Code())
	}
	r.Rate = domain.NewMoney(*in.Rate.Amount, cur)
	return r, nil
}
