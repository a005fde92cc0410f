package httpapi

import (
	"net/http"
	"strconv"

	"github.com/matchpoint/matchpoint/domain"
)

// Refunds owed to the club's customers: listed for the club to see what it owes and
// what needs its attention, and retried once it has fixed the cause.

type refundView struct {
	ID         string    `json:"id"`
	BookingID  string    `json:"booking_id"`
	Amount     moneyView `json:"amount"`
	Reason     string    `json:"reason"`
	State      string    `json:"state"`
	Attempts   int       `json:"attempts"`
	LastError  string    `json:"last_error,omitempty"`
	NextTry    string    `json:"next_attempt_at,omitempty"` // only while owed
	ProviderID string    `json:"provider_refund_id,omitempty"`
	CreatedAt  string    `json:"created_at"`
	UpdatedAt  string    `json:"updated_at"`
}

type refundsResponse struct {
	Refunds []refundView `json:"refunds"`
}

type refundResponse struct {
	Refund refundView `json:"refund"`
}

func refundOf(r *domain.Refund, club domain.Club) refundView {
	v := refundView{
		ID: r.ID(), BookingID: r.BookingID(), Amount: moneyOf(r.Amount(), club), Reason: r.Reason(),
		State: string(r.State()), Attempts: r.Attempts(), LastError: r.LastError(), ProviderID: r.ProviderID(),
		CreatedAt: clubTime(r.CreatedAt(), club), UpdatedAt: clubTime(r.UpdatedAt(), club),
	}
	if !r.NextAttemptAt().IsZero() {
		v.NextTry = clubTime(r.NextAttemptAt(), club)
	}
	return v
}

func (h *Handler) listRefunds(w http.ResponseWriter, r *http.Request, club domain.Club) error {
	q := r.URL.Query()
	state, err := single(q, "state")
	if err != nil {
		return err
	}
	if s := domain.RefundState(state); s != "" && !s.Known() {
		return invalidf("query parameter state=%q must be one of owed, issued, attention", state)
	}
	limit, err := single(q, "limit")
	if err != nil {
		return err
	}
	n := 0
	if limit != "" {
		if n, err = strconv.Atoi(limit); err != nil || n < 1 || n > maxListLimit {
			return invalidf("query parameter limit=%q must be a whole number from 1 to %d", limit, maxListLimit)
		}
	}
	rs, err := h.app.Admin.ListRefunds(r.Context(), club, domain.RefundState(state), n)
	if err != nil {
		return err
	}
	out := refundsResponse{Refunds: make([]refundView, 0, len(rs))}
	for _, f := range rs {
		out.Refunds = append(out.Refunds, refundOf(f, club))
	}
	h.writeJSON(w, r, http.StatusOK, out)
	return nil
}

func (h *Handler) retryRefund(w http.ResponseWriter, r *http.Request, club domain.Club) error {
	f, err := h.app.Admin.RetryRefund(r.Context(), club, r.PathValue("id"))
	if err != nil {
		return err
	}
	h.writeJSON(w, r, http.StatusOK, refundResponse{Refund: refundOf(f, club)})
	return nil
}
