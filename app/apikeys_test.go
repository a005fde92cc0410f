package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
)

func TestAPIKeyLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	key, err := e.app.Admin.IssueAPIKey(ctx, e.club, "  front desk ")
	require.NoError(t, err)

	keys, err := e.app.Admin.ListAPIKeys(ctx, e.club)
	require.NoError(t, err)
	require.Len(t, keys, 2, "the club's first key and the new one")
	assert.Equal(t, "initial", keys[0].Label)
	assert.Equal(t, "front desk", keys[1].Label, "the label is trimmed")
	for _, k := range keys {
		assert.NotEqual(t, key, k.Hash, "only a hash is kept")
		assert.NotContains(t, k.Hash, strings.TrimPrefix(key, "mpk_"))
		assert.True(t, k.LastUsedAt.IsZero(), "not used yet")
	}
	front := keys[1]

	// The first use is recorded; uses within a minute are not written again.
	_, err = e.app.Admin.Authenticate(ctx, clubSlug, key)
	require.NoError(t, err)
	first := e.clock.Now()
	assert.Equal(t, first, lastUsed(t, e, front.ID))
	e.clock.Advance(59 * time.Second)
	_, err = e.app.Admin.Authenticate(ctx, clubSlug, key)
	require.NoError(t, err)
	assert.Equal(t, first, lastUsed(t, e, front.ID), "a use within a minute is not written")
	e.clock.Advance(time.Second)
	_, err = e.app.Admin.Authenticate(ctx, clubSlug, key)
	require.NoError(t, err)
	assert.Equal(t, e.clock.Now(), lastUsed(t, e, front.ID), "a minute on, the use is written")

	require.NoError(t, e.app.Admin.RevokeAPIKey(ctx, e.club, front.ID))
	_, err = e.app.Admin.Authenticate(ctx, clubSlug, key)
	requireCode(t, err, domain.KindUnauthorized, "unauthorized")
	_, err = e.app.Admin.Authenticate(ctx, clubSlug, e.apiKey)
	require.NoError(t, err, "the club's other key still works")

	other, _ := e.seedClub(t, "club-two", domain.DefaultPolicy())
	keys, err = e.app.Admin.ListAPIKeys(ctx, e.club)
	require.NoError(t, err)
	err = e.app.Admin.RevokeAPIKey(ctx, other, keys[0].ID)
	requireCode(t, err, domain.KindNotFound, "not_found")
	_, err = e.app.Admin.Authenticate(ctx, clubSlug, e.apiKey)
	require.NoError(t, err, "another club cannot revoke the key")
}

func TestIssueAPIKeyNeedsALabel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	for _, label := range []string{"", "   ", strings.Repeat("x", 101)} {
		_, err := e.app.Admin.IssueAPIKey(ctx, e.club, label)
		requireCode(t, err, domain.KindInvalid, "invalid")
	}
	keys, err := e.app.Admin.ListAPIKeys(ctx, e.club)
	require.NoError(t, err)
	assert.Len(t, keys, 1, "no key was issued")
}

func lastUsed(t *testing.T, e *env, id string) time.Time {
	t.Helper()
	keys, err := e.app.Admin.ListAPIKeys(context.Background(), e.club)
	require.NoError(t, err)
	for _, k := range keys {
		if k.ID == id {
			return k.LastUsedAt
		}
	}
	t.Fatalf("no key %q", id)
	return time.Time{}
}
