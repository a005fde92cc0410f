package mailpittest_test

import (
	"net/smtp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/notify/smtp/mailpittest"
)

func TestServerReceivesAndShowsAMessage(t *testing.T) {
	t.Parallel()
	s := mailpittest.Start(t)
	assert.Empty(t, s.Messages(t))

	body := strings.Join([]string{
		"From: Club <club@example.com>", "To: ana@example.com", "Subject: Hello",
		"Message-ID: <one@example.com>", "Content-Type: text/plain; charset=utf-8", "", "A game tomorrow.", "",
	}, "\r\n")
	require.NoError(t, smtp.SendMail(s.SMTPAddr(), nil, "club@example.com", []string{"ana@example.com"}, []byte(body)))

	list := s.Messages(t)
	require.Len(t, list, 1)
	assert.Equal(t, "one@example.com", list[0].MessageID)
	assert.Equal(t, "Hello", list[0].Subject)
	m := s.Message(t, list[0].ID)
	require.Len(t, m.To, 1)
	assert.Equal(t, "ana@example.com", m.To[0].Address)
	assert.Equal(t, "club@example.com", m.From.Address)
	assert.Contains(t, m.Text, "A game tomorrow.")
	assert.Equal(t, []string{"Hello"}, m.Headers["Subject"])
}

func TestServerRefusesRecipientsOutsideTheAllowList(t *testing.T) {
	t.Parallel()
	s := mailpittest.StartWith(t, mailpittest.Options{AllowedRecipients: `@example\.com$`})
	err := smtp.SendMail(s.SMTPAddr(), nil, "club@example.com", []string{"ana@elsewhere.test"}, []byte("Subject: x\r\n\r\nx\r\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "550")
	assert.Empty(t, s.Messages(t))
}
