package httpapi

import (
	"context"
	_ "embed" // openapi.yaml
	"net/http"
	"net/url"
	"time"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
)

//go:embed openapi.yaml
var openapiYAML []byte

func (h *Handler) healthz(w http.ResponseWriter, r *http.Request) error {
	h.writeJSON(w, r, http.StatusOK, statusResponse{Status: "ok"})
	return nil
}

func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) error {
	if h.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := h.ready(ctx); err != nil {
			// writeError logs the cause, once for an outage however often it is probed.
			return domain.Errorf(domain.CodeUnavailable, "the server is not ready to serve requests: %w", err)
		}
	}
	h.writeJSON(w, r, http.StatusOK, statusResponse{Status: "ok"})
	return nil
}

func (h *Handler) openapi(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(openapiYAML)
	return nil
}

// availabilityQuery is a parsed GET …/availability query.
type availabilityQuery struct {
	Date     domain.LocalDate
	Sport    domain.Sport
	Duration time.Duration
	Category domain.CustomerCategory
}

// parseAvailabilityQuery parses date=YYYY-MM-DD&sport=padel&duration=90[&category=member].
func parseAvailabilityQuery(q url.Values) (availabilityQuery, error) {
	var out availabilityQuery
	date, err := single(q, "date")
	if err != nil {
		return out, err
	}
	if date == "" {
		return out, invalidf("query parameter date is required: a date such as 2026-03-14")
	}
	if out.Date, err = domain.ParseLocalDate(date); err != nil {
		return out, invalidf("query parameter date=%q is not a date in the form YYYY-MM-DD", date)
	}
	sport, err := single(q, "sport")
	if err != nil {
		return out, err
	}
	if sport == "" {
		return out, invalidf("query parameter sport is required, such as padel")
	}
	if out.Sport, err = domain.ParseSport(sport); err != nil {
		return out, err
	}
	duration, err := single(q, "duration")
	if err != nil {
		return out, err
	}
	if out.Duration, err = parseMinutesParam("duration", duration); err != nil {
		return out, err
	}
	category, err := single(q, "category")
	if err != nil {
		return out, err
	}
	if out.Category, err = publicCategory(category); err != nil {
		return out, err
	}
	return out, nil
}

// publicCategory parses the category a public request names. The public API cannot
// tell a member from someone who says they are one, so it prices every customer as a
// guest; a composition root that authenticates members calls the use cases with
// domain.CategoryMember itself.
func publicCategory(s string) (domain.CustomerCategory, error) {
	cat, err := domain.ParseCategory(s)
	if err != nil {
		return "", err
	}
	if cat == domain.CategoryMember {
		return "", domain.Errorf(domain.CodeForbidden, "member prices need a verified membership; the public API prices as a guest")
	}
	return cat, nil
}

func (h *Handler) availability(w http.ResponseWriter, r *http.Request) error {
	q, err := parseAvailabilityQuery(r.URL.Query())
	if err != nil {
		return err
	}
	aq := app.AvailabilityQuery{ClubSlug: r.PathValue("club"), Date: q.Date, Sport: q.Sport, Duration: q.Duration, Category: q.Category}
	key := answerKey{club: aq.ClubSlug, date: q.Date, sport: q.Sport, duration: q.Duration, category: q.Category}
	// A kept answer is served while the use case's version of it holds: reading the
	// version costs a few in-process cache reads, computing the answer a hundred
	// microseconds and encoding it as much again.
	if e, ok := h.answers.get(key); ok {
		if v, err := h.app.Availability.Version(r.Context(), aq); err == nil && e.holds(v) {
			h.answers.serve(w, r, e)
			return nil
		}
	}
	day, err := h.app.Availability.Get(r.Context(), aq)
	if err != nil {
		return err
	}
	e, err := newAnswer(day)
	if err != nil {
		return err
	}
	h.answers.add(key, e)
	h.answers.serve(w, r, e)
	return nil
}

// bookingJSON is the body of a booking or quote request.
type bookingJSON struct {
	CourtID         string        `json:"court_id"`
	Start           string        `json:"start"`
	DurationMinutes int           `json:"duration_minutes"`
	Customer        *customerJSON `json:"customer"`
}

type customerJSON struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Phone    string `json:"phone"`
	Category string `json:"category"`
}

// slotRequest is a court, a start and a duration, as a booking or a quote names them.
type slotRequest struct {
	CourtID  string
	Start    time.Time
	Duration time.Duration
}

// bookingRequest is a decoded booking request.
type bookingRequest struct {
	slotRequest
	Customer app.CustomerInput
}

// quoteRequest is a decoded quote request: a booking's slot and the customer's category.
type quoteRequest struct {
	slotRequest
	Category domain.CustomerCategory
}

