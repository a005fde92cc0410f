package domain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
)

// The booking fixture: a 60-minute padel game on Tuesday 2026-03-10 from 19:00 to 20:00
// in Buenos Aires at peak rate (12 000.00 ARS), booked on Monday at noon under the
// default policy (lead 15 min, horizon 14 days, hold 10 min, cut-off 24 h, 50 % late refund).
type bookingFixture struct {
	club     domain.Club
	court    domain.Court
	customer domain.Customer
	start    time.Time
	end      time.Time
	quote    domain.Quote
	now      time.Time // when the booking is made
}

func newBookingFixture(tb testing.TB, edit func(*domain.Policy)) bookingFixture {
	tb.Helper()
	ba := loadLocation(tb, buenosAires)
	sched := padelSchedule(tb, padelRules())
	sched.Club = testClub(tb, buenosAires, "ARS", edit)
	court := testCourt(tb, "c1", domain.Padel)
	start := localTime(tb, ba, tuesday+" 19:00")
	quote, err := sched.Quote(court, interval(tb, start, time.Hour), domain.CategoryGuest)
	require.NoError(tb, err)
	customer, err := domain.NewCustomer("Ana Pérez", "ana@example.com", "+54 11 5555 0000", domain.CategoryGuest)
	require.NoError(tb, err)
	return bookingFixture{
		club: sched.Club, court: court, customer: customer,
		start: start, end: start.Add(time.Hour), quote: quote,
		now: localTime(tb, ba, "2026-03-09 12:00"),
	}
}

func (f bookingFixture) params() domain.NewBookingParams {
	return domain.NewBookingParams{
		ID: "b-1", Club: f.club, Court: f.court, Customer: f.customer,
		Interval: domain.Interval{Start: f.start, End: f.end}, Quote: f.quote,
		TokenHash: "token-hash", IdempotencyKey: "key-1", RequestHash: "request-hash", Now: f.now,
	}
}

func (f bookingFixture) pending(tb testing.TB) *domain.Booking {
	tb.Helper()
	b, err := domain.NewBooking(f.params())
	require.NoError(tb, err)
	return b
}

func TestNewBooking(t *testing.T) {
	t.Parallel()

	f := newBookingFixture(t, nil)

	b, err := domain.NewBooking(f.params())

	require.NoError(t, err)
	assert.Equal(t, domain.StatusPending, b.Status())
	assert.Equal(t, f.now.Add(10*time.Minute), b.HoldExpiresAt(), "the slot is held for the policy's hold time")
	assert.True(t, b.IsActive(f.now))
	assert.Equal(t, "b-1", b.ID())
	assert.Equal(t, clubID, b.ClubID())
	assert.Equal(t, "c1", b.CourtID())
	assert.Equal(t, f.customer, b.Customer())
	assert.Equal(t, domain.Interval{Start: f.start, End: f.end}, b.Interval())
	assert.Equal(t, pesos(1200000), b.Quote().Total)
	assert.Equal(t, pesos(0), b.Paid())
	assert.Equal(t, pesos(0), b.Refund())
	assert.Equal(t, "token-hash", b.TokenHash())
	assert.Equal(t, "key-1", b.IdempotencyKey())
	assert.Equal(t, "request-hash", b.RequestHash())
	assert.Equal(t, f.now, b.Record().CreatedAt)
	assert.Equal(t, domain.Padel, b.Record().Sport)
}

