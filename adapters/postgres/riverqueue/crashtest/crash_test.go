package crashtest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/notify/smtp/mailpittest"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// The timings of the crash tests' workers. A killed worker's job is run again only by
// the elected leader's rescuer once it has been running rescueAfter, and the
// survivor becomes leader only once the dead one's term has run out (River's leader
// TTL, 15 seconds), so a recovery takes about 15 to 25 seconds. jobTimeout leaves the
// test ample time to kill a worker while its job waits on a held answer, rather than
// have the job's context end first.
const (
	crashJobTimeout  = 5 * time.Second
	crashRescueAfter = 6 * time.Second
	recoveryTimeout  = 90 * time.Second
)

// TestRefundCrash kills the worker that asked the provider for a refund before the
// provider's answer reaches it: the provider has refunded, the refund is still owed
// in the store. A second worker runs the job again after the rescue delay and asks
// again with the same idempotency key; the provider answers its first refund, and the
// refund is issued once.
func TestRefundCrash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t, 1)
	mail := mailpittest.Start(t)

	b, err := h.book(ctx)
	require.NoError(t, err)
	require.NoError(t, h.pay(&b))
	cancelled, err := h.cancel(ctx, b)
	require.NoError(t, err)
	require.Equal(t, b.paid, cancelled.Refund, "cancelled days ahead: a full refund")
	owed := h.refund(t, b.id)
	require.Equal(t, domain.RefundOwed, owed.State())

	// One job at a time, so worker A runs the confirmation's message (the oldest job)
	// and then the refund, and is killed before it touches the cancellation's message.
	h.provider.holdNextRefund()
	a := startWorker(t, "A", h.workerOptions(mail.SMTPURL(), 1, crashJobTimeout, crashRescueAfter))
	var key string
	select {
	case key = <-h.provider.held:
	case <-time.After(60 * time.Second):
		t.Fatal("worker A did not ask for the refund within 60s")
	}
	require.Equal(t, owed.IdempotencyKey(), key)
	a.kill()
	killed := time.Now()

	// What the kill left: the provider refunded, the store still owes it, and the job
	// is still running (attempt 1) as far as River knows.
	calls, ids := h.provider.refundCalls(key)
	require.Equal(t, 1, calls)
	require.Len(t, ids, 1)
	assert.Equal(t, domain.RefundOwed, h.refund(t, b.id).State(), "the refund was recorded before its answer came")
	refundJob := h.job(t, "refund:"+key)
	require.Equal(t, "running", refundJob.State)
	require.Equal(t, 1, refundJob.Attempt)

	startWorker(t, "B", h.workerOptions(mail.SMTPURL(), 4, crashJobTimeout, crashRescueAfter))
	waitUntil(t, recoveryTimeout, "refund issued after the crash", func() bool { return h.refund(t, b.id).State() == domain.RefundIssued })
	t.Logf("refund issued %s after worker A was killed", time.Since(killed).Round(100*time.Millisecond))
	h.waitIdle(t, 30*time.Second)

	calls, again := h.provider.refundCalls(key)
	assert.Equal(t, 2, calls, "worker B asked again with the same key")
	assert.Equal(t, ids, again, "the provider refunded once: the second call answered the first refund")
	issued := h.refund(t, b.id)
	assert.Equal(t, ids[0], issued.ProviderID())
	pay, err := h.sandbox.GetPayment(ctx, b.checkoutRef())
	require.NoError(t, err)
	assert.Equal(t, ports.PaymentRefunded, pay.Status, "refunded in full, once")
	refundJob = h.job(t, "refund:"+key)
	assert.Equal(t, "completed", refundJob.State)
	assert.Equal(t, 2, refundJob.Attempt, "run again once, after the rescue")

	for _, kind := range []ports.MessageKind{ports.MessageConfirmation, ports.MessageCancellation} {
		assert.True(t, h.sent(t, ports.MessageKey(b.id, kind, "")), "%s recorded as sent", kind)
		assert.Equal(t, 1, countMessages(t, mail, messageID(kind, b.id)), "%s sent once", kind)
	}
	assertNoneDiscarded(t, h)
}

// TestNotificationCrash kills the worker sending a message at the two points that
// matter: before the mail server accepted it (the customer gets it once, from the
// worker that runs the job again) and after the server accepted it but before the
// worker recorded it as sent (the customer gets it twice: the duplicate package app
// documents). The kill lands where the test says because an SMTP proxy in front of
// mailpit holds the conversation at that point until the worker is dead.
func TestNotificationCrash(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		point holdPoint
		// atKill is how many copies mailpit holds when worker A is killed; want is how
		// many the customer has in the end.
		atKill, want int
	}{
		{"killed before the server accepted", holdDataEnd, 0, 1},
		{"killed after the server accepted, before the record", holdAfterAccept, 1, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			h := newHarness(t, 1)
			mail := mailpittest.Start(t)
			proxy := startSMTPProxy(t, mail.SMTPAddr(), c.point)

			b, err := h.book(ctx)
			require.NoError(t, err)
			require.NoError(t, h.pay(&b)) // the confirmation's job waits: the only job due
			key := ports.MessageKey(b.id, ports.MessageConfirmation, "")
			id := messageID(ports.MessageConfirmation, b.id)

			a := startWorker(t, "A", h.workerOptions(proxy.URL(), 1, crashJobTimeout, crashRescueAfter))
			select {
			case <-proxy.held:
			case <-time.After(60 * time.Second):
				t.Fatal("worker A did not reach the held point of its SMTP conversation within 60s")
			}
			a.kill()
			killed := time.Now()

			job := h.job(t, "notify:"+string(ports.MessageConfirmation)+":"+b.id)
			require.Equal(t, "running", job.State, "worker A died running the job")
			require.Equal(t, 1, job.Attempt)
			require.False(t, h.sent(t, key), "worker A died before it recorded the message")
			waitUntil(t, 10*time.Second, "mailpit has what worker A delivered", func() bool { return countMessages(t, mail, id) == c.atKill })

			startWorker(t, "B", h.workerOptions(proxy.URL(), 1, crashJobTimeout, crashRescueAfter))
			waitUntil(t, recoveryTimeout, "message recorded after the crash", func() bool { return h.sent(t, key) })
			t.Logf("message sent and recorded %s after worker A was killed", time.Since(killed).Round(100*time.Millisecond))
			h.waitIdle(t, 30*time.Second)

			assert.Equal(t, c.want, countMessages(t, mail, id), "copies of the confirmation the customer got")
			job = h.job(t, "notify:"+string(ports.MessageConfirmation)+":"+b.id)
			assert.Equal(t, "completed", job.State)
			assert.Equal(t, 2, job.Attempt, "run again once, after the rescue")
			assertNoneDiscarded(t, h)
		})
	}
}

// checkoutRef is the sandbox checkout reference of b.
func (b booking) checkoutRef() string {
	return strings.TrimPrefix(b.checkout, "/sandbox/checkout/")
}

// countMessages counts the messages mailpit received with a Message-ID.
func countMessages(t *testing.T, mail *mailpittest.Server, messageID string) int {
	t.Helper()
	n := 0
	for _, m := range mail.Messages(t) {
		if m.MessageID == messageID {
			n++
		}
	}
	return n
}

// assertNoneDiscarded checks that no job was given up.
func assertNoneDiscarded(t *testing.T, h *harness) {
	t.Helper()
	for _, j := range h.jobs(t) {
		assert.NotEqual(t, "discarded", j.State, "job %d (%s, key %q) was given up", j.ID, j.Kind, j.Key)
	}
}
