package httpapi

import (
	"time"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
)

// The JSON shapes of responses. Instants are RFC 3339 in the club's offset, money is
// integer minor units with its ISO 4217 code, and lists are arrays, never null.

type moneyView struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// moneyOf returns m, in the club's currency when m has none (a zero amount).
func moneyOf(m domain.Money, club domain.Club) moneyView {
	cur := m.Currency()
	if cur.IsZero() {
		cur = club.Currency
	}
	return moneyView{Amount: m.Amount(), Currency: cur.Code()}
}

// clubTime formats an instant in the club's offset.
func clubTime(t time.Time, club domain.Club) string {
	return t.In(club.Location).Format(time.RFC3339)
}

type slotView struct {
	Start string    `json:"start"`
	End   string    `json:"end"`
	Price moneyView `json:"price"`
}

type courtSlotsView struct {
	CourtID string     `json:"court_id"`
	Name    string     `json:"name"`
	Slots   []slotView `json:"slots"`
}

type availabilityView struct {
	Club            string           `json:"club"`
	Date            string           `json:"date"`
	Sport           string           `json:"sport"`
	DurationMinutes int              `json:"duration_minutes"`
	Courts          []courtSlotsView `json:"courts"`
}

func availabilityOf(d app.DayAvailability) availabilityView {
	v := availabilityView{
		Club: d.Club.Slug, Date: d.Date.String(), Sport: string(d.Sport),
		DurationMinutes: int(d.Duration / time.Minute), Courts: make([]courtSlotsView, 0, len(d.Courts)),
	}
	for _, cs := range d.Courts {
		c := courtSlotsView{CourtID: cs.Court.ID, Name: cs.Court.Name, Slots: make([]slotView, 0, len(cs.Slots))}
		for _, s := range cs.Slots {
			c.Slots = append(c.Slots, slotView{Start: clubTime(s.Start, d.Club), End: clubTime(s.End, d.Club), Price: moneyOf(s.Price, d.Club)})
		}
		v.Courts = append(v.Courts, c)
	}
	return v
}

type quoteLineView struct {
	Start  string `json:"start"`
	End    string `json:"end"`
	Amount int64  `json:"amount"`
	RuleID string `json:"rule_id"`
}

type quoteView struct {
	Lines []quoteLineView `json:"lines"`
	Total moneyView       `json:"total"`
}

func quoteOf(q domain.Quote, club domain.Club) quoteView {
	v := quoteView{Lines: make([]quoteLineView, 0, len(q.Lines)), Total: moneyOf(q.Total, club)}
	for _, l := range q.Lines {
		v.Lines = append(v.Lines, quoteLineView{Start: clubTime(l.Start, club), End: clubTime(l.End, club), Amount: l.Amount.Amount(), RuleID: l.RuleID})
	}
	return v
}

type quoteResponse struct {
	CourtID string    `json:"court_id"`
	Start   string    `json:"start"`
	End     string    `json:"end"`
	Quote   quoteView `json:"quote"`
}

type customerView struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Phone    string `json:"phone"`
	Category string `json:"category"`
}

type bookingView struct {
	ID            string       `json:"id"`
	Club          string       `json:"club"`
	CourtID       string       `json:"court_id"`
	Status        string       `json:"status"`
	Start         string       `json:"start"`
	End           string       `json:"end"`
	HoldExpiresAt string       `json:"hold_expires_at,omitempty"`
	Customer      customerView `json:"customer"`
	Quote         quoteView    `json:"quote"`
	Paid          moneyView    `json:"paid"`
	Refund        moneyView    `json:"refund"`
}

func bookingOf(b *domain.Booking, club domain.Club) bookingView {
	c := b.Customer()
	v := bookingView{
		ID: b.ID(), Club: club.Slug, CourtID: b.CourtID(), Status: string(b.Status()),
		Start: clubTime(b.Interval().Start, club), End: clubTime(b.Interval().End, club),
		Customer: customerView{Name: c.Name, Email: c.Email, Phone: c.Phone, Category: string(c.Category)},
		Quote:    quoteOf(b.Quote(), club), Paid: moneyOf(b.Paid(), club), Refund: moneyOf(b.Refund(), club),
	}
	if b.Status() == domain.StatusPending {
		v.HoldExpiresAt = clubTime(b.HoldExpiresAt(), club)
	}
	return v
}

type createdBookingResponse struct {
	Booking     bookingView `json:"booking"`
	AccessToken string      `json:"access_token"`
	CheckoutURL string      `json:"checkout_url"`
}

type bookingResponse struct {
	Booking bookingView `json:"booking"`
}

type cancelledResponse struct {
	Booking bookingView `json:"booking"`
	Refund  moneyView   `json:"refund"`
}

type bookingsResponse struct {
	Bookings []bookingView `json:"bookings"`
}

type webhookResponse struct {
	Received  bool   `json:"received"`
	Duplicate bool   `json:"duplicate"`
	Outcome   string `json:"outcome"`
}

type statusResponse struct {
	Status string `json:"status"`
}
