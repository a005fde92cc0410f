package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// Job kinds. They are stored with queued jobs and never change meaning.
const (
	KindExpireHold = "booking.expire_hold"
	KindRefund     = "payment.refund"
	KindNotify     = "notify.booking"
	KindComplete   = "booking.complete"
)

// ExpireHoldArgs expires a booking's hold once it has run out.
type ExpireHoldArgs struct {
	BookingID string `json:"booking_id"`
}

// Kind implements ports.JobArgs.
func (ExpireHoldArgs) Kind() string { return KindExpireHold }

// RefundArgs refunds an amount of a booking's payment through the gateway.
type RefundArgs struct {
	BookingID      string       `json:"booking_id"`
	Gateway        string       `json:"gateway"` // the name of the gateway that took the payment
	PaymentRef     string       `json:"payment_ref"`
	Amount         domain.Money `json:"amount"`
	Reason         string       `json:"reason"`
	IdempotencyKey string       `json:"idempotency_key"`
}

// Kind implements ports.JobArgs.
func (RefundArgs) Kind() string { return KindRefund }

// CompleteArgs marks a confirmed booking as played once it has ended.
type CompleteArgs struct {
	BookingID string `json:"booking_id"`
}

// Kind implements ports.JobArgs.
func (CompleteArgs) Kind() string { return KindComplete }

// scheduleCompletion marks the booking played when it ends, with the transaction in ctx.
func (c *core) scheduleCompletion(ctx context.Context, b *domain.Booking) error {
	return c.Jobs.Enqueue(ctx, CompleteArgs{BookingID: b.ID()}, ports.EnqueueOptions{RunAt: b.Interval().End, UniqueKey: "complete:" + b.ID()})
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
	return err
}

// NotifyArgs sends a customer a message about their booking.
type NotifyArgs struct {
	BookingID string            `json:"booking_id"`
	Message   ports.MessageKind `json:"message"`
}

// Kind implements ports.JobArgs.
func (NotifyArgs) Kind() string { return KindNotify }

// notify schedules a message about a booking, with the transaction in ctx.
func (c *core) notify(ctx context.Context, bookingID string, kind ports.MessageKind) error {
	return c.Jobs.Enqueue(ctx, NotifyArgs{BookingID: bookingID, Message: kind}, ports.EnqueueOptions{UniqueKey: "notify:" + string(kind) + ":" + bookingID})
}

// JobHandlers returns the handler of every job kind the use cases schedule, for the
// worker (or the in-process queue) to register.
func (a *App) JobHandlers() map[string]ports.JobHandler {
	c := a.Payments.core
	return map[string]ports.JobHandler{
		KindExpireHold: func(ctx context.Context, raw []byte) error {
			var args ExpireHoldArgs
			if err := json.Unmarshal(raw, &args); err != nil {
				return fmt.Errorf("decode %s: %w", KindExpireHold, err)
			}
			_, err := c.expireOne(ctx, args.BookingID)
			return err
		},
		KindRefund: func(ctx context.Context, raw []byte) error {
			var args RefundArgs
			if err := json.Unmarshal(raw, &args); err != nil {
				return fmt.Errorf("decode %s: %w", KindRefund, err)
			}
			gw, err := c.refundGateway(ctx, args)
			if err == nil {
				_, err = gw.Refund(ctx, ports.RefundRequest{BookingID: args.BookingID, PaymentRef: args.PaymentRef, Amount: args.Amount, IdempotencyKey: args.IdempotencyKey})
			}
			switch domain.ErrorKind(err) {
			case "":
				c.Logger.InfoContext(ctx, "refund issued", "booking", args.BookingID, "amount", args.Amount.String(), "reason", args.Reason)
			case domain.KindInvalid, domain.KindNotFound, domain.KindConflict:
				// Retrying cannot help: someone has to look at it.
				c.Reporter.Report(ctx, err, map[string]string{"booking": args.BookingID, "amount": args.Amount.String(), "reason": args.Reason, "problem": "refund refused"})
				return nil
			}
			return err
		},
		KindComplete: func(ctx context.Context, raw []byte) error {
			var args CompleteArgs
			if err := json.Unmarshal(raw, &args); err != nil {
				return fmt.Errorf("decode %s: %w", KindComplete, err)
			}
			return c.complete(ctx, args.BookingID)
		},
		KindNotify: func(ctx context.Context, raw []byte) error {
			var args NotifyArgs
			if err := json.Unmarshal(raw, &args); err != nil {
				return fmt.Errorf("decode %s: %w", KindNotify, err)
			}
			return c.sendMessage(ctx, args)
		},
		KindReport: func(ctx context.Context, raw []byte) error {
			var args ReportArgs
			if err := json.Unmarshal(raw, &args); err != nil {
				return fmt.Errorf("decode %s: %w", KindReport, err)
			}
			return c.generateReport(ctx, args)
		},
	}
}

