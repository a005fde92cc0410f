package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// The harness's clock starts on Tuesday 10 March 2026 at 09:00 at the club; its
// policy reminds customers 24 hours before the game.

func TestAConfirmedGameIsRemindedADayBefore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cmd := e.bookingCmd()
	cmd.Start = e.at(e.tomorrow.AddDays(2), "19:00") // Friday 19:00
	res := e.book(t, cmd)
	e.payAndConfirm(t, res.Booking)
	id := res.Booking.ID()

	e.clock.Set(cmd.Start.Add(-24*time.Hour - time.Minute))
	e.drain(t)
	assert.NotContains(t, e.messages(id), ports.MessageReminder, "not before its time")

	e.clock.Set(cmd.Start.Add(-24 * time.Hour))
	e.drain(t)
	assert.Equal(t, []ports.MessageKind{ports.MessageConfirmation, ports.MessageReminder}, e.messages(id))
	m := e.message(t, id, ports.MessageReminder)
	assert.Contains(t, m.Text, "Friday 13 March 2026, 19:00")

	e.clock.Set(cmd.Start.Add(2 * time.Hour))
	e.drain(t)
	assert.Equal(t, []ports.MessageKind{ports.MessageConfirmation, ports.MessageReminder}, e.messages(id), "one reminder")
}

func TestACancelledGameIsNotReminded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cmd := e.bookingCmd()
	cmd.Start = e.at(e.tomorrow.AddDays(2), "19:00")
	res := e.book(t, cmd)
	e.payAndConfirm(t, res.Booking)
	_, err := e.app.Bookings.Cancel(context.Background(), res.Booking.ID(), res.AccessToken)
	require.NoError(t, err)

	e.clock.Set(cmd.Start.Add(-time.Hour))
	e.drain(t)
	assert.NotContains(t, e.messages(res.Booking.ID()), ports.MessageReminder)
	assert.Contains(t, e.messages(res.Booking.ID()), ports.MessageCancellation)
}

func TestAGameConfirmedWithinTheReminderLeadGetsNoReminder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.book(t, e.bookingCmd()) // tomorrow 10:00: 25 hours ahead, paid in the next one
	e.clock.Advance(90 * time.Minute)
	_, err := e.deliver(e.pay(t, res.Booking, 0))
	require.NoError(t, err)
	require.Equal(t, domain.StatusConfirmed, e.stored(t, res.Booking.ID()).Status())

	e.clock.Set(e.bookingCmd().Start)
	e.drain(t)
	assert.Equal(t, []ports.MessageKind{ports.MessageConfirmation}, e.messages(res.Booking.ID()),
		"the confirmation came less than a day before the game")
}

func TestAClubWithoutRemindersSendsNone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(p *domain.Policy) { p.Reminder = 0 })
	cmd := e.bookingCmd()
	cmd.Start = e.at(e.tomorrow.AddDays(2), "19:00")
	res := e.book(t, cmd)
	e.payAndConfirm(t, res.Booking)

	e.clock.Set(cmd.Start.Add(-time.Hour))
	e.drain(t)
	assert.Equal(t, []ports.MessageKind{ports.MessageConfirmation}, e.messages(res.Booking.ID()))
}
