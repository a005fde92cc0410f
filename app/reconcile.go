package app

import (
	"context"
	"slices"
	"time"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// ReconcileResult counts what a reconciliation did.
type ReconcileResult struct {
	Checked        int // pending bookings whose payment the gateway was asked about
	CheckedExpired int // recently expired bookings whose payment the gateway was asked about
	Confirmed      int // paid, and confirmed now
	Refunded       int // paid, but the booking could not take it: refunded
	Expired        int // the checkout failed or expired, and the hold had run out
	Unknown        int // the gateway could not answer, or the booking could not be updated: left for the next run
	// Refunds is what the retry of owed refunds past due did (see RetryRefunds).
	Refunds RefundRetryResult
}

// Reconcile catches lost webhooks. It lists up to limit bookings still pending whose
// checkout opened more than olderThan ago, asks the gateway for the real state of each
// payment, and applies it as the webhook would have: a paid payment confirms the
// booking (or is refunded when the booking cannot take it), a failed or expired
// checkout lets a hold that has run out expire. Each finding is applied once, under an
// event id of its own, and a payment is applied once whatever reports it, so a run
// repeated, or the late webhook itself, changes nothing more.
//
// With what is left of limit it then lists bookings that expired, made within
// Config.ExpiredLookback, and asks about their checkouts too: a payment that reached
// one as its hold ended, before the checkout was closed, and whose webhook was lost
// is applied as that webhook would have been (it confirms the booking if the slot is
// still free, and is refunded in full otherwise). Nothing else about an expired
// booking changes.
//
// Last it retries up to limit owed refunds whose next attempt is due, as
// RetryRefunds does, and counts them in Refunds. The worker runs it on a schedule.
func (p *Payments) Reconcile(ctx context.Context, olderThan time.Duration, limit int) (ReconcileResult, error) {
	var res ReconcileResult
	if limit <= 0 {
		return res, nil
	}
	now := p.Clock.Now()
	pending, err := p.Store.ListBookings(ctx, ports.BookingFilter{
		Status: domain.StatusPending, CreatedBefore: now.Add(-olderThan), Limit: limit,
	})
	if err != nil {
		return res, err
	}
	p.reconcilePending(ctx, pending, &res)
	if left := limit - len(pending); left > 0 {
		expired, err := p.Store.ListBookings(ctx, ports.BookingFilter{
			Status: domain.StatusExpired, CreatedAfter: now.Add(-p.cfg.ExpiredLookback), Limit: left,
		})
		if err != nil {
			return res, err
		}
		asked := make(map[string]bool, len(pending))
		for _, b := range pending {
			asked[b.ID()] = true
		}
		p.reconcileExpired(ctx, slices.DeleteFunc(expired, func(b *domain.Booking) bool { return asked[b.ID()] }), &res)
	}
	res.Refunds, err = p.RetryRefunds(ctx, limit)
	return res, err
}

// reconcilePending applies what the gateway knows of pending bookings' payments.
func (p *Payments) reconcilePending(ctx context.Context, pending []*domain.Booking, res *ReconcileResult) {
	for _, b := range pending {
		if b.PaymentRef() == "" {
			continue // no checkout was opened: nothing to ask
		}
		res.Checked++
		gateway, gw, err := p.gatewayOf(ctx, b)
		var pay ports.Payment
		if err == nil {
			pay, err = gw.GetPayment(ctx, b.PaymentRef())
		}
		if err != nil {
			res.Unknown++
			p.Logger.WarnContext(ctx, "reconcile: payment state unknown", "booking", b.ID(), "err", err)
			continue
		}
		switch pay.Status {
		case ports.PaymentPaid:
			p.reconcilePaid(ctx, gateway, gw, b, pay, res)
		case ports.PaymentFailed, ports.PaymentExpired:
			expired, err := p.expireOne(ctx, b.ID(), ports.ExpiredByReconcile)
			if err != nil {
				res.Unknown++
				p.Reporter.Report(ctx, err, map[string]string{"booking": b.ID(), "problem": "reconciliation could not expire a hold"})
				continue
			}
			if expired {
				res.Expired++
			}
		}
	}
}

// reconcileExpired applies a payment made at the checkout of an expired booking.
func (p *Payments) reconcileExpired(ctx context.Context, expired []*domain.Booking, res *ReconcileResult) {
	for _, b := range expired {
		if b.PaymentRef() == "" {
			continue // no checkout was opened: nothing to ask
		}
		res.CheckedExpired++
		gateway, gw, err := p.gatewayOf(ctx, b)
		var pay ports.Payment
		if err == nil {
			pay, err = gw.GetPayment(ctx, b.PaymentRef())
		}
		if err != nil {
			res.Unknown++
			p.Logger.WarnContext(ctx, "reconcile: payment state unknown", "booking", b.ID(), "err", err)
			continue
		}
		if pay.Status == ports.PaymentPaid {
			p.reconcilePaid(ctx, gateway, gw, b, pay, res)
		}
	}
}

// reconcilePaid applies a paid payment of a booking as its webhook would have, once.
func (p *Payments) reconcilePaid(ctx context.Context, gateway string, gw ports.PaymentGateway, b *domain.Booking, pay ports.Payment, res *ReconcileResult) {
	out, err := p.applyOnce(ctx, gateway, ports.PaymentEvent{
		Provider: gw.Provider(), EventID: "reconcile:" + pay.Ref + ":paid", Type: ports.EventPaid,
		BookingID: b.ID(), PaymentRef: pay.Ref, Amount: pay.Amount, At: p.Clock.Now(),
	})
	if err != nil {
		// One booking the store cannot update does not stop the others: it is
		// reported, and asked about again on the next run.
		res.Unknown++
		p.Reporter.Report(ctx, err, map[string]string{"booking": b.ID(), "payment": pay.Ref, "problem": "reconciliation could not apply a payment"})
		return
	}
	switch out.Outcome {
	case OutcomeConfirmed:
		res.Confirmed++
	case OutcomeRefunded:
		res.Refunded++
	}
	p.Logger.InfoContext(ctx, "reconcile: payment applied", "booking", b.ID(), "payment", pay.Ref, "outcome", out.Outcome, "status", string(b.Status()))
}

// gatewayOf returns the gateway that holds a booking's checkout: the one it records, or
// for a booking made before bookings recorded it, the club's.
func (c *core) gatewayOf(ctx context.Context, b *domain.Booking) (string, ports.PaymentGateway, error) {
	if name := b.PaymentGateway(); name != "" {
		gw, err := c.Gateways.Named(name)
		return name, gw, err
	}
	club, err := c.catalog.Club(ctx, b.ClubID())
	if err != nil {
		return "", nil, err
	}
	return c.Gateways.ForClub(ctx, club)
}
