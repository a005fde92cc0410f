package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	other, otherKey := e.seedClub(t, "club-two", domain.DefaultPolicy())
	second, err := e.app.Admin.IssueAPIKey(ctx, e.club, "front desk")
	require.NoError(t, err)

	require.True(t, strings.HasPrefix(e.apiKey, "mpk_"), "admin keys are recognisable")
	assert.NotEqual(t, e.apiKey, second)
	for _, key := range []string{e.apiKey, second} {
		club, err := e.app.Admin.Authenticate(ctx, clubSlug, key)
		require.NoError(t, err)
		assert.Equal(t, e.club.ID, club.ID)
	}
	club, err := e.app.Admin.Authenticate(ctx, "club-two", otherKey)
	require.NoError(t, err)
	assert.Equal(t, other.ID, club.ID)

	cases := []struct {
		name, slug, key string
		kind            domain.Kind
	}{
		{"no key", clubSlug, "", domain.KindUnauthorized},
		{"an unknown key", clubSlug, "mpk_not-a-key", domain.KindUnauthorized},
		{"another club's key", clubSlug, otherKey, domain.KindForbidden},
		{"a key for another club", "club-two", e.apiKey, domain.KindForbidden},
		{"a key for an unknown club", "no-such-club", e.apiKey, domain.KindForbidden},
		{"the key's hash", clubSlug, hashOf(e.apiKey), domain.KindUnauthorized},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.app.Admin.Authenticate(ctx, c.slug, c.key)
			requireCode(t, err, c.kind, string(c.kind))
		})
	}
}

func TestSaveSeasonRefusesAnOverlap(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	hours := &domain.Hours{Open: domain.MustClock("09:00"), Close: domain.MustClock("22:00")}
	season := func(name, from, to string) domain.Season {
		s := domain.Season{Name: name, From: domain.MustDate(from), To: domain.MustDate(to)}
		for wd := range s.Week {
			s.Week[wd] = hours
		}
		return s
	}

	_, err := e.app.Admin.SaveSeason(ctx, e.club, season("Winter 2026/27", "2026-12-31", "2027-03-31"))
	requireCode(t, err, domain.KindConflict, domain.CodeSeasonOverlap)
	winter, err := e.app.Admin.SaveSeason(ctx, e.club, season("Winter 2027", "2027-01-01", "2027-03-31"))
	require.NoError(t, err)

	// Moving a season onto another is refused; moving it where it fits is not.
	moved := e.season
	moved.To = domain.MustDate("2027-01-15")
	_, err = e.app.Admin.SaveSeason(ctx, e.club, moved)
	requireCode(t, err, domain.KindConflict, domain.CodeSeasonOverlap)
	moved.To = domain.MustDate("2026-12-31")
	moved.Name = "All of 2026"
	_, err = e.app.Admin.SaveSeason(ctx, e.club, moved)
	require.NoError(t, err)

	seasons, err := e.app.Admin.ListSeasons(ctx, e.club)
	require.NoError(t, err)
	require.Len(t, seasons, 2)
	assert.Equal(t, "All of 2026", seasons[0].Name)
	assert.Equal(t, winter.ID, seasons[1].ID)

	// Another club's seasons neither collide with the club's nor can be edited through it.
	other, _ := e.seedClub(t, "club-two", domain.DefaultPolicy())
	theirs, err := e.app.Admin.SaveSeason(ctx, other, season("2026", "2026-01-01", "2026-12-31"))
	require.NoError(t, err)
	_, err = e.app.Admin.SaveSeason(ctx, e.club, theirs)
	requireCode(t, err, domain.KindNotFound, domain.CodeNotFound)

	_, err = e.app.Admin.SaveSeason(ctx, e.club, season("Backwards", "2028-03-01", "2028-01-01"))
	requireCode(t, err, domain.KindInvalid, domain.CodeInvalid)
}

func TestSavePriceRuleChecksTheClub(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	rule := domain.PriceRule{Name: "Dollars", Sport: domain.Padel, Weekdays: domain.EveryDay, Window: window("08:00", "12:00"), Priority: 50, Rate: domain.NewMoney(1000, usd)}

	_, err := e.app.Admin.SavePriceRule(ctx, e.club, rule)
	requireCode(t, err, domain.KindInvalid, domain.CodeCurrencyMismatch)

	other, _ := e.seedClub(t, "club-two", domain.DefaultPolicy())
	foreign := e.saveCourt(t, other, "Padel 1", domain.Padel)
	rule.Rate, rule.CourtID = money(1000), foreign.ID
	_, err = e.app.Admin.SavePriceRule(ctx, e.club, rule)
	requireCode(t, err, domain.KindNotFound, domain.CodeNotFound)

	rule.CourtID, rule.Weekdays = "", 0
	_, err = e.app.Admin.SavePriceRule(ctx, e.club, rule)
	requireCode(t, err, domain.KindInvalid, domain.CodeInvalid)

	rules, err := e.app.Admin.ListPriceRules(ctx, e.club)
	require.NoError(t, err)
	assert.Len(t, rules, 5, "only the seeded rules")
	assert.Equal(t, int64(1_200_000), e.offered(t, tomorrow, e.padel1.ID)["10:00"], "prices are unchanged")
}

func TestListBookingsFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	other, _ := e.seedClub(t, "club-two", domain.DefaultPolicy())

	// Ana: Padel 1 tomorrow 10:00, confirmed. Bruno: Padel 2 tomorrow 10:00, pending.
	// Carla: Padel 1 the day after at 18:00, cancelled.
	ana := e.book(t, e.bookingCmd())
	e.payAndConfirm(t, ana.Booking)
	bruno := e.brunoCmd()
	bruno.CourtID = e.padel2.ID
	brunoRes := e.book(t, bruno)
	carla := e.bookingCmd()
	carla.Start = e.at(tomorrow.AddDays(1), "18:00")
	carla.Customer = app.CustomerInput{Name: "Carla", Email: "carla@example.com"}
	carlaRes := e.book(t, carla)
	_, err := e.app.Bookings.Cancel(ctx, carlaRes.Booking.ID(), carlaRes.AccessToken)
	require.NoError(t, err)

	// Padel 1 and Padel 2 start at the same time: ties are ordered by id.
	first, second := ana.Booking.ID(), brunoRes.Booking.ID()
	if second < first {
		first, second = second, first
	}
	ids := func(f ports.BookingFilter) []string {
		t.Helper()
		bs, err := e.app.Admin.ListBookings(ctx, e.club, f)
		require.NoError(t, err)
		out := []string{}
		for _, b := range bs {
			out = append(out, b.ID())
		}
		return out
	}
	all := []string{first, second, carlaRes.Booking.ID()}
	cases := []struct {
		name   string
		filter ports.BookingFilter
		want   []string
	}{
		{"everything", ports.BookingFilter{}, all},
		{"by status", ports.BookingFilter{Status: domain.StatusConfirmed}, []string{ana.Booking.ID()}},
		{"by another status", ports.BookingFilter{Status: domain.StatusCancelled}, []string{carlaRes.Booking.ID()}},
		{"a status nobody has", ports.BookingFilter{Status: domain.StatusExpired}, []string{}},
		{"by court", ports.BookingFilter{CourtID: e.padel1.ID}, []string{ana.Booking.ID(), carlaRes.Booking.ID()}},
		{"by court and status", ports.BookingFilter{CourtID: e.padel1.ID, Status: domain.StatusCancelled}, []string{carlaRes.Booking.ID()}},
		{"starting before", ports.BookingFilter{To: e.at(tomorrow, "12:00")}, []string{first, second}},
		{"ending after", ports.BookingFilter{From: e.at(tomorrow, "12:00")}, []string{carlaRes.Booking.ID()}},
		{"ending after the start of a game", ports.BookingFilter{From: e.at(tomorrow, "11:00"), To: e.at(tomorrow, "11:30")}, []string{first, second}},
		{"a window with nothing", ports.BookingFilter{From: e.at(tomorrow, "11:30"), To: e.at(tomorrow, "18:00")}, []string{}},
		{"limited", ports.BookingFilter{Limit: 2}, []string{first, second}},
		{"another club's id in the filter", ports.BookingFilter{ClubID: other.ID}, all},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, ids(c.filter))
		})
	}
	theirs, err := e.app.Admin.ListBookings(ctx, other, ports.BookingFilter{ClubID: e.club.ID})
	require.NoError(t, err)
	assert.Empty(t, theirs, "a club sees only its own bookings")
}

func TestCreateClubValidates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	cases := []struct {
		name string
		cmd  app.CreateClubCommand
		kind domain.Kind
		code string
	}{
		{"a taken slug", app.CreateClubCommand{Slug: clubSlug, Name: "Again", Zone: zone, Currency: "ARS", Policy: domain.DefaultPolicy()}, domain.KindConflict, domain.CodeDuplicate},
		{"a slug with capitals", app.CreateClubCommand{Slug: "Club", Name: "Club", Zone: zone, Currency: "ARS", Policy: domain.DefaultPolicy()}, domain.KindInvalid, domain.CodeInvalid},
		{"an unknown zone", app.CreateClubCommand{Slug: "club-x", Name: "Club", Zone: "Mars/Olympus", Currency: "ARS", Policy: domain.DefaultPolicy()}, domain.KindInvalid, domain.CodeInvalid},
		{"an unknown currency", app.CreateClubCommand{Slug: "club-x", Name: "Club", Zone: zone, Currency: "XXQ", Policy: domain.DefaultPolicy()}, domain.KindInvalid, domain.CodeInvalid},
		{"no policy", app.CreateClubCommand{Slug: "club-x", Name: "Club", Zone: zone, Currency: "ARS"}, domain.KindInvalid, domain.CodeInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			created, err := e.app.Admin.CreateClub(ctx, c.cmd)
			requireCode(t, err, c.kind, c.code)
			assert.Zero(t, created, "a refused club has no key")
		})
	}
	// The refused club with a taken slug left the first club and its key alone.
	club, err := e.app.Admin.Authenticate(ctx, clubSlug, e.apiKey)
	require.NoError(t, err)
	assert.Equal(t, e.club.ID, club.ID)
	assert.Equal(t, "Club "+clubSlug, club.Name)
}

// hashOf is how an admin key is kept: the hex SHA-256 of the key.
func hashOf(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}
