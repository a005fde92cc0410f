package postgres

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
)

func TestPolicyRoundTripsAndOlderPoliciesGetTheDefaultReminder(t *testing.T) {
	p := domain.DefaultPolicy()
	p.Reminder = 3 * time.Hour
	doc, err := encodePolicy(p)
	require.NoError(t, err)
	got, err := decodePolicy(doc)
	require.NoError(t, err)
	assert.Equal(t, p, got)

	p.Reminder = 0
	doc, err = encodePolicy(p)
	require.NoError(t, err)
	got, err = decodePolicy(doc)
	require.NoError(t, err)
	assert.Zero(t, got.Reminder, "a club that sends no reminders keeps sending none")

	// A policy stored before policies had a reminder.
	old := `{"granularity":"30m0s","durations":{"padel":["1h30m0s"]},"min_lead":"15m0s","max_horizon":"336h0m0s","hold":"10m0s","cancel_cutoff":"24h0m0s","late_refund_basis_points":5000,"max_active_per_customer":4}`
	got, err = decodePolicy(old)
	require.NoError(t, err)
	assert.Equal(t, domain.DefaultPolicy().Reminder, got.Reminder)
}
