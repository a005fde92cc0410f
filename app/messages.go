package app

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// A message to a customer is written once, as a greeting, paragraphs and the club's
// name as signature, and sent as two parts from that: plain text, and HTML through
// html/template, which escapes every value (customers' and clubs' names may hold
// anything). Times are civil times in the club's zone, with the zone named, since the
// customer may read the message elsewhere.

// messageBody is what both parts of a message say.
type messageBody struct {
	Subject    string
	Customer   string
	Paragraphs []string
	Club       string
}

// messageHTML lays out a messageBody as an HTML document; html/template escapes it.
var messageHTML = template.Must(template.New("message").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body>
<p>Hello {{.Customer}},</p>
{{range .Paragraphs}}<p>{{.}}</p>
{{end}}<p>{{.Club}}</p>
</body>
</html>
`))

// text is the plain-text part.
func (m messageBody) text() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "Hello %s,\n\n", m.Customer)
	for _, p := range m.Paragraphs {
		sb.WriteString(p + "\n\n")
	}
	sb.WriteString(m.Club + "\n")
	return sb.String()
}

// html is the HTML part, or empty (text only) in the unlikely case that the template
// cannot run: the message still goes out.
func (m messageBody) html() string {
	var sb strings.Builder
	if err := messageHTML.Execute(&sb, m); err != nil {
		return ""
	}
	return sb.String()
}

// clubZone is the club's zone; a club without one (never stored so) reads in UTC.
func clubZone(club domain.Club) *time.Location {
	if club.Location == nil {
		return time.UTC
	}
	return club.Location
}

// when tells a booking's time at the club: "Wednesday 11 March 2026, 10:00–11:30
// (America/Argentina/Buenos_Aires)".
func when(club domain.Club, b *domain.Booking) string {
	loc := clubZone(club)
	iv := b.Interval()
	return iv.Start.In(loc).Format("Monday 2 January 2006, 15:04") + "–" + iv.End.In(loc).Format("15:04") + " (" + loc.String() + ")"
}

// renderMessage writes the customer's message about a booking, as plain text and
// HTML; a confirmation carries the game as an iCalendar event.
func renderMessage(kind ports.MessageKind, club domain.Club, court domain.Court, b *domain.Booking) ports.Message {
	at := when(club, b)
	body := messageBody{Customer: b.Customer().Name, Club: club.Name}
	m := ports.Message{Kind: kind, BookingID: b.ID(), To: b.Customer().Email}
	switch kind {
	case ports.MessageConfirmation:
		body.Subject = fmt.Sprintf("%s: %s booked", club.Name, court.Name)
		body.Paragraphs = []string{
			fmt.Sprintf("your booking of %s on %s is confirmed. You paid %s.", court.Name, at, b.Paid()),
			"The attached calendar event adds the game to your calendar.",
		}
		m.Attachments = []ports.Attachment{{Name: "booking.ics", ContentType: "text/calendar; charset=utf-8; method=PUBLISH", Data: ICalendar(club, court, b)}}
	case ports.MessageCancellation:
		body.Subject = fmt.Sprintf("%s: booking cancelled", club.Name)
		body.Paragraphs = []string{fmt.Sprintf("your booking of %s on %s is cancelled. Refund: %s.", court.Name, at, b.Refund())}
	case ports.MessageExpiry:
		body.Subject = fmt.Sprintf("%s: booking not completed", club.Name)
		body.Paragraphs = []string{fmt.Sprintf("we did not receive your payment in time, so %s on %s is free again.", court.Name, at)}
	case ports.MessageRefund:
		body.Subject = fmt.Sprintf("%s: payment refunded", club.Name)
		if b.Status() == domain.StatusConfirmed {
			// A refund the club made at the provider; the booking stands.
			body.Paragraphs = []string{fmt.Sprintf("%s of your payment for %s on %s has been refunded; the booking stands.", b.Refund(), court.Name, at)}
		} else {
			// The payment could not confirm the booking: all of it goes back, in the
			// currency it was paid in, which may not be the booking's.
			all := "all of it"
			if !b.Refund().IsZero() { // in the booking's currency: the amount can be told
				all += " (" + b.Refund().String() + ")"
			}
			body.Paragraphs = []string{fmt.Sprintf("we could not confirm %s on %s with your payment, so we are refunding %s.", court.Name, at, all)}
		}
	case ports.MessageRefundFailed:
		body.Subject = fmt.Sprintf("%s: refund delayed", club.Name)
		body.Paragraphs = []string{
			fmt.Sprintf("we could not refund your payment for %s on %s through the payment provider.", court.Name, at),
			fmt.Sprintf("Nothing is lost: %s will be in touch with you to return it.", club.Name),
		}
	case ports.MessageReminder:
		body.Subject = fmt.Sprintf("%s: your booking", club.Name)
		body.Paragraphs = []string{fmt.Sprintf("a reminder of %s on %s.", court.Name, at)}
	default:
		// A kind this version does not know (a job queued by a newer one): a neutral
		// note about the booking rather than nothing.
		body.Subject = fmt.Sprintf("%s: your booking", club.Name)
		body.Paragraphs = []string{fmt.Sprintf("about your booking of %s on %s.", court.Name, at)}
	}
	m.Subject = body.Subject
	m.Text = body.text()
	m.HTML = body.html()
	return m
}

// iCalendar's local date-time form, for DTSTART and DTEND with a TZID.
const icsLocal = "20060102T150405"

// ICalendar returns an RFC 5545 calendar (METHOD:PUBLISH) with the booking as one
// event: UID (the booking id at matchpoint), DTSTAMP (the booking's last change),
// DTSTART and DTEND as civil times with the TZID of the club's zone, which a VTIMEZONE
// in the calendar defines for the times of the event, SUMMARY (sport and court),
// LOCATION (the club's name) and STATUS (CONFIRMED, TENTATIVE while the booking
// waits for payment, CANCELLED once it is cancelled or expired).
func ICalendar(club domain.Club, court domain.Court, b *domain.Booking) []byte {
	loc := clubZone(club)
	start, end := b.Interval().Start.In(loc), b.Interval().End.In(loc)

	cal := ics.NewCalendarFor("Match Point")
	cal.SetProductId("-//Match Point//Bookings//EN")
	cal.SetMethod(ics.MethodPublish)
	cal.AddVTimezone(vtimezone(loc, start, end))

	ev := cal.AddEvent(b.ID() + "@matchpoint")
	ev.SetDtStampTime(b.Record().UpdatedAt)
	ev.SetProperty(ics.ComponentPropertyDtStart, start.Format(icsLocal), ics.WithTZID(loc.String()))
	ev.SetProperty(ics.ComponentPropertyDtEnd, end.Format(icsLocal), ics.WithTZID(loc.String()))
	ev.SetSummary(string(court.Sport) + " — " + court.Name)
	ev.SetLocation(club.Name)
	ev.SetStatus(eventStatus(b.Status()))
	return []byte(cal.Serialize(ics.WithNewLineWindows)) // RFC 5545 lines end in CRLF
}

// eventStatus is the iCalendar STATUS of a booking in status s.
func eventStatus(s domain.Status) ics.ObjectStatus {
	switch s {
	case domain.StatusPending:
		return ics.ObjectStatusTentative
	case domain.StatusCancelled, domain.StatusExpired:
		return ics.ObjectStatusCancelled
	default:
		return ics.ObjectStatusConfirmed
	}
}

// vtimezone defines zone loc for the instants given: one observance (STANDARD or
// DAYLIGHT) for each period of constant offset they fall in, from the transition that
// began it (time.Time.ZoneBounds), which is all RFC 5545 asks of a VTIMEZONE for
// events that do not repeat.
func vtimezone(loc *time.Location, instants ...time.Time) *ics.VTimezone {
	tz := ics.NewTimezone(loc.String())
	seen := map[int64]bool{}
	for _, t := range instants {
		t = t.In(loc)
		began, _ := t.ZoneBounds()
		if seen[began.Unix()] {
			continue
		}
		seen[began.Unix()] = true
		name, offset := t.Zone()
		from, dtstart := offset, "19700101T000000" // no transition known: the offset always held
		if !began.IsZero() {
			_, from = began.Add(-time.Second).In(loc).Zone()
			// An observance starts at the local time of the offset in force before it.
			dtstart = began.UTC().Add(time.Duration(from) * time.Second).Format(icsLocal)
		}
		var obs ics.ComponentBase
		obs.SetProperty(ics.ComponentPropertyDtStart, dtstart)
		obs.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom), utcOffset(from))
		obs.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetto), utcOffset(offset))
		obs.SetProperty(ics.ComponentProperty(ics.PropertyTzname), name)
		if t.IsDST() {
			tz.Components = append(tz.Components, &ics.Daylight{ComponentBase: obs})
		} else {
			tz.Components = append(tz.Components, &ics.Standard{ComponentBase: obs})
		}
	}
	return tz
}

// utcOffset writes an offset east of UTC in seconds as iCalendar's UTC-OFFSET:
// "-0300", "+0530", "+002030" when it has seconds.
func utcOffset(seconds int) string {
	sign := "+"
	if seconds < 0 {
		sign, seconds = "-", -seconds
	}
	s := fmt.Sprintf("%s%02d%02d", sign, seconds/3600, seconds/60%60)
	if seconds%60 != 0 {
		s += fmt.Sprintf("%02d", seconds%60)
	}
	return s
}
