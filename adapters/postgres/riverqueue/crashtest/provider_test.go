package crashtest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// provider stands in for the payment provider behind the workers' gateway: it serves
// their calls with the test's sandbox gateway, which took the payments and, like a
// real provider, refunds once per idempotency key (a repeated key answers the first
// refund again). It counts the refund calls and the refunds answered by key, and can
// hold the answer to the next refund it makes.
type provider struct {
	gw  *sandbox.Gateway
	srv *httptest.Server

	holdNext atomic.Bool
	held     chan string   // the key of the held refund, once made
	stop     chan struct{} // ends a held answer when the test ends

	mu      sync.Mutex
	calls   map[string]int             // refund calls by idempotency key
	answers map[string]map[string]bool // provider refund ids answered, by idempotency key
}

// startProvider serves gw's provider side to the workers until the test ends.
func startProvider(t *testing.T, gw *sandbox.Gateway) *provider {
	t.Helper()
	p := &provider{gw: gw, held: make(chan string, 1), stop: make(chan struct{}), calls: map[string]int{}, answers: map[string]map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /refund", p.serveRefund)
	mux.HandleFunc("POST /payment", func(w http.ResponseWriter, r *http.Request) {
		var in refCall
		if !decode(w, r, &in) {
			return
		}
		pay, err := gw.GetPayment(r.Context(), in.Ref)
		answer(w, paymentAnswer{Ref: pay.Ref, BookingID: pay.BookingID, Status: pay.Status, Amount: pay.Amount}, err)
	})
	mux.HandleFunc("POST /expire", func(w http.ResponseWriter, r *http.Request) {
		var in refCall
		if !decode(w, r, &in) {
			return
		}
		answer(w, struct{}{}, gw.ExpireCheckout(r.Context(), in.Ref))
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		close(p.stop)
		p.srv.Close()
	})
	return p
}

// URL is where the workers reach the provider.
func (p *provider) URL() string { return p.srv.URL }

// holdNextRefund makes the provider make the next refund asked for and then hold its
// answer: the key goes to held, and the answer never leaves, the request ending only
// when its client goes away (a killed worker) or the test ends.
func (p *provider) holdNextRefund() { p.holdNext.Store(true) }

func (p *provider) serveRefund(w http.ResponseWriter, r *http.Request) {
	var in refundCall
	if !decode(w, r, &in) {
		return
	}
	res, err := p.gw.Refund(r.Context(), ports.RefundRequest{BookingID: in.BookingID, PaymentRef: in.PaymentRef, Amount: in.Amount, IdempotencyKey: in.IdempotencyKey})
	p.mu.Lock()
	p.calls[in.IdempotencyKey]++
	if err == nil {
		if p.answers[in.IdempotencyKey] == nil {
			p.answers[in.IdempotencyKey] = map[string]bool{}
		}
		p.answers[in.IdempotencyKey][res.ID] = true
	}
	p.mu.Unlock()
	if err == nil && p.holdNext.CompareAndSwap(true, false) {
		p.held <- in.IdempotencyKey
		select {
		case <-r.Context().Done(): // the worker is gone: the refund is made, its answer lost
		case <-p.stop:
		}
		return
	}
	answer(w, refundAnswer{ID: res.ID, Amount: res.Amount}, err)
}

// refundCalls returns how many refund calls came with key, and the provider refund ids
// answered for it.
func (p *provider) refundCalls(key string) (int, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ids []string
	for id := range p.answers[key] {
		ids = append(ids, id)
	}
	return p.calls[key], ids
}

// keys returns the idempotency keys refunds were asked with.
func (p *provider) keys() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for k := range p.calls {
		out = append(out, k)
	}
	return out
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		answer(w, nil, domain.Errorf(domain.CodeInvalid, "crashtest provider: %v", err))
		return false
	}
	return true
}

// answer writes v, or err with its code and a status of its kind.
func answer(w http.ResponseWriter, v any, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		status := http.StatusBadRequest
		if k := domain.ErrorKind(err); k == domain.KindUnavailable || k == domain.KindInternal {
			status = http.StatusServiceUnavailable
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(errorAnswer{Code: domain.ErrorCode(err), Message: domain.ErrorMessage(err)})
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}