func TestNewBookingChecksThePolicy(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		edit func(f *bookingFixture, p *domain.NewBookingParams)
		code string // "" when the booking is accepted
	}{
		{"the fixture is bookable", func(*bookingFixture, *domain.NewBookingParams) {}, ""},
		{"a start inside the lead time", func(f *bookingFixture, p *domain.NewBookingParams) {
			p.Now = f.start.Add(-14 * time.Minute)
		}, domain.CodeLeadTime},
		{"a start exactly the lead time ahead", func(f *bookingFixture, p *domain.NewBookingParams) {
			p.Now = f.start.Add(-15 * time.Minute)
		}, ""},
		{"a start in the past", func(f *bookingFixture, p *domain.NewBookingParams) {
			p.Now = f.start.Add(time.Minute)
		}, domain.CodeLeadTime},
		{"a start beyond the horizon", func(f *bookingFixture, p *domain.NewBookingParams) {
			p.Now = f.start.Add(-14*24*time.Hour - time.Minute)
		}, domain.CodeHorizon},
		{"a start exactly at the horizon", func(f *bookingFixture, p *domain.NewBookingParams) {
			p.Now = f.start.Add(-14 * 24 * time.Hour)
		}, ""},
		{"a length padel does not allow", func(f *bookingFixture, p *domain.NewBookingParams) {
			p.Interval.End = f.start.Add(30 * time.Minute)
		}, domain.CodeDurationNotAllowed},
		{"a length off the granularity", func(f *bookingFixture, p *domain.NewBookingParams) {
			p.Interval.End = f.start.Add(75 * time.Minute)
		}, domain.CodeDurationNotAllowed},
		{"an inactive court", func(_ *bookingFixture, p *domain.NewBookingParams) {
			p.Court.Active = false
		}, domain.CodeCourtInactive},
		{"a court of another club", func(_ *bookingFixture, p *domain.NewBookingParams) {
			p.Court.ClubID = "club-2"
		}, domain.CodeNotFound},
		{"no id", func(_ *bookingFixture, p *domain.NewBookingParams) {
			p.ID = ""
		}, domain.CodeInvalid},
		{"no quote", func(_ *bookingFixture, p *domain.NewBookingParams) {
			p.Quote = domain.Quote{}
		}, domain.CodeInvalid},
		{"a quote in another currency", func(_ *bookingFixture, p *domain.NewBookingParams) {
			p.Quote.Total = domain.NewMoney(p.Quote.Total.Amount(), domain.MustCurrency("USD"))
		}, domain.CodeInvalid},
		{"an idempotency key too long", func(_ *bookingFixture, p *domain.NewBookingParams) {
			p.IdempotencyKey = strings.Repeat("k", 256)
		}, domain.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newBookingFixture(t, nil)
			p := f.params()
			tt.edit(&f, &p)

			b, err := domain.NewBooking(p)

			if tt.code == "" {
				require.NoError(t, err)
				assert.Equal(t, domain.StatusPending, b.Status())
				return
			}
			assertCode(t, err, tt.code)
			assert.Nil(t, b)
		})
	}
}

func TestNewBookingNeverHoldsPastTheStart(t *testing.T) {
	t.Parallel()

	// A short lead and a long hold: a booking made 20 minutes ahead is held until it starts.
	f := newBookingFixture(t, func(p *domain.Policy) { p.MinLead, p.Hold = 5*time.Minute, 30*time.Minute })
	p := f.params()
	p.Now = f.start.Add(-20 * time.Minute)

	b, err := domain.NewBooking(p)

	require.NoError(t, err)
	assert.Equal(t, f.start, b.HoldExpiresAt())
	assert.True(t, b.IsActive(f.start.Add(-time.Second)))
	assert.False(t, b.IsActive(f.start))
}

// bookingIn returns the fixture's booking brought to status by the transitions that
// lead there.
func bookingIn(t *testing.T, f bookingFixture, status domain.Status) *domain.Booking {
	t.Helper()
	b := f.pending(t)
	pol := f.club.Policy
	switch status {
	case domain.StatusPending:
	case domain.StatusConfirmed:
		require.NoError(t, b.ConfirmPayment(f.quote.Total, "pay-1", f.now.Add(5*time.Minute)))
	case domain.StatusCompleted:
		require.NoError(t, b.ConfirmPayment(f.quote.Total, "pay-1", f.now.Add(5*time.Minute)))
		require.NoError(t, b.Complete(f.end))
	case domain.StatusNoShow:
		require.NoError(t, b.ConfirmPayment(f.quote.Total, "pay-1", f.now.Add(5*time.Minute)))
		require.NoError(t, b.MarkNoShow(f.start.Add(15*time.Minute)))
	case domain.StatusExpired:
		require.NoError(t, b.Expire(b.HoldExpiresAt()))
	case domain.StatusCancelled:
		_, err := b.Cancel(pol, f.now.Add(5*time.Minute))
		require.NoError(t, err)
	default:
		require.Failf(t, "unknown status", "%s", status)
	}
	require.Equal(t, status, b.Status())
	return b
}

