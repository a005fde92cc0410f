package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// send runs the notify job of a message kind about a booking, as the queue would.
func (e *env) send(t *testing.T, bookingID string, kind ports.MessageKind) ports.Message {
	t.Helper()
	raw, err := json.Marshal(app.NotifyArgs{BookingID: bookingID, Message: kind})
	require.NoError(t, err)
	require.NoError(t, e.app.Workers().Work(context.Background(), ports.RawJob{ID: "1", Kind: app.KindNotify, Args: raw, Attempt: 1}))
	return e.message(t, bookingID, kind)
}

func TestEveryMessageNamesTheClubAndTheTimeInItsZone(t *testing.T) {
	t.Parallel()
	const at = "Wednesday 11 March 2026, 10:00–11:30 (America/Argentina/Buenos_Aires)"
	for kind, says := range map[ports.MessageKind]string{
		ports.MessageConfirmation: "is confirmed",
		ports.MessageCancellation: "is cancelled",
		ports.MessageExpiry:       "free again",
		ports.MessageReminder:     "a reminder of",
		ports.MessageRefund:       "refunding",
		ports.MessageRefundFailed: "Club club-one will be in touch",
	} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			b := e.book(t, e.bookingCmd()).Booking
			if kind == ports.MessageReminder { // only a confirmed game is reminded of
				_, err := e.deliver(e.pay(t, b, 0))
				require.NoError(t, err)
			}
			m := e.send(t, b.ID(), kind)

			assert.Equal(t, kind, m.Kind)
			assert.Equal(t, "ana@example.com", m.To)
			assert.True(t, strings.HasPrefix(m.Subject, "Club club-one: "), "subject %q", m.Subject)
			for part, body := range map[string]string{"text": m.Text, "html": m.HTML} {
				assert.Contains(t, body, "Hello Ana Pérez,", part)
				assert.Contains(t, body, "Padel 1 on "+at, part)
				assert.Contains(t, body, says, part)
				assert.Contains(t, body, "Club club-one", part)
			}
			assert.True(t, strings.HasPrefix(m.HTML, "<!DOCTYPE html>"), "html %q", m.HTML)
			assert.NotContains(t, m.Text, "<p>")
			if kind == ports.MessageConfirmation {
				assert.Len(t, m.Attachments, 1)
			} else {
				assert.Empty(t, m.Attachments)
			}
		})
	}
}

func TestMessageHTMLEscapesNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	created, err := e.app.Admin.CreateClub(context.Background(), app.CreateClubCommand{
		Slug: "smash", Name: `Smash <b>&</b> "Co"`, Zone: "Europe/Madrid", Currency: "ARS", Policy: e.club.Policy,
	})
	require.NoError(t, err)
	club := created.Club
	court := e.saveCourt(t, club, "<i>Court</i>", domain.Padel)
	e.saveSeason(t, club, "2026", "2026-01-01", "2026-12-31", "08:00", "23:00")
	_, err = e.app.Admin.SavePriceRule(context.Background(), club, domain.PriceRule{
		Name: "Padel", Sport: domain.Padel, Weekdays: domain.EveryDay, Window: window("08:00", "23:00"), Priority: 10, Rate: money(400000),
	})
	require.NoError(t, err)
	cmd := e.bookingCmd()
	cmd.ClubSlug, cmd.CourtID = "smash", court.ID
	cmd.Start = e.at(e.tomorrow, "10:00") // 14:00 in Madrid, which is UTC+1 in March
	cmd.Customer.Name = "<script>alert(1)</script>"
	b := e.book(t, cmd).Booking

	m := e.send(t, b.ID(), ports.MessageCancellation)
	assert.Contains(t, m.Text, "Hello <script>alert(1)</script>,", "plain text is sent as it is")
	assert.Contains(t, m.Text, `Smash <b>&</b> "Co"`)
	assert.Contains(t, m.Text, "Wednesday 11 March 2026, 14:00–15:30 (Europe/Madrid)")
	assert.NotContains(t, m.HTML, "<script>")
	assert.NotContains(t, m.HTML, "<b>")
	assert.NotContains(t, m.HTML, "<i>")
	assert.Contains(t, m.HTML, "&lt;script&gt;alert(1)&lt;/script&gt;")
	assert.Contains(t, m.HTML, "Smash &lt;b&gt;&amp;&lt;/b&gt; &#34;Co&#34;")
}

// storedBooking is a booking of Padel 1 as a store would hand it back.
func storedBooking(t *testing.T, status domain.Status, start, end time.Time) *domain.Booking {
	t.Helper()
	b, err := domain.RestoreBooking(domain.BookingRecord{
		ID: "b-ics", ClubID: "c1", CourtID: "k1", Sport: domain.Padel,
		Customer: domain.Customer{Name: "Ana", Email: "ana@example.com"},
		Interval: domain.Interval{Start: start, End: end}, Quote: domain.Quote{Total: domain.NewMoney(1000, usd)},
		Status: status, HoldExpiresAt: start.Add(-time.Hour), Version: 1,
		CreatedAt: start.Add(-48 * time.Hour), UpdatedAt: start.Add(-24 * time.Hour),
	})
	require.NoError(t, err)
	return b
}

