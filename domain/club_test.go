package domain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
)

func TestDefaultPolicyIsValid(t *testing.T) {
	t.Parallel()

	require.NoError(t, domain.DefaultPolicy().Validate())
}

// TestDefaultPolicyIsAsDocumented keeps DefaultPolicy's doc comment, which lists each
// value and its reason, true: a changed value fails here until the doc says it.
func TestDefaultPolicyIsAsDocumented(t *testing.T) {
	t.Parallel()

	lengths := []time.Duration{60 * time.Minute, 90 * time.Minute, 120 * time.Minute}
	assert.Equal(t, domain.Policy{
		Granularity:           30 * time.Minute,
		Durations:             map[domain.Sport][]time.Duration{domain.Padel: lengths, domain.Tennis: lengths},
		MinLead:               15 * time.Minute,
		MaxHorizon:            14 * 24 * time.Hour,
		Hold:                  10 * time.Minute,
		CancelCutoff:          24 * time.Hour,
		LateRefundBasisPoints: 5000,
		MaxActivePerCustomer:  4,
		Reminder:              24 * time.Hour,
	}, domain.DefaultPolicy())
}

func TestPolicyValidate(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		edit func(*domain.Policy)
	}{
		{"a granularity under 5 minutes", func(p *domain.Policy) { p.Granularity = time.Minute }},
		{"a granularity off the 5-minute grid", func(p *domain.Policy) { p.Granularity = 12 * time.Minute }},
		{"a granularity that does not divide a day", func(p *domain.Policy) { p.Granularity = 35 * time.Minute }},
		{"a granularity over 4 hours", func(p *domain.Policy) { p.Granularity = 6 * time.Hour }},
		{"a negative lead time", func(p *domain.Policy) { p.MinLead = -time.Minute }},
		{"a horizon within the lead time", func(p *domain.Policy) { p.MaxHorizon = p.MinLead }},
		{"a hold under a minute", func(p *domain.Policy) { p.Hold = 30 * time.Second }},
		{"a hold over a day", func(p *domain.Policy) { p.Hold = 25 * time.Hour }},
		{"a negative cut-off", func(p *domain.Policy) { p.CancelCutoff = -time.Hour }},
		{"a late refund over 100 %", func(p *domain.Policy) { p.LateRefundBasisPoints = 10001 }},
		{"a negative late refund", func(p *domain.Policy) { p.LateRefundBasisPoints = -1 }},
		{"a negative limit of active bookings", func(p *domain.Policy) { p.MaxActivePerCustomer = -1 }},
		{"a negative reminder", func(p *domain.Policy) { p.Reminder = -time.Hour }},
		{"a reminder beyond the horizon", func(p *domain.Policy) { p.Reminder = p.MaxHorizon + time.Hour }},
		{"a duration off the granularity", func(p *domain.Policy) { p.Durations[domain.Padel] = []time.Duration{45 * time.Minute} }},
		{"a zero duration", func(p *domain.Policy) { p.Durations[domain.Padel] = []time.Duration{0} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := domain.DefaultPolicy()
			tt.edit(&p)
			assertCode(t, p.Validate(), domain.CodeInvalid)
		})
	}
}

func TestPolicyAllowsDuration(t *testing.T) {
	t.Parallel()

	p := domain.DefaultPolicy() // padel and tennis: 60, 90 or 120 minutes
	tests := []struct {
		sport domain.Sport
		d     time.Duration
		want  bool
	}{
		{domain.Padel, 60 * time.Minute, true},
		{domain.Padel, 120 * time.Minute, true},
		{domain.Padel, 30 * time.Minute, false},
		{domain.Padel, 150 * time.Minute, false},
		{domain.Tennis, 90 * time.Minute, true},
		{domain.Football5, 30 * time.Minute, true}, // not listed: any whole number of slots up to 4 hours
		{domain.Football5, 4 * time.Hour, true},
		{domain.Football5, 4*time.Hour + 30*time.Minute, false},
		{domain.Football5, 50 * time.Minute, false},
		{domain.Football5, 0, false},
		{domain.Football5, -30 * time.Minute, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, p.AllowsDuration(tt.sport, tt.d), "%s for %s", tt.sport, tt.d)
	}
}

