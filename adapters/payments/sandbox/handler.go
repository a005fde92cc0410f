package sandbox

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// Handler serves the provider's side of the sandbox:
//
//	GET  /sandbox/checkout/{ref}         the checkout page, with Pay and Decline buttons
//	POST /sandbox/checkout/{ref}/pay     pays (an optional amount pays a wrong amount)
//	POST /sandbox/checkout/{ref}/fail    declines the payment
//	POST /sandbox/checkout/{ref}/expire  lets the checkout run out
//	POST /sandbox/payments/{ref}/refund  refunds from the dashboard (optional amount; default the rest)
//	POST /sandbox/events/{id}/resend     delivers a sent event again, with the same id
//
// Each POST delivers its event to the webhook URL before answering, and answers JSON
// such as {"payment_ref":"pi_…","event_id":"evt_…","delivered":true,"webhook_status":200},
// or a small HTML page when the request accepts text/html (a browser's form post).
// The answer is 502 when the webhook could not be reached; the event is kept and can
// be re-sent.
func (g *Gateway) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sandbox/checkout/{ref}", g.servePage)
	mux.HandleFunc("POST /sandbox/checkout/{ref}/pay", g.servePay)
	mux.HandleFunc("POST /sandbox/checkout/{ref}/fail", g.serveEnd(ports.PaymentFailed, ports.EventFailed))
	mux.HandleFunc("POST /sandbox/checkout/{ref}/expire", g.serveEnd(ports.PaymentExpired, ports.EventExpired))
	mux.HandleFunc("POST /sandbox/payments/{ref}/refund", g.serveRefund)
	mux.HandleFunc("POST /sandbox/events/{id}/resend", g.serveResend)
	return mux
}

// result is the answer to a POST.
type result struct {
	PaymentRef string `json:"payment_ref,omitempty"`
	RefundID   string `json:"refund_id,omitempty"`
	delivery
}

func (g *Gateway) servePage(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	c, ok := g.checkouts[r.PathValue("ref")]
	var v pageView
	if ok {
		v = viewOf(c)
	}
	g.mu.Unlock()
	if !ok {
		g.fail(w, r, domain.Errorf(domain.CodeNotFound, "checkout %q not found", r.PathValue("ref")))
		return
	}
	render(w, http.StatusOK, "checkout", v)
}

func (g *Gateway) servePay(w http.ResponseWriter, r *http.Request) {
	amount, err := amountParam(r)
	if err != nil {
		g.fail(w, r, err)
		return
	}
	g.mu.Lock()
	c, ok := g.checkouts[r.PathValue("ref")]
	switch {
	case !ok:
		err = domain.Errorf(domain.CodeNotFound, "checkout %q not found", r.PathValue("ref"))
	case c.status != ports.PaymentPending && c.status != ports.PaymentFailed:
		err = domain.Errorf(domain.CodeInvalidTransition, "checkout %q is %s and cannot be paid", c.ref, c.status)
	}
	if err != nil {
		g.mu.Unlock()
		g.fail(w, r, err)
		return
	}
	paid := c.amount
	if amount > 0 {
		paid = domain.NewMoney(amount, c.amount.Currency())
	}
	if code := r.FormValue("currency"); code != "" {
		cur, err := domain.ParseCurrency(code)
		if err != nil {
			g.mu.Unlock()
			g.fail(w, r, domain.Errorf(domain.CodeInvalid, "currency %q: %v", code, err))
			return
		}
		paid = domain.NewMoney(paid.Amount(), cur)
	}
	c.status, c.paid, c.paymentRef = ports.PaymentPaid, paid, "pi_"+g.ids.NewID()
	g.byPayment[c.paymentRef] = c
	id := g.newEvent(ports.EventPaid, c, paid)
	v := viewOf(c)
	g.mu.Unlock()

	d, _ := g.deliver(context.WithoutCancel(r.Context()), id)
	g.answer(w, r, result{PaymentRef: v.PaymentRef, delivery: d}, "Payment received", "You paid "+paid.String()+".", v)
}

// serveEnd ends a checkout that has not been paid, with the given status and event.
func (g *Gateway) serveEnd(status ports.PaymentStatus, typ ports.PaymentEventType) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		c, ok := g.checkouts[r.PathValue("ref")]
		var err error
		switch {
		case !ok:
			err = domain.Errorf(domain.CodeNotFound, "checkout %q not found", r.PathValue("ref"))
		case c.status != ports.PaymentPending && c.status != ports.PaymentFailed:
			err = domain.Errorf(domain.CodeInvalidTransition, "checkout %q is %s and cannot become %s", c.ref, c.status, status)
		}
		if err != nil {
			g.mu.Unlock()
			g.fail(w, r, err)
			return
		}
		c.status = status
		id := g.newEvent(typ, c, c.amount)
		v := viewOf(c)
		g.mu.Unlock()

		d, _ := g.deliver(context.WithoutCancel(r.Context()), id)
		title := map[ports.PaymentStatus]string{ports.PaymentFailed: "Payment declined", ports.PaymentExpired: "Checkout expired"}[status]
		g.answer(w, r, result{PaymentRef: v.Ref, delivery: d}, title, "Nothing was charged.", v)
	}
}