func decodeSlot(body []byte) (bookingJSON, slotRequest, error) {
	var in bookingJSON
	if err := decodeJSON(body, &in); err != nil {
		return in, slotRequest{}, err
	}
	if in.CourtID == "" {
		return in, slotRequest{}, invalidf("court_id is required")
	}
	start, err := parseInstant("start", in.Start)
	if err != nil {
		return in, slotRequest{}, err
	}
	d, err := minutes("duration_minutes", in.DurationMinutes)
	if err != nil {
		return in, slotRequest{}, err
	}
	return in, slotRequest{CourtID: in.CourtID, Start: start, Duration: d}, nil
}

// decodeBooking decodes {"court_id","start","duration_minutes","customer":{…}}.
// The customer's name and email are checked by the use case, with the club's rules.
func decodeBooking(body []byte) (bookingRequest, error) {
	in, slot, err := decodeSlot(body)
	if err != nil {
		return bookingRequest{}, err
	}
	if in.Customer == nil {
		return bookingRequest{}, invalidf("customer is required: {\"name\", \"email\", \"phone\", \"category\"}")
	}
	cat, err := publicCategory(in.Customer.Category)
	if err != nil {
		return bookingRequest{}, err
	}
	c := in.Customer
	return bookingRequest{slotRequest: slot, Customer: app.CustomerInput{Name: c.Name, Email: c.Email, Phone: c.Phone, Category: cat}}, nil
}

// decodeQuote decodes the body of a booking request; only the customer's category
// matters to the price, so the customer may be left out.
func decodeQuote(body []byte) (quoteRequest, error) {
	in, slot, err := decodeSlot(body)
	if err != nil {
		return quoteRequest{}, err
	}
	cat := domain.CategoryGuest
	if in.Customer != nil {
		if cat, err = publicCategory(in.Customer.Category); err != nil {
			return quoteRequest{}, err
		}
	}
	return quoteRequest{slotRequest: slot, Category: cat}, nil
}

func (h *Handler) quote(w http.ResponseWriter, r *http.Request) error {
	body, err := h.readBody(w, r)
	if err != nil {
		return err
	}
	req, err := decodeQuote(body)
	if err != nil {
		return err
	}
	res, err := h.app.Availability.Quote(r.Context(), app.QuoteCommand{
		ClubSlug: r.PathValue("club"), CourtID: req.CourtID, Start: req.Start, Duration: req.Duration, Category: req.Category,
	})
	if err != nil {
		return err
	}
	h.writeJSON(w, r, http.StatusOK, quoteResponse{
		CourtID: req.CourtID, Start: clubTime(req.Start, res.Club), End: clubTime(req.Start.Add(req.Duration), res.Club), Quote: quoteOf(res.Quote, res.Club),
	})
	return nil
}

func (h *Handler) createBooking(w http.ResponseWriter, r *http.Request) error {
	key, err := parseIdempotencyKey(r.Header.Values("Idempotency-Key"))
	if err != nil {
		return err
	}
	body, err := h.readBody(w, r)
	if err != nil {
		return err
	}
	req, err := decodeBooking(body)
	if err != nil {
		return err
	}
	res, err := h.app.Bookings.Create(r.Context(), app.CreateBookingCommand{
		ClubSlug: r.PathValue("club"), CourtID: req.CourtID, Start: req.Start, Duration: req.Duration,
		Customer: req.Customer, IdempotencyKey: key,
	})
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if res.Replayed {
		status = http.StatusOK
	}
	// The body carries the customer's access token.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", "/v1/bookings/"+url.PathEscape(res.Booking.ID()))
	h.writeJSON(w, r, status, createdBookingResponse{
		Booking: bookingOf(res.Booking, res.Club), AccessToken: res.AccessToken, CheckoutURL: res.CheckoutURL,
	})
	return nil
}

func (h *Handler) getBooking(w http.ResponseWriter, r *http.Request) error {
	res, err := h.app.Bookings.Get(r.Context(), r.PathValue("id"), bearerToken(r.Header))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	h.writeJSON(w, r, http.StatusOK, bookingResponse{Booking: bookingOf(res.Booking, res.Club)})
	return nil
}

func (h *Handler) cancelBooking(w http.ResponseWriter, r *http.Request) error {
	res, err := h.app.Bookings.Cancel(r.Context(), r.PathValue("id"), bearerToken(r.Header))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	h.writeJSON(w, r, http.StatusOK, cancelledResponse{Booking: bookingOf(res.Booking, res.Club), Refund: moneyOf(res.Refund, res.Club)})
	return nil
}

func (h *Handler) webhook(w http.ResponseWriter, r *http.Request) error {
	body, err := h.readBody(w, r)
	if err != nil {
		return err
	}
	res, err := h.app.Payments.HandleWebhook(r.Context(), r.PathValue("gateway"), r.Header, body)
	if err != nil {
		return err
	}
	h.writeJSON(w, r, http.StatusOK, webhookResponse{Received: true, Duplicate: res.Duplicate, Outcome: res.Outcome})
	return nil
}