func TestBookingTransitions(t *testing.T) {
	t.Parallel()

	// Every action is tried when no clock rule stands in the way, so that only the state
	// decides: an hour after the game ended, or for a payment, a minute before it starts.
	type action struct {
		name string
		do   func(b *domain.Booking, f bookingFixture, now time.Time) error
		when func(f bookingFixture) time.Time // nil: an hour after the end
	}
	confirm := action{"confirm payment", func(b *domain.Booking, f bookingFixture, now time.Time) error {
		return b.ConfirmPayment(f.quote.Total, "pay-2", now)
	}, func(f bookingFixture) time.Time { return f.start.Add(-time.Minute) }}
	expire := action{"expire", func(b *domain.Booking, _ bookingFixture, now time.Time) error { return b.Expire(now) }, nil}
	cancel := action{"cancel", func(b *domain.Booking, f bookingFixture, now time.Time) error {
		_, err := b.Cancel(f.club.Policy, now)
		return err
	}, nil}
	complete := action{"complete", func(b *domain.Booking, _ bookingFixture, now time.Time) error { return b.Complete(now) }, nil}
	noShow := action{"mark no-show", func(b *domain.Booking, _ bookingFixture, now time.Time) error { return b.MarkNoShow(now) }, nil}
	// The recording actions keep the state: they are allowed in some and refused in others.
	checkout := action{"open a checkout", func(b *domain.Booking, _ bookingFixture, _ time.Time) error {
		return b.SetCheckout("gateway-2", "checkout-2")
	}, nil}
	paidThrough := action{"note the gateway that took the payment", func(b *domain.Booking, _ bookingFixture, _ time.Time) error {
		return b.PaidThrough("gateway-2")
	}, nil}
	refund := action{"refund half the payment", func(b *domain.Booking, f bookingFixture, _ time.Time) error {
		return b.AddRefund(f.quote.Total.Share(5000))
	}, nil}
	giveBack := action{"give back a payment that came twice", func(b *domain.Booking, f bookingFixture, _ time.Time) error {
		return b.ReturnPayment(f.quote.Total)
	}, nil}

	const (
		invalid = domain.Status("")  // the action is refused with invalid_transition
		unpaid  = domain.Status("-") // the refund is refused with invalid: nothing was paid
	)
	tests := []struct {
		from   domain.Status
		action action
		to     domain.Status
	}{
		{domain.StatusPending, confirm, domain.StatusConfirmed},
		{domain.StatusPending, expire, domain.StatusExpired},
		{domain.StatusPending, cancel, domain.StatusCancelled},
		{domain.StatusPending, complete, invalid},
		{domain.StatusPending, noShow, invalid},
		{domain.StatusPending, checkout, domain.StatusPending},
		{domain.StatusPending, paidThrough, invalid},
		{domain.StatusPending, refund, invalid},
		{domain.StatusPending, giveBack, domain.StatusPending},

		{domain.StatusConfirmed, confirm, invalid},
		{domain.StatusConfirmed, expire, invalid},
		{domain.StatusConfirmed, cancel, domain.StatusCancelled},
		{domain.StatusConfirmed, complete, domain.StatusCompleted},
		{domain.StatusConfirmed, noShow, domain.StatusNoShow},
		{domain.StatusConfirmed, checkout, invalid},
		{domain.StatusConfirmed, paidThrough, domain.StatusConfirmed},
		{domain.StatusConfirmed, refund, domain.StatusConfirmed},
		{domain.StatusConfirmed, giveBack, domain.StatusConfirmed},

		{domain.StatusCompleted, confirm, invalid},
		{domain.StatusCompleted, expire, invalid},
		{domain.StatusCompleted, cancel, invalid},
		{domain.StatusCompleted, complete, invalid},
		{domain.StatusCompleted, noShow, invalid},
		{domain.StatusCompleted, checkout, invalid},
		{domain.StatusCompleted, paidThrough, invalid},
		{domain.StatusCompleted, refund, domain.StatusCompleted},
		{domain.StatusCompleted, giveBack, domain.StatusCompleted},

		{domain.StatusNoShow, confirm, invalid},
		{domain.StatusNoShow, expire, invalid},
		{domain.StatusNoShow, cancel, invalid},
		{domain.StatusNoShow, complete, invalid},
		{domain.StatusNoShow, noShow, invalid},
		{domain.StatusNoShow, checkout, invalid},
		{domain.StatusNoShow, paidThrough, invalid},
		{domain.StatusNoShow, refund, domain.StatusNoShow},
		{domain.StatusNoShow, giveBack, domain.StatusNoShow},

		// A payment that arrives after the hold ran out still confirms the booking; the
		// store refuses it if the slot was taken meanwhile.
		{domain.StatusExpired, confirm, domain.StatusConfirmed},
		{domain.StatusExpired, expire, invalid},
		{domain.StatusExpired, cancel, invalid},
		{domain.StatusExpired, complete, invalid},
		{domain.StatusExpired, noShow, invalid},
		{domain.StatusExpired, checkout, invalid},
		{domain.StatusExpired, paidThrough, invalid},
		{domain.StatusExpired, refund, invalid},
		{domain.StatusExpired, giveBack, domain.StatusExpired},

		{domain.StatusCancelled, confirm, invalid},
		{domain.StatusCancelled, expire, invalid},
		{domain.StatusCancelled, cancel, invalid},
		{domain.StatusCancelled, complete, invalid},
		{domain.StatusCancelled, noShow, invalid},
		// The fixture's cancelled booking was never paid: there is nothing to refund.
		{domain.StatusCancelled, checkout, invalid},
		{domain.StatusCancelled, paidThrough, invalid},
		{domain.StatusCancelled, refund, unpaid},
		{domain.StatusCancelled, giveBack, domain.StatusCancelled},
	}
	for _, tt := range tests {
		t.Run(string(tt.from)+"/"+tt.action.name, func(t *testing.T) {
			t.Parallel()
			f := newBookingFixture(t, nil)
			b := bookingIn(t, f, tt.from)
			before := b.Record()
			now := f.end.Add(time.Hour)
			if tt.action.when != nil {
				now = tt.action.when(f)
			}

			err := tt.action.do(b, f, now)

			switch tt.to {
			case invalid:
				assertCode(t, err, domain.CodeInvalidTransition)
				assert.Equal(t, domain.KindConflict, domain.ErrorKind(err))
				assert.Equal(t, before, b.Record(), "a refused transition changes nothing")
				return
			case unpaid:
				assertCode(t, err, domain.CodeInvalid)
				assert.Equal(t, before, b.Record(), "a refused refund changes nothing")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.to, b.Status())
			if tt.to != tt.from {
				assert.Equal(t, now, b.Record().UpdatedAt)
			} else {
				assert.NotEqual(t, before, b.Record(), "the action recorded something")
			}
		})
	}
}

