package app_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

func TestCreateBookingHoldsTheSlotAndOpensACheckout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	res := e.book(t, e.bookingCmd())

	b := res.Booking
	assert.False(t, res.Replayed)
	assert.Equal(t, domain.StatusPending, b.Status())
	assert.Equal(t, e.padel1.ID, b.CourtID())
	assert.Equal(t, e.at(tomorrow, "10:00"), b.Interval().Start)
	assert.Equal(t, e.at(tomorrow, "11:30"), b.Interval().End)
	assert.Equal(t, startTime.Add(10*time.Minute), b.HoldExpiresAt(), "held for the policy's hold time")
	assert.Equal(t, money(bookingTotal), b.Quote().Total)
	assert.Len(t, b.Quote().Lines, 3)
	assert.Equal(t, "ana@example.com", b.Customer().Email)

	// The checkout is open at the sandbox for the quote, and its reference is recorded.
	require.NotEmpty(t, b.PaymentRef())
	assert.Equal(t, sandboxBase+"/sandbox/checkout/"+b.PaymentRef(), res.CheckoutURL)
	stored := e.stored(t, b.ID())
	assert.Equal(t, b.PaymentRef(), stored.PaymentRef(), "the payment reference is stored")
	p := e.payment(t, stored)
	assert.Equal(t, ports.PaymentPending, p.Status)
	assert.Equal(t, b.ID(), p.BookingID)
	assert.Equal(t, money(bookingTotal), p.Amount)
	require.Len(t, e.gateway.checkouts, 1)
	assert.Equal(t, b.HoldExpiresAt(), e.gateway.checkouts[0].ExpiresAt, "the checkout ends with the hold")

	// The access token is the customer's secret: only a hash of it is stored.
	require.NotEmpty(t, res.AccessToken)
	assert.NotEmpty(t, stored.TokenHash())
	assert.NotEqual(t, res.AccessToken, stored.TokenHash())
	assert.NotContains(t, stored.TokenHash(), res.AccessToken)
	got, err := e.app.Bookings.Get(context.Background(), b.ID(), res.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, b.ID(), got.Booking.ID())
	assert.Equal(t, e.club.ID, got.Club.ID)

	// The hold's expiry is scheduled with the booking.
	assert.Equal(t, 1, e.queue.Stats().Scheduled)
}

func TestAFreeBookingIsConfirmedWithoutACheckout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.app.Admin.SavePriceRule(context.Background(), e.club, domain.PriceRule{
		Name: "Free mornings", Sport: domain.Padel, Weekdays: domain.EveryDay, Window: window("08:00", "12:00"),
		Priority: 99, Rate: domain.NewMoney(0, ars),
	})
	require.NoError(t, err)

	res := e.book(t, e.bookingCmd())

	assert.Equal(t, domain.StatusConfirmed, res.Booking.Status())
	assert.True(t, res.Booking.Quote().Total.IsZero())
	assert.Empty(t, res.CheckoutURL, "nothing to pay")
	e.gateway.mu.Lock()
	assert.Empty(t, e.gateway.checkouts)
	e.gateway.mu.Unlock()
	e.drain(t)
	assert.Equal(t, []ports.MessageKind{ports.MessageConfirmation}, e.messages(res.Booking.ID()))
	e.clock.Advance(time.Hour)
	e.drain(t)
	assert.Equal(t, domain.StatusConfirmed, e.stored(t, res.Booking.ID()).Status(), "no hold runs out")
}

func TestCreateBookingRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	other, _ := e.seedClub(t, "club-two", domain.DefaultPolicy())
	foreign := e.saveCourt(t, other, "Padel 1", domain.Padel)
	inactive, err := e.app.Admin.SaveCourt(ctx, e.club, domain.Court{Name: "Padel 9", Sport: domain.Padel})
	require.NoError(t, err)
	pickleball := e.saveCourt(t, e.club, "Pickleball 1", domain.Pickleball) // no rule prices it
	_, err = e.app.Admin.SaveClosure(ctx, e.club, domain.Closure{
		CourtID: e.padel2.ID, Interval: domain.Interval{Start: e.at(tomorrow, "10:00"), End: e.at(tomorrow, "12:00")}, Reason: "maintenance",
	})
	require.NoError(t, err)

	cases := []struct {
		name string
		edit func(*app.CreateBookingCommand)
		kind domain.Kind
		code string
	}{
		{"within the lead time", func(c *app.CreateBookingCommand) { c.Start = e.at(domain.DateOf(startTime, e.club.Location), "09:00") }, domain.KindPolicy, domain.CodeLeadTime},
		{"beyond the horizon", func(c *app.CreateBookingCommand) { c.Start = e.at(tomorrow.AddDays(14), "10:00") }, domain.KindPolicy, domain.CodeHorizon},
		{"a duration padel does not allow", func(c *app.CreateBookingCommand) { c.Duration = 30 * time.Minute }, domain.KindPolicy, domain.CodeDurationNotAllowed},
		{"a duration off the granularity", func(c *app.CreateBookingCommand) { c.Duration = 75 * time.Minute }, domain.KindPolicy, domain.CodeDurationNotAllowed},
		{"no duration", func(c *app.CreateBookingCommand) { c.Duration = 0 }, domain.KindInvalid, domain.CodeInvalid},
		{"after closing time", func(c *app.CreateBookingCommand) { c.Start = e.at(tomorrow, "02:00") }, domain.KindPolicy, domain.CodeOutsideOpeningHours},
		{"running past closing time", func(c *app.CreateBookingCommand) { c.Start = e.at(tomorrow, "07:30") }, domain.KindPolicy, domain.CodeOutsideOpeningHours},
		{"a start off the slot grid", func(c *app.CreateBookingCommand) { c.Start = e.at(tomorrow, "10:10") }, domain.KindPolicy, domain.CodeMisaligned},
		{"a court closed then", func(c *app.CreateBookingCommand) { c.CourtID = e.padel2.ID }, domain.KindPolicy, domain.CodeClosed},
		{"a slot no rule prices", func(c *app.CreateBookingCommand) { c.CourtID = pickleball.ID }, domain.KindPolicy, domain.CodeNotPriced},
		{"an inactive court", func(c *app.CreateBookingCommand) { c.CourtID = inactive.ID }, domain.KindPolicy, domain.CodeCourtInactive},
		{"an unknown court", func(c *app.CreateBookingCommand) { c.CourtID = "no-such-court" }, domain.KindNotFound, domain.CodeNotFound},
		{"another club's court", func(c *app.CreateBookingCommand) { c.CourtID = foreign.ID }, domain.KindNotFound, domain.CodeNotFound},
		{"an unknown club", func(c *app.CreateBookingCommand) { c.ClubSlug = "no-such-club" }, domain.KindNotFound, domain.CodeNotFound},
		{"a customer without a name", func(c *app.CreateBookingCommand) { c.Customer.Name = "  " }, domain.KindInvalid, domain.CodeInvalid},
		{"a customer email that is no address", func(c *app.CreateBookingCommand) { c.Customer.Email = "ana at example" }, domain.KindInvalid, domain.CodeInvalid},
		{"an unknown customer category", func(c *app.CreateBookingCommand) { c.Customer.Category = "vip" }, domain.KindInvalid, domain.CodeInvalid},
		{"an idempotency key too long", func(c *app.CreateBookingCommand) { c.IdempotencyKey = strings.Repeat("k", 256) }, domain.KindInvalid, domain.CodeInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := e.bookingCmd()
			c.edit(&cmd)
			res, err := e.app.Bookings.Create(ctx, cmd)
			requireCode(t, err, c.kind, c.code)
			assert.Nil(t, res.Booking)
			assert.Empty(t, res.AccessToken)
		})
	}

	// Nothing was held, charged or scheduled.
	list, err := e.app.Admin.ListBookings(ctx, e.club, ports.BookingFilter{})
	require.NoError(t, err)
	assert.Empty(t, list)
	assert.Empty(t, e.gateway.checkouts)
	assert.Zero(t, e.queue.Stats().Scheduled)
}

func TestCreateBookingOfATakenSlot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.book(t, e.bookingCmd())

	clash := e.bookingCmd()
	clash.Start = clash.Start.Add(30 * time.Minute)
	clash.Customer = app.CustomerInput{Name: "Bruno", Email: "bruno@example.com"}
	_, err := e.app.Bookings.Create(context.Background(), clash)
	requireCode(t, err, domain.KindConflict, domain.CodeSlotUnavailable)

	clash.CourtID = e.padel2.ID
	other := e.book(t, clash)
	assert.NotEqual(t, first.Booking.ID(), other.Booking.ID())
	assert.NotEqual(t, first.AccessToken, other.AccessToken)
}