// parseICS reads back the one event of a calendar and its zone's observances.
func parseICS(t *testing.T, data []byte) (ev *ics.VEvent, observances []ics.Component) {
	t.Helper()
	cal, err := ics.ParseCalendar(bytes.NewReader(data))
	require.NoError(t, err)
	require.Len(t, cal.Events(), 1)
	require.Len(t, cal.Timezones(), 1)
	return cal.Events()[0], cal.Timezones()[0].Components
}

func TestICalendarDefinesBothOffsetsOfAGameAcrossTheClockChange(t *testing.T) {
	t.Parallel()
	madrid, err := time.LoadLocation("Europe/Madrid")
	require.NoError(t, err)
	club := domain.Club{Name: "Night Padel", Location: madrid}
	court := domain.Court{Name: "Court 1", Sport: domain.Padel}
	// 01:30 CET to 03:30 CEST: clocks go from 02:00 to 03:00 on 29 March 2026.
	start := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)
	end := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)
	data := app.ICalendar(club, court, storedBooking(t, domain.StatusConfirmed, start, end))
	assert.Contains(t, string(data), "DTSTART;TZID=Europe/Madrid:20260329T013000\r\n")
	assert.Contains(t, string(data), "DTEND;TZID=Europe/Madrid:20260329T033000\r\n")
	assert.Contains(t, string(data), "DTSTAMP:20260328T003000Z\r\n")

	ev, obs := parseICS(t, data)
	got, err := ev.GetStartAt()
	require.NoError(t, err)
	assert.True(t, got.Equal(start), "start %s", got)
	got, err = ev.GetEndAt()
	require.NoError(t, err)
	assert.True(t, got.Equal(end), "end %s", got)

	require.Len(t, obs, 2)
	std, ok := obs[0].(*ics.Standard)
	require.True(t, ok, "%T", obs[0])
	day, ok := obs[1].(*ics.Daylight)
	require.True(t, ok, "%T", obs[1])
	prop := func(c *ics.ComponentBase, p ics.Property) string {
		return c.GetProperty(ics.ComponentProperty(p)).Value
	}
	assert.Equal(t, []string{"20251026T030000", "+0200", "+0100", "CET"},
		[]string{prop(&std.ComponentBase, ics.PropertyDtstart), prop(&std.ComponentBase, ics.PropertyTzoffsetfrom), prop(&std.ComponentBase, ics.PropertyTzoffsetto), prop(&std.ComponentBase, ics.PropertyTzname)})
	assert.Equal(t, []string{"20260329T020000", "+0100", "+0200", "CEST"},
		[]string{prop(&day.ComponentBase, ics.PropertyDtstart), prop(&day.ComponentBase, ics.PropertyTzoffsetfrom), prop(&day.ComponentBase, ics.PropertyTzoffsetto), prop(&day.ComponentBase, ics.PropertyTzname)})
}

func TestICalendarStatusFollowsTheBooking(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	club := domain.Club{Name: "UTC Club", Location: time.UTC}
	court := domain.Court{Name: "Court 1", Sport: domain.Tennis}
	for status, want := range map[domain.Status]string{
		domain.StatusPending:   "TENTATIVE",
		domain.StatusConfirmed: "CONFIRMED",
		domain.StatusCompleted: "CONFIRMED",
		domain.StatusCancelled: "CANCELLED",
		domain.StatusExpired:   "CANCELLED",
	} {
		ev, obs := parseICS(t, app.ICalendar(club, court, storedBooking(t, status, start, start.Add(time.Hour))))
		assert.Equal(t, want, ev.GetProperty(ics.ComponentPropertyStatus).Value, "%s", status)
		// A zone that never changed its offset: one observance since 1970.
		require.Len(t, obs, 1)
		std, ok := obs[0].(*ics.Standard)
		require.True(t, ok, "%T", obs[0])
		assert.Equal(t, "19700101T000000", std.GetProperty(ics.ComponentPropertyDtStart).Value)
		assert.Equal(t, "+0000", std.GetProperty(ics.ComponentProperty(ics.PropertyTzoffsetto)).Value)
	}
}

func TestAMessageRefusedForGoodIsReportedOnceAndAnOutageRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.book(t, e.bookingCmd())
	raw, err := json.Marshal(app.NotifyArgs{BookingID: b.Booking.ID(), Message: ports.MessageConfirmation})
	require.NoError(t, err)
	work := func() error {
		return e.app.Workers().Work(context.Background(), ports.RawJob{ID: "1", Kind: app.KindNotify, Args: raw, Attempt: 1})
	}

	e.mail.failSends(domain.Errorf(domain.CodeUnavailable, "smtp: 421 try again later"))
	err = work()
	assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err), "an outage fails the attempt, so that the queue retries it: %v", err)
	assert.Empty(t, e.reporter.all())

	e.mail.failSends(domain.Errorf(domain.CodeInvalid, "smtp: 550 no such mailbox"))
	require.NoError(t, work(), "a refusal for good ends the job: retrying cannot help")
	reports := e.reporter.all()
	require.Len(t, reports, 1)
	assert.Equal(t, "message refused", reports[0].attrs["problem"])
	assert.Equal(t, b.Booking.ID(), reports[0].attrs["booking"])
}