func TestBookingTransitionsWaitForTheirTime(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		from   domain.Status
		do     func(b *domain.Booking, now time.Time) error
		when   func(f bookingFixture, b *domain.Booking) time.Time
		allows bool
	}{
		{"a hold cannot expire before it runs out", domain.StatusPending,
			func(b *domain.Booking, now time.Time) error { return b.Expire(now) },
			func(_ bookingFixture, b *domain.Booking) time.Time { return b.HoldExpiresAt().Add(-time.Second) }, false},
		{"a hold expires when it runs out", domain.StatusPending,
			func(b *domain.Booking, now time.Time) error { return b.Expire(now) },
			func(_ bookingFixture, b *domain.Booking) time.Time { return b.HoldExpiresAt() }, true},
		{"a game is not completed before it ends", domain.StatusConfirmed,
			func(b *domain.Booking, now time.Time) error { return b.Complete(now) },
			func(f bookingFixture, _ *domain.Booking) time.Time { return f.end.Add(-time.Minute) }, false},
		{"a game is completed when it ends", domain.StatusConfirmed,
			func(b *domain.Booking, now time.Time) error { return b.Complete(now) },
			func(f bookingFixture, _ *domain.Booking) time.Time { return f.end }, true},
		{"no one is a no-show before the start", domain.StatusConfirmed,
			func(b *domain.Booking, now time.Time) error { return b.MarkNoShow(now) },
			func(f bookingFixture, _ *domain.Booking) time.Time { return f.start.Add(-time.Minute) }, false},
		{"a customer missing at the start is a no-show", domain.StatusConfirmed,
			func(b *domain.Booking, now time.Time) error { return b.MarkNoShow(now) },
			func(f bookingFixture, _ *domain.Booking) time.Time { return f.start }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newBookingFixture(t, nil)
			b := bookingIn(t, f, tt.from)

			err := tt.do(b, tt.when(f, b))

			if tt.allows {
				assert.NoError(t, err)
				assert.NotEqual(t, tt.from, b.Status())
			} else {
				assertCode(t, err, domain.CodeInvalidTransition)
				assert.Equal(t, tt.from, b.Status())
			}
		})
	}
}

