package mptest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/matchpoint/matchpoint/domain"
)

func apiError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"message": message, "error": code, "status": status, "cause": []any{}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// nextIDLocked returns a new id for a resource.
func (a *Account) nextIDLocked() int64 {
	a.seq++
	return a.seq
}

func (a *Account) createPreference(w http.ResponseWriter, r *http.Request) {
	var req prefRequest
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", "invalid body: "+err.Error())
		return
	}
	if len(req.Items) == 0 {
		apiError(w, http.StatusBadRequest, "bad_request", "items needed")
		return
	}
	for _, it := range req.Items {
		price, err := moneyOf(it.UnitPrice, domain.MustCurrency("ARS"))
		if err != nil || price.Amount() <= 0 || it.Quantity <= 0 || it.CurrencyID != "ARS" {
			apiError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("invalid item: unit_price %s, quantity %d, currency %q", it.UnitPrice, it.Quantity, it.CurrencyID))
			return
		}
	}
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	id := fmt.Sprintf("%d-%08x-5f3c-4e1b-9a7d-%012x", collectorID, a.nextIDLocked(), now.UnixNano()&0xffffffffffff)
	p := &prefJSON{
		ID:                 id,
		CollectorID:        collectorID,
		ClientID:           "6295877106812064",
		SiteID:             "MLA",
		OperationType:      "regular_payment",
		ExternalReference:  req.ExternalReference,
		NotificationURL:    req.NotificationURL,
		InitPoint:          "https://www.mercadopago.com.ar/checkout/v1/redirect?pref_id=" + id,
		SandboxInitPoint:   "https://sandbox.mercadopago.com.ar/checkout/v1/redirect?pref_id=" + id,
		Items:              req.Items,
		AutoReturn:         req.AutoReturn,
		Expires:            req.Expires,
		ExpirationDateFrom: mpTimePtr(req.ExpirationDateFrom),
		ExpirationDateTo:   mpTimePtr(req.ExpirationDateTo),
		DateOfExpiration:   mpTimePtr(req.DateOfExpiration),
		DateCreated:        mpTime(now),
		Metadata:           req.Metadata,
	}
	if req.Payer != nil {
		p.Payer.Email = req.Payer.Email
	}
	if req.BackURLs != nil {
		p.BackURLs = *req.BackURLs
	}
	a.prefs[id] = p
	writeJSON(w, http.StatusCreated, p)
}

func (a *Account) searchPreferences(w http.ResponseWriter, r *http.Request) {
	ref := r.URL.Query().Get("external_reference")
	a.mu.Lock()
	defer a.mu.Unlock()
	elements := []prefSummary{}
	for _, p := range a.prefs {
		if a.lagSearch || (ref != "" && p.ExternalReference != ref) {
			continue
		}
		titles := []string{}
		for _, it := range p.Items {
			titles = append(titles, it.Title)
		}
		elements = append(elements, prefSummary{
			ID: p.ID, ExternalReference: p.ExternalReference, DateCreated: p.DateCreated,
			CollectorID: collectorID, SiteID: "MLA", Items: titles, Expires: p.Expires,
		})
	}
	slices.SortFunc(elements, func(a, b prefSummary) int { return strings.Compare(b.DateCreated, a.DateCreated) })
	writeJSON(w, http.StatusOK, map[string]any{"elements": elements, "total": len(elements), "next_offset": len(elements)})
}