func TestCreateBookingIdempotency(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	cmd := e.bookingCmd()
	cmd.IdempotencyKey = "key-1"
	first := e.book(t, cmd)
	require.False(t, first.Replayed)

	// The same request under the same key is the same booking, token and checkout.
	again := e.book(t, cmd)
	assert.True(t, again.Replayed)
	assert.Equal(t, first.Booking.ID(), again.Booking.ID())
	assert.Equal(t, first.AccessToken, again.AccessToken)
	assert.Equal(t, first.CheckoutURL, again.CheckoutURL)
	assert.Equal(t, first.Booking.PaymentRef(), again.Booking.PaymentRef())

	// An email in other letter case is the same customer, so the same request.
	shouted := cmd
	shouted.Customer.Email = "ANA@Example.com"
	same := e.book(t, shouted)
	assert.True(t, same.Replayed)
	assert.Equal(t, first.Booking.ID(), same.Booking.ID())

	// The same key for anything else is refused.
	for name, edit := range map[string]func(*app.CreateBookingCommand){
		"another start":    func(c *app.CreateBookingCommand) { c.Start = c.Start.Add(time.Hour) },
		"another court":    func(c *app.CreateBookingCommand) { c.CourtID = e.padel2.ID },
		"another duration": func(c *app.CreateBookingCommand) { c.Duration = time.Hour },
		"another customer": func(c *app.CreateBookingCommand) { c.Customer.Email = "bruno@example.com" },
		"another category": func(c *app.CreateBookingCommand) { c.Customer.Category = domain.CategoryMember },
	} {
		t.Run(name, func(t *testing.T) {
			other := cmd
			edit(&other)
			_, err := e.app.Bookings.Create(ctx, other)
			requireCode(t, err, domain.KindConflict, domain.CodeIdempotencyKeyReused)
		})
	}

	list, err := e.app.Admin.ListBookings(ctx, e.club, ports.BookingFilter{})
	require.NoError(t, err)
	assert.Len(t, list, 1)
	assert.Len(t, e.gateway.checkouts, 3, "each replay reopens the same checkout")
	for _, co := range e.gateway.checkouts {
		assert.Equal(t, first.Booking.ID(), co.BookingID)
	}

	// Once paid, the replay still answers with the booking and its token.
	e.payAndConfirm(t, first.Booking)
	paid := e.book(t, cmd)
	assert.True(t, paid.Replayed)
	assert.Equal(t, first.AccessToken, paid.AccessToken)
	assert.Equal(t, domain.StatusConfirmed, paid.Booking.Status())
	assert.Empty(t, paid.CheckoutURL, "a paid booking has nothing left to pay")
}

func TestCreateBookingConcurrentRequestsWithOneKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cmd := e.bookingCmd()
	cmd.IdempotencyKey = "double-click"

	// Every request first finds no booking under the key, so all of them try to make
	// it: one does, and the others learn of it from the store.
	const n = 16
	var arrived sync.WaitGroup
	arrived.Add(n)
	var seen atomic.Int32
	e.store.onFindByKey(func() {
		if seen.Add(1) <= n {
			arrived.Done()
			arrived.Wait()
		}
	})
	results := make([]app.CreatedBooking, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i], errs[i] = e.app.Bookings.Create(context.Background(), cmd) })
	}
	wg.Wait()

	fresh := 0
	for i := range n {
		require.NoError(t, errs[i], "request %d", i)
		assert.Equal(t, results[0].Booking.ID(), results[i].Booking.ID(), "request %d", i)
		assert.Equal(t, results[0].AccessToken, results[i].AccessToken, "request %d", i)
		assert.Equal(t, results[0].CheckoutURL, results[i].CheckoutURL, "request %d", i)
		if !results[i].Replayed {
			fresh++
		}
	}
	assert.Equal(t, 1, fresh, "one request made the booking; the others replayed it")
	list, err := e.app.Admin.ListBookings(context.Background(), e.club, ports.BookingFilter{})
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, results[0].Booking.PaymentRef(), list[0].PaymentRef())
	assert.Equal(t, 1, e.queue.Stats().Scheduled, "one hold expiry is scheduled")
}

