package mercadopago_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeAPI is a local stand-in for the part of MercadoPago's API the gateway uses,
// keeping preferences, payments and refunds in memory. Its requests and responses
// have the shapes of the SDK's types (preference.Request and Response,
// preference.PagingResponse, payment.Response and SearchResponse, refund.Request
// and Response), with MercadoPago's conventions: dates with milliseconds and the
// site's offset, amounts as JSON decimals in major units, errors as
// {"message","error","status","cause"}, X-Idempotency-Key answered with the first
// response. Amounts are kept in cents (the fake speaks ARS) and read from the
// request's decimal text, so that a float that drifted would show.
//
//	POST /checkout/preferences          create a preference (201)
//	GET  /checkout/preferences/search   preferences by external_reference
//	GET  /checkout/preferences/{id}     one preference
//	GET  /v1/payments/search            payments by external_reference, sort, criteria
//	GET  /v1/payments/{id}              one payment
//	POST /v1/payments/{id}/refunds      refund all or an amount of an approved payment (201)
//
// Payments are made by the test (pay), as a customer would on the checkout page,
// and notify returns the signed notification MercadoPago would then deliver.
type fakeAPI struct {
	*httptest.Server
	token string

	mu             sync.Mutex
	seq            int64
	prefs          map[string]*fakePref
	payments       map[int64]*fakePayment
	replies        map[string]reply // by idempotency key
	requests       []*http.Request  // clones, bodies read into bodies
	bodies         [][]byte
	searchLag      bool          // preference search finds nothing yet, like an index that lags
	ignorePrefKeys bool          // preference creation ignores X-Idempotency-Key
	failWith       int           // every request fails with this status, when set
	hold           chan struct{} // requests wait for it to close, when set
}

type fakePref struct {
	json    prefJSON
	created time.Time
}

type fakePayment struct {
	json     paymentJSON
	amount   int64 // cents
	refunded int64 // cents
	refunds  []refundJSON
}

type reply struct {
	path   string
	status int
	body   []byte
}

// buenosAires is the offset MercadoPago Argentina dates its resources in.
var buenosAires = time.FixedZone("ART", -3*60*60)

// mpTime formats t as the API does: "2030-01-05T16:00:00.000-03:00".
func mpTime(t time.Time) string { return t.In(buenosAires).Format("2006-01-02T15:04:05.000-07:00") }

func mpTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := mpTime(*t)
	return &s
}

// decimalNumber renders cents as the API's decimal: 16000, 16000.5, 0.01.
func decimalNumber(cents int64) json.Number {
	s := fmt.Sprintf("%d.%02d", cents/100, cents%100)
	s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	return json.Number(s)
}

// centsOf reads a decimal in major units exactly: "12345.67" is 1234567.
func centsOf(n json.Number) (int64, error) {
	whole, frac, _ := strings.Cut(n.String(), ".")
	if len(frac) > 2 || strings.ContainsAny(n.String(), "eE") {
		return 0, fmt.Errorf("amount %s is not a decimal in cents", n)
	}
	return strconv.ParseInt(whole+frac+strings.Repeat("0", 2-len(frac)), 10, 64)
}

