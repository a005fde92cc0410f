package app_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// webhookWant is what delivering a webhook must have done once the jobs have run.
type webhookWant struct {
	err       string // the error code HandleWebhook returns, if any
	outcome   string
	duplicate bool
	status    domain.Status
	atOnce    domain.Status  // the status before any job has run, when it matters
	paid      int64          // what the booking records as paid
	refunds   []domain.Money // the refunds asked of the gateway, in order
	refunded  int64          // what the booking records as refunded
	messages  []ports.MessageKind
	reported  []string // the codes of the errors reported, in order
}

func TestHandleWebhook(t *testing.T) {
	t.Parallel()
	paidInFull := func(e *env, t *testing.T, b *domain.Booking) webhook { return e.pay(t, b, 0) }
	cases := []struct {
		name string
		// arrange does what happens before the webhook and returns it.
		arrange func(e *env, t *testing.T, b *domain.Booking) webhook
		want    webhookWant
	}{
		{
			name:    "a payment of the quote confirms the booking",
			arrange: paidInFull,
			want: webhookWant{outcome: app.OutcomeConfirmed, status: domain.StatusConfirmed, paid: bookingTotal,
				messages: []ports.MessageKind{ports.MessageConfirmation}},
		},
		{
			name: "a forged signature changes nothing",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				wh := e.pay(t, b, 0)
				h := http.Header{}
				h.Set("Sandbox-Signature", "t=1773144000,v1=00ff")
				return webhook{header: h, body: wh.body}
			},
			want: webhookWant{err: domain.CodeBadSignature, status: domain.StatusPending},
		},
		{
			name: "a body changed after signing changes nothing",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				wh := e.pay(t, b, 0)
				return webhook{header: wh.header, body: bytes.Replace(wh.body, []byte(`"amount":1200000`), []byte(`"amount":1200001`), 1)}
			},
			want: webhookWant{err: domain.CodeBadSignature, status: domain.StatusPending},
		},
		{
			name: "a missing signature changes nothing",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				return webhook{header: http.Header{}, body: e.pay(t, b, 0).body}
			},
			want: webhookWant{err: domain.CodeBadSignature, status: domain.StatusPending},
		},
		{
			name: "a replayed event changes nothing",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				wh := e.pay(t, b, 0)
				_, err := e.deliver(wh)
				require.NoError(t, err)
				e.drain(t)
				return wh
			},
			want: webhookWant{outcome: app.OutcomeAlreadyRecorded, duplicate: true, status: domain.StatusConfirmed, paid: bookingTotal,
				messages: []ports.MessageKind{ports.MessageConfirmation}},
		},
		{
			name: "a replayed refund-causing event refunds once",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				wh := e.pay(t, b, 100000)
				_, err := e.deliver(wh)
				require.NoError(t, err)
				e.drain(t)
				return wh
			},
			want: webhookWant{outcome: app.OutcomeAlreadyRecorded, duplicate: true, status: domain.StatusPending,
				refunds: []domain.Money{money(100000)}, refunded: 100000,
				messages: []ports.MessageKind{ports.MessageRefund}, reported: []string{domain.CodeAmountMismatch}},
		},
		{
			name: "the same payment reported again under another event id changes nothing",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				wh := e.pay(t, b, 0)
				_, err := e.deliver(wh)
				require.NoError(t, err)
				e.drain(t)
				ev := decode(t, wh)
				ev.ID += "-again"
				return e.signed(t, ev)
			},
			want: webhookWant{outcome: app.OutcomeIgnored, status: domain.StatusConfirmed, paid: bookingTotal,
				messages: []ports.MessageKind{ports.MessageConfirmation}},
		},
		{
			name: "the same payment reported again after a cancellation refunds nothing more",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				wh := e.pay(t, b, 0)
				_, err := e.deliver(wh)
				require.NoError(t, err)
				e.drain(t)
				_, err = e.app.Bookings.Cancel(context.Background(), b.ID(), e.tokens[b.ID()])
				require.NoError(t, err)
				e.drain(t)
				ev := decode(t, wh)
				ev.ID += "-again"
				return e.signed(t, ev)
			},
			want: webhookWant{outcome: app.OutcomeIgnored, status: domain.StatusCancelled, paid: bookingTotal,
				refunds: []domain.Money{money(bookingTotal)}, refunded: bookingTotal,
				messages: []ports.MessageKind{ports.MessageConfirmation, ports.MessageCancellation}},
		},
		{
			name:    "a payment of another amount is refunded in full and reported",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook { return e.pay(t, b, 1_000_000) },
			want: webhookWant{outcome: app.OutcomeRefunded, status: domain.StatusPending,
				refunds: []domain.Money{money(1_000_000)}, refunded: 1_000_000,
				messages: []ports.MessageKind{ports.MessageRefund}, reported: []string{domain.CodeAmountMismatch}},
		},
		{
			name: "a payment in another currency is refunded in full and reported",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				// The sandbox charges in the checkout's currency only, so the provider's
				// event is made here, signed as the sandbox signs.
				ev := decode(t, e.pay(t, b, 0))
				ev.ID, ev.Currency = ev.ID+"-usd", "USD"
				return e.signed(t, ev)
			},
			want: webhookWant{outcome: app.OutcomeRefunded, status: domain.StatusPending,
				// The booking records refunds of its own currency only: the dollars are
				// asked back from the gateway and reported, not added to its pesos.
				refunds: []domain.Money{domain.NewMoney(bookingTotal, usd)}, refunded: 0,
				// The sandbox never took dollars, so it refuses the refund: that is
				// reported too rather than retried, and the customer is told.
				messages: []ports.MessageKind{ports.MessageRefund, ports.MessageRefundFailed},
				reported: []string{domain.CodeAmountMismatch, domain.CodeCurrencyMismatch}},
		},
		{
			name: "a payment after the hold ran out confirms while the slot is free",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				e.clock.Set(b.HoldExpiresAt().Add(time.Minute))
				return e.pay(t, b, 0)
			},
			want: webhookWant{outcome: app.OutcomeConfirmed, status: domain.StatusConfirmed, paid: bookingTotal,
				messages: []ports.MessageKind{ports.MessageConfirmation}},
		},
		{
			name: "a payment after the hold was expired confirms while the slot is free",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				e.clock.Set(b.HoldExpiresAt().Add(time.Minute))
				// Paid as the hold ended, before its checkout was closed; the webhook
				// arrives after the expiry.
				wh := e.pay(t, b, 0)
				e.drain(t)
				require.Equal(t, domain.StatusExpired, e.stored(t, b.ID()).Status())
				return wh
			},
			want: webhookWant{outcome: app.OutcomeConfirmed, status: domain.StatusConfirmed, paid: bookingTotal,
				messages: []ports.MessageKind{ports.MessageExpiry, ports.MessageConfirmation}},
		},
		{
			name: "a payment after the hold ran out and the slot was taken is refunded in full",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				e.clock.Set(b.HoldExpiresAt())
				e.book(t, e.brunoCmd())
				return e.pay(t, b, 0)
			},
			want: webhookWant{outcome: app.OutcomeRefunded, status: domain.StatusExpired, atOnce: domain.StatusExpired,
				refunds: []domain.Money{money(bookingTotal)}, refunded: bookingTotal,
				messages: []ports.MessageKind{ports.MessageRefund}},
		},
		{
			name: "a payment after the hold was expired and the slot taken is refunded in full",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				e.clock.Set(b.HoldExpiresAt())
				wh := e.pay(t, b, 0) // before the checkout was closed
				e.drain(t)
				e.book(t, e.brunoCmd())
				return wh
			},
			want: webhookWant{outcome: app.OutcomeRefunded, status: domain.StatusExpired,
				refunds: []domain.Money{money(bookingTotal)}, refunded: bookingTotal,
				messages: []ports.MessageKind{ports.MessageExpiry, ports.MessageRefund}},
		},
		{
			name: "a payment refunded because the slot was taken does not confirm when reported again after the slot frees",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				e.clock.Set(b.HoldExpiresAt())
				bruno := e.book(t, e.brunoCmd())
				first := e.pay(t, b, 0)
				res, err := e.deliver(first)
				require.NoError(t, err)
				require.Equal(t, app.OutcomeRefunded, res.Outcome)
				_, err = e.app.Bookings.Cancel(context.Background(), bruno.Booking.ID(), bruno.AccessToken)
				require.NoError(t, err)
				again := decode(t, first)
				again.ID += "-updated"
				return e.signed(t, again)
			},
			want: webhookWant{outcome: app.OutcomeIgnored, status: domain.StatusExpired, atOnce: domain.StatusExpired,
				refunds: []domain.Money{money(bookingTotal)}, refunded: bookingTotal,
				messages: []ports.MessageKind{ports.MessageRefund}},
		},
		{
			name: "a payment that arrives once the game has started is refunded in full",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				e.clock.Set(b.Interval().Start)
				return e.pay(t, b, 0)
			},
			// The refund message tells the customer; the hold ends with it.
			want: webhookWant{outcome: app.OutcomeRefunded, status: domain.StatusExpired,
				refunds: []domain.Money{money(bookingTotal)}, refunded: bookingTotal,
				messages: []ports.MessageKind{ports.MessageRefund}},
		},
		{
			name: "a payment for a cancelled booking is refunded in full",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				_, err := e.app.Bookings.Cancel(context.Background(), b.ID(), e.tokens[b.ID()])
				require.NoError(t, err)
				e.drain(t)
				return e.pay(t, b, 0)
			},
			want: webhookWant{outcome: app.OutcomeRefunded, status: domain.StatusCancelled,
				refunds: []domain.Money{money(bookingTotal)}, refunded: bookingTotal,
				messages: []ports.MessageKind{ports.MessageCancellation, ports.MessageRefund}, reported: []string{domain.CodeInvalidTransition}},
		},
		{
			name: "one payment reported under a second event id is refunded once",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				_, err := e.app.Bookings.Cancel(context.Background(), b.ID(), e.tokens[b.ID()])
				require.NoError(t, err)
				e.drain(t)
				first := e.pay(t, b, 0)
				_, err = e.deliver(first)
				require.NoError(t, err)
				again := decode(t, first)
				again.ID += "-updated"
				return e.signed(t, again)
			},
			want: webhookWant{outcome: app.OutcomeIgnored, status: domain.StatusCancelled,
				refunds: []domain.Money{money(bookingTotal)}, refunded: bookingTotal,
				messages: []ports.MessageKind{ports.MessageCancellation, ports.MessageRefund}, reported: []string{domain.CodeInvalidTransition}},
		},
		{
			name: "an expiry that arrives after the payment leaves the booking confirmed",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				wh := e.pay(t, b, 0)
				_, err := e.deliver(wh)
				require.NoError(t, err)
				e.clock.Set(b.HoldExpiresAt().Add(time.Minute))
				ev := decode(t, wh)
				ev.ID, ev.Type, ev.Created = ev.ID+"-expired", string(ports.EventExpired), 0
				return e.signed(t, ev)
			},
			want: webhookWant{outcome: app.OutcomeIgnored, status: domain.StatusConfirmed, paid: bookingTotal,
				messages: []ports.MessageKind{ports.MessageConfirmation}},
		},
		{
			name: "a decline that arrives after the payment leaves the booking confirmed",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				// The customer's card is declined, then a second card pays; the decline's
				// webhook is delivered last.
				e.post(t, "/sandbox/checkout/"+b.PaymentRef()+"/fail")
				declined := e.hooks.last(t)
				require.Equal(t, string(ports.EventFailed), decode(t, declined).Type)
				_, err := e.deliver(e.pay(t, b, 0))
				require.NoError(t, err)
				return declined
			},
			want: webhookWant{outcome: app.OutcomeIgnored, status: domain.StatusConfirmed, paid: bookingTotal,
				messages: []ports.MessageKind{ports.MessageConfirmation}},
		},
		{
			name: "an expiry of a running hold changes nothing",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				e.post(t, "/sandbox/checkout/"+b.PaymentRef()+"/expire")
				return e.hooks.last(t)
			},
			want: webhookWant{outcome: app.OutcomeIgnored, status: domain.StatusPending},
		},
		{
			name: "an expiry of a hold that ran out expires the booking",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				e.clock.Set(b.HoldExpiresAt())
				e.post(t, "/sandbox/checkout/"+b.PaymentRef()+"/expire")
				return e.hooks.last(t)
			},
			want: webhookWant{outcome: app.OutcomeIgnored, status: domain.StatusExpired, atOnce: domain.StatusExpired,
				messages: []ports.MessageKind{ports.MessageExpiry}},
		},
		{
			name: "a refund made in the provider's dashboard is recorded and reported",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				e.payAndConfirm(t, b)
				e.post(t, "/sandbox/payments/"+url.PathEscape(e.stored(t, b.ID()).PaymentRef())+"/refund?amount=600000")
				return e.hooks.last(t)
			},
			want: webhookWant{outcome: app.OutcomeRefundRecorded, status: domain.StatusConfirmed, paid: bookingTotal, refunded: 600000,
				messages: []ports.MessageKind{ports.MessageConfirmation, ports.MessageRefund}, reported: []string{domain.CodeRefundedElsewhere}},
		},
		{
			name: "a refund the provider reports beyond what was paid is reported, not recorded",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				e.payAndConfirm(t, b)
				return e.signed(t, sandboxEvent{ID: "evt_refund_too_much", Type: "refunded", BookingID: b.ID(),
					PaymentRef: e.stored(t, b.ID()).PaymentRef(), Amount: bookingTotal + 1, Currency: "ARS"})
			},
			want: webhookWant{outcome: app.OutcomeIgnored, status: domain.StatusConfirmed, paid: bookingTotal,
				messages: []ports.MessageKind{ports.MessageConfirmation}, reported: []string{domain.CodeInvalid}},
		},
		{
			name: "the event of a refund Match Point asked for changes nothing",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				e.payAndConfirm(t, b)
				_, err := e.app.Bookings.Cancel(context.Background(), b.ID(), e.tokens[b.ID()])
				require.NoError(t, err)
				e.drain(t)
				got := e.stored(t, b.ID())
				return e.signed(t, sandboxEvent{ID: "evt_refund_echo", Type: "refunded", BookingID: b.ID(),
					PaymentRef: got.PaymentRef(), Amount: got.Refund().Amount(), Currency: "ARS"})
			},
			want: webhookWant{outcome: app.OutcomeIgnored, status: domain.StatusCancelled, paid: bookingTotal, refunded: bookingTotal,
				refunds:  []domain.Money{money(bookingTotal)},
				messages: []ports.MessageKind{ports.MessageConfirmation, ports.MessageCancellation}},
		},
		{
			name: "a refund that arrives before its payment keeps the payment from confirming",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				paid := e.pay(t, b, 0)
				ev := decode(t, paid)
				res, err := e.deliver(e.signed(t, sandboxEvent{ID: ev.ID + "-refund", Type: "refunded", BookingID: b.ID(),
					PaymentRef: ev.PaymentRef, Amount: ev.Amount, Currency: ev.Currency}))
				require.NoError(t, err)
				require.Equal(t, app.OutcomeIgnored, res.Outcome)
				return paid
			},
			want: webhookWant{outcome: app.OutcomeIgnored, status: domain.StatusPending, reported: []string{domain.CodeRefundBeforePayment}},
		},
		{
			name: "an event for an unknown booking is acknowledged and reported",
			arrange: func(e *env, t *testing.T, b *domain.Booking) webhook {
				return e.signed(t, sandboxEvent{ID: "evt_stray", Type: "paid", BookingID: "no-such-booking", PaymentRef: "pi_stray", Amount: 1000, Currency: "ARS"})
			},
			want: webhookWant{outcome: app.OutcomeIgnored, status: domain.StatusPending, reported: []string{domain.CodeNotFound}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			res := e.book(t, e.bookingCmd())
			b := res.Booking
			e.tokens = map[string]string{b.ID(): res.AccessToken}
			wh := c.arrange(e, t, b)
			before := e.stored(t, b.ID())

			got, err := e.deliver(wh)
			if c.want.atOnce != "" {
				assert.Equal(t, c.want.atOnce, e.stored(t, b.ID()).Status(), "status before the jobs run")
			}
			e.drain(t)

			if c.want.err != "" {
				requireCode(t, err, domain.KindUnauthorized, c.want.err)
				assert.Equal(t, before.Record(), e.stored(t, b.ID()).Record(), "the booking is untouched")
			} else {
				require.NoError(t, err)
				assert.Equal(t, c.want.outcome, got.Outcome)
				assert.Equal(t, c.want.duplicate, got.Duplicate)
				assert.Equal(t, decode(t, wh).ID, got.Event.EventID)
			}
			after := e.stored(t, b.ID())
			assert.Equal(t, c.want.status, after.Status())
			assert.Equal(t, c.want.paid, after.Paid().Amount(), "paid")
			assert.Equal(t, c.want.refunded, after.Refund().Amount(), "refunded")
			var refunds []domain.Money
			for _, call := range e.gateway.refundCalls(b.ID()) {
				refunds = append(refunds, call.req.Amount)
			}
			assert.Equal(t, c.want.refunds, refunds, "refunds asked of the gateway")
			assert.Equal(t, c.want.messages, e.messages(b.ID()), "messages")
			var reported []string
			for _, r := range e.reporter.all() {
				reported = append(reported, domain.ErrorCode(r.err))
			}
			assert.Equal(t, c.want.reported, reported, "reports")
		})
	}
}