func (g *Gateway) serveRefund(w http.ResponseWriter, r *http.Request) {
	amount, err := amountParam(r)
	if err != nil {
		g.fail(w, r, err)
		return
	}
	g.mu.Lock()
	c, err := g.find(r.PathValue("ref"))
	var ref ports.Refund
	if err == nil {
		m := domain.NewMoney(c.paid.Amount()-c.refunded, c.paid.Currency())
		if amount > 0 {
			m = domain.NewMoney(amount, c.paid.Currency())
		}
		ref, err = g.refund(c, "", m, "dashboard-"+g.ids.NewID())
	}
	if err != nil {
		g.mu.Unlock()
		g.fail(w, r, err)
		return
	}
	id := g.newEvent(ports.EventRefunded, c, domain.NewMoney(c.refunded, c.paid.Currency())) // refunded so far
	v := viewOf(c)
	g.mu.Unlock()

	d, _ := g.deliver(context.WithoutCancel(r.Context()), id)
	g.answer(w, r, result{PaymentRef: v.PaymentRef, RefundID: ref.ID, delivery: d}, "Payment refunded", "Refunded "+ref.Amount.String()+".", v)
}

func (g *Gateway) serveResend(w http.ResponseWriter, r *http.Request) {
	d, ok := g.deliver(context.WithoutCancel(r.Context()), r.PathValue("id"))
	if !ok {
		g.fail(w, r, domain.Errorf(domain.CodeNotFound, "event %q not found", r.PathValue("id")))
		return
	}
	g.answer(w, r, result{delivery: d}, "Event re-sent", "The event was delivered again with the same id.", pageView{})
}

// amountParam reads the optional "amount" form or query value, in minor units; 0
// when absent.
func amountParam(r *http.Request) (int64, error) {
	s := r.FormValue("amount")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, domain.Errorf(domain.CodeInvalid, "amount %q must be a positive number of minor units", s)
	}
	return n, nil
}

func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// answer writes the result of a POST as JSON, or as a page for a browser.
func (g *Gateway) answer(w http.ResponseWriter, r *http.Request, res result, title, message string, v pageView) {
	status := http.StatusOK
	if !res.sent {
		status = http.StatusBadGateway
	}
	if wantsHTML(r) {
		render(w, status, "result", resultView{Title: title, Message: message, Checkout: v, Result: res})
		return
	}
	writeJSON(w, status, res)
}

// fail writes err with the status of its kind.
func (g *Gateway) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := map[domain.Kind]int{
		domain.KindInvalid:  http.StatusBadRequest,
		domain.KindNotFound: http.StatusNotFound,
		domain.KindConflict: http.StatusConflict,
	}[domain.ErrorKind(err)]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if wantsHTML(r) {
		render(w, status, "error", domain.ErrorMessage(err))
		return
	}
	writeJSON(w, status, map[string]string{"code": domain.ErrorCode(err), "error": domain.ErrorMessage(err)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// pageView is what the checkout page shows.
type pageView struct {
	Ref         string
	Description string
	Amount      string
	BookingID   string
	Email       string
	ExpiresAt   string
	Status      string
	Payable     bool
	PaymentRef  string
}

func viewOf(c *checkout) pageView {
	v := pageView{
		Ref:         c.ref,
		Description: c.description,
		Amount:      c.amount.String(),
		BookingID:   c.bookingID,
		Email:       c.email,
		Status:      string(c.status),
		Payable:     c.status == ports.PaymentPending || c.status == ports.PaymentFailed,
		PaymentRef:  c.paymentRef,
	}
	if !c.expiresAt.IsZero() {
		v.ExpiresAt = c.expiresAt.UTC().Format(time.RFC1123)
	}
	return v
}

type resultView struct {
	Title    string
	Message  string
	Checkout pageView
	Result   result
}

func render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = pages.ExecuteTemplate(w, name, data)
}

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"path": url.PathEscape,
}).Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} · Match Point sandbox</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}
.amount{font-size:2rem;font-weight:600}.muted{color:#666;font-size:.9rem}
button{font-size:1rem;padding:.6rem 1.2rem;margin-right:.5rem;cursor:pointer}
.note{background:#fff7d6;padding:.5rem .75rem;border-radius:.25rem;font-size:.85rem}</style></head><body>
<p class="note">Sandbox payment provider: no real money moves.</p>{{end}}

{{define "checkout"}}{{template "head" "Checkout"}}
<h1>{{.Description}}</h1>
<p class="amount">{{.Amount}}</p>
<p class="muted">Booking {{.BookingID}}{{if .Email}} · {{.Email}}{{end}}{{if .ExpiresAt}}<br>Held until {{.ExpiresAt}}{{end}}</p>
{{if .Payable}}
<form method="post" action="/sandbox/checkout/{{path .Ref}}/pay" style="display:inline"><button type="submit">Pay {{.Amount}}</button></form>
<form method="post" action="/sandbox/checkout/{{path .Ref}}/fail" style="display:inline"><button type="submit">Decline</button></form>
{{else}}
<p>This checkout is {{.Status}}.</p>
{{end}}
</body></html>{{end}}

{{define "result"}}{{template "head" .Title}}
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
{{if .Checkout.BookingID}}<p class="muted">Booking {{.Checkout.BookingID}}{{if .Result.PaymentRef}} · payment {{.Result.PaymentRef}}{{end}}</p>{{end}}
{{if .Result.Delivered}}<p class="muted">The club was notified (event {{.Result.EventID}}).</p>
{{else if .Result.Status}}<p class="muted">The club's webhook answered {{.Result.Status}} to event {{.Result.EventID}}.</p>
{{else}}<p class="muted">The club could not be notified of event {{.Result.EventID}}: {{.Result.Error}}</p>{{end}}
</body></html>{{end}}

{{define "error"}}{{template "head" "Error"}}
<h1>Something is off</h1>
<p>{{.}}</p>
</body></html>{{end}}
`))
