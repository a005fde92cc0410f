package app

import (
	"context"
	"errors"
	"time"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// Job kinds. They are stored with queued jobs and never change meaning.
const (
	KindExpireHold = "booking.expire_hold"
	KindRefund     = "payment.refund"
	KindNotify     = "notify.booking"
	KindComplete   = "booking.complete"
	// KindExpireCheckout closes a checkout at its gateway once its booking's hold has expired.
	KindExpireCheckout = "payment.expire_checkout"
)

// ExpireHoldArgs expires a booking's hold once it has run out.
type ExpireHoldArgs struct {
	BookingID string `json:"booking_id"`
}

// Kind implements ports.JobArgs.
func (ExpireHoldArgs) Kind() string { return KindExpireHold }

// RefundArgs issues a refund owed for a booking's payment through the gateway. The
// refund is stored (ports.Refunds) under RefundID; a job queued before refunds were
// stored has no RefundID and refunds what the other fields describe.
type RefundArgs struct {
	RefundID       string       `json:"refund_id,omitempty"`
	BookingID      string       `json:"booking_id"`
	Gateway        string       `json:"gateway"` // the name of the gateway that took the payment
	PaymentRef     string       `json:"payment_ref"`
	Amount         domain.Money `json:"amount"`
	Reason         string       `json:"reason"`
	IdempotencyKey string       `json:"idempotency_key"`
}

// Kind implements ports.JobArgs.
func (RefundArgs) Kind() string { return KindRefund }

// ExpireCheckoutArgs closes the checkout of a booking whose hold expired, so that it
// can no longer be paid.
type ExpireCheckoutArgs struct {
	BookingID   string `json:"booking_id"`
	Gateway     string `json:"gateway"` // the name of the gateway that holds the checkout; empty means the booking's club's
	CheckoutRef string `json:"checkout_ref"`
}

// Kind implements ports.JobArgs.
func (ExpireCheckoutArgs) Kind() string { return KindExpireCheckout }

// CompleteArgs marks a confirmed booking as played once it has ended.
type CompleteArgs struct {
	BookingID string `json:"booking_id"`
}

// Kind implements ports.JobArgs.
func (CompleteArgs) Kind() string { return KindComplete }

// scheduleConfirmed schedules what follows a booking's confirmation, with the
// transaction in ctx: its reminder, if the club sends them and there is time before
// the game, and its completion when it ends.
func (c *core) scheduleConfirmed(ctx context.Context, club domain.Club, b *domain.Booking) error {
	if remindAt := b.Interval().Start.Add(-club.Policy.Reminder); club.Policy.Reminder > 0 && remindAt.After(c.Clock.Now()) {
		err := c.Jobs.Enqueue(ctx, NotifyArgs{BookingID: b.ID(), Message: ports.MessageReminder}, ports.EnqueueOptions{RunAt: remindAt, UniqueKey: reminderKey(b.ID())})
		if err != nil {
			return err
		}
	}
	return c.Jobs.Enqueue(ctx, CompleteArgs{BookingID: b.ID()}, ports.EnqueueOptions{RunAt: b.Interval().End, UniqueKey: "complete:" + b.ID()})
}

// reminderKey is the unique key of a booking's reminder, by which a cancellation
// cancels it.
func reminderKey(bookingID string) string {
	return "notify:" + string(ports.MessageReminder) + ":" + bookingID
}

// complete marks a confirmed booking that has ended as played; anything else is left as it is.
func (c *core) complete(ctx context.Context, id string) error {
	now := c.Clock.Now()
	err := c.Store.UpdateBooking(ctx, id, now, func(b *domain.Booking) error {
		if b.Status() != domain.StatusConfirmed || now.Before(b.Interval().End) {
			return errUnchanged // cancelled, marked a no-show, or not over yet
		}
		return b.Complete(now)
	})
	if errors.Is(err, errUnchanged) || domain.ErrorKind(err) == domain.KindNotFound {
		return nil
	}
	if err == nil {
		c.Metrics.Booking(ports.BookingCompleted)
	}
	return err
}

// NotifyArgs sends a customer a message about their booking, once: its worker sends
// nothing for a message recorded as sent (see the package doc).
type NotifyArgs struct {
	BookingID string            `json:"booking_id"`
	Message   ports.MessageKind `json:"message"`
	// Seq tells apart the messages of a kind a booking may get more than once (see
	// ports.Message.Seq): a refund's message names its refund. Empty for the others.
	Seq string `json:"seq,omitempty"`
}

// Kind implements ports.JobArgs.
func (NotifyArgs) Kind() string { return KindNotify }

// notify schedules a message about a booking, with the transaction in ctx.
func (c *core) notify(ctx context.Context, bookingID string, kind ports.MessageKind) error {
	return c.Jobs.Enqueue(ctx, NotifyArgs{BookingID: bookingID, Message: kind}, ports.EnqueueOptions{UniqueKey: "notify:" + string(kind) + ":" + bookingID})
}

// notifyRefund schedules the message of one of a booking's refunds, ref naming the
// refund, with the transaction in ctx. Refund messages of one booking waiting at once
// are one job, whose message tells the refunds made by the time it runs.
func (c *core) notifyRefund(ctx context.Context, bookingID, ref string) error {
	args := NotifyArgs{BookingID: bookingID, Message: ports.MessageRefund, Seq: ref}
	return c.Jobs.Enqueue(ctx, args, ports.EnqueueOptions{UniqueKey: "notify:" + string(ports.MessageRefund) + ":" + bookingID})
}

// Workers returns a new set of the workers of every job kind the use cases schedule,
// one typed worker per arguments type, for the queue to run (with inproc:
// queue.Start(ctx, app.Workers())). A program with jobs of its own adds their workers
// to the set before it starts the queue. Every job the set runs is counted in
// Deps.Metrics (ports.Workers.Observe), its lag by Deps.Clock.
func (a *App) Workers() *ports.Workers {
	c := a.Payments.core
	ws := ports.NewWorkers()
	ws.Observe(c.Metrics, c.Clock)
	ports.AddWorker(ws, ports.WorkFunc[ExpireHoldArgs](func(ctx context.Context, job *ports.Job[ExpireHoldArgs]) error {
		_, err := c.expireOne(ctx, job.Args.BookingID, ports.ExpiredByJob)
		return err
	}))
	ports.AddWorker(ws, ports.WorkFunc[RefundArgs](func(ctx context.Context, job *ports.Job[RefundArgs]) error {
		return c.refundJob(ctx, job.Args)
	}))
	ports.AddWorker(ws, ports.WorkFunc[CompleteArgs](func(ctx context.Context, job *ports.Job[CompleteArgs]) error {
		return c.complete(ctx, job.Args.BookingID)
	}))
	ports.AddWorker(ws, ports.WorkFunc[ExpireCheckoutArgs](func(ctx context.Context, job *ports.Job[ExpireCheckoutArgs]) error {
		return c.expireCheckout(ctx, job.Args)
	}))
	ports.AddWorker(ws, ports.WorkFunc[NotifyArgs](func(ctx context.Context, job *ports.Job[NotifyArgs]) error {
		return c.sendMessage(ctx, job.Args)
	}))
	ports.AddWorker(ws, ports.WorkFunc[ReportArgs](func(ctx context.Context, job *ports.Job[ReportArgs]) error {
		return c.generateReport(ctx, job.Args)
	}))
	a.addPeriodicWorkers(ws)
	return ws
}

// recordTimeout bounds the record of a message sent, which runs even when the job's
// context has ended: the message went out, and only the record stops it going again.
const recordTimeout = 10 * time.Second

// sendMessage sends the message of a notify job unless it is recorded as sent, and
// records it once the notifier has taken it.
func (c *core) sendMessage(ctx context.Context, args NotifyArgs) error {
	key := ports.MessageKey(args.BookingID, args.Message, args.Seq)
	if sent, err := c.Store.MessageSent(ctx, key); err != nil || sent {
		return err // sent already: a retry, or a run after a worker died, ends here
	}
	b, err := c.Store.GetBooking(ctx, args.BookingID)
	if err != nil {
		return err
	}
	club, err := c.catalog.Club(ctx, b.ClubID())
	if err != nil {
		return err
	}
	court, err := c.catalog.Court(ctx, club.ID, b.CourtID())
	if err != nil {
		return err
	}
	if args.Message == ports.MessageReminder && b.Status() != domain.StatusConfirmed {
		return nil // cancelled (or marked a no-show) after its reminder was scheduled
	}
	m := renderMessage(args.Message, club, court, b)
	m.Seq = args.Seq
	err = c.Notifier.Send(ctx, m)
	if domain.ErrorKind(err) == domain.KindInvalid {
		// The mail server refused the message for good (a 5xx: no such mailbox, say):
		// retrying cannot help, so it is reported once and the job ends.
		c.Reporter.Report(ctx, err, map[string]string{"booking": b.ID(), "message": string(args.Message), "problem": "message refused"})
		return nil
	}
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if _, err := c.Store.RecordMessageSent(rctx, key, c.Clock.Now()); err != nil {
		// The message went out; only its record is missing. Failing the job would send
		// it again, so the job ends and someone is told.
		c.Logger.ErrorContext(ctx, "message sent but not recorded: a rerun of its job would send it again", "booking", b.ID(), "message", string(args.Message), "key", key, "error", err)
		c.Reporter.Report(ctx, err, map[string]string{"booking": b.ID(), "message": string(args.Message), "key": key, "problem": "message sent but not recorded"})
	}
	return nil
}

// refundGateway returns the gateway a refund goes through: the one named in its
// arguments, or for a refund scheduled before refunds named it, the booking's.
func (c *core) refundGateway(ctx context.Context, args RefundArgs) (ports.PaymentGateway, error) {
	if args.Gateway != "" {
		return c.Gateways.Named(args.Gateway)
	}
	b, err := c.Store.GetBooking(ctx, args.BookingID)
	if err != nil {
		return nil, err
	}
	_, gw, err := c.gatewayOf(ctx, b)
	return gw, err
}
