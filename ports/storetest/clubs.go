package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

var clubCases = []contract{
	{"SaveAndGet", testClubSaveAndGet},
	{"Replace", testClubReplace},
	{"DuplicateSlug", testClubDuplicateSlug},
	{"NotFound", testClubNotFound},
	{"ValuesAreCopied", testClubValuesAreCopied},
	{"List", testClubList},
}

func testClubList(t *testing.T, f *fixture) {
	a, z := newClub(t), newClub(t)
	a.Slug, z.Slug = "aaa-"+a.Slug, "zzz-"+z.Slug
	require.NoError(t, f.store.SaveClub(f.ctx, z))
	require.NoError(t, f.store.SaveClub(f.ctx, a))

	got, err := f.store.ListClubs(f.ctx)
	require.NoError(t, err)
	require.Len(t, got, 3)
	for i, want := range []domain.Club{a, f.club, z} {
		assertClub(t, want, got[i])
	}
}

// assertClub compares clubs field by field: two loads of one time zone are equal
// zones but not equal pointers.
func assertClub(t *testing.T, want, got domain.Club) {
	t.Helper()
	assert.Equal(t, want.ID, got.ID)
	assert.Equal(t, want.Slug, got.Slug)
	assert.Equal(t, want.Name, got.Name)
	if assert.NotNil(t, got.Location) {
		assert.Equal(t, want.Location.String(), got.Location.String())
	}
	assert.Equal(t, want.Currency, got.Currency)
	assert.Equal(t, want.Policy, got.Policy)
}

func testClubSaveAndGet(t *testing.T, f *fixture) {
	got, err := f.store.GetClub(f.ctx, f.club.ID)
	require.NoError(t, err)
	assertClub(t, f.club, got)

	got, err = f.store.GetClubBySlug(f.ctx, f.club.Slug)
	require.NoError(t, err)
	assertClub(t, f.club, got)
}

func testClubReplace(t *testing.T, f *fixture) {
	c, err := domain.NewClub(f.club.ID, "renamed-"+f.club.Slug, "Renamed", "America/Argentina/Buenos_Aires", "ARS", domain.DefaultPolicy())
	require.NoError(t, err)
	c.Policy.Hold = 20 * time.Minute
	require.NoError(t, f.store.SaveClub(f.ctx, c))

	got, err := f.store.GetClub(f.ctx, c.ID)
	require.NoError(t, err)
	assertClub(t, c, got)
	got, err = f.store.GetClubBySlug(f.ctx, c.Slug)
	require.NoError(t, err)
	assertClub(t, c, got)

	_, err = f.store.GetClubBySlug(f.ctx, f.club.Slug)
	assertNotFound(t, err)
	// The old slug is free for another club.
	other := newClub(t)
	other.Slug = f.club.Slug
	require.NoError(t, f.store.SaveClub(f.ctx, other))
	got, err = f.store.GetClubBySlug(f.ctx, f.club.Slug)
	require.NoError(t, err)
	assert.Equal(t, other.ID, got.ID)
}

func testClubDuplicateSlug(t *testing.T, f *fixture) {
	other := newClub(t)
	other.Slug = f.club.Slug
	assertError(t, f.store.SaveClub(f.ctx, other), domain.KindConflict, domain.CodeDuplicate)

	_, err := f.store.GetClub(f.ctx, other.ID)
	assertNotFound(t, err)
	got, err := f.store.GetClubBySlug(f.ctx, f.club.Slug)
	require.NoError(t, err)
	assertClub(t, f.club, got)
}

func testClubNotFound(t *testing.T, f *fixture) {
	_, err := f.store.GetClub(f.ctx, newID())
	assertNotFound(t, err)
	_, err = f.store.GetClubBySlug(f.ctx, "no-such-club")
	assertNotFound(t, err)
}

func testClubValuesAreCopied(t *testing.T, f *fixture) {
	c := newClub(t)
	require.NoError(t, f.store.SaveClub(f.ctx, c))
	c.Policy.Durations[domain.Padel][0] = 5 * time.Minute
	c.Policy.Durations["squash"] = []time.Duration{time.Hour}

	got, err := f.store.GetClub(f.ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, domain.DefaultPolicy().Durations, got.Policy.Durations, "the store kept the caller's map")
	got.Policy.Durations[domain.Tennis][0] = 5 * time.Minute

	again, err := f.store.GetClub(f.ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, domain.DefaultPolicy().Durations, again.Policy.Durations, "the store returned its own map")
}

var courtCases = []contract{
	{"SaveAndGet", testCourtSaveAndGet},
	{"Replace", testCourtReplace},
	{"NotFound", testCourtNotFound},
	{"ListOrderedByNameThenID", testCourtList},
}

