package domain_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
)

var refundNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func newRefund(t *testing.T) *domain.Refund {
	t.Helper()
	r, err := domain.NewRefund(domain.NewRefundParams{
		ID: "r1", ClubID: "c1", BookingID: "b1", Gateway: "sandbox", PaymentRef: "pay_1",
		Amount: domain.NewMoney(600000, domain.MustCurrency("ARS")), Reason: "cancellation",
		IdempotencyKey: "cancel:b1", Now: refundNow,
	})
	require.NoError(t, err)
	return r
}

func TestNewRefund(t *testing.T) {
	r := newRefund(t)
	assert.Equal(t, domain.RefundOwed, r.State())
	assert.Equal(t, refundNow.Add(time.Minute), r.NextAttemptAt(), "the job tries first; the sweep a minute later")
	assert.Zero(t, r.Attempts())

	ars := domain.MustCurrency("ARS")
	base := domain.NewRefundParams{ID: "r", ClubID: "c", BookingID: "b", Gateway: "g", Amount: domain.NewMoney(1, ars), IdempotencyKey: "k", Now: refundNow}
	for name, edit := range map[string]func(p *domain.NewRefundParams){
		"no id":       func(p *domain.NewRefundParams) { p.ID = "" },
		"no gateway":  func(p *domain.NewRefundParams) { p.Gateway = "" },
		"no key":      func(p *domain.NewRefundParams) { p.IdempotencyKey = "" },
		"zero amount": func(p *domain.NewRefundParams) { p.Amount = domain.NewMoney(0, ars) },
		"negative":    func(p *domain.NewRefundParams) { p.Amount = domain.NewMoney(-5, ars) },
		"no currency": func(p *domain.NewRefundParams) { p.Amount = domain.Money{} },
		"no time":     func(p *domain.NewRefundParams) { p.Now = time.Time{} },
	} {
		t.Run(name, func(t *testing.T) {
			p := base
			edit(&p)
			_, err := domain.NewRefund(p)
			assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), "%v", err)
		})
	}
}

func TestRefundBackoffGrowsAndIsCapped(t *testing.T) {
	want := []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour, 6 * time.Hour}
	for i, w := range want {
		assert.Equal(t, w, domain.RefundBackoff(i+1), "after failure %d", i+1)
	}
	assert.Equal(t, time.Minute, domain.RefundBackoff(0))
}

func TestRefundFailsUntilItNeedsAttention(t *testing.T) {
	r := newRefund(t)
	at := refundNow
	var total time.Duration
	for i := 1; i < domain.RefundGiveUpAfter; i++ {
		attention, err := r.Fail("provider down", at)
		require.NoError(t, err)
		require.False(t, attention, "failure %d", i)
		assert.Equal(t, domain.RefundOwed, r.State())
		assert.Equal(t, i, r.Attempts())
		assert.Equal(t, at.Add(domain.RefundBackoff(i)), r.NextAttemptAt())
		total += domain.RefundBackoff(i)
		at = r.NextAttemptAt()
	}
	assert.Greater(t, total, 2*24*time.Hour, "a refund is retried for days")
	assert.Less(t, total, 4*24*time.Hour)
	attention, err := r.Fail("provider down", at)
	require.NoError(t, err)
	assert.True(t, attention)
	assert.Equal(t, domain.RefundAttention, r.State())
	assert.True(t, r.NextAttemptAt().IsZero())
	assert.Equal(t, "provider down", r.LastError())
}

func TestRefundTransitions(t *testing.T) {
	r := newRefund(t)
	require.Error(t, r.Issue("", refundNow), "an issued refund has an id")
	require.NoError(t, r.Issue("re_1", refundNow.Add(time.Second)))
	assert.Equal(t, domain.RefundIssued, r.State())
	assert.Equal(t, "re_1", r.ProviderID())
	assert.True(t, r.NextAttemptAt().IsZero())
	for _, err := range []error{r.Issue("re_2", refundNow), r.Refuse("no", refundNow), r.Reopen(refundNow), func() error { _, err := r.Fail("x", refundNow); return err }()} {
		assert.ErrorIs(t, err, domain.ErrInvalidTransition)
	}
	assert.Equal(t, "re_1", r.ProviderID(), "a refused change changes nothing")

	r = newRefund(t)
	require.ErrorIs(t, r.Reopen(refundNow), domain.ErrInvalidTransition, "an owed refund is not reopened")
	require.NoError(t, r.Refuse("payment not found", refundNow))
	assert.Equal(t, domain.RefundAttention, r.State())
	assert.Equal(t, 1, r.Attempts())
	later := refundNow.Add(time.Hour)
	require.NoError(t, r.Reopen(later))
	assert.Equal(t, domain.RefundOwed, r.State())
	assert.Equal(t, later, r.NextAttemptAt())
	assert.Zero(t, r.Attempts())
	assert.Equal(t, "payment not found", r.LastError())
}

func TestRestoreRefundChecksTheRecord(t *testing.T) {
	good := newRefund(t).Record()
	back, err := domain.RestoreRefund(good)
	require.NoError(t, err)
	assert.Equal(t, good, back.Record())
	for name, edit := range map[string]func(r *domain.RefundRecord){
		"unknown state":        func(r *domain.RefundRecord) { r.State = "lost" },
		"owed without a due":   func(r *domain.RefundRecord) { r.NextAttemptAt = time.Time{} },
		"issued without an id": func(r *domain.RefundRecord) { r.State = domain.RefundIssued },
		"no amount":            func(r *domain.RefundRecord) { r.Amount = domain.NewMoney(0, r.Amount.Currency()) },
		"negative attempts":    func(r *domain.RefundRecord) { r.Attempts = -1 },
	} {
		t.Run(name, func(t *testing.T) {
			r := good
			edit(&r)
			_, err := domain.RestoreRefund(r)
			assert.Equal(t, domain.KindInternal, domain.ErrorKind(err), "%v", err)
		})
	}
}

func TestRefundKeepsAShortCleanAnswer(t *testing.T) {
	r := newRefund(t)
	_, err := r.Fail("bad\x00byte \xff "+strings.Repeat("é", 400), refundNow)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(r.LastError()), 500)
	assert.True(t, utf8.ValidString(r.LastError()))
	assert.NotContains(t, r.LastError(), "\x00")
	assert.True(t, strings.HasPrefix(r.LastError(), "badbyte \uFFFD é"))
}
