package crashtest_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/notify/smtp/mailpittest"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

const (
	// loadDuration is how long the test books, pays and cancels while two workers run
	// the jobs.
	loadDuration = 60 * time.Second
	// loadInterval is how often a new booking starts; loadInFlight bounds how many are
	// being booked, paid and cancelled at once.
	loadInterval = 200 * time.Millisecond
	loadInFlight = 8
)

// A load booking goes one of these ways, by its number.
const (
	flowConfirmed        = iota // paid, kept
	flowCancelled               // paid, cancelled
	flowPaidTwiceCancel2        // paid, the webhook delivered again, cancelled twice in a row
	flowCancelledAtOnce         // paid, cancelled twice at the same moment
	flowPaidTwiceAtOnce         // paid, the webhook delivered twice more at the same moment, cancelled
	flowCancelledUnpaid         // cancelled before paying: nothing to refund
	flowPaidAfterCancel         // cancelled before paying, then paid: the payment is given back
	flowCount
)

// loadBooking is a booking of the load test and the way it went.
type loadBooking struct {
	booking
	flow int
}

// confirmed tells whether the booking was confirmed by its payment.
func (b loadBooking) confirmed() bool { return b.flow <= flowPaidTwiceAtOnce }

// cancelled tells whether the booking ends cancelled.
func (b loadBooking) cancelled() bool { return b.flow != flowConfirmed }

// refundKey is the idempotency key of the refund the booking is owed, or "".
func (b loadBooking) refundKey() string {
	switch {
	case b.flow == flowPaidAfterCancel:
		return "payment:" + b.paymentRef
	case b.confirmed() && b.cancelled():
		return "cancel:" + b.id
	}
	return ""
}

// messages returns the keys (ports.MessageKey) of the messages the booking's customer
// must get, each once.
func (b loadBooking) messages() []string {
	var out []string
	if b.confirmed() {
		out = append(out, ports.MessageKey(b.id, ports.MessageConfirmation, ""))
	}
	if b.cancelled() {
		out = append(out, ports.MessageKey(b.id, ports.MessageCancellation, ""))
	}
	if b.flow == flowPaidAfterCancel {
		out = append(out, ports.MessageKey(b.id, ports.MessageRefund, "refund-of-payment:"+b.paymentRef))
	}
	return out
}

// jobKeys returns the unique keys of the jobs the booking must have had, each once.
func (b loadBooking) jobKeys() []string {
	out := []string{"expire:" + b.id}
	if b.confirmed() {
		out = append(out, "complete:"+b.id, "notify:confirmation:"+b.id)
	}
	if b.cancelled() {
		out = append(out, "notify:cancellation:"+b.id)
	}
	if k := b.refundKey(); k != "" {
		out = append(out, "refund:"+k)
	}
	if b.flow == flowPaidAfterCancel {
		out = append(out, "notify:refund:"+b.id)
	}
	return out
}

// run takes a new booking through flow.
func (h *harness) run(ctx context.Context, flow int) (loadBooking, error) {
	b, err := h.book(ctx)
	lb := loadBooking{booking: b, flow: flow}
	if err != nil {
		return lb, err
	}
	twice := func(f func() error) error {
		errs := make(chan error, 2)
		for range 2 {
			go func() { errs <- f() }()
		}
		return errors.Join(<-errs, <-errs)
	}
	cancel := func() error {
		res, err := h.cancel(ctx, lb.booking)
		if err == nil && lb.confirmed() && !res.Refund.Equal(lb.paid) {
			err = fmt.Errorf("cancelling %s days ahead refunds %s, not all of %s", lb.id, res.Refund, lb.paid)
		}
		return err
	}
	steps := map[int][]func() error{
		flowConfirmed:        {func() error { return h.pay(&lb.booking) }},
		flowCancelled:        {func() error { return h.pay(&lb.booking) }, cancel},
		flowPaidTwiceCancel2: {func() error { return h.pay(&lb.booking) }, func() error { return h.payAgain(lb.booking) }, cancel, cancel},
		flowCancelledAtOnce:  {func() error { return h.pay(&lb.booking) }, func() error { return twice(cancel) }},
		flowPaidTwiceAtOnce: {func() error { return h.pay(&lb.booking) }, func() error {
			return twice(func() error { return h.payAgain(lb.booking) })
		}, cancel},
		flowCancelledUnpaid: {cancel},
		flowPaidAfterCancel: {cancel, func() error { return h.pay(&lb.booking) }},
	}[flow]
	for _, step := range steps {
		if err := step(); err != nil {
			return lb, fmt.Errorf("booking %s (flow %d): %w", lb.id, flow, err)
		}
	}
	return lb, nil
}

