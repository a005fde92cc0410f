package app_test

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// A notify job sends its message once, however often it runs: a retry after a failed
// attempt or a run after its worker died finds the message recorded and does nothing.

// notifyJob returns a function that runs the notify job of args as the queue would,
// attempt after attempt, under one job id.
func (e *env) notifyJob(t *testing.T, args app.NotifyArgs) func() error {
	t.Helper()
	raw, err := json.Marshal(args)
	require.NoError(t, err)
	attempt := 0
	return func() error {
		attempt++
		return e.app.Workers().Work(context.Background(), ports.RawJob{ID: "7", Kind: app.KindNotify, Args: raw, Attempt: attempt})
	}
}

// sentRecorded reports whether the store holds a message's key as sent.
func (e *env) sentRecorded(t *testing.T, bookingID string, kind ports.MessageKind, seq string) bool {
	t.Helper()
	sent, err := e.store.MessageSent(context.Background(), ports.MessageKey(bookingID, kind, seq))
	require.NoError(t, err)
	return sent
}

func TestANotifyJobRunTwiceSendsOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.book(t, e.bookingCmd()).Booking
	work := e.notifyJob(t, app.NotifyArgs{BookingID: b.ID(), Message: ports.MessageConfirmation})

	assert.False(t, e.sentRecorded(t, b.ID(), ports.MessageConfirmation, ""))
	require.NoError(t, work())
	assert.True(t, e.sentRecorded(t, b.ID(), ports.MessageConfirmation, ""), "recorded once sent")
	require.NoError(t, work(), "the job run again")
	assert.Equal(t, []ports.MessageKind{ports.MessageConfirmation}, e.messages(b.ID()))

	// Another kind about the same booking is another message.
	require.NoError(t, e.notifyJob(t, app.NotifyArgs{BookingID: b.ID(), Message: ports.MessageExpiry})())
	assert.Equal(t, []ports.MessageKind{ports.MessageConfirmation, ports.MessageExpiry}, e.messages(b.ID()))
	assert.Empty(t, e.reporter.all())
}

func TestAConfirmedBookingsJobsRunAgainSendNothingMore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.book(t, e.bookingCmd()).Booking
	e.payAndConfirm(t, b)
	require.Equal(t, []ports.MessageKind{ports.MessageConfirmation}, e.messages(b.ID()), "the queue sent the confirmation")

	// River re-runs a job whose worker died after the send: the rerun sends nothing.
	require.NoError(t, e.notifyJob(t, app.NotifyArgs{BookingID: b.ID(), Message: ports.MessageConfirmation})())
	assert.Equal(t, []ports.MessageKind{ports.MessageConfirmation}, e.messages(b.ID()))
}

func TestAFailedSendIsRetriedAndSentOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.book(t, e.bookingCmd()).Booking
	work := e.notifyJob(t, app.NotifyArgs{BookingID: b.ID(), Message: ports.MessageConfirmation})

	e.mail.failSends(domain.Errorf(domain.CodeUnavailable, "smtp: 421 try again later"), domain.Errorf(domain.CodeUnavailable, "smtp: dial tcp: connection refused"))
	for range 2 {
		err := work()
		assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err), "a failed send fails the attempt: %v", err)
		assert.False(t, e.sentRecorded(t, b.ID(), ports.MessageConfirmation, ""), "nothing went out, nothing is recorded")
	}
	assert.Empty(t, e.messages(b.ID()))

	require.NoError(t, work(), "the third attempt sends")
	require.NoError(t, work(), "a fourth finds it sent")
	assert.Equal(t, []ports.MessageKind{ports.MessageConfirmation}, e.messages(b.ID()))
	assert.True(t, e.sentRecorded(t, b.ID(), ports.MessageConfirmation, ""))
}

// Through the in-process queue: the confirmation fails once, the queue retries it after
// its backoff, and it goes out once.
func TestTheQueueRetriesAFailedSendOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.book(t, e.bookingCmd()).Booking
	e.mail.failSends(domain.Errorf(domain.CodeUnavailable, "smtp: 421 try again later"))
	e.payAndConfirm(t, b)
	assert.Empty(t, e.messages(b.ID()), "the first attempt failed")
	assert.Equal(t, int64(1), e.queue.Stats().Retried)

	// The backoff after a first failure is a second; the reminder is due in an hour.
	e.clock.Advance(time.Minute)
	e.drain(t)
	assert.Equal(t, []ports.MessageKind{ports.MessageConfirmation}, e.messages(b.ID()))
	assert.Equal(t, int64(1), e.queue.Stats().Retried, "the retry succeeded")
	assert.Empty(t, e.reporter.all())
}

func TestARecordThatFailsAfterTheSendIsReportedAndNotRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.book(t, e.bookingCmd()).Booking
	e.store.failRecords(domain.Errorf(domain.CodeUnavailable, "the database is away"))
	e.payAndConfirm(t, b)

	assert.Equal(t, []ports.MessageKind{ports.MessageConfirmation}, e.messages(b.ID()), "the message went out")
	stats := e.queue.Stats()
	assert.Zero(t, stats.Retried, "the job ended: a retry would send the message again")
	assert.Zero(t, stats.Dead)
	reports := e.reporter.all()
	require.Len(t, reports, 1)
	assert.Equal(t, "message sent but not recorded", reports[0].attrs["problem"])
	assert.Equal(t, b.ID(), reports[0].attrs["booking"])
	assert.Equal(t, string(ports.MessageConfirmation), reports[0].attrs["message"])
	assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(reports[0].err))
	assert.False(t, e.sentRecorded(t, b.ID(), ports.MessageConfirmation, ""), "the record is what is missing")

	e.clock.Advance(time.Minute)
	e.drain(t)
	assert.Equal(t, []ports.MessageKind{ports.MessageConfirmation}, e.messages(b.ID()), "nothing ran again")
}

// A booking may be refunded more than once (the club refunds part at the provider, then
// more): each refund has its message, and each message goes once.
func TestEachRefundHasItsMessageSentOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.book(t, e.bookingCmd()).Booking
	e.payAndConfirm(t, b)
	ref := e.stored(t, b.ID()).PaymentRef()
	for i, amount := range []string{"300000", "200000"} {
		e.post(t, "/sandbox/payments/"+url.PathEscape(ref)+"/refund?amount="+amount)
		res, err := e.deliver(e.hooks.last(t))
		require.NoError(t, err)
		require.Equal(t, app.OutcomeRefundRecorded, res.Outcome, "refund %d", i+1)
		e.drain(t)
	}
	assert.Equal(t, []ports.MessageKind{ports.MessageConfirmation, ports.MessageRefund, ports.MessageRefund}, e.messages(b.ID()))
	var texts []string
	for _, m := range e.outbox.Messages() {
		if m.Kind == ports.MessageRefund {
			texts = append(texts, m.Text)
			require.NotEmpty(t, m.Seq, "a refund's message names its refund")
			// Its job run again sends nothing.
			require.NoError(t, e.notifyJob(t, app.NotifyArgs{BookingID: b.ID(), Message: ports.MessageRefund, Seq: m.Seq})())
		}
	}
	require.Len(t, texts, 2)
	assert.Contains(t, texts[0], "3000.00")
	assert.Contains(t, texts[1], "5000.00", "the second tells the refunds so far")
	assert.Len(t, e.messages(b.ID()), 3, "no refund message sent twice")
}