func (c *core) sendMessage(ctx context.Context, args NotifyArgs) error {
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
	return c.Notifier.Send(ctx, renderMessage(args.Message, club, court, b))
}

// renderMessage writes the customer's message; a confirmation carries an iCalendar event.
func renderMessage(kind ports.MessageKind, club domain.Club, court domain.Court, b *domain.Booking) ports.Message {
	when := b.Interval().Start.In(club.Location).Format("Monday 2 January 2006, 15:04") + "–" + b.Interval().End.In(club.Location).Format("15:04")
	m := ports.Message{Kind: kind, BookingID: b.ID(), To: b.Customer().Email}
	switch kind {
	case ports.MessageConfirmation:
		m.Subject = fmt.Sprintf("%s: %s booked", club.Name, court.Name)
		m.Text = fmt.Sprintf("Hello %s,\n\nyour booking of %s on %s is confirmed. You paid %s.\n", b.Customer().Name, court.Name, when, b.Paid())
		m.Attachments = []ports.Attachment{{Name: "booking.ics", ContentType: "text/calendar; charset=utf-8; method=PUBLISH", Data: ICalendar(club, court, b)}}
	case ports.MessageCancellation:
		m.Subject = fmt.Sprintf("%s: booking cancelled", club.Name)
		m.Text = fmt.Sprintf("Hello %s,\n\nyour booking of %s on %s is cancelled. Refund: %s.\n", b.Customer().Name, court.Name, when, b.Refund())
	case ports.MessageExpiry:
		m.Subject = fmt.Sprintf("%s: booking not completed", club.Name)
		m.Text = fmt.Sprintf("Hello %s,\n\nwe did not receive your payment in time, so %s on %s is free again.\n", b.Customer().Name, court.Name, when)
	case ports.MessageRefund:
		m.Subject = fmt.Sprintf("%s: payment refunded", club.Name)
		if b.Status() == domain.StatusConfirmed {
			// A refund the club made at the provider; the booking stands.
			m.Text = fmt.Sprintf("Hello %s,\n\n%s of your payment for %s on %s has been refunded; the booking stands.\n", b.Customer().Name, b.Refund(), court.Name, when)
		} else {
			// The payment could not confirm the booking: all of it goes back, in the
			// currency it was paid in, which may not be the booking's.
			all := "all of it"
			if !b.Refund().IsZero() { // in the booking's currency: the amount can be told
				all += " (" + b.Refund().String() + ")"
			}
			m.Text = fmt.Sprintf("Hello %s,\n\nwe could not confirm %s on %s with your payment, so we are refunding %s.\n", b.Customer().Name, court.Name, when, all)
		}
	default:
		m.Subject = fmt.Sprintf("%s: your booking", club.Name)
		m.Text = fmt.Sprintf("Hello %s,\n\na reminder of %s on %s.\n", b.Customer().Name, court.Name, when)
	}
	return m
}

// ICalendar returns an RFC 5545 calendar with the booking as one event.
func ICalendar(club domain.Club, court domain.Court, b *domain.Booking) []byte {
	esc := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`, "\r", "")
	const stamp = "20060102T150405Z"
	lines := []string{
		"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Match Point//Bookings//EN", "METHOD:PUBLISH",
		"BEGIN:VEVENT",
		"UID:" + b.ID() + "@matchpoint",
		"DTSTAMP:" + b.Record().UpdatedAt.UTC().Format(stamp),
		"DTSTART:" + b.Interval().Start.UTC().Format(stamp),
		"DTEND:" + b.Interval().End.UTC().Format(stamp),
		"SUMMARY:" + esc.Replace(string(court.Sport)+" — "+court.Name),
		"LOCATION:" + esc.Replace(club.Name),
		"STATUS:CONFIRMED",
		"END:VEVENT", "END:VCALENDAR",
	}
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
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
