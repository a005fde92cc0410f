package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// adminFunc is an admin endpoint, called with the club its API key administers.
type adminFunc func(w http.ResponseWriter, r *http.Request, club domain.Club) error

// admin authenticates the request's API key for the club in the path, and takes the
// request from the key's rate limit, before fn runs. The key comes from
// "Authorization: Bearer <key>" or, failing that, "X-API-Key".
func (h *Handler) admin(fn adminFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		key := bearerToken(r.Header)
		if key == "" {
			key = r.Header.Get("X-API-Key")
		}
		club, err := h.app.Admin.Authenticate(r.Context(), r.PathValue("club"), key)
		if err != nil {
			return err
		}
		if err := h.limits.admin(w, r, key); err != nil {
			return err
		}
		return fn(w, r, club)
	}
}

// created answers a POST with the new resource; saved answers a PUT.
func (h *Handler) created(w http.ResponseWriter, r *http.Request, id string, v any) {
	w.Header().Set("Location", r.URL.Path+"/"+url.PathEscape(id))
	h.writeJSON(w, r, http.StatusCreated, v)
}

// pathID returns the {id} of a PUT and checks it against the id in the body, if any.
func pathID(r *http.Request, bodyID string) (string, error) {
	id := r.PathValue("id")
	if bodyID != "" && bodyID != id {
		return "", invalidf("id %q in the body differs from id %q in the path", bodyID, id)
	}
	return id, nil
}

// noBodyID refuses an id in the body of a POST: the server assigns ids.
func noBodyID(bodyID string) error {
	if bodyID != "" {
		return invalidf("id is assigned by the server: leave it out, or PUT to the resource to replace it")
	}
	return nil
}

// Courts.

func (h *Handler) listCourts(w http.ResponseWriter, r *http.Request, club domain.Club) error {
	cs, err := h.app.Admin.ListCourts(r.Context(), club)
	if err != nil {
		return err
	}
	out := courtsResponse{Courts: make([]courtJSON, 0, len(cs))}
	for _, c := range cs {
		out.Courts = append(out.Courts, courtOf(c))
	}
	h.writeJSON(w, r, http.StatusOK, out)
	return nil
}

func (h *Handler) createCourt(w http.ResponseWriter, r *http.Request, club domain.Club) error {
	c, err := h.readCourt(w, r)
	if err != nil {
		return err
	}
	if err := noBodyID(c.ID); err != nil {
		return err
	}
	saved, err := h.app.Admin.SaveCourt(r.Context(), club, c)
	if err != nil {
		return err
	}
	h.created(w, r, saved.ID, courtOf(saved))
	return nil
}

func (h *Handler) replaceCourt(w http.ResponseWriter, r *http.Request, club domain.Club) error {
	c, err := h.readCourt(w, r)
	if err != nil {
		return err
	}
	if c.ID, err = pathID(r, c.ID); err != nil {
		return err
	}
	saved, err := h.app.Admin.SaveCourt(r.Context(), club, c)
	if err != nil {
		return err
	}
	h.writeJSON(w, r, http.StatusOK, courtOf(saved))
	return nil
}

func (h *Handler) readCourt(w http.ResponseWriter, r *http.Request) (domain.Court, error) {
	body, err := h.readBody(w, r)
	if err != nil {
		return domain.Court{}, err
	}
	return decodeCourt(body)
}

// Seasons.

func (h *Handler) listSeasons(w http.ResponseWriter, r *http.Request, club domain.Club) error {
	ss, err := h.app.Admin.ListSeasons(r.Context(), club)
	if err != nil {
		return err
	}
	out := seasonsResponse{Seasons: make([]seasonView, 0, len(ss))}
	for _, s := range ss {
		out.Seasons = append(out.Seasons, seasonOf(s))
	}
	h.writeJSON(w, r, http.StatusOK, out)
	return nil
}

func (h *Handler) createSeason(w http.ResponseWriter, r *http.Request, club domain.Club) error {
	s, err := h.readSeason(w, r)
	if err != nil {
		return err
	}
	if err := noBodyID(s.ID); err != nil {
		return err
	}
	saved, err := h.app.Admin.SaveSeason(r.Context(), club, s)
	if err != nil {
		return err
	}
	h.created(w, r, saved.ID, seasonOf(saved))
	return nil
}

func (h *Handler) replaceSeason(w http.ResponseWriter, r *http.Request, club domain.Club) error {
	s, err := h.readSeason(w, r)
	if err != nil {
		return err
	}
	if s.ID, err = pathID(r, s.ID); err != nil {
		return err
	}
	saved, err := h.app.Admin.SaveSeason(r.Context(), club, s)
	if err != nil {
		return err
	}
	h.writeJSON(w, r, http.StatusOK, seasonOf(saved))
	return nil
}

