package app

import (
	"fmt"
	"strings"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

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