func TestCancellationRefunds(t *testing.T) {
	t.Parallel()

	// The game starts Tuesday at 19:00 and was paid 12 000.00 ARS; the cut-off is 24 hours.
	tests := []struct {
		name       string
		from       domain.Status
		lateShare  int // basis points
		beforeGame time.Duration
		refund     int64
	}{
		{"two days ahead: all of it", domain.StatusConfirmed, 5000, 48 * time.Hour, 1200000},
		{"exactly at the cut-off: all of it", domain.StatusConfirmed, 5000, 24 * time.Hour, 1200000},
		{"a minute after the cut-off: the late share", domain.StatusConfirmed, 5000, 24*time.Hour - time.Minute, 600000},
		{"a minute before the start: the late share", domain.StatusConfirmed, 5000, time.Minute, 600000},
		{"a late share of a third, rounded down", domain.StatusConfirmed, 3333, time.Hour, 399960},
		{"no late refund at all", domain.StatusConfirmed, 0, time.Hour, 0},
		{"at the start: nothing", domain.StatusConfirmed, 5000, 0, 0},
		{"after the start: nothing", domain.StatusConfirmed, 5000, -30 * time.Minute, 0},
		{"an unpaid hold: nothing to refund", domain.StatusPending, 5000, 31 * time.Hour, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newBookingFixture(t, func(p *domain.Policy) { p.LateRefundBasisPoints = tt.lateShare })
			b := bookingIn(t, f, tt.from)

			refund, err := b.Cancel(f.club.Policy, f.start.Add(-tt.beforeGame))

			require.NoError(t, err)
			assert.Equal(t, pesos(tt.refund), refund)
			assert.Equal(t, pesos(tt.refund), b.Refund())
			assert.Equal(t, domain.StatusCancelled, b.Status())
			assert.False(t, b.IsActive(f.start.Add(-tt.beforeGame)))
		})
	}
}