func (h *Handler) deleteSeason(w http.ResponseWriter, r *http.Request, club domain.Club) error {
	if err := h.app.Admin.DeleteSeason(r.Context(), club, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) readSeason(w http.ResponseWriter, r *http.Request) (domain.Season, error) {
	body, err := h.readBody(w, r)
	if err != nil {
		return domain.Season{}, err
	}
	return decodeSeason(body)
}

// Closures.

func (h *Handler) listClosures(w http.ResponseWriter, r *http.Request, club domain.Club) error {
	from, to, err := parseRange(r.URL.Query(), club.Location)
	if err != nil {
		return err
	}
	cs, err := h.app.Admin.ListClosures(r.Context(), club, from, to)
	if err != nil {
		return err
	}
	out := closuresResponse{Closures: make([]closureJSON, 0, len(cs))}
	for _, c := range cs {
		out.Closures = append(out.Closures, closureOf(c, club))
	}
	h.writeJSON(w, r, http.StatusOK, out)
	return nil
}

func (h *Handler) createClosure(w http.ResponseWriter, r *http.Request, club domain.Club) error {
	c, err := h.readClosure(w, r)
	if err != nil {
		return err
	}
	if err := noBodyID(c.ID); err != nil {
		return err
	}
	saved, err := h.app.Admin.SaveClosure(r.Context(), club, c)
	if err != nil {
		return err
	}
	h.created(w, r, saved.ID, closureOf(saved, club))
	return nil
}

func (h *Handler) replaceClosure(w http.ResponseWriter, r *http.Request, club domain.Club) error {
	c, err := h.readClosure(w, r)
	if err != nil {
		return err
	}
	if c.ID, err = pathID(r, c.ID); err != nil {
		return err
	}
	saved, err := h.app.Admin.SaveClosure(r.Context(), club, c)
	if err != nil {
		return err
	}
	h.writeJSON(w, r, http.StatusOK, closureOf(saved, club))
	return nil
}

func (h *Handler) deleteClosure(w http.ResponseWriter, r *http.Request, club domain.Club) error {
	if err := h.app.Admin.DeleteClosure(r.Context(), club, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) readClosure(w http.ResponseWriter, r *http.Request) (domain.Closure, error) {
	body, err := h.readBody(w, r)
	if err != nil {
		return domain.Closure{}, err
	}
	return decodeClosure(body)
}

// Price rules.

func (h *Handler) listPriceRules(w http.ResponseWriter, r *http.Request, club domain.Club) error {
	rs, err := h.app.Admin.ListPriceRules(r.Context(), club)
	if err != nil {
		return err
	}
	out := priceRulesResponse{PriceRules: make([]priceRuleJSON, 0, len(rs))}
	for _, pr := range rs {
		out.PriceRules = append(out.PriceRules, priceRuleOf(pr, club))
	}
	h.writeJSON(w, r, http.StatusOK, out)
	return nil
}

func (h *Handler) createPriceRule(w http.ResponseWriter, r *http.Request, club domain.Club) error {
	pr, err := h.readPriceRule(w, r, club)
	if err != nil {
		return err
	}
	if err := noBodyID(pr.ID); err != nil {
		return err
	}
	saved, err := h.app.Admin.SavePriceRule(r.Context(), club, pr)
	if err != nil {
		return err
	}
	h.created(w, r, saved.ID, priceRuleOf(saved, club))
	return nil
}

func (h *Handler) replacePriceRule(w http.ResponseWriter, r *http.Request, club domain.Club) error {
	pr, err := h.readPriceRule(w, r, club)
	if err != nil {
		return err
	}
	if pr.ID, err = pathID(r, pr.ID); err != nil {
		return err
	}
	saved, err := h.app.Admin.SavePriceRule(r.Context(), club, pr)
	if err != nil {
		return err
	}
	h.writeJSON(w, r, http.StatusOK, priceRuleOf(saved, club))
	return nil
}

func (h *Handler) deletePriceRule(w http.ResponseWriter, r *http.Request, club domain.Club) error {
	if err := h.app.Admin.DeletePriceRule(r.Context(), club, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) readPriceRule(w http.ResponseWriter, r *http.Request, club domain.Club) (domain.PriceRule, error) {
	body, err := h.readBody(w, r)
	if err != nil {
		return domain.PriceRule{}, err
	}
	return decodePriceRule(body, club.Currency)
}

// Bookings.

// maxListLimit is the largest page of bookings an admin may ask for.
const maxListLimit = 1000

// parseBookingFilter parses from, to, status, court_id and limit of a bookings listing;
// dates in from and to are the club's (loc).
func parseBookingFilter(q url.Values, loc *time.Location) (ports.BookingFilter, error) {
	var f ports.BookingFilter
	var err error
	if f.From, f.To, err = parseRange(q, loc); err != nil {
		return f, err
	}
	status, err := single(q, "status")
	if err != nil {
		return f, err
	}
	switch s := domain.Status(status); s {
	case "", domain.StatusPending, domain.StatusConfirmed, domain.StatusCompleted, domain.StatusNoShow, domain.StatusExpired, domain.StatusCancelled:
		f.Status = s
	default:
		return f, invalidf("query parameter status=%q must be one of pending, confirmed, completed, no_show, expired, cancelled", status)
	}
	if f.CourtID, err = single(q, "court_id"); err != nil {
		return f, err
	}
	limit, err := single(q, "limit")
	if err != nil {
		return f, err
	}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > maxListLimit {
			return f, invalidf("query parameter limit=%q must be a whole number from 1 to %d", limit, maxListLimit)
		}
		f.Limit = n
	}
	return f, nil
}

func (h *Handler) listBookings(w http.ResponseWriter, r *http.Request, club domain.Club) error {
	f, err := parseBookingFilter(r.URL.Query(), club.Location)
	if err != nil {
		return err
	}
	bs, err := h.app.Admin.ListBookings(r.Context(), club, f)
	if err != nil {
		return err
	}
	out := bookingsResponse{Bookings: make([]bookingView, 0, len(bs))}
	for _, b := range bs {
		out.Bookings = append(out.Bookings, bookingOf(b, club))
	}
	h.writeJSON(w, r, http.StatusOK, out)
	return nil
}

func (h *Handler) markNoShow(w http.ResponseWriter, r *http.Request, club domain.Club) error {
	b, err := h.app.Admin.MarkNoShow(r.Context(), club, r.PathValue("id"))
	if err != nil {
		return err
	}
	h.writeJSON(w, r, http.StatusOK, bookingResponse{Booking: bookingOf(b, club)})
	return nil
}
