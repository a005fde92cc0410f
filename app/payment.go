package app

import (
	"context"
	"errors"
	"net/http"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// Payments confirms bookings from payment webhooks and expires unpaid holds.
type Payments struct{ *core }

// WebhookResult says what a webhook did.
type WebhookResult struct {
	Event     ports.PaymentEvent
	Duplicate bool   // the event had been processed before; nothing changed
	Outcome   string // what happened to the booking, for logs and the provider's dashboard
}

// Webhook outcomes.
const (
	OutcomeConfirmed       = "confirmed"
	OutcomeRefunded        = "refunded"
	OutcomeRefundRecorded  = "refund_recorded" // a refund made at the provider, outside Match Point
	OutcomeIgnored         = "ignored"
	OutcomeAlreadyRecorded = "duplicate"
)

// Accepts reports whether webhooks of the named gateway are handled: whether it is
// one of the configured gateways.
func (p *Payments) Accepts(gateway string) bool {
	_, err := p.Gateways.Named(gateway)
	return err == nil
}

// HandleWebhook verifies a provider's webhook and applies its event exactly once: the
// event id is recorded in the same transaction as its effect, so a replay changes
// nothing. A payment confirms the pending booking it pays for; a payment whose amount
// or currency differs from the quote is refunded and reported, never confirmed; a
// payment that arrives after the hold expired confirms the booking if the slot is still
// free and is refunded in full otherwise.
func (p *Payments) HandleWebhook(ctx context.Context, gateway string, header http.Header, body []byte) (WebhookResult, error) {
	gw, err := p.Gateways.Named(gateway)
	if err != nil {
		p.Metrics.Webhook("unknown", ports.WebhookRejected) // the name is the client's: not a label
		return WebhookResult{}, err
	}
	ev, err := gw.ParseWebhook(header, body)
	if err != nil {
		p.Metrics.Webhook(gateway, ports.WebhookRejected)
		p.Logger.WarnContext(ctx, "webhook rejected", "gateway", gateway, "code", domain.ErrorCode(err), "bytes", len(body))
		return WebhookResult{}, err
	}
	res, err := p.applyOnce(ctx, gateway, ev)
	if err != nil {
		p.Metrics.Webhook(gateway, ports.WebhookFailed)
		return WebhookResult{}, err
	}
	p.Metrics.Webhook(gateway, res.Outcome)
	p.Logger.InfoContext(ctx, "webhook processed", "gateway", gateway, "event", ev.EventID, "type", ev.Type, "booking", ev.BookingID, "outcome", res.Outcome)
	return res, nil
}

// applyOnce applies a verified event of the named gateway unless its id has been
// recorded, recording it in the same transaction as its effect.
func (p *Payments) applyOnce(ctx context.Context, gateway string, ev ports.PaymentEvent) (WebhookResult, error) {
	res := WebhookResult{Event: ev}
	err := p.Store.WithinTx(ctx, func(ctx context.Context) error {
		fresh, err := p.Store.RecordPaymentEvent(ctx, ev.Provider, ev.EventID, p.Clock.Now())
		if err != nil {
			return err
		}
		if !fresh {
			res.Duplicate, res.Outcome = true, OutcomeAlreadyRecorded
			return nil
		}
		res.Outcome, err = p.apply(ctx, gateway, ev)
		return err
	})
	return res, err
}

func (p *Payments) apply(ctx context.Context, gateway string, ev ports.PaymentEvent) (string, error) {
	if ev.Type == ports.EventUnrelated {
		p.Logger.InfoContext(ctx, "webhook about no booking acknowledged", "gateway", gateway, "event", ev.EventID)
		return OutcomeIgnored, nil
	}
	b, err := p.Store.GetBooking(ctx, ev.BookingID)
	if domain.ErrorKind(err) == domain.KindNotFound {
		p.Reporter.Report(ctx, err, map[string]string{"provider": ev.Provider, "event": ev.EventID, "problem": "payment event for an unknown booking"})
		return OutcomeIgnored, nil
	}
	if err != nil {
		return "", err
	}
	club, err := p.catalog.Club(ctx, b.ClubID())
	if err != nil {
		return "", err
	}
	switch ev.Type {
	case ports.EventPaid:
		return p.paid(ctx, club, b, gateway, ev)
	case ports.EventExpired, ports.EventFailed:
		// The hold runs out on its own; expire it now if it already has.
		_, err := p.expire(ctx, b.ID(), ports.ExpiredByWebhook)
		return OutcomeIgnored, err
	case ports.EventRefunded:
		return p.refunded(ctx, b, ev)
	case ports.EventPending:
		return OutcomeIgnored, nil // the outcome comes in a later event
	default:
		return OutcomeIgnored, nil
	}
}

// refunded applies a refund event. Refunds Match Point asked for come back as events
// too: they are recorded on the booking already. A refund of the payment that
// confirmed the booking beyond what the booking records was made elsewhere (the
// provider's dashboard): it is recorded and reported, and the booking keeps its state,
// for the club to decide. A refund of a payment not applied yet means the payment is
// being given back before its completion reached us: it must never confirm the
// booking, which expires with its hold.
func (p *Payments) refunded(ctx context.Context, b *domain.Booking, ev ports.PaymentEvent) (string, error) {
	now := p.Clock.Now()
	if ev.PaymentRef != "" && ev.PaymentRef == b.PaymentRef() && !b.Paid().IsZero() {
		if ev.Amount.Currency() != b.Paid().Currency() {
			p.Reporter.Report(ctx, domain.Errorf(domain.CodeCurrencyMismatch, "refund of %s of a payment in %s", ev.Amount, b.Paid().Currency()),
				map[string]string{"booking": b.ID(), "event": ev.EventID})
			return OutcomeIgnored, nil
		}
		// The booking is read again under the update, so that two refund events handled
		// at once add what is new once.
		var extra domain.Money
		var refused error
		err := p.Store.UpdateBooking(ctx, b.ID(), now, func(nb *domain.Booking) error {
			extra = domain.NewMoney(ev.Amount.Amount()-nb.Refund().Amount(), ev.Amount.Currency())
			if extra.Amount() <= 0 {
				return errUnchanged // a refund we asked for, or one recorded already
			}
			if err := nb.AddRefund(extra); err != nil {
				refused = err
				return errUnchanged
			}
			return nil
		})
		if refused != nil {
			// More given back than the booking records as paid: the club must look.
			p.Reporter.Report(ctx, refused, map[string]string{"booking": b.ID(), "event": ev.EventID})
			return OutcomeIgnored, nil
		}
		if errors.Is(err, errUnchanged) {
			return OutcomeIgnored, nil
		}
		if err != nil {
			return "", err
		}
		p.Reporter.Report(ctx, domain.Errorf(domain.CodeRefundedElsewhere, "%s of booking %s was refunded at the provider", extra, b.ID()),
			map[string]string{"booking": b.ID(), "event": ev.EventID, "status": string(b.Status())})
		return OutcomeRefundRecorded, p.notifyRefund(ctx, b.ID(), "event:"+ev.EventID)
	}
	if ev.PaymentRef == "" {
		return OutcomeIgnored, nil
	}
	first, err := p.Store.RecordPaymentEvent(ctx, ev.Provider, "payment:"+ev.PaymentRef, now)
	if err != nil || !first {
		return OutcomeIgnored, err // applied already, and given back by us
	}
	p.Reporter.Report(ctx, domain.Errorf(domain.CodeRefundBeforePayment, "payment %s was refunded (%s) before its completion arrived", ev.PaymentRef, ev.Amount),
		map[string]string{"booking": b.ID(), "event": ev.EventID})
	return OutcomeIgnored, nil
}

// paid applies a payment to its booking, once per payment: a provider may report one
// payment under several events (created, then updated), and a payment refunded because
// it could not confirm the booking must not confirm it later, when the slot has freed.
func (p *Payments) paid(ctx context.Context, club domain.Club, b *domain.Booking, gateway string, ev ports.PaymentEvent) (string, error) {
	now := p.Clock.Now()
	if ev.PaymentRef != "" {
		first, err := p.Store.RecordPaymentEvent(ctx, ev.Provider, "payment:"+ev.PaymentRef, now)
		if err != nil {
			return "", err
		}
		if !first {
			return OutcomeIgnored, nil // applied already: confirmed, or given back
		}
	}
	err := p.Store.UpdateBooking(ctx, b.ID(), now, func(nb *domain.Booking) error {
		if err := nb.ConfirmPayment(ev.Amount, ev.PaymentRef, now); err != nil {
			return err
		}
		return nb.PaidThrough(gateway)
	})
	if err == nil {
		ports.AfterCommit(ctx, func() { p.Metrics.Booking(ports.BookingConfirmed) })
		if err := p.scheduleConfirmed(ctx, club, b); err != nil {
			return "", err
		}
		return OutcomeConfirmed, p.notify(ctx, b.ID(), ports.MessageConfirmation)
	}
	var reason string
	switch domain.ErrorCode(err) {
	case domain.CodeAmountMismatch:
		reason = "amount_mismatch"
		p.Reporter.Report(ctx, err, map[string]string{"booking": b.ID(), "event": ev.EventID, "paid": ev.Amount.String(), "quote": b.Quote().Total.String()})
	case domain.CodeSlotUnavailable:
		reason = "slot_taken"
	case domain.CodeBookingStarted:
		reason = "too_late"
	case domain.CodeInvalidTransition:
		if !b.Paid().IsZero() && b.PaymentRef() == ev.PaymentRef && b.Paid().Equal(ev.Amount) {
			// The provider reported the payment that confirmed the booking again: it
			// was applied (and, after a cancellation, refunded) once already.
			return OutcomeIgnored, nil
		}
		reason = "not_payable_" + string(b.Status())
		p.Reporter.Report(ctx, err, map[string]string{"booking": b.ID(), "event": ev.EventID, "problem": "payment for a booking that cannot take it"})
	default:
		return "", err
	}
	// The payment did not confirm the booking: give it back, in full, once. A provider
	// may report one payment under several events (created, then updated): the refund is
	// recorded per payment, and owed (stored), in the same transaction, so the second
	// changes nothing.
	refundKey := "payment:" + ev.PaymentRef
	if ev.PaymentRef == "" {
		refundKey = "event:" + ev.EventID
	}
	first, err := p.Store.RecordPaymentEvent(ctx, ev.Provider, "refund-of-"+refundKey, now)
	if err != nil {
		return "", err
	}
	if !first {
		return OutcomeIgnored, nil
	}
	expired := false
	err = p.Store.UpdateBooking(ctx, b.ID(), now, func(nb *domain.Booking) error {
		expired = false
		// A payment in another currency is no money of this booking: it is given back
		// all the same, without a trace on the booking.
		if ev.Amount.Currency() == nb.Quote().Total.Currency() && ev.Amount.Amount() > 0 {
			if err := nb.ReturnPayment(ev.Amount); err != nil {
				return err
			}
		}
		if nb.Status() == domain.StatusPending && !now.Before(nb.HoldExpiresAt()) {
			expired = true
			return nb.Expire(now)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if expired {
		p.countExpiry(ctx, ports.ExpiredByPayment)
	}
	if err := p.oweRefund(ctx, b, RefundArgs{BookingID: b.ID(), Gateway: gateway, PaymentRef: ev.PaymentRef, Amount: ev.Amount, Reason: reason, IdempotencyKey: refundKey}); err != nil {
		return "", err
	}
	return OutcomeRefunded, p.notifyRefund(ctx, b.ID(), "refund-of-"+refundKey)
}

// expire ends a booking's hold if it has run out and it is still pending, and reports
// whether it did. A booking that had a checkout has it closed at its gateway too, by a
// job queued in the same transaction, so that a payment can no longer start there.
// via says what expires it, for the counts.
func (c *core) expire(ctx context.Context, id string, via ports.HoldExpiry) (bool, error) {
	now := c.Clock.Now()
	var closing *ExpireCheckoutArgs
	err := c.Store.UpdateBooking(ctx, id, now, func(b *domain.Booking) error {
		if b.Status() != domain.StatusPending || now.Before(b.HoldExpiresAt()) {
			return errUnchanged
		}
		if b.PaymentRef() != "" {
			closing = &ExpireCheckoutArgs{BookingID: b.ID(), Gateway: b.PaymentGateway(), CheckoutRef: b.PaymentRef()}
		}
		return b.Expire(now)
	})
	if errors.Is(err, errUnchanged) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	c.countExpiry(ctx, via)
	if closing != nil {
		if err := c.Jobs.Enqueue(ctx, *closing, ports.EnqueueOptions{UniqueKey: "expire-checkout:" + id}); err != nil {
			return false, err
		}
	}
	return true, c.notify(ctx, id, ports.MessageExpiry)
}

// countExpiry counts a hold expired by via once the transaction in ctx commits.
func (c *core) countExpiry(ctx context.Context, via ports.HoldExpiry) {
	ports.AfterCommit(ctx, func() {
		c.Metrics.Booking(ports.BookingExpired)
		c.Metrics.HoldsExpired(via, 1)
	})
}

// expireCheckout closes the checkout of a booking whose hold expired. A checkout the
// gateway does not know, or that was paid meanwhile, ends the job: a payment's own
// webhook (or reconciliation) brings it, and it is confirmed or refunded as any late
// payment. A gateway that cannot answer is retried.
func (c *core) expireCheckout(ctx context.Context, args ExpireCheckoutArgs) error {
	var gw ports.PaymentGateway
	var err error
	if args.Gateway != "" {
		gw, err = c.Gateways.Named(args.Gateway)
	} else {
		var b *domain.Booking
		if b, err = c.Store.GetBooking(ctx, args.BookingID); err == nil {
			_, gw, err = c.gatewayOf(ctx, b)
		}
	}
	if err == nil {
		err = gw.ExpireCheckout(ctx, args.CheckoutRef)
	}
	switch domain.ErrorKind(err) {
	case "":
		c.Logger.InfoContext(ctx, "checkout expired", "booking", args.BookingID, "checkout", args.CheckoutRef)
	case domain.KindNotFound, domain.KindConflict, domain.KindInvalid:
		// Retrying cannot help; a payment made meanwhile arrives as a late payment.
		c.Logger.WarnContext(ctx, "checkout not expired", "booking", args.BookingID, "checkout", args.CheckoutRef, "code", domain.ErrorCode(err), "err", err)
		return nil
	}
	return err
}

// errUnchanged makes UpdateBooking store nothing when there is nothing to change; it
// never leaves the package.
var errUnchanged = errors.New("app: nothing to change")

// ExpireHolds expires every pending booking whose hold has run out, reading them in
// batches of batch, and returns how many it expired. The worker runs it periodically
// as a safety net behind the expiry job each booking schedules; after a restart many
// holds may be due at once, and one call expires them all. It stops early when ctx
// ends, and when a batch expires nothing (its holds were all paid or cancelled
// meanwhile): the next run takes up what is left.
func (p *Payments) ExpireHolds(ctx context.Context, batch int) (int, error) {
	if batch <= 0 {
		return 0, domain.Errorf(domain.CodeInvalid, "batch size %d must be positive", batch)
	}
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		ids, err := p.Store.ListExpiredHolds(ctx, p.Clock.Now(), batch)
		if err != nil {
			return total, err
		}
		n := 0
		for _, id := range ids {
			// A hold listed here may be paid or cancelled before it is expired.
			expired, err := p.expireOne(ctx, id, ports.ExpiredBySweep)
			if err != nil {
				return total + n, err
			}
			if expired {
				n++
			}
		}
		total += n
		if len(ids) < batch || n == 0 {
			return total, nil
		}
	}
}

// expireOne expires a booking's hold if it has run out, and reports whether it did;
// via says what expires it, for the counts.
// A booking that is gone expires nothing.
func (c *core) expireOne(ctx context.Context, id string, via ports.HoldExpiry) (bool, error) {
	expired := false
	err := c.Store.WithinTx(ctx, func(ctx context.Context) error {
		var err error
		expired, err = c.expire(ctx, id, via)
		return err
	})
	if domain.ErrorKind(err) == domain.KindNotFound {
		return false, nil
	}
	return expired && err == nil, err
}