func TestNewClub(t *testing.T) {
	t.Parallel()

	c, err := domain.NewClub("club-1", "padel-norte", "  Padel Norte ", buenosAires, "ARS", domain.DefaultPolicy())
	require.NoError(t, err)
	assert.Equal(t, "Padel Norte", c.Name)
	assert.Equal(t, buenosAires, c.Location.String())
	assert.Equal(t, ars, c.Currency)

	bad := domain.DefaultPolicy()
	bad.Hold = 0
	tests := []struct {
		name, id, slug, clubName, zone, currency string
		policy                                   domain.Policy
	}{
		{"no id", "", "padel-norte", "Padel Norte", buenosAires, "ARS", domain.DefaultPolicy()},
		{"a slug with capitals", "club-1", "Padel-Norte", "Padel Norte", buenosAires, "ARS", domain.DefaultPolicy()},
		{"a slug ending in a dash", "club-1", "padel-", "Padel Norte", buenosAires, "ARS", domain.DefaultPolicy()},
		{"no name", "club-1", "padel-norte", "  ", buenosAires, "ARS", domain.DefaultPolicy()},
		{"no zone", "club-1", "padel-norte", "Padel Norte", "", "ARS", domain.DefaultPolicy()},
		{"the host's zone", "club-1", "padel-norte", "Padel Norte", "Local", "ARS", domain.DefaultPolicy()},
		{"an unknown zone", "club-1", "padel-norte", "Padel Norte", "Mars/Olympus_Mons", "ARS", domain.DefaultPolicy()},
		{"an unknown currency", "club-1", "padel-norte", "Padel Norte", buenosAires, "PESO", domain.DefaultPolicy()},
		{"an invalid policy", "club-1", "padel-norte", "Padel Norte", buenosAires, "ARS", bad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := domain.NewClub(tt.id, tt.slug, tt.clubName, tt.zone, tt.currency, tt.policy)
			assertCode(t, err, domain.CodeInvalid)
		})
	}
}

func TestNewCourt(t *testing.T) {
	t.Parallel()

	c, err := domain.NewCourt("c1", clubID, " Cancha 1 ", domain.Padel, true, " glass ")
	require.NoError(t, err)
	assert.Equal(t, domain.Court{ID: "c1", ClubID: clubID, Name: "Cancha 1", Sport: domain.Padel, Indoor: true, Surface: "glass", Active: true}, c)

	tests := []struct {
		name, id, courtName, surface string
		sport                        domain.Sport
	}{
		{"no id", "", "Cancha 1", "", domain.Padel},
		{"no name", "c1", " ", "", domain.Padel},
		{"a name too long", "c1", strings.Repeat("n", 101), "", domain.Padel},
		{"a sport that is not a slug", "c1", "Cancha 1", "", "Padel"},
		{"a surface too long", "c1", "Cancha 1", strings.Repeat("s", 51), domain.Padel},
	}
	for _, tt := range tests {
		_, err := domain.NewCourt(tt.id, clubID, tt.courtName, tt.sport, false, tt.surface)
		assertCode(t, err, domain.CodeInvalid)
	}
}

func TestParseSportAndCategory(t *testing.T) {
	t.Parallel()

	s, err := domain.ParseSport("beach-tennis")
	require.NoError(t, err)
	assert.Equal(t, domain.Sport("beach-tennis"), s)
	for _, bad := range []string{"", "Padel", "padel ", "-padel", "pádel"} {
		_, err := domain.ParseSport(bad)
		assertCode(t, err, domain.CodeInvalid)
	}

	tests := []struct {
		in   string
		want domain.CustomerCategory
	}{
		{"member", domain.CategoryMember},
		{"guest", domain.CategoryGuest},
		{"", domain.CategoryGuest},
	}
	for _, tt := range tests {
		got, err := domain.ParseCategory(tt.in)
		require.NoError(t, err)
		assert.Equal(t, tt.want, got)
	}
	_, err = domain.ParseCategory("vip")
	assertCode(t, err, domain.CodeInvalid)
}

func TestZeroClubNeverPanics(t *testing.T) {
	t.Parallel()
	var club domain.Club
	assert.False(t, club.Policy.AllowsDuration(domain.Padel, time.Hour))
	start := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	_, err := domain.Schedule{Club: club}.Quote(domain.Court{Sport: domain.Padel}, domain.Interval{Start: start, End: start.Add(time.Hour)}, domain.CategoryGuest)
	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err))
	_, err = domain.Availability(domain.AvailabilityQuery{Schedule: domain.Schedule{Club: club}, Date: domain.MustDate("2026-03-02"), Sport: domain.Padel, Duration: time.Hour})
	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err))
}
