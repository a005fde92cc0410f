package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/notify/smtp/mailpittest"
	"github.com/matchpoint/matchpoint/domain"
)

// TestCustomersGetEmailBySMTP runs the server with MATCHPOINT_SMTP_URL on a local
// mailpit: a booking paid on the sandbox sends its confirmation, with the game as an
// iCalendar attachment, to the customer's address.
func TestCustomersGetEmailBySMTP(t *testing.T) {
	mail := mailpittest.Start(t)
	s := startServerWith(t, map[string]string{
		"MATCHPOINT_SMTP_URL":  mail.SMTPURL(),
		"MATCHPOINT_SMTP_FROM": "Demo Club <bookings@demo.example>",
	})
	loc := s.demo.Club.Location
	start, ok := domain.DateOf(time.Now(), loc).AddDays(3).At(domain.MustClock("17:30"), loc)
	require.True(t, ok)

	r := s.do(t, "POST", "/v1/clubs/demo/bookings", bookingJSON(s.demo.Courts[0].ID, start, 90, "Ana Pérez", "ana@example.com"), nil)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	paid := s.do(t, "POST", r.body["checkout_url"].(string)+"/pay", "", nil)
	require.Equal(t, http.StatusOK, paid.status, paid.raw)
	s.drain(t)

	msgs := mail.Messages(t)
	require.Len(t, msgs, 1, "one message: the confirmation")
	m := mail.Message(t, msgs[0].ID)
	require.Len(t, m.To, 1)
	assert.Equal(t, "ana@example.com", m.To[0].Address)
	assert.Equal(t, "bookings@demo.example", m.From.Address)
	assert.Contains(t, m.Subject, s.demo.Club.Name)
	assert.Contains(t, m.Text, "17:30")
	assert.Contains(t, m.HTML, "17:30")
	require.Len(t, m.Attachments, 1)
	assert.True(t, strings.HasPrefix(m.Attachments[0].ContentType, "text/calendar"), m.Attachments[0].ContentType)
	assert.Contains(t, string(m.Attachments[0].Data), "TZID="+loc.String())
}

func TestSMTPSettingsAreCheckedAtStart(t *testing.T) {
	_, err := LoadConfig(func(k string) string {
		return map[string]string{"MATCHPOINT_SMTP_URL": "http://mail.example"}[k]
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "MATCHPOINT_SMTP_URL")
}