func testCourtSaveAndGet(t *testing.T, f *fixture) {
	got, err := f.store.GetCourt(f.ctx, f.club.ID, f.court.ID)
	require.NoError(t, err)
	assert.Equal(t, f.court, got)
}

func testCourtReplace(t *testing.T, f *fixture) {
	c := f.court
	c.Name, c.Indoor, c.Surface, c.Active = "Alpha Centre", false, "clay", false
	require.NoError(t, f.store.SaveCourt(f.ctx, c))

	got, err := f.store.GetCourt(f.ctx, f.club.ID, c.ID)
	require.NoError(t, err)
	assert.Equal(t, c, got)
	list, err := f.store.ListCourts(f.ctx, f.club.ID)
	require.NoError(t, err)
	assert.Equal(t, []domain.Court{c, f.other}, list)
}

func testCourtNotFound(t *testing.T, f *fixture) {
	_, err := f.store.GetCourt(f.ctx, f.club.ID, newID())
	assertNotFound(t, err)

	other := f.saveClub(t)
	_, err = f.store.GetCourt(f.ctx, other.ID, f.court.ID)
	assertNotFound(t, err, "a court is found only in its own club")
}

func testCourtList(t *testing.T, f *fixture) {
	charlie := f.saveCourt(t, f.club, "Charlie")
	var deltas []domain.Court // courts of one name: ordered by id
	for range 4 {
		deltas = append(deltas, f.saveCourt(t, f.club, "Delta"))
	}
	other := f.saveClub(t)
	f.saveCourt(t, other, "Aardvark")

	slices.SortFunc(deltas, func(a, b domain.Court) int { return strings.Compare(a.ID, b.ID) })
	list, err := f.store.ListCourts(f.ctx, f.club.ID)
	require.NoError(t, err)
	assert.Equal(t, append([]domain.Court{f.court, f.other, charlie}, deltas...), list)

	list, err = f.store.ListCourts(f.ctx, f.saveClub(t).ID)
	require.NoError(t, err)
	assert.Empty(t, list)
}

var apiKeyCases = []contract{
	{"SaveAndFind", testAPIKeySaveAndFind},
	{"DuplicateHash", testAPIKeyDuplicateHash},
	{"NotFound", testAPIKeyNotFound},
	{"ListOrderedByCreationThenID", testAPIKeyList},
	{"Revoke", testAPIKeyRevoke},
	{"RevokeOnlyTheClubsKey", testAPIKeyRevokeOtherClub},
	{"TouchMovesForwardOnly", testAPIKeyTouch},
}

func newAPIKey(club domain.Club, label string) ports.APIKey {
	return ports.APIKey{ID: newID(), ClubID: club.ID, Label: label, Hash: hash("secret " + newID()), CreatedAt: now}
}

// utcKey returns k with its instants in UTC, as a store may return them in another zone.
func utcKey(k ports.APIKey) ports.APIKey {
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = k.CreatedAt.UTC(), k.LastUsedAt.UTC(), k.RevokedAt.UTC()
	if k.LastUsedAt.IsZero() {
		k.LastUsedAt = time.Time{}
	}
	if k.RevokedAt.IsZero() {
		k.RevokedAt = time.Time{}
	}
	return k
}

func (f *fixture) findAPIKey(t *testing.T, hash string) ports.APIKey {
	t.Helper()
	got, err := f.store.FindAPIKey(f.ctx, hash)
	require.NoError(t, err)
	return utcKey(got)
}

func testAPIKeySaveAndFind(t *testing.T, f *fixture) {
	k := newAPIKey(f.club, "front desk")
	require.NoError(t, f.store.SaveAPIKey(f.ctx, k))
	other := newAPIKey(f.club, "reports")
	require.NoError(t, f.store.SaveAPIKey(f.ctx, other))

	got := f.findAPIKey(t, k.Hash)
	assert.Equal(t, k, got)
	assert.False(t, got.Revoked(), "a new key is in force")
	assert.True(t, got.LastUsedAt.IsZero(), "a new key was never used")
}

func testAPIKeyDuplicateHash(t *testing.T, f *fixture) {
	k := newAPIKey(f.club, "front desk")
	require.NoError(t, f.store.SaveAPIKey(f.ctx, k))
	dup := newAPIKey(f.saveClub(t), "copy")
	dup.Hash = k.Hash
	assertError(t, f.store.SaveAPIKey(f.ctx, dup), domain.KindConflict, domain.CodeDuplicate)

	assert.Equal(t, k.ID, f.findAPIKey(t, k.Hash).ID)
}

func testAPIKeyNotFound(t *testing.T, f *fixture) {
	require.NoError(t, f.store.SaveAPIKey(f.ctx, newAPIKey(f.club, "front desk")))
	_, err := f.store.FindAPIKey(f.ctx, hash("unknown"))
	assertNotFound(t, err)
}

