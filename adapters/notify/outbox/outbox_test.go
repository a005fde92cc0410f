package outbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/notify/outbox"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

var _ ports.Notifier = (*outbox.Outbox)(nil)

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func confirmation(booking string) ports.Message {
	return ports.Message{
		Kind:      ports.MessageConfirmation,
		BookingID: booking,
		To:        "ana@example.com",
		Subject:   "Your padel booking",
		Text:      "Manage it at https://club.example/b/" + booking + "?token=secret-token",
		Attachments: []ports.Attachment{
			{Name: "booking.ics", ContentType: "text/calendar", Data: []byte("BEGIN:VCALENDAR")},
		},
	}
}

func TestKeepsMessagesInOrder(t *testing.T) {
	t.Parallel()
	o := outbox.New(outbox.Config{Logger: quiet()})
	ctx := context.Background()

	require.NoError(t, o.Send(ctx, confirmation("b1")))
	require.NoError(t, o.Send(ctx, ports.Message{Kind: ports.MessageExpiry, BookingID: "b2", To: "leo@example.com"}))

	got := o.Messages()
	require.Len(t, got, 2)
	assert.Equal(t, confirmation("b1"), got[0])
	assert.Equal(t, "b2", got[1].BookingID)
	assert.Equal(t, ports.MessageExpiry, got[1].Kind)
}

func TestKeepsOnlyTheMostRecent(t *testing.T) {
	t.Parallel()
	o := outbox.New(outbox.Config{Limit: 3, Logger: quiet()})
	for i := range 7 {
		require.NoError(t, o.Send(context.Background(), confirmation(fmt.Sprintf("b%d", i))))
	}

	var ids []string
	for _, m := range o.Messages() {
		ids = append(ids, m.BookingID)
	}
	assert.Equal(t, []string{"b4", "b5", "b6"}, ids)
}

func TestDefaultLimit(t *testing.T) {
	t.Parallel()
	o := outbox.New(outbox.Config{Logger: quiet()})
	for i := range outbox.DefaultLimit + 5 {
		require.NoError(t, o.Send(context.Background(), confirmation(fmt.Sprint(i))))
	}

	got := o.Messages()
	require.Len(t, got, outbox.DefaultLimit)
	assert.Equal(t, "5", got[0].BookingID)
	assert.Equal(t, fmt.Sprint(outbox.DefaultLimit+4), got[len(got)-1].BookingID)
}

func TestMessagesAreCopies(t *testing.T) {
	t.Parallel()
	o := outbox.New(outbox.Config{Logger: quiet()})
	sent := confirmation("b1")
	require.NoError(t, o.Send(context.Background(), sent))

	sent.Attachments[0].Data[0] = 'X'
	read := o.Messages()
	read[0].Attachments[0].Data[1] = 'X'
	read[0].Attachments[0].Name = "changed.ics"

	assert.Equal(t, confirmation("b1"), o.Messages()[0])
}

func TestLogsOneLineWithoutTheBody(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	o := outbox.New(outbox.Config{Logger: slog.New(slog.NewJSONHandler(&buf, nil))})

	require.NoError(t, o.Send(context.Background(), confirmation("b1")))

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 1)
	var line map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &line))
	assert.Equal(t, "INFO", line["level"])
	assert.Equal(t, "confirmation", line["kind"])
	assert.Equal(t, "b1", line["booking_id"])
	assert.Equal(t, "a…@example.com", line["to"], "the address is masked in the log")
	assert.NotContains(t, buf.String(), "ana@example.com")
	assert.NotContains(t, buf.String(), "secret-token", "the body is not logged")
	assert.NotContains(t, buf.String(), "VCALENDAR", "attachments are not logged")
}

func TestRefusesAMessageWithoutRecipient(t *testing.T) {
	t.Parallel()
	o := outbox.New(outbox.Config{Logger: quiet()})
	m := confirmation("b1")
	m.To = ""

	err := o.Send(context.Background(), m)

	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err))
	assert.Empty(t, o.Messages())
}

func TestRefusesWithCancelledContext(t *testing.T) {
	t.Parallel()
	o := outbox.New(outbox.Config{Logger: quiet()})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	err := o.Send(ctx, confirmation("b1"))

	assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err))
	assert.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, o.Messages())
}

func TestConcurrentSends(t *testing.T) {
	t.Parallel()
	o := outbox.New(outbox.Config{Limit: 50, Logger: quiet()})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				assert.NoError(t, o.Send(context.Background(), confirmation(fmt.Sprintf("g%d-%d", g, i))))
				_ = o.Messages()
			}
		})
	}
	wg.Wait()

	assert.Len(t, o.Messages(), 50)
}
