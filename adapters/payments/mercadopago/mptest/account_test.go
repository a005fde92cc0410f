package mptest_test

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matchpoint/matchpoint/adapters/payments/mercadopago/mptest"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// recorder is a testing.TB that records failures instead of failing, to check that
// the account fails a test when it should.
type recorder struct {
	testing.TB

	mu       sync.Mutex
	failures []string
	cleanups []func()
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}

// fails runs body as a test of its own, in a goroutine so that Fatalf ends it, then
// its cleanups, and returns its failures.
func fails(t *testing.T, body func(tb testing.TB)) []string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		body(r)
	}()
	<-done
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	return r.failures
}

func TestClientReachesOnlyTheAccount(t *testing.T) {
	t.Parallel()
	failures := fails(t, func(tb testing.TB) {
		a := mptest.Start(tb)
		if _, err := a.Client().Get("https://api.mercadopago.com/v1/payments/1"); err == nil {
			t.Error("a request reached api.mercadopago.com")
		}
		resp, err := a.Client().Get(a.URL() + "/v1/payments/1")
		if err != nil {
			t.Fatalf("the account's API: %v", err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("a request without the token: %d, want 401", resp.StatusCode)
		}
	})
	if len(failures) != 1 || !strings.Contains(failures[0], "api.mercadopago.com") {
		t.Errorf("failures %q, want one naming api.mercadopago.com", failures)
	}
}

func TestTheCustomerAndTheClubAreRefusedWhatMercadoPagoRefuses(t *testing.T) {
	t.Parallel()
	a := mptest.Start(t)
	ars := domain.MustCurrency("ARS")
	c, err := a.Gateway(t).CreateCheckout(context.Background(), ports.CheckoutRequest{
		BookingID: "b1", Amount: domain.NewMoney(1_600_000, ars), ExpiresAt: time.Now().Add(10 * time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, body := a.Pay(t, c.Ref, domain.NewMoney(1_600_000, ars))
	paid := mptest.PaymentRef(t, body)
	_, body = a.Decline(t, c.Ref)
	declined := mptest.PaymentRef(t, body)

	for name, act := range map[string]func(tb testing.TB){
		"paying an unknown checkout":   func(tb testing.TB) { a.Pay(tb, "202809963-unknown", domain.NewMoney(1, ars)) },
		"paying nothing":               func(tb testing.TB) { a.Pay(tb, c.Ref, domain.NewMoney(0, ars)) },
		"refunding more than is left":  func(tb testing.TB) { a.RefundInDashboard(tb, paid, domain.NewMoney(1_600_001, ars)) },
		"refunding another currency":   func(tb testing.TB) { a.RefundInDashboard(tb, paid, domain.NewMoney(1, domain.MustCurrency("USD"))) },
		"refunding a declined one":     func(tb testing.TB) { a.RefundInDashboard(tb, declined, domain.NewMoney(1, ars)) },
		"refunding an unknown one":     func(tb testing.TB) { a.RefundInDashboard(tb, "42", domain.NewMoney(1, ars)) },
		"expiring an unknown checkout": func(tb testing.TB) { a.Expire(tb, "202809963-unknown") },
		"notifying an unknown payment": func(tb testing.TB) { a.Notify(tb, "42") },
	} {
		if failures := fails(t, act); len(failures) != 1 {
			t.Errorf("%s: failures %q, want one", name, failures)
		}
	}
	if got := a.Refunds(paid); got != nil {
		t.Errorf("refused refunds were made: %v", got)
	}
	a.RefundInDashboard(t, paid, domain.NewMoney(1_600_000, ars))
	if got, want := a.Refunds(paid), []domain.Money{domain.NewMoney(1_600_000, ars)}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("Refunds = %v, want %v", got, want)
	}
}

func TestCloseLetsHeldRequestsGo(t *testing.T) {
	t.Parallel()
	a := mptest.Start(t)
	release := a.Hold()
	answered := make(chan error, 1)
	go func() {
		resp, err := a.Client().Get(a.URL() + "/v1/payments/1")
		if err == nil {
			_ = resp.Body.Close()
		}
		answered <- err
	}()
	for len(a.Requests("GET /v1/payments/")) == 0 {
		runtime.Gosched()
	}
	select {
	case <-answered:
		t.Fatal("a held request was answered")
	default:
	}

	closed := make(chan struct{})
	go func() {
		defer close(closed)
		a.Close()
	}()

	select {
	case <-closed:
	case <-time.After(5 * time.Second): // the client gives up after 10
		t.Fatal("Close waits for a held request")
	}
	<-answered
	release() // once released, releasing again does nothing
}