func (a *Account) getPreference(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.prefs[r.PathValue("id")]
	if !ok {
		apiError(w, http.StatusNotFound, "not_found", "Preference not found")
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// updatePreference changes a preference's expiration, the part of PUT
// /checkout/preferences/{id} the gateway uses; other fields are answered 501, since
// the account does not model them. A preference updated to have lapsed by now is
// closed: payments of it are refused (see TryPay).
func (a *Account) updatePreference(w http.ResponseWriter, r *http.Request) {
	var req map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", "invalid body: "+err.Error())
		return
	}
	var upd struct {
		Expires            *bool      `json:"expires"`
		ExpirationDateFrom *time.Time `json:"expiration_date_from"`
		ExpirationDateTo   *time.Time `json:"expiration_date_to"`
		DateOfExpiration   *time.Time `json:"date_of_expiration"`
	}
	for k, v := range req {
		if err := json.Unmarshal([]byte(`{"`+k+`":`+string(v)+`}`), &upd); err != nil {
			apiError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("invalid %s: %v", k, err))
			return
		}
		switch k {
		case "expires", "expiration_date_from", "expiration_date_to", "date_of_expiration":
		default:
			apiError(w, http.StatusNotImplemented, "not_implemented", "the stand-in updates the expiration of a preference only, not "+k)
			return
		}
	}
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.prefs[r.PathValue("id")]
	if !ok {
		apiError(w, http.StatusNotFound, "not_found", "Preference not found")
		return
	}
	if upd.Expires != nil {
		p.Expires = *upd.Expires
	}
	if upd.ExpirationDateFrom != nil {
		p.ExpirationDateFrom = mpTimePtr(upd.ExpirationDateFrom)
	}
	if upd.ExpirationDateTo != nil {
		p.ExpirationDateTo = mpTimePtr(upd.ExpirationDateTo)
	}
	if upd.DateOfExpiration != nil {
		p.DateOfExpiration = mpTimePtr(upd.DateOfExpiration)
	}
	p.closed = p.Expires && upd.ExpirationDateTo != nil && !now.Before(*upd.ExpirationDateTo)
	writeJSON(w, http.StatusOK, p)
}

func (a *Account) searchPayments(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 {
		limit = 30
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	results := []paymentJSON{}
	for _, p := range a.payments {
		if ref := q.Get("external_reference"); ref == "" || p.json.ExternalReference == ref {
			results = append(results, p.render())
		}
	}
	slices.SortFunc(results, func(a, b paymentJSON) int {
		if q.Get("criteria") == "desc" {
			a, b = b, a
		}
		return strings.Compare(a.DateCreated, b.DateCreated)
	})
	total := len(results)
	results = results[:min(limit, total)]
	writeJSON(w, http.StatusOK, map[string]any{
		"paging":  map[string]int{"total": total, "limit": limit, "offset": 0},
		"results": results,
	})
}

func (a *Account) getPayment(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.payments[id]
	if !ok {
		apiError(w, http.StatusNotFound, "not_found", "Payment not found")
		return
	}
	writeJSON(w, http.StatusOK, p.render())
}

func (a *Account) createRefund(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var req struct {
		Amount *json.Number `json:"amount"`
	}
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		apiError(w, http.StatusBadRequest, "bad_request", "invalid body: "+err.Error())
		return
	}
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.payments[id]
	if !ok {
		apiError(w, http.StatusNotFound, "not_found", "Payment not found")
		return
	}
	amount := domain.NewMoney(p.amount.Amount()-p.refunded, p.amount.Currency())
	if req.Amount != nil {
		m, err := moneyOf(*req.Amount, p.amount.Currency())
		if err != nil || m.Amount() <= 0 {
			apiError(w, http.StatusBadRequest, "bad_request", "Invalid refund amount")
			return
		}
		amount = m
	}
	re, refusal := a.refundLocked(p, amount, now, "API")
	if refusal != "" {
		apiError(w, http.StatusBadRequest, "bad_request", refusal)
		return
	}
	writeJSON(w, http.StatusCreated, re)
}

// refundLocked refunds amount of p as the club, through source ("API" or
// "Dashboard"), or returns MercadoPago's message for why it would not.
func (a *Account) refundLocked(p *payment, amount domain.Money, now time.Time, source string) (re refundJSON, refusal string) {
	switch {
	case p.json.Status != "approved":
		return refundJSON{}, "Payment not refundable: it is " + p.json.Status
	case amount.Currency() != p.amount.Currency() || amount.Amount() <= 0:
		return refundJSON{}, fmt.Sprintf("Invalid refund amount %s %s of a payment in %s", decimalOf(amount), amount.Currency(), p.amount.Currency())
	case p.refunded+amount.Amount() > p.amount.Amount():
		return refundJSON{}, "Refund amount exceeds the available balance"
	}
	re = refundJSON{
		ID: a.nextIDLocked(), PaymentID: p.json.ID, Amount: decimalOf(amount), Status: "approved",
		RefundMode: "standard", AdjustmentAmount: "0", DateCreated: mpTime(now),
	}
	re.Source.ID, re.Source.Name, re.Source.Type = strconv.Itoa(collectorID), source, "collector"
	p.refunds = append(p.refunds, re)
	p.refunded += amount.Amount()
	p.json.StatusDetail = "partially_refunded"
	if p.refunded == p.amount.Amount() {
		p.json.Status, p.json.StatusDetail = "refunded", "refunded"
	}
	p.json.DateLastUpdated = mpTime(now)
	return re, ""
}