func TestCreateBookingLimitsActiveBookingsPerCustomer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(p *domain.Policy) { p.MaxActivePerCustomer = 2 })
	ctx := context.Background()

	cmd := e.bookingCmd()
	first := e.book(t, cmd)
	cmd.Start = e.at(tomorrow, "14:00")
	e.payAndConfirm(t, e.book(t, cmd).Booking) // confirmed bookings count too

	cmd.Start = e.at(tomorrow, "16:00")
	_, err := e.app.Bookings.Create(ctx, cmd)
	requireCode(t, err, domain.KindPolicy, domain.CodeTooManyActive)
	cmd.Customer.Email = "ANA@EXAMPLE.COM" // the same customer
	_, err = e.app.Bookings.Create(ctx, cmd)
	requireCode(t, err, domain.KindPolicy, domain.CodeTooManyActive)

	// Another customer is not limited by Ana's bookings.
	bruno := cmd
	bruno.Customer = app.CustomerInput{Name: "Bruno", Email: "bruno@example.com"}
	e.book(t, bruno)

	// A cancelled booking no longer counts, nor does a hold that has run out.
	_, err = e.app.Bookings.Cancel(ctx, first.Booking.ID(), first.AccessToken)
	require.NoError(t, err)
	cmd.Start = e.at(tomorrow, "18:00")
	held := e.book(t, cmd)
	cmd.Start = e.at(tomorrow, "20:00")
	_, err = e.app.Bookings.Create(ctx, cmd)
	requireCode(t, err, domain.KindPolicy, domain.CodeTooManyActive)
	e.clock.Set(held.Booking.HoldExpiresAt())
	e.book(t, cmd)
}

func TestGetAndCancelNeedTheAccessToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	res := e.book(t, e.bookingCmd())
	otherCmd := e.bookingCmd()
	otherCmd.CourtID = e.padel2.ID
	other := e.book(t, otherCmd)
	id := res.Booking.ID()

	for name, token := range map[string]string{
		"a wrong token":            "not-the-token",
		"another booking's token":  other.AccessToken,
		"the stored hash as token": e.stored(t, id).TokenHash(),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := e.app.Bookings.Get(ctx, id, token)
			requireCode(t, err, domain.KindNotFound, domain.CodeNotFound)
			assert.Zero(t, got, "a refused read returns nothing of the booking")
			_, err = e.app.Bookings.Cancel(ctx, id, token)
			requireCode(t, err, domain.KindNotFound, domain.CodeNotFound)
		})
	}
	_, err := e.app.Bookings.Get(ctx, "no-such-booking", res.AccessToken)
	requireCode(t, err, domain.KindNotFound, domain.CodeNotFound)
	_, err = e.app.Bookings.Get(ctx, id, "")
	requireCode(t, err, domain.KindUnauthorized, domain.CodeUnauthorized)
	_, err = e.app.Bookings.Cancel(ctx, id, "")
	requireCode(t, err, domain.KindUnauthorized, domain.CodeUnauthorized)

	b := e.stored(t, id)
	assert.Equal(t, domain.StatusPending, b.Status(), "no failed attempt changed the booking")
	assert.Equal(t, 2, b.Version(), "created, then given its checkout")

	got, err := e.app.Bookings.Get(ctx, id, res.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, id, got.Booking.ID())
	assert.Equal(t, clubSlug, got.Club.Slug)
}

func TestCancelRefunds(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 11, 13, 0, 0, 0, time.UTC) // tomorrow 10:00 at the club
	cases := []struct {
		name   string
		pay    bool
		at     time.Time // when the customer cancels
		refund int64
	}{
		{"an unpaid hold refunds nothing", false, startTime.Add(time.Minute), 0},
		{"a day and more ahead refunds everything", true, startTime.Add(time.Minute), bookingTotal},
		{"at the cut-off refunds everything", true, start.Add(-24 * time.Hour), bookingTotal},
		{"after the cut-off refunds the policy's share", true, start.Add(-24*time.Hour + time.Minute), bookingTotal / 2},
		{"an hour ahead refunds the policy's share", true, start.Add(-time.Hour), bookingTotal / 2},
		{"once started refunds nothing", true, start, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			res := e.book(t, e.bookingCmd())
			if c.pay {
				e.payAndConfirm(t, res.Booking)
			}
			e.clock.Set(c.at)

			got, err := e.app.Bookings.Cancel(context.Background(), res.Booking.ID(), res.AccessToken)
			require.NoError(t, err)
			e.drain(t)

			assert.Equal(t, money(c.refund), got.Refund)
			assert.Equal(t, domain.StatusCancelled, got.Booking.Status())
			b := e.stored(t, res.Booking.ID())
			assert.Equal(t, domain.StatusCancelled, b.Status())
			assert.Equal(t, c.refund, b.Refund().Amount())

			calls := e.gateway.refundCalls(b.ID())
			if c.refund == 0 {
				assert.Empty(t, calls, "nothing to refund reaches the gateway")
			} else {
				require.Len(t, calls, 1)
				assert.NoError(t, calls[0].err)
				assert.Equal(t, money(c.refund), calls[0].req.Amount)
				assert.Equal(t, b.PaymentRef(), calls[0].req.PaymentRef)
			}
			if c.pay {
				want := ports.PaymentPaid
				if c.refund == bookingTotal {
					want = ports.PaymentRefunded
				}
				assert.Equal(t, want, e.payment(t, b).Status)
			}
			wantMessages := []ports.MessageKind{ports.MessageCancellation}
			if c.pay {
				wantMessages = []ports.MessageKind{ports.MessageConfirmation, ports.MessageCancellation}
			}
			assert.Equal(t, wantMessages, e.messages(b.ID()))
			assert.Contains(t, e.message(t, b.ID(), ports.MessageCancellation).Text, money(c.refund).String())
		})
	}
}

func TestCancelTwiceRefundsOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	res := e.book(t, e.bookingCmd())
	e.payAndConfirm(t, res.Booking)

	first, err := e.app.Bookings.Cancel(ctx, res.Booking.ID(), res.AccessToken)
	require.NoError(t, err)
	e.drain(t)
	// A retry, later and past the cut-off, gives the first answer and does nothing more.
	e.clock.Advance(20 * time.Hour)
	second, err := e.app.Bookings.Cancel(ctx, res.Booking.ID(), res.AccessToken)
	require.NoError(t, err)
	e.drain(t)

	assert.Equal(t, money(bookingTotal), first.Refund)
	assert.Equal(t, first.Refund, second.Refund)
	assert.Equal(t, domain.StatusCancelled, second.Booking.Status())
	assert.Len(t, e.gateway.refundCalls(res.Booking.ID()), 1)
	assert.Equal(t, []ports.MessageKind{ports.MessageConfirmation, ports.MessageCancellation}, e.messages(res.Booking.ID()))
	assert.Equal(t, ports.PaymentRefunded, e.payment(t, res.Booking).Status)
}

// cancelGate lines up n cancellations: each reads the booking, then waits until all n
// have read it; the first to arrive goes on and the others wait until open is closed.
type cancelGate struct {
	n    int
	mu   sync.Mutex
	seen int
	all  chan struct{}
	open chan struct{}
}

type gatedKey struct{}

func (g *cancelGate) pass(ctx context.Context) {
	if ctx.Value(gatedKey{}) == nil {
		return // not one of the lined-up cancellations (a job, say)
	}
	g.mu.Lock()
	g.seen++
	k := g.seen
	if k == g.n {
		close(g.all)
	}
	g.mu.Unlock()
	<-g.all
	if k > 1 {
		<-g.open
	}
}

func TestConcurrentCancellationsRefundOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.book(t, e.bookingCmd())
	e.payAndConfirm(t, res.Booking)

	// Every request reads the booking as confirmed; one cancels it and its jobs run,
	// then the others go on with what they read.
	const n = 16
	gate := &cancelGate{n: n, all: make(chan struct{}), open: make(chan struct{})}
	e.store.onGetBooking(func(ctx context.Context, _ string) { gate.pass(ctx) })
	type result struct {
		c   app.Cancelled
		err error
	}
	results := make(chan result, n)
	ctx := context.WithValue(context.Background(), gatedKey{}, true)
	for range n {
		go func() {
			c, err := e.app.Bookings.Cancel(ctx, res.Booking.ID(), res.AccessToken)
			results <- result{c, err}
		}()
	}
	first := <-results
	require.NoError(t, first.err)
	e.drain(t)
	close(gate.open)
	for range n - 1 {
		r := <-results
		require.NoError(t, r.err)
		assert.Equal(t, first.c.Refund, r.c.Refund)
		assert.Equal(t, domain.StatusCancelled, r.c.Booking.Status())
	}
	e.drain(t)

	assert.Equal(t, money(bookingTotal), first.c.Refund)
	calls := e.gateway.refundCalls(res.Booking.ID())
	require.Len(t, calls, 1, "one refund reaches the gateway")
	assert.NoError(t, calls[0].err)
	assert.Equal(t, ports.PaymentRefunded, e.payment(t, res.Booking).Status)
	assert.Equal(t, []ports.MessageKind{ports.MessageConfirmation, ports.MessageCancellation}, e.messages(res.Booking.ID()))
	assert.Equal(t, int64(bookingTotal), e.stored(t, res.Booking.ID()).Refund().Amount())
}