type itemJSON struct {
	ID          string      `json:"id"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	CurrencyID  string      `json:"currency_id"`
	UnitPrice   json.Number `json:"unit_price"`
	Quantity    int         `json:"quantity"`
}

type backURLsJSON struct {
	Success string `json:"success"`
	Pending string `json:"pending"`
	Failure string `json:"failure"`
}

// prefRequest is the body of POST /checkout/preferences (preference.Request).
type prefRequest struct {
	ExternalReference string     `json:"external_reference"`
	NotificationURL   string     `json:"notification_url"`
	Items             []itemJSON `json:"items"`
	Payer             *struct {
		Email string `json:"email"`
	} `json:"payer"`
	BackURLs           *backURLsJSON  `json:"back_urls"`
	AutoReturn         string         `json:"auto_return"`
	Expires            bool           `json:"expires"`
	ExpirationDateFrom *time.Time     `json:"expiration_date_from"`
	ExpirationDateTo   *time.Time     `json:"expiration_date_to"`
	DateOfExpiration   *time.Time     `json:"date_of_expiration"`
	Metadata           map[string]any `json:"metadata"`
}

// prefJSON is a preference (preference.Response).
type prefJSON struct {
	ID                string     `json:"id"`
	CollectorID       int64      `json:"collector_id"`
	ClientID          string     `json:"client_id"`
	SiteID            string     `json:"site_id"`
	OperationType     string     `json:"operation_type"`
	ExternalReference string     `json:"external_reference"`
	NotificationURL   string     `json:"notification_url"`
	InitPoint         string     `json:"init_point"`
	SandboxInitPoint  string     `json:"sandbox_init_point"`
	Items             []itemJSON `json:"items"`
	Payer             struct {
		Email string `json:"email"`
	} `json:"payer"`
	BackURLs           backURLsJSON   `json:"back_urls"`
	AutoReturn         string         `json:"auto_return"`
	Expires            bool           `json:"expires"`
	ExpirationDateFrom *string        `json:"expiration_date_from"`
	ExpirationDateTo   *string        `json:"expiration_date_to"`
	DateOfExpiration   *string        `json:"date_of_expiration"`
	DateCreated        string         `json:"date_created"`
	Metadata           map[string]any `json:"metadata"`
}

// prefSummary is an element of a preference search (preference.SearchResponse).
type prefSummary struct {
	ID                string   `json:"id"`
	ExternalReference string   `json:"external_reference"`
	DateCreated       string   `json:"date_created"`
	CollectorID       int64    `json:"collector_id"`
	SiteID            string   `json:"site_id"`
	Items             []string `json:"items"`
	Expires           bool     `json:"expires"`
	LiveMode          bool     `json:"live_mode"`
}

// paymentJSON is a payment (payment.Response).
type paymentJSON struct {
	ID                        int64          `json:"id"`
	Status                    string         `json:"status"`
	StatusDetail              string         `json:"status_detail"`
	ExternalReference         string         `json:"external_reference"`
	Description               string         `json:"description"`
	CurrencyID                string         `json:"currency_id"`
	TransactionAmount         json.Number    `json:"transaction_amount"`
	TransactionAmountRefunded json.Number    `json:"transaction_amount_refunded"`
	PaymentMethodID           string         `json:"payment_method_id"`
	PaymentTypeID             string         `json:"payment_type_id"`
	OperationType             string         `json:"operation_type"`
	CollectorID               int64          `json:"collector_id"`
	LiveMode                  bool           `json:"live_mode"`
	Captured                  bool           `json:"captured"`
	DateCreated               string         `json:"date_created"`
	DateApproved              *string        `json:"date_approved"`
	DateLastUpdated           string         `json:"date_last_updated"`
	Order                     map[string]any `json:"order"`
	Metadata                  map[string]any `json:"metadata"`
	Refunds                   []refundJSON   `json:"refunds"`
}

// refundJSON is a refund (refund.Response).
type refundJSON struct {
	ID                   int64       `json:"id"`
	PaymentID            int64       `json:"payment_id"`
	Amount               json.Number `json:"amount"`
	Status               string      `json:"status"`
	RefundMode           string      `json:"refund_mode"`
	UniqueSequenceNumber *string     `json:"unique_sequence_number"`
	AdjustmentAmount     json.Number `json:"adjustment_amount"`
	DateCreated          string      `json:"date_created"`
	Source               struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"source"`
}

const collectorID = 202809963

