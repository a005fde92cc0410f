package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

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
	require.NoError(t, e.app.JobHandlers()[app.KindNotify](context.Background(), raw))
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