// TestTwoWorkersUnderLoad runs two worker processes on one database while the test
// books, pays and cancels at a steady rate for loadDuration, touching some bookings
// twice (a payment's webhook delivered again or twice at once, a cancellation repeated
// or made twice at once). Once the queue is idle every job has run, every refund owed
// is issued once at the provider, every message has gone out once, and every unique
// job existed once.
func TestTwoWorkersUnderLoad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t, 6)
	mail := mailpittest.Start(t)
	opts := h.workerOptions(mail.SMTPURL(), 4, 10*time.Second, 15*time.Second)
	workers := []*process{startWorker(t, "A", opts), startWorker(t, "B", opts)}

	var (
		mu     sync.Mutex
		made   []loadBooking
		wg     sync.WaitGroup
		flight = make(chan struct{}, loadInFlight)
	)
	began := time.Now()
	tick := time.NewTicker(loadInterval)
	defer tick.Stop()
	for n := 0; time.Since(began) < loadDuration; n++ {
		<-tick.C
		flight <- struct{}{}
		wg.Go(func() {
			defer func() { <-flight }()
			b, err := h.run(ctx, n%flowCount)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			made = append(made, b)
			mu.Unlock()
		})
	}
	wg.Wait()
	require.False(t, t.Failed(), "the bookings themselves failed")
	t.Logf("%d bookings in %s", len(made), time.Since(began).Round(100*time.Millisecond))
	idleFrom := time.Now()
	h.waitIdle(t, 90*time.Second)
	t.Logf("queue idle %s after the last booking", time.Since(idleFrom).Round(100*time.Millisecond))

	// Every job ran, once in effect: none given up, and every unique key had one job.
	perKey := map[string][]jobRow{}
	for _, j := range h.jobs(t) {
		assert.NotEqual(t, "discarded", j.State, "job %d (%s, key %q) was given up", j.ID, j.Kind, j.Key)
		if j.Key != "" {
			perKey[j.Key] = append(perKey[j.Key], j)
		}
	}
	for key, js := range perKey {
		assert.Len(t, js, 1, "jobs of unique key %q", key)
	}
	retried := 0
	for _, b := range made {
		for _, key := range b.jobKeys() {
			js := perKey[key]
			if !assert.Len(t, js, 1, "jobs of key %q", key) {
				continue
			}
			if js[0].Kind != "booking.expire_hold" && js[0].Kind != "booking.complete" { // those wait for their time
				assert.Equal(t, "completed", js[0].State, "job of key %q", key)
				if js[0].Attempt > 1 {
					retried++
				}
			}
		}
	}
	assert.Zero(t, retried, "jobs that needed more than one attempt with no worker killed")
	var ranBy []struct {
		Client string
		Jobs   int
	}
	require.NoError(t, h.db.NewRaw(`SELECT attempted_by[cardinality(attempted_by)] AS client, count(*) AS jobs
		FROM river_job WHERE state = 'completed' GROUP BY 1 ORDER BY 1`).Scan(ctx, &ranBy))
	t.Logf("jobs completed by each worker: %+v", ranBy)
	assert.Len(t, ranBy, len(workers), "both workers ran jobs")

	// Every booking ended as it should, and every refund owed was issued, once.
	wantRefunds := map[string]loadBooking{}
	for _, b := range made {
		got, err := h.store.GetBooking(ctx, b.id)
		require.NoError(t, err)
		want := domain.StatusConfirmed
		if b.cancelled() {
			want = domain.StatusCancelled
		}
		assert.Equal(t, want, got.Status(), "booking %s (flow %d)", b.id, b.flow)
		if k := b.refundKey(); k != "" {
			wantRefunds[k] = b
		}
	}
	var refundIDs []string
	require.NoError(t, h.db.NewRaw("SELECT id FROM refunds").Scan(ctx, &refundIDs))
	assert.Len(t, refundIDs, len(wantRefunds), "refunds owed")
	for _, id := range refundIDs {
		r, err := h.store.GetRefund(ctx, id)
		require.NoError(t, err)
		b, ok := wantRefunds[r.IdempotencyKey()]
		if !assert.True(t, ok, "refund %s of key %q owed to no booking that should have one", id, r.IdempotencyKey()) {
			continue
		}
		assert.Equal(t, b.id, r.BookingID())
		assert.Equal(t, b.paid, r.Amount(), "refund of booking %s", b.id)
		assert.Equal(t, domain.RefundIssued, r.State(), "refund of booking %s (flow %d): %s", b.id, b.flow, r.LastError())
		calls, answered := h.provider.refundCalls(r.IdempotencyKey())
		assert.Equal(t, 1, calls, "refund calls of key %q", r.IdempotencyKey())
		assert.Equal(t, []string{r.ProviderID()}, answered, "provider refunds of key %q", r.IdempotencyKey())
		pay, err := h.sandbox.GetPayment(ctx, b.paymentRef)
		require.NoError(t, err)
		assert.Equal(t, ports.PaymentRefunded, pay.Status, "payment of booking %s refunded in full", b.id)
	}
	assert.ElementsMatch(t, slices.Collect(maps.Keys(wantRefunds)), h.provider.keys(), "the keys the provider was asked to refund")

	// Every message went out once: recorded once, and received once by its Message-ID.
	var wantSent []string
	for _, b := range made {
		wantSent = append(wantSent, b.messages()...)
	}
	var gotSent []string
	require.NoError(t, h.db.NewRaw("SELECT key FROM sent_messages").Scan(ctx, &gotSent))
	assert.ElementsMatch(t, wantSent, gotSent, "messages recorded as sent")
	require.Less(t, len(wantSent), 1000, "mailpittest reads back up to 1000 messages")
	received := map[string]int{}
	for _, m := range mail.Messages(t) {
		received[m.MessageID]++
	}
	assert.Len(t, received, len(wantSent), "distinct messages received")
	for _, b := range made {
		for _, kind := range []ports.MessageKind{ports.MessageConfirmation, ports.MessageCancellation} {
			want := 0
			if kind == ports.MessageConfirmation && b.confirmed() || kind == ports.MessageCancellation && b.cancelled() {
				want = 1
			}
			assert.Equal(t, want, received[messageID(kind, b.id)], "%s messages of booking %s (flow %d)", kind, b.id, b.flow)
		}
		if b.flow == flowPaidAfterCancel {
			n := 0
			for id, c := range received {
				if strings.HasPrefix(id, string(ports.MessageRefund)+"."+b.id+".") {
					n += c
				}
			}
			assert.Equal(t, 1, n, "refund messages of booking %s", b.id)
		}
	}
	for id, n := range received {
		assert.Equal(t, 1, n, "copies of message %s", id)
	}
	for _, w := range workers {
		for line := range strings.Lines(w.out.String()) {
			assert.NotContains(t, line, "level=ERROR", "worker %s logged an error", w.name)
		}
	}
}