func newFakeAPI(t *testing.T, token string) *fakeAPI {
	t.Helper()
	api := &fakeAPI{
		token:    token,
		seq:      20_000_000_000,
		prefs:    map[string]*fakePref{},
		payments: map[int64]*fakePayment{},
		replies:  map[string]reply{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /checkout/preferences", api.createPreference)
	mux.HandleFunc("GET /checkout/preferences/search", api.searchPreferences)
	mux.HandleFunc("GET /checkout/preferences/{id}", api.getPreference)
	mux.HandleFunc("GET /v1/payments/search", api.searchPayments)
	mux.HandleFunc("GET /v1/payments/{id}", api.getPayment)
	mux.HandleFunc("POST /v1/payments/{id}/refunds", api.refund)
	api.Server = httptest.NewServer(api.middleware(mux))
	t.Cleanup(api.Close)
	return api
}

// middleware records each request, checks its credentials and idempotency key, and
// answers a repeated key with the first response.
func (api *fakeAPI) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		api.mu.Lock()
		api.requests = append(api.requests, r.Clone(r.Context()))
		api.bodies = append(api.bodies, body)
		failWith, hold := api.failWith, api.hold
		api.mu.Unlock()
		if hold != nil {
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		switch {
		case failWith != 0:
			apiError(w, failWith, "internal_error", "the fake was told to fail")
			return
		case r.Header.Get("Authorization") != "Bearer "+api.token:
			apiError(w, http.StatusUnauthorized, "unauthorized", "invalid access token")
			return
		case r.Method != http.MethodPost:
			next.ServeHTTP(w, r)
			return
		}
		key := r.Header.Get("X-Idempotency-Key")
		if key == "" {
			apiError(w, http.StatusBadRequest, "bad_request", "header X-Idempotency-Key is required")
			return
		}
		api.mu.Lock()
		prev, seen := api.replies[key]
		honour := !(api.ignorePrefKeys && r.URL.Path == "/checkout/preferences")
		api.mu.Unlock()
		if seen && honour {
			if prev.path != r.URL.Path {
				apiError(w, http.StatusConflict, "conflict", "idempotency key already used")
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(prev.status)
			_, _ = w.Write(prev.body)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		if rec.Code < 300 {
			api.mu.Lock()
			api.replies[key] = reply{path: r.URL.Path, status: rec.Code, body: rec.Body.Bytes()}
			api.mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

func apiError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"message": message, "error": code, "status": status, "cause": []any{}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (api *fakeAPI) nextID() int64 {
	api.seq++
	return api.seq
}

func (api *fakeAPI) createPreference(w http.ResponseWriter, r *http.Request) {
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
		if c, err := centsOf(it.UnitPrice); err != nil || c <= 0 || it.Quantity <= 0 || it.CurrencyID != "ARS" {
			apiError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("invalid item: unit_price %s, quantity %d, currency %q", it.UnitPrice, it.Quantity, it.CurrencyID))
			return
		}
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	now := time.Now()
	id := fmt.Sprintf("%d-%08x-5f3c-4e1b-9a7d-%012x", collectorID, api.nextID(), now.UnixNano()&0xffffffffffff)
	p := prefJSON{
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
	api.prefs[id] = &fakePref{json: p, created: now}
	writeJSON(w, http.StatusCreated, p)
}

func (api *fakeAPI) searchPreferences(w http.ResponseWriter, r *http.Request) {
	ref := r.URL.Query().Get("external_reference")
	api.mu.Lock()
	defer api.mu.Unlock()
	elements := []prefSummary{}
	for _, p := range api.prefs {
		if api.searchLag || (ref != "" && p.json.ExternalReference != ref) {
			continue
		}
		titles := []string{}
		for _, it := range p.json.Items {
			titles = append(titles, it.Title)
		}
		elements = append(elements, prefSummary{
			ID: p.json.ID, ExternalReference: p.json.ExternalReference, DateCreated: p.json.DateCreated,
			CollectorID: collectorID, SiteID: "MLA", Items: titles, Expires: p.json.Expires,
		})
	}
	slices.SortFunc(elements, func(a, b prefSummary) int { return strings.Compare(b.DateCreated, a.DateCreated) })
	writeJSON(w, http.StatusOK, map[string]any{"elements": elements, "total": len(elements), "next_offset": len(elements)})
}

func (api *fakeAPI) getPreference(w http.ResponseWriter, r *http.Request) {
	api.mu.Lock()
	defer api.mu.Unlock()
	p, ok := api.prefs[r.PathValue("id")]
	if !ok {
		apiError(w, http.StatusNotFound, "not_found", "Preference not found")
		return
	}
	writeJSON(w, http.StatusOK, p.json)
}

func (api *fakeAPI) searchPayments(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 {
		limit = 30
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	results := []paymentJSON{}
	for _, p := range api.payments {
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

func (api *fakeAPI) getPayment(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	api.mu.Lock()
	defer api.mu.Unlock()
	p, ok := api.payments[id]
	if !ok {
		apiError(w, http.StatusNotFound, "not_found", "Payment not found")
		return
	}
	writeJSON(w, http.StatusOK, p.render())
}

func (p *fakePayment) render() paymentJSON {
	j := p.json
	j.TransactionAmount = decimalNumber(p.amount)
	j.TransactionAmountRefunded = decimalNumber(p.refunded)
	j.Refunds = append([]refundJSON{}, p.refunds...)
	return j
}

func (api *fakeAPI) refund(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var req struct {
		Amount *json.Number `json:"amount"`
	}
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil && err != io.EOF {
		apiError(w, http.StatusBadRequest, "bad_request", "invalid body: "+err.Error())
		return
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	p, ok := api.payments[id]
	if !ok {
		apiError(w, http.StatusNotFound, "not_found", "Payment not found")
		return
	}
	if p.json.Status != "approved" {
		apiError(w, http.StatusBadRequest, "bad_request", "Payment not refundable: it is "+p.json.Status)
		return
	}
	amount := p.amount - p.refunded
	if req.Amount != nil {
		var err error
		if amount, err = centsOf(*req.Amount); err != nil || amount <= 0 {
			apiError(w, http.StatusBadRequest, "bad_request", "Invalid refund amount")
			return
		}
	}
	if p.refunded+amount > p.amount {
		apiError(w, http.StatusBadRequest, "bad_request", "Refund amount exceeds the available balance")
		return
	}
	now := time.Now()
	re := refundJSON{
		ID: api.nextID(), PaymentID: id, Amount: decimalNumber(amount), Status: "approved",
		RefundMode: "standard", AdjustmentAmount: "0", DateCreated: mpTime(now),
	}
	re.Source.ID, re.Source.Name, re.Source.Type = strconv.Itoa(collectorID), "Club", "collector"
	p.refunds = append(p.refunds, re)
	p.refunded += amount
	p.json.StatusDetail = "partially_refunded"
	if p.refunded == p.amount {
		p.json.Status, p.json.StatusDetail = "refunded", "refunded"
	}
	p.json.DateLastUpdated = mpTime(now)
	writeJSON(w, http.StatusCreated, re)
}

// pay has the customer pay preference prefID and returns the payment id. The
// payment's status is approved (status_detail accredited) unless told otherwise.
func (api *fakeAPI) pay(t *testing.T, prefID string, status ...string) int64 {
	t.Helper()
	api.mu.Lock()
	defer api.mu.Unlock()
	pref, ok := api.prefs[prefID]
	require.True(t, ok, "no preference %q to pay", prefID)
	var cents int64
	for _, it := range pref.json.Items {
		c, err := centsOf(it.UnitPrice)
		require.NoError(t, err)
		cents += c * int64(it.Quantity)
	}
	st, detail := "approved", "accredited"
	if len(status) > 0 {
		st, detail = status[0], status[0]
		if len(status) > 1 {
			detail = status[1]
		}
	}
	now := time.Now()
	p := &fakePayment{amount: cents, json: paymentJSON{
		ID:                api.nextID(),
		Status:            st,
		StatusDetail:      detail,
		ExternalReference: pref.json.ExternalReference,
		Description:       pref.json.Items[0].Title,
		CurrencyID:        "ARS",
		PaymentMethodID:   "visa",
		PaymentTypeID:     "credit_card",
		OperationType:     "regular_payment",
		CollectorID:       collectorID,
		Captured:          true,
		DateCreated:       mpTime(now),
		DateLastUpdated:   mpTime(now),
		Order:             map[string]any{"id": strconv.FormatInt(api.nextID(), 10), "type": "mercadopago"},
		Metadata:          pref.json.Metadata,
	}}
	if st == "approved" {
		p.json.DateApproved = mpTimePtr(&now)
	}
	api.payments[p.json.ID] = p
	return p.json.ID
}

// setStatus changes a payment's status, as MercadoPago does when a payment is
// reviewed, expires or is charged back.
func (api *fakeAPI) setStatus(id int64, status, detail string) {
	api.mu.Lock()
	defer api.mu.Unlock()
	p := api.payments[id]
	p.json.Status, p.json.StatusDetail = status, detail
	p.json.DateLastUpdated = mpTime(time.Now())
	if status == "approved" && p.json.DateApproved == nil {
		p.json.DateApproved = &p.json.DateLastUpdated
	}
}

// notify returns the notification MercadoPago delivers when payment id changes,
// signed with secret now.
func (api *fakeAPI) notify(id int64, action, secret string) (http.Header, []byte) {
	api.mu.Lock()
	n := api.nextID()
	api.mu.Unlock()
	body, _ := json.Marshal(map[string]any{
		"id":           n,
		"live_mode":    false,
		"type":         "payment",
		"date_created": mpTime(time.Now()),
		"user_id":      collectorID,
		"api_version":  "v1",
		"action":       action,
		"data":         map[string]string{"id": strconv.FormatInt(id, 10)},
	})
	return signedHeader(secret, body, time.Now(), true), body
}

// signedHeader signs body as MercadoPago does: x-signature "ts=<ms>,v1=<hex HMAC>"
// over "id:<data.id lower-cased>;request-id:<x-request-id>;ts:<ms>;", a part left
// out when its value is absent (a body without data.id, or withRequestID false).
func signedHeader(secret string, body []byte, at time.Time, withRequestID bool) http.Header {
	return signedHeaderTS(secret, body, strconv.FormatInt(at.UnixMilli(), 10), withRequestID)
}

func signedHeaderTS(secret string, body []byte, ts string, withRequestID bool) http.Header {
	var n struct {
		Data struct {
			ID any `json:"id"`
		} `json:"data"`
	}
	_ = json.Unmarshal(body, &n)
	var manifest string
	if n.Data.ID != nil {
		manifest += "id:" + strings.ToLower(fmt.Sprint(n.Data.ID)) + ";"
	}
	h := http.Header{}
	if withRequestID {
		rid := fmt.Sprintf("bb56a2f1-6aae-46ac-982e-%012d", time.Now().UnixNano()%1e12)
		h.Set("X-Request-Id", rid)
		manifest += "request-id:" + rid + ";"
	}
	manifest += "ts:" + ts + ";"
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(manifest))
	h.Set("X-Signature", "ts="+ts+",v1="+hex.EncodeToString(m.Sum(nil)))
	h.Set("Content-Type", "application/json")
	return h
}

// requestsTo returns the recorded requests whose "METHOD path" starts with prefix,
// with their bodies.
func (api *fakeAPI) requestsTo(prefix string) ([]*http.Request, [][]byte) {
	api.mu.Lock()
	defer api.mu.Unlock()
	var reqs []*http.Request
	var bodies [][]byte
	for i, r := range api.requests {
		if strings.HasPrefix(r.Method+" "+r.URL.Path, prefix) {
			reqs, bodies = append(reqs, r), append(bodies, api.bodies[i])
		}
	}
	return reqs, bodies
}

func (api *fakeAPI) count() int {
	api.mu.Lock()
	defer api.mu.Unlock()
	return len(api.requests)
}

func (api *fakeAPI) set(f func(api *fakeAPI)) {
	api.mu.Lock()
	defer api.mu.Unlock()
	f(api)
}

// onlyHost is a transport that lets requests reach one host and fails, and records,
// any other: no test may reach api.mercadopago.com.
type onlyHost struct {
	host string
	next http.RoundTripper

	mu     sync.Mutex
	others []string
}

func (o *onlyHost) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != o.host {
		o.mu.Lock()
		o.others = append(o.others, r.URL.Host)
		o.mu.Unlock()
		return nil, fmt.Errorf("test transport: %s is not the local API %s", r.URL.Host, o.host)
	}
	return o.next.RoundTrip(r)
}

func (o *onlyHost) refused() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.others)
}

func hostOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Host
}
