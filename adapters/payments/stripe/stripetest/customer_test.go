package stripetest_test

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/matchpoint/matchpoint/adapters/payments/stripe/stripetest"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

var (
	ars   = domain.MustCurrency("ARS")
	price = domain.NewMoney(1_600_000, ars) // what checkouts ask
)

// fatal runs f with a testing.TB whose Fatalf ends f instead of the test, and returns
// the message f failed with; "" if f did not fail.
func fatal(t *testing.T, f func(tb testing.TB)) string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.msg
}

type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// checkout opens a checkout of 16 000.00 ARS for booking through a gateway of acct.
func checkout(t *testing.T, acct *stripetest.Account, booking string) string {
	t.Helper()
	c, err := acct.Gateway(t).CreateCheckout(context.Background(), ports.CheckoutRequest{
		BookingID: booking, Amount: price, ExpiresAt: time.Now().Add(10 * time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c.Ref
}

// What Stripe would not let happen fails the test that asks for it, saying why.
func TestImpossibleActionsFail(t *testing.T) {
	t.Parallel()
	acct := stripetest.Start(t)
	other := stripetest.Start(t)
	paid := checkout(t, acct, "booking-paid")
	acct.Pay(t, paid, acct.Asked(t, paid))
	expired := checkout(t, acct, "booking-expired")
	acct.Expire(t, expired)
	open := checkout(t, acct, "booking-open")

	for _, c := range []struct {
		name string
		do   func(tb testing.TB)
		want string
	}{
		{"pay twice", func(tb testing.TB) { acct.Pay(tb, paid, price) }, "is complete, not open"},
		{"pay an expired session", func(tb testing.TB) { acct.Pay(tb, expired, price) }, "is expired, not open"},
		{"pay another account's session", func(tb testing.TB) { other.Pay(tb, open, price) }, "no checkout session"},
		{"pay nothing", func(tb testing.TB) { acct.Pay(tb, open, domain.NewMoney(0, ars)) }, "cannot pay"},
		{"pay in no currency", func(tb testing.TB) { acct.Pay(tb, open, domain.NewMoney(100, domain.Currency{})) }, "cannot pay"},
		{"ask of another account's session", func(tb testing.TB) { other.Asked(tb, open) }, "no checkout session"},
		{"decline a paid session", func(tb testing.TB) { acct.Decline(tb, paid) }, "not open"},
		{"expire a paid session", func(tb testing.TB) { acct.Expire(tb, paid) }, "not open"},
		{"refund an unpaid session", func(tb testing.TB) { acct.RefundInDashboard(tb, open, domain.NewMoney(1, ars)) }, "no payment"},
		{"refund more than was paid", func(tb testing.TB) { acct.RefundInDashboard(tb, paid, domain.NewMoney(1_600_001, ars)) }, "only 16000.00 ARS is left"},
		{"refund in another currency", func(tb testing.TB) { acct.RefundInDashboard(tb, paid, domain.NewMoney(1, domain.MustCurrency("USD"))) }, "is in ARS"},
		{"refund nothing", func(tb testing.TB) { acct.RefundInDashboard(tb, paid, domain.NewMoney(0, ars)) }, "must be positive"},
		{"a refund event before any refund", func(tb testing.TB) { acct.RefundEvent(tb, paid) }, "nothing refunded yet"},
	} {
		if got := fatal(t, c.do); !strings.Contains(got, c.want) {
			t.Errorf("%s: failed with %q; want a failure saying %q", c.name, got, c.want)
		}
	}
	if r := acct.Refunds(paid); len(r) != 0 {
		t.Errorf("Refunds after refusals = %v, want none", r)
	}
	if r := acct.Refunds("pi_unknown"); r != nil {
		t.Errorf("Refunds of an unknown payment = %v, want none", r)
	}
}

func TestAccountsHaveKeysOfTheirOwn(t *testing.T) {
	t.Parallel()
	a, b := stripetest.Start(t).Config(), stripetest.Start(t).Config()
	if a.SecretKey == b.SecretKey || a.WebhookSecret == b.WebhookSecret || a.BackendURL == b.BackendURL {
		t.Errorf("two accounts share keys or a stand-in:\n%#v\n%#v", a, b)
	}
}

// The gateway takes what the account signs, and nothing anyone else signs: a forger
// or another club's account.
func TestSignAndForge(t *testing.T) {
	t.Parallel()
	acct, other := stripetest.Start(t), stripetest.Start(t)
	gw := acct.Gateway(t)
	header, body := acct.Pay(t, checkout(t, acct, "booking-1"), price)

	if _, err := gw.ParseWebhook(header, body); err != nil {
		t.Errorf("the delivered event: %v", err)
	}
	if _, err := gw.ParseWebhook(acct.Sign(t, body), body); err != nil {
		t.Errorf("signed again: %v", err)
	}
	for name, header := range map[string]http.Header{
		"forged":             acct.Forge(t, body),
		"another account's":  other.Sign(t, body),
		"signed an hour ago": acct.SignAt(t, body, time.Now().Add(-time.Hour)),
	} {
		if _, err := gw.ParseWebhook(header, body); domain.ErrorCode(err) != domain.CodeBadSignature {
			t.Errorf("%s: %v; want %s", name, err, domain.CodeBadSignature)
		}
	}
}
