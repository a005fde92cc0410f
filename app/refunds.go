package app

import (
	"context"
	"errors"
	"strconv"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// A refund owed to a customer is stored (ports.Refunds) in the transaction of the
// booking change that owes it, and the job that issues it is queued in the same
// transaction with the refund's id. The refund stays owed until the provider answers
// for good: accepted (issued), or refused (attention: reported, the customer told).
// A provider that cannot answer leaves it owed, due again after a growing wait
// (domain.RefundBackoff), and Payments.RetryRefunds — run periodically, and by
// Reconcile — tries it again with the same idempotency key, for about three days
// before it too needs attention. The job itself never has to be retried: what is
// owed is in the store, not in the queue.

// oweRefund stores a refund of args owed for booking b, with the transaction in ctx,
// and queues the job that issues it. A refund the club already owes under the same
// idempotency key is owed once: nothing more is stored or queued. A refund of nothing
// (a payment reported without an amount) is reported instead: there is no money to
// give back.
func (c *core) oweRefund(ctx context.Context, b *domain.Booking, args RefundArgs) error {
	if args.Amount.Amount() <= 0 || args.Amount.Currency().IsZero() {
		c.Reporter.Report(ctx, domain.Errorf(domain.CodeInvalid, "a refund of %s has nothing to give back", args.Amount),
			map[string]string{"booking": b.ID(), "reason": args.Reason, "problem": "empty refund"})
		return nil
	}
	if args.Gateway == "" {
		name, _, err := c.gatewayOf(ctx, b)
		if err != nil {
			return err
		}
		args.Gateway = name
	}
	r, err := domain.NewRefund(domain.NewRefundParams{
		ID: c.IDs.NewID(), ClubID: b.ClubID(), BookingID: b.ID(), Gateway: args.Gateway, PaymentRef: args.PaymentRef,
		Amount: args.Amount, Reason: args.Reason, IdempotencyKey: args.IdempotencyKey, Now: c.Clock.Now(),
	})
	if err != nil {
		return err
	}
	if err := c.Store.SaveRefund(ctx, r); err != nil {
		if errors.Is(err, domain.ErrDuplicate) {
			return nil // owed already, and its job queued with it
		}
		return err
	}
	args.RefundID = r.ID()
	ports.AfterCommit(ctx, func() { c.Metrics.Refund(ports.RefundOwed) })
	return c.Jobs.Enqueue(ctx, args, ports.EnqueueOptions{UniqueKey: "refund:" + args.IdempotencyKey})
}

// refundJob runs a refund job: the stored refund it names, or for a job queued before
// refunds were stored, the refund its arguments describe.
func (c *core) refundJob(ctx context.Context, args RefundArgs) error {
	if args.RefundID == "" {
		return c.legacyRefund(ctx, args)
	}
	_, err := c.attemptRefund(ctx, args.RefundID, true)
	return err
}

// attemptRefund asks the gateway for an owed refund, with its idempotency key, and
// stores the answer: issued, attention, or owed again later. It returns the refund's
// state afterwards. A refund issued or in attention already is left as it is. The
// error is one of storing the answer (or of ctx): the refund is then still owed, due
// as it was, and the next sweep takes it up. When the refund needs attention the
// club's reporter hears of it and, if tell is set, the customer is sent
// MessageRefundFailed.
func (c *core) attemptRefund(ctx context.Context, id string, tell bool) (domain.RefundState, error) {
	r, err := c.Store.GetRefund(ctx, id)
	if err != nil {
		return "", err
	}
	if r.State() != domain.RefundOwed {
		return r.State(), nil
	}
	gw, err := c.Gateways.Named(r.Gateway())
	var issued ports.Refund
	if err == nil {
		issued, err = gw.Refund(ctx, ports.RefundRequest{BookingID: r.BookingID(), PaymentRef: r.PaymentRef(), Amount: r.Amount(), IdempotencyKey: r.IdempotencyKey()})
	}
	if cerr := ctx.Err(); cerr != nil {
		return domain.RefundOwed, cerr // stopped, not answered: still owed, due as it was
	}
	now := c.Clock.Now()
	attrs := map[string]string{"refund": r.ID(), "booking": r.BookingID(), "amount": r.Amount().String(), "reason": r.Reason()}
	switch domain.ErrorKind(err) {
	case "":
		providerID := issued.ID
		if providerID == "" {
			providerID = "key:" + r.IdempotencyKey()
		}
		err := c.Store.UpdateRefund(ctx, id, func(sr *domain.Refund) error { return unchangedUnless(sr, sr.Issue(providerID, now)) })
		if err != nil && !errors.Is(err, errUnchanged) {
			return domain.RefundOwed, err
		}
		if err == nil {
			c.Metrics.Refund(ports.RefundIssued)
		}
		c.Logger.InfoContext(ctx, "refund issued", "refund", r.ID(), "booking", r.BookingID(), "amount", r.Amount().String(), "reason", r.Reason())
		return domain.RefundIssued, nil
	case domain.KindInvalid, domain.KindNotFound, domain.KindConflict:
		// Retrying cannot help: someone has to look at it.
		state, uerr := c.storeAnswer(ctx, r, tell, func(sr *domain.Refund) (bool, error) { return true, sr.Refuse(err.Error(), now) })
		if uerr == nil && state == domain.RefundAttention {
			attrs["problem"] = "refund refused"
			c.Reporter.Report(ctx, err, attrs)
		}
		return state, uerr
	}
	// The provider could not answer: owed again later, or after days of this, attention.
	var attention bool
	state, uerr := c.storeAnswer(ctx, r, tell, func(sr *domain.Refund) (bool, error) {
		var ferr error
		attention, ferr = sr.Fail(err.Error(), now)
		return attention, ferr
	})
	if uerr != nil || state != domain.RefundAttention {
		if uerr == nil && !attention {
			c.Logger.WarnContext(ctx, "refund not issued yet; retried later", "refund", r.ID(), "booking", r.BookingID(), "attempts", r.Attempts()+1, "err", err)
		}
		return state, uerr
	}
	attrs["problem"], attrs["attempts"] = "refund failed for days", strconv.Itoa(domain.RefundGiveUpAfter)
	c.Reporter.Report(ctx, err, attrs)
	return state, nil
}

// storeAnswer stores a provider's failure to refund with move, which reports whether
// the refund needs attention now; if it does and tell is set, the customer's message
// is queued in the same transaction. It returns the refund's state afterwards; an
// answer that comes after another attempt's changes nothing.
func (c *core) storeAnswer(ctx context.Context, r *domain.Refund, tell bool, move func(sr *domain.Refund) (bool, error)) (domain.RefundState, error) {
	attention := false
	err := c.Store.WithinTx(ctx, func(ctx context.Context) error {
		err := c.Store.UpdateRefund(ctx, r.ID(), func(sr *domain.Refund) error {
			var err error
			attention, err = move(sr)
			return unchangedUnless(sr, err)
		})
		if err != nil || !attention || !tell {
			return err
		}
		return c.notify(ctx, r.BookingID(), ports.MessageRefundFailed)
	})
	switch {
	case errors.Is(err, errUnchanged): // answered meanwhile by another attempt
		now, err := c.Store.GetRefund(ctx, r.ID())
		if err != nil {
			return domain.RefundOwed, err
		}
		return now.State(), nil
	case err != nil:
		return domain.RefundOwed, err
	case attention:
		c.Metrics.Refund(ports.RefundAttention)
		return domain.RefundAttention, nil
	}
	c.Metrics.Refund(ports.RefundFailed)
	return domain.RefundOwed, nil
}

// unchangedUnless turns a transition refused because the refund is no longer owed
// (another attempt answered first) into errUnchanged, which stores nothing.
func unchangedUnless(r *domain.Refund, err error) error {
	if err != nil && r.State() != domain.RefundOwed {
		return errUnchanged
	}
	return err
}

// legacyRefund issues a refund queued before refunds were stored, as those jobs were
// run: a definitive refusal is reported, anything else retried by the queue.
func (c *core) legacyRefund(ctx context.Context, args RefundArgs) error {
	gw, err := c.refundGateway(ctx, args)
	if err == nil {
		_, err = gw.Refund(ctx, ports.RefundRequest{BookingID: args.BookingID, PaymentRef: args.PaymentRef, Amount: args.Amount, IdempotencyKey: args.IdempotencyKey})
	}
	switch domain.ErrorKind(err) {
	case "":
		c.Logger.InfoContext(ctx, "refund issued", "booking", args.BookingID, "amount", args.Amount.String(), "reason", args.Reason)
	case domain.KindInvalid, domain.KindNotFound, domain.KindConflict:
		c.Reporter.Report(ctx, err, map[string]string{"booking": args.BookingID, "amount": args.Amount.String(), "reason": args.Reason, "problem": "refund refused"})
		return nil
	}
	return err
}

// RefundRetryResult counts what a retry of owed refunds did.
type RefundRetryResult struct {
	Retried   int // owed refunds that were due, tried again
	Issued    int // of those, issued now
	Attention int // of those, refused for good or failing for days: they need the club
	Owed      int // of those, still owed: the provider could not answer, or the answer could not be stored
}

// RetryRefunds tries again up to limit owed refunds of every club whose next attempt
// is due, the earliest due first, each with its own idempotency key, so that a refund
// the provider issued already is not issued twice. The worker runs it periodically:
// it is what keeps a refund owed through a provider's outage from being dropped. One
// refund that cannot be updated does not stop the others; it stays owed and due.
func (p *Payments) RetryRefunds(ctx context.Context, limit int) (RefundRetryResult, error) {
	var res RefundRetryResult
	if limit <= 0 {
		return res, domain.Errorf(domain.CodeInvalid, "limit %d must be positive", limit)
	}
	due, err := p.Store.ListRefunds(ctx, ports.RefundFilter{State: domain.RefundOwed, DueBefore: p.Clock.Now(), Limit: limit})
	if err != nil {
		return res, err
	}
	for _, r := range due {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		res.Retried++
		state, err := p.attemptRefund(ctx, r.ID(), true)
		if err != nil {
			p.Logger.WarnContext(ctx, "refund retry not stored; due again", "refund", r.ID(), "err", err)
		}
		switch state {
		case domain.RefundIssued:
			res.Issued++
		case domain.RefundAttention:
			res.Attention++
		default:
			res.Owed++
		}
	}
	return res, nil
}

// maxRefundList bounds a page of refunds an admin may ask for.
const maxRefundList = 1000

// ListRefunds returns up to limit refunds of the club in a state (every state when
// empty), newest first; limit 0 means 100. An unknown state or a limit out of 0 to
// 1000 is invalid.
func (a *Admin) ListRefunds(ctx context.Context, club domain.Club, state domain.RefundState, limit int) ([]*domain.Refund, error) {
	if state != "" && !state.Known() {
		return nil, domain.Errorf(domain.CodeInvalid, "refund state %q must be one of owed, issued, attention", state)
	}
	if limit < 0 || limit > maxRefundList {
		return nil, domain.Errorf(domain.CodeInvalid, "limit %d must be from 1 to %d", limit, maxRefundList)
	}
	return a.Store.ListRefunds(ctx, ports.RefundFilter{ClubID: club.ID, State: state, Limit: limit})
}

// RetryRefund tries a refund of the club again now, once the club has fixed what made
// the provider refuse it: a refund in attention is owed again, its attempts counted
// afresh, and an owed one is tried without waiting for its turn. It returns the
// refund as stored afterwards: issued, owed (the provider could not answer; the sweep
// goes on) or in attention again (refused again, and reported; the customer, told
// already, is not told twice). An issued refund is a conflict; a refund of another
// club is not_found.
func (a *Admin) RetryRefund(ctx context.Context, club domain.Club, id string) (*domain.Refund, error) {
	r, err := a.Store.GetRefund(ctx, id)
	if domain.ErrorKind(err) == domain.KindNotFound || (err == nil && r.ClubID() != club.ID) {
		return nil, domain.Errorf(domain.CodeNotFound, "refund %q not found", id)
	}
	if err != nil {
		return nil, err
	}
	now := a.Clock.Now()
	err = a.Store.UpdateRefund(ctx, id, func(sr *domain.Refund) error {
		if sr.State() == domain.RefundOwed {
			return errUnchanged
		}
		return sr.Reopen(now)
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return nil, err
	}
	if _, err := a.attemptRefund(ctx, id, false); err != nil {
		return nil, err
	}
	return a.Store.GetRefund(ctx, id)
}