// A booking part refunded at the provider (its dashboard) refunds only what is left.
func TestCancellationRefundsWhatIsLeft(t *testing.T) {
	t.Parallel()
	f := newBookingFixture(t, nil)
	b := bookingIn(t, f, domain.StatusConfirmed)
	require.NoError(t, b.AddRefund(pesos(1000000)))

	refund, err := b.Cancel(f.club.Policy, f.start.Add(-48*time.Hour))

	require.NoError(t, err)
	assert.Equal(t, pesos(200000), refund, "12 000.00 paid, 10 000.00 given back already")
	assert.Equal(t, pesos(1200000), b.Refund())

	b = bookingIn(t, f, domain.StatusConfirmed)
	require.NoError(t, b.AddRefund(pesos(1200000)))
	refund, err = b.Cancel(f.club.Policy, f.start.Add(-48*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, pesos(0), refund, "nothing is left to refund")
}

func TestPaidThrough(t *testing.T) {
	t.Parallel()
	f := newBookingFixture(t, nil)
	b := f.pending(t)
	require.NoError(t, b.SetCheckout("old-gateway", "checkout-1"))
	assertCode(t, b.PaidThrough("new-gateway"), domain.CodeInvalidTransition)
	assert.Equal(t, "old-gateway", b.PaymentGateway(), "a pending booking's gateway is its checkout's")
	require.NoError(t, b.ConfirmPayment(b.Quote().Total, "pay-1", f.now))
	require.NoError(t, b.PaidThrough("new-gateway"))
	assert.Equal(t, "new-gateway", b.PaymentGateway(), "the gateway that took the payment")
	assertCode(t, b.PaidThrough(""), domain.CodeInvalid)
	assert.Equal(t, "new-gateway", b.PaymentGateway(), "a gateway without a name changes nothing")
}

func TestSetCheckout(t *testing.T) {
	t.Parallel()
	f := newBookingFixture(t, nil)
	b := f.pending(t)

	require.NoError(t, b.SetCheckout("gateway-1", "checkout-1"))
	require.NoError(t, b.SetCheckout("gateway-2", "checkout-2"), "a booking retried with its key reopens its checkout, maybe at another gateway")
	assert.Equal(t, "gateway-2", b.PaymentGateway())
	assert.Equal(t, "checkout-2", b.PaymentRef())

	before := b.Record()
	assertCode(t, b.SetCheckout("", "checkout-3"), domain.CodeInvalid)
	assertCode(t, b.SetCheckout("gateway-3", ""), domain.CodeInvalid)
	assert.Equal(t, before, b.Record(), "a checkout without its gateway or reference changes nothing")
}

func TestConfirmPayment(t *testing.T) {
	t.Parallel()

	f := newBookingFixture(t, nil)
	b := f.pending(t)
	require.NoError(t, b.SetCheckout("gateway-1", "checkout-1"))
	now := f.now.Add(3 * time.Minute)

	require.NoError(t, b.ConfirmPayment(pesos(1200000), "", now))

	assert.Equal(t, domain.StatusConfirmed, b.Status())
	assert.Equal(t, pesos(1200000), b.Paid())
	assert.Equal(t, "checkout-1", b.PaymentRef(), "an empty reference keeps the checkout's")
	assert.True(t, b.IsActive(b.HoldExpiresAt().Add(time.Hour)), "a confirmed booking holds its court after the hold")
}

func TestConfirmPaymentOfTheWrongAmount(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		paid domain.Money
	}{
		{"less than the quote", pesos(1199999)},
		{"more than the quote", pesos(1200001)},
		{"the right number in another currency", domain.NewMoney(1200000, domain.MustCurrency("USD"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newBookingFixture(t, nil)
			b := f.pending(t)

			err := b.ConfirmPayment(tt.paid, "pay-1", f.now.Add(time.Minute))

			assertCode(t, err, domain.CodeAmountMismatch)
			assert.Equal(t, domain.KindConflict, domain.ErrorKind(err))
			assert.Equal(t, domain.StatusPending, b.Status())
			assert.Equal(t, pesos(0), b.Paid())
			assert.Empty(t, b.PaymentRef())
		})
	}
}

func TestIsActive(t *testing.T) {
	t.Parallel()

	hold := time.Date(2026, 3, 9, 15, 10, 0, 0, time.UTC)
	tests := []struct {
		status domain.Status
		now    time.Time
		want   bool
	}{
		{domain.StatusPending, hold.Add(-time.Second), true},
		{domain.StatusPending, hold, false},
		{domain.StatusPending, hold.Add(time.Hour), false},
		{domain.StatusConfirmed, hold.Add(time.Hour), true},
		{domain.StatusExpired, hold.Add(-time.Minute), false},
		{domain.StatusCancelled, hold.Add(-time.Minute), false},
		{domain.StatusCompleted, hold.Add(-time.Minute), false},
		{domain.StatusNoShow, hold.Add(-time.Minute), false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, domain.IsActive(tt.status, hold, tt.now), "%s at %s", tt.status, tt.now)
	}
}

func TestBookingRecordRoundTrip(t *testing.T) {
	t.Parallel()

	f := newBookingFixture(t, nil)
	b := bookingIn(t, f, domain.StatusConfirmed)

	r := b.Record()
	r.Version = 1 // as a store keeps it

	restored, err := domain.RestoreBooking(r)

	require.NoError(t, err)
	assert.Equal(t, r, restored.Record())
	assert.Equal(t, domain.Occupancy{
		BookingID: "b-1", CourtID: "c1", Interval: domain.Interval{Start: f.start, End: f.end},
		Status: domain.StatusConfirmed, HoldExpiresAt: b.HoldExpiresAt(),
	}, restored.Occupancy())
	assert.Equal(t, 1, restored.Version())
}

func TestAddRefund(t *testing.T) {
	t.Parallel()

	f := newBookingFixture(t, nil)
	b := bookingIn(t, f, domain.StatusConfirmed) // 12 000.00 ARS paid

	require.NoError(t, b.AddRefund(pesos(500000)))
	require.NoError(t, b.AddRefund(pesos(700000)))
	require.NoError(t, b.AddRefund(pesos(0)))
	assert.Equal(t, pesos(1200000), b.Refund())

	tests := []struct {
		name    string
		already int64 // refunded before, in centavos
		refund  domain.Money
		code    string
	}{
		{"a centavo more than was paid", 1200000, pesos(1), domain.CodeInvalid},
		{"a refund larger than the payment", 0, pesos(1200001), domain.CodeInvalid},
		{"a negative refund", 0, pesos(-100), domain.CodeInvalid},
		{"a refund in dollars of a booking in pesos", 0, domain.NewMoney(100, domain.MustCurrency("USD")), domain.CodeCurrencyMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := bookingIn(t, f, domain.StatusConfirmed)
			require.NoError(t, b.AddRefund(pesos(tt.already)))
			before := b.Record()

			err := b.AddRefund(tt.refund)

			assertCode(t, err, tt.code)
			assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err))
			assert.Equal(t, before, b.Record(), "a refused refund changes nothing")
		})
	}
}