// brunoCmd is Bruno's request for the slot of bookingCmd.
func (e *env) brunoCmd() app.CreateBookingCommand {
	cmd := e.bookingCmd()
	cmd.Customer = app.CustomerInput{Name: "Bruno Díaz", Email: "bruno@example.com"}
	return cmd
}

func TestConfirmationCarriesTheGameAsAnICalendarEvent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.book(t, e.bookingCmd())
	e.payAndConfirm(t, res.Booking)

	m := e.message(t, res.Booking.ID(), ports.MessageConfirmation)
	assert.Equal(t, "ana@example.com", m.To)
	assert.Contains(t, m.Text, "Ana Pérez")
	assert.Contains(t, m.Text, "12000.00 ARS")
	require.Len(t, m.Attachments, 1)
	att := m.Attachments[0]
	assert.Equal(t, "booking.ics", att.Name)
	assert.Contains(t, att.ContentType, "text/calendar")

	cal, err := ics.ParseCalendar(bytes.NewReader(att.Data))
	require.NoError(t, err)
	require.Len(t, cal.Events(), 1)
	ev := cal.Events()[0]
	assert.Equal(t, res.Booking.ID()+"@matchpoint", ev.Id())
	start, err := ev.GetStartAt()
	require.NoError(t, err)
	end, err := ev.GetEndAt()
	require.NoError(t, err)
	assert.True(t, start.Equal(time.Date(2026, 3, 11, 13, 0, 0, 0, time.UTC)), "start %s", start)
	assert.True(t, end.Equal(time.Date(2026, 3, 11, 14, 30, 0, 0, time.UTC)), "end %s", end)
	assert.Equal(t, zone, start.Location().String(), "the start is a civil time in the club's zone")
	assert.Equal(t, "Club club-one", ev.GetProperty(ics.ComponentPropertyLocation).Value)
	assert.Equal(t, "CONFIRMED", ev.GetProperty(ics.ComponentPropertyStatus).Value)
	assert.Equal(t, "padel — Padel 1", ev.GetProperty(ics.ComponentPropertySummary).Value)
	assert.Contains(t, string(att.Data), "DTSTART;TZID="+zone+":20260311T100000\r\n")
	require.Len(t, cal.Timezones(), 1, "the TZID is defined in the calendar")
	assert.Equal(t, zone, cal.Timezones()[0].GetProperty(ics.ComponentPropertyTzid).Value)
}

func TestRefundsReachTheSandbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.book(t, e.bookingCmd())
	b := res.Booking

	// Bruno takes the slot while Ana's hold has run out; her late payment goes back.
	e.clock.Set(b.HoldExpiresAt())
	e.book(t, e.brunoCmd())
	got, err := e.deliver(e.pay(t, b, 0))
	require.NoError(t, err)
	require.Equal(t, app.OutcomeRefunded, got.Outcome)
	e.drain(t)

	calls := e.gateway.refundCalls(b.ID())
	require.Len(t, calls, 1)
	require.NoError(t, calls[0].err)
	assert.Equal(t, got.Event.PaymentRef, calls[0].req.PaymentRef)
	p := e.payment(t, b)
	assert.Equal(t, ports.PaymentRefunded, p.Status, "the sandbox has given it all back")
	assert.Equal(t, money(bookingTotal), p.Amount)
	assert.Contains(t, e.message(t, b.ID(), ports.MessageRefund).Text, "12000.00 ARS")
}

func TestWebhookOfAnotherProviderIsNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.book(t, e.bookingCmd())
	wh := e.pay(t, res.Booking, 0)

	_, err := e.app.Payments.HandleWebhook(context.Background(), "stripe", wh.header, wh.body)
	requireCode(t, err, domain.KindNotFound, domain.CodeNotFound)
	assert.Equal(t, domain.StatusPending, e.stored(t, res.Booking.ID()).Status())
}

// The refund message says what happened: a payment that could not confirm the booking
// goes back whole, in whatever currency it came; a refund the club made leaves the
// booking standing.
func TestRefundMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.book(t, e.bookingCmd()).Booking
	ev := decode(t, e.pay(t, b, 0))
	ev.ID, ev.Currency = ev.ID+"-usd", "USD"
	_, err := e.deliver(e.signed(t, ev))
	require.NoError(t, err)
	e.drain(t)
	m := e.message(t, b.ID(), ports.MessageRefund)
	assert.Contains(t, m.Text, "refunding all of it")
	assert.NotContains(t, m.Text, "0.00", "no amount in the booking's currency stands for the dollars")

	e = newEnv(t)
	b = e.book(t, e.bookingCmd()).Booking
	e.payAndConfirm(t, b)
	e.post(t, "/sandbox/payments/"+url.PathEscape(e.stored(t, b.ID()).PaymentRef())+"/refund?amount=300000")
	_, err = e.deliver(e.hooks.last(t))
	require.NoError(t, err)
	e.drain(t)
	m = e.message(t, b.ID(), ports.MessageRefund)
	assert.Contains(t, m.Text, "3000.00")
	assert.Contains(t, m.Text, "the booking stands")
}