func testAPIKeyList(t *testing.T, f *fixture) {
	later := newAPIKey(f.club, "later")
	later.CreatedAt = now.Add(time.Hour)
	require.NoError(t, f.store.SaveAPIKey(f.ctx, later))
	var same []ports.APIKey // keys made at one instant: ordered by id
	for range 3 {
		k := newAPIKey(f.club, "same time")
		require.NoError(t, f.store.SaveAPIKey(f.ctx, k))
		same = append(same, k)
	}
	slices.SortFunc(same, func(a, b ports.APIKey) int { return strings.Compare(a.ID, b.ID) })
	revoked := newAPIKey(f.club, "revoked")
	revoked.CreatedAt = now.Add(2 * time.Hour)
	require.NoError(t, f.store.SaveAPIKey(f.ctx, revoked))
	require.NoError(t, f.store.RevokeAPIKey(f.ctx, f.club.ID, revoked.ID, now.Add(3*time.Hour)))
	revoked.RevokedAt = now.Add(3 * time.Hour)
	require.NoError(t, f.store.SaveAPIKey(f.ctx, newAPIKey(f.saveClub(t), "another club's")))

	list, err := f.store.ListAPIKeys(f.ctx, f.club.ID)
	require.NoError(t, err)
	got := make([]ports.APIKey, 0, len(list))
	for _, k := range list {
		got = append(got, utcKey(k))
	}
	assert.Equal(t, append(append(same, later), revoked), got, "revoked keys are listed too")

	list, err = f.store.ListAPIKeys(f.ctx, f.saveClub(t).ID)
	require.NoError(t, err)
	assert.NotNil(t, list)
	assert.Empty(t, list)
}

func testAPIKeyRevoke(t *testing.T, f *fixture) {
	k := newAPIKey(f.club, "front desk")
	require.NoError(t, f.store.SaveAPIKey(f.ctx, k))
	kept := newAPIKey(f.club, "reports")
	require.NoError(t, f.store.SaveAPIKey(f.ctx, kept))

	at := now.Add(time.Hour)
	require.NoError(t, f.store.RevokeAPIKey(f.ctx, f.club.ID, k.ID, at))
	got := f.findAPIKey(t, k.Hash)
	assert.True(t, got.Revoked(), "the revoked key is still found, marked revoked")
	assert.Equal(t, at, got.RevokedAt)
	assert.False(t, f.findAPIKey(t, kept.Hash).Revoked(), "only that key is revoked")

	require.NoError(t, f.store.RevokeAPIKey(f.ctx, f.club.ID, k.ID, at.Add(time.Hour)), "revoking again")
	assert.Equal(t, at, f.findAPIKey(t, k.Hash).RevokedAt, "the first revocation time is kept")

	assertNotFound(t, f.store.RevokeAPIKey(f.ctx, f.club.ID, newID(), at))
}

func testAPIKeyRevokeOtherClub(t *testing.T, f *fixture) {
	k := newAPIKey(f.club, "front desk")
	require.NoError(t, f.store.SaveAPIKey(f.ctx, k))
	other := f.saveClub(t)

	assertNotFound(t, f.store.RevokeAPIKey(f.ctx, other.ID, k.ID, now), "a club revokes only its own keys")
	assert.False(t, f.findAPIKey(t, k.Hash).Revoked())
}

func testAPIKeyTouch(t *testing.T, f *fixture) {
	k := newAPIKey(f.club, "front desk")
	require.NoError(t, f.store.SaveAPIKey(f.ctx, k))
	other := newAPIKey(f.club, "reports")
	require.NoError(t, f.store.SaveAPIKey(f.ctx, other))

	used := now.Add(time.Hour)
	require.NoError(t, f.store.TouchAPIKey(f.ctx, k.ID, used))
	assert.Equal(t, used, f.findAPIKey(t, k.Hash).LastUsedAt)
	assert.True(t, f.findAPIKey(t, other.Hash).LastUsedAt.IsZero(), "only that key is touched")

	require.NoError(t, f.store.TouchAPIKey(f.ctx, k.ID, used.Add(-time.Minute)))
	assert.Equal(t, used, f.findAPIKey(t, k.Hash).LastUsedAt, "an earlier use does not move the time back")
	require.NoError(t, f.store.TouchAPIKey(f.ctx, k.ID, used.Add(time.Minute)))
	assert.Equal(t, used.Add(time.Minute), f.findAPIKey(t, k.Hash).LastUsedAt)

	require.NoError(t, f.store.TouchAPIKey(f.ctx, newID(), used), "an unknown key changes nothing")
	got, err := f.store.ListAPIKeys(f.ctx, f.club.ID)
	require.NoError(t, err)
	assert.Len(t, got, 2)
}