// A payment that did not confirm the booking is given back whatever the booking's
// state, on top of what the booking's own payment has been refunded.
func TestReturnPayment(t *testing.T) {
	t.Parallel()
	f := newBookingFixture(t, nil)

	b := f.pending(t)
	require.NoError(t, b.ReturnPayment(pesos(1200001)), "a payment of the wrong amount is given back in full")
	assert.Equal(t, pesos(1200001), b.Refund())

	for _, tt := range []struct {
		name    string
		payment domain.Money
		code    string
	}{
		{"a payment of nothing", pesos(0), domain.CodeInvalid},
		{"a negative payment", pesos(-1), domain.CodeInvalid},
		{"a payment in dollars", domain.NewMoney(100, domain.MustCurrency("USD")), domain.CodeCurrencyMismatch},
	} {
		before := b.Record()
		assertCode(t, b.ReturnPayment(tt.payment), tt.code)
		assert.Equal(t, before, b.Record(), "%s: a refused return changes nothing", tt.name)
	}
}

func TestNewCustomer(t *testing.T) {
	t.Parallel()

	c, err := domain.NewCustomer("  Ana Pérez ", " Ana@Example.COM ", " +54 11 5555 0000 ", domain.CategoryAny)
	require.NoError(t, err)
	assert.Equal(t, domain.Customer{Name: "Ana Pérez", Email: "ana@example.com", Phone: "+54 11 5555 0000", Category: domain.CategoryGuest}, c)

	tests := []struct {
		name, customer, email string
		cat                   domain.CustomerCategory
	}{
		{"no name", " ", "ana@example.com", domain.CategoryGuest},
		{"a name too long", strings.Repeat("a", 101), "ana@example.com", domain.CategoryGuest},
		{"no email", "Ana", "", domain.CategoryGuest},
		{"not an email", "Ana", "ana.example.com", domain.CategoryGuest},
		{"an email with a display name", "Ana", "Ana <ana@example.com>", domain.CategoryGuest},
		{"an unknown category", "Ana", "ana@example.com", "vip"},
	}
	for _, tt := range tests {
		_, err := domain.NewCustomer(tt.customer, tt.email, "", tt.cat)
		assertCode(t, err, domain.CodeInvalid)
	}
}

func TestRefundsAddUp(t *testing.T) {
	t.Parallel()
	f := newBookingFixture(t, nil)
	b := bookingIn(t, f, domain.StatusConfirmed)
	require.NoError(t, b.AddRefund(domain.NewMoney(100000, domain.MustCurrency("ARS"))))
	assertCode(t, b.AddRefund(domain.NewMoney(5, domain.MustCurrency("USD"))), domain.CodeCurrencyMismatch)
	assert.Equal(t, int64(100000), b.Refund().Amount(), "a refund in another currency is not this booking's")
	refund, err := b.Cancel(f.club.Policy, f.now.Add(10*time.Minute))
	require.NoError(t, err)
	assert.Equal(t, b.Paid().Amount()-100000, refund.Amount(), "the cancellation refunds what is left")
	assert.Equal(t, b.Paid().Amount(), b.Refund().Amount(), "refunds add up to what was paid, never more")
}

func TestAPaymentAfterTheStartConfirmsNothing(t *testing.T) {
	t.Parallel()
	f := newBookingFixture(t, nil)
	for _, from := range []domain.Status{domain.StatusPending, domain.StatusExpired} {
		b := bookingIn(t, f, from)
		before := b.Record()
		err := b.ConfirmPayment(f.quote.Total, "pay-late", f.start)
		assertCode(t, err, domain.CodeBookingStarted)
		assert.Equal(t, before, b.Record(), "a late payment changes nothing")
	}
}

// A booking cancelled late gives back the policy's share; the club may refund the rest
// at the provider's dashboard afterwards, and not a centavo more.
func TestARefundAfterALateCancellation(t *testing.T) {
	t.Parallel()
	f := newBookingFixture(t, nil)
	b := bookingIn(t, f, domain.StatusConfirmed)
	refund, err := b.Cancel(f.club.Policy, f.start.Add(-time.Hour))
	require.NoError(t, err)
	require.Equal(t, pesos(600000), refund)

	require.NoError(t, b.AddRefund(pesos(600000)))
	assertCode(t, b.AddRefund(pesos(1)), domain.CodeInvalid)
	assert.Equal(t, pesos(1200000), b.Refund())
}

func TestRestoreBookingChecksWhatItLoads(t *testing.T) {
	t.Parallel()

	usd := domain.MustCurrency("USD")
	tests := []struct {
		name  string
		edit  func(r *domain.BookingRecord)
		fault string // "" when the record loads; a part of the message otherwise
	}{
		{"a stored confirmed booking", func(*domain.BookingRecord) {}, ""},
		{"a refund of the whole payment", func(r *domain.BookingRecord) { r.Refund = r.Paid }, ""},
		{"a record from before refunds had a currency", func(r *domain.BookingRecord) { r.Refund = domain.Money{} }, ""},
		{"no id", func(r *domain.BookingRecord) { r.ID = "" }, "id is empty"},
		{"no club", func(r *domain.BookingRecord) { r.ClubID = "" }, "club id is empty"},
		{"no court", func(r *domain.BookingRecord) { r.CourtID = "" }, "court id is empty"},
		{"an unknown status", func(r *domain.BookingRecord) { r.Status = "paid" }, `status "paid" is unknown`},
		{"a game that ends before it starts", func(r *domain.BookingRecord) {
			r.Interval.Start, r.Interval.End = r.Interval.End, r.Interval.Start
		}, "does not end after it starts"},
		{"a game of no length", func(r *domain.BookingRecord) { r.Interval.End = r.Interval.Start }, "does not end after it starts"},
		{"a pending booking without a hold", func(r *domain.BookingRecord) {
			r.Status, r.HoldExpiresAt = domain.StatusPending, time.Time{}
		}, "no hold expiry"},
		{"a quote without a currency", func(r *domain.BookingRecord) { r.Quote.Total = domain.Money{} }, "no currency"},
		{"a negative quote", func(r *domain.BookingRecord) { r.Quote.Total = pesos(-1) }, "quote of -0.01 ARS is negative"},
		{"a negative payment", func(r *domain.BookingRecord) { r.Paid = pesos(-1) }, "paid is negative"},
		{"a negative refund", func(r *domain.BookingRecord) { r.Refund = pesos(-1) }, "refunded is negative"},
		{"a payment in dollars for a game in pesos", func(r *domain.BookingRecord) {
			r.Paid = domain.NewMoney(r.Paid.Amount(), usd)
		}, "paid, 12000.00 USD, is not in the quote's currency ARS"},
		{"a refund in dollars", func(r *domain.BookingRecord) { r.Refund = domain.NewMoney(5, usd) }, "refunded"},
		{"a quote line in dollars", func(r *domain.BookingRecord) {
			r.Quote.Lines[0].Amount = domain.NewMoney(r.Quote.Lines[0].Amount.Amount(), usd)
		}, "quote line"},
		{"a booking never stored", func(r *domain.BookingRecord) { r.Version = 0 }, "version 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newBookingFixture(t, nil)
			r := bookingIn(t, f, domain.StatusConfirmed).Record()
			r.Version = 1
			tt.edit(&r)

			b, err := domain.RestoreBooking(r)

			if tt.fault == "" {
				require.NoError(t, err)
				assert.Equal(t, r, b.Record())
				return
			}
			assertCode(t, err, domain.CodeInternal)
			assert.Equal(t, domain.KindInternal, domain.ErrorKind(err))
			assert.Contains(t, err.Error(), tt.fault)
			if r.ID != "" {
				assert.Contains(t, err.Error(), `"b-1"`, "the message names the booking")
			}
			assert.Nil(t, b)
		})
	}
}

// A customer who first paid the wrong amount (given back in full) and then the right
// one has a booking that can still be cancelled.
func TestCancellingAfterAPaymentGivenBack(t *testing.T) {
	t.Parallel()
	f := newBookingFixture(t, nil)
	b := f.pending(t)
	require.NoError(t, b.ReturnPayment(pesos(1200001)))
	require.NoError(t, b.ConfirmPayment(f.quote.Total, "pay-1", f.now.Add(time.Minute)))

	_, err := b.Cancel(f.club.Policy, f.start.Add(-48*time.Hour))

	require.NoError(t, err)
	assert.Equal(t, domain.StatusCancelled, b.Status())
}
