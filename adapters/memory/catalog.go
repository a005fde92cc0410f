package memory

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// SaveClub creates or replaces a club; a slug taken by another club is a duplicate.
func (s *Store) SaveClub(ctx context.Context, c domain.Club) error {
	return s.write(ctx, func(u *undoLog) error {
		if id, ok := s.slugs[c.Slug]; ok && id != c.ID {
			return duplicate("the slug %q is taken by another club", c.Slug)
		}
		if old, ok := s.clubs[c.ID]; ok && old.Slug != c.Slug {
			del(u, s.slugs, old.Slug)
		}
		put(u, s.slugs, c.Slug, c.ID)
		put(u, s.clubs, c.ID, copyClub(c))
		return nil
	})
}

// GetClub returns a club by id.
func (s *Store) GetClub(ctx context.Context, id string) (domain.Club, error) {
	var c domain.Club
	err := s.read(ctx, func() error {
		stored, ok := s.clubs[id]
		if !ok {
			return notFound("club %q not found", id)
		}
		c = copyClub(stored)
		return nil
	})
	return c, err
}

// GetClubBySlug returns a club by slug.
func (s *Store) GetClubBySlug(ctx context.Context, slug string) (domain.Club, error) {
	var c domain.Club
	err := s.read(ctx, func() error {
		id, ok := s.slugs[slug]
		if !ok {
			return notFound("club %q not found", slug)
		}
		c = copyClub(s.clubs[id])
		return nil
	})
	return c, err
}

// ListClubs returns every club, ordered by slug.
func (s *Store) ListClubs(ctx context.Context) ([]domain.Club, error) {
	var out []domain.Club
	err := s.read(ctx, func() error {
		for _, c := range s.clubs {
			out = append(out, copyClub(c))
		}
		return nil
	})
	slices.SortFunc(out, func(a, b domain.Club) int { return strings.Compare(a.Slug, b.Slug) })
	return out, err
}

// SaveCourt creates or replaces a court.
func (s *Store) SaveCourt(ctx context.Context, c domain.Court) error {
	return s.write(ctx, func(u *undoLog) error {
		put(u, inner(s.courts, c.ClubID), c.ID, c)
		return nil
	})
}

// GetCourt returns a court of the club.
func (s *Store) GetCourt(ctx context.Context, clubID, id string) (domain.Court, error) {
	var c domain.Court
	err := s.read(ctx, func() error {
		stored, ok := s.courts[clubID][id]
		if !ok {
			return notFound("court %q not found", id)
		}
		c = stored
		return nil
	})
	return c, err
}

// ListCourts returns the club's courts ordered by name, then id.
func (s *Store) ListCourts(ctx context.Context, clubID string) ([]domain.Court, error) {
	var out []domain.Court
	err := s.read(ctx, func() error {
		out = slices.SortedFunc(maps.Values(s.courts[clubID]), func(a, b domain.Court) int {
			return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
		})
		return nil
	})
	return nonNil(out), err
}

// SaveSeason creates or replaces a season unless it shares a day with another season
// of its club.
func (s *Store) SaveSeason(ctx context.Context, season domain.Season) error {
	return s.write(ctx, func(u *undoLog) error {
		cm := inner(s.seasons, season.ClubID)
		if err := domain.CheckSeasonOverlap(season, slices.Collect(maps.Values(cm))); err != nil {
			return err
		}
		put(u, cm, season.ID, copySeason(season))
		return nil
	})
}

// DeleteSeason removes a season.
func (s *Store) DeleteSeason(ctx context.Context, clubID, id string) error {
	return s.write(ctx, func(u *undoLog) error {
		if _, ok := s.seasons[clubID][id]; !ok {
			return notFound("season %q not found", id)
		}
		del(u, s.seasons[clubID], id)
		return nil
	})
}

// ListSeasons returns the club's seasons ordered by first day.
func (s *Store) ListSeasons(ctx context.Context, clubID string) ([]domain.Season, error) {
	var out []domain.Season
	err := s.read(ctx, func() error {
		for _, season := range s.seasons[clubID] {
			out = append(out, copySeason(season))
		}
		slices.SortFunc(out, func(a, b domain.Season) int {
			return cmp.Or(compareDates(a.From, b.From), strings.Compare(a.ID, b.ID))
		})
		return nil
	})
	return nonNil(out), err
}

func compareDates(a, b domain.LocalDate) int {
	switch {
	case a.Before(b):
		return -1
	case a.After(b):
		return 1
	}
	return 0
}

// SaveClosure creates or replaces a closure.
func (s *Store) SaveClosure(ctx context.Context, c domain.Closure) error {
	return s.write(ctx, func(u *undoLog) error {
		put(u, inner(s.closures, c.ClubID), c.ID, c)
		return nil
	})
}

// DeleteClosure removes a closure.
func (s *Store) DeleteClosure(ctx context.Context, clubID, id string) error {
	return s.write(ctx, func(u *undoLog) error {
		if _, ok := s.closures[clubID][id]; !ok {
			return notFound("closure %q not found", id)
		}
		del(u, s.closures[clubID], id)
		return nil
	})
}

// ListClosures returns the club's closures that overlap iv, ordered by start.
func (s *Store) ListClosures(ctx context.Context, clubID string, iv domain.Interval) ([]domain.Closure, error) {
	var out []domain.Closure
	err := s.read(ctx, func() error {
		for _, c := range s.closures[clubID] {
			if c.Interval.Overlaps(iv) {
				out = append(out, c)
			}
		}
		slices.SortFunc(out, func(a, b domain.Closure) int {
			return cmp.Or(a.Interval.Start.Compare(b.Interval.Start), strings.Compare(a.ID, b.ID))
		})
		return nil
	})
	return nonNil(out), err
}

// SavePriceRule creates or replaces a price rule.
func (s *Store) SavePriceRule(ctx context.Context, r domain.PriceRule) error {
	return s.write(ctx, func(u *undoLog) error {
		put(u, inner(s.rules, r.ClubID), r.ID, r)
		return nil
	})
}

// DeletePriceRule removes a price rule.
func (s *Store) DeletePriceRule(ctx context.Context, clubID, id string) error {
	return s.write(ctx, func(u *undoLog) error {
		if _, ok := s.rules[clubID][id]; !ok {
			return notFound("price rule %q not found", id)
		}
		del(u, s.rules[clubID], id)
		return nil
	})
}

// ListPriceRules returns the club's price rules ordered by id.
func (s *Store) ListPriceRules(ctx context.Context, clubID string) ([]domain.PriceRule, error) {
	var out []domain.PriceRule
	err := s.read(ctx, func() error {
		out = slices.SortedFunc(maps.Values(s.rules[clubID]), func(a, b domain.PriceRule) int {
			return strings.Compare(a.ID, b.ID)
		})
		return nil
	})
	return nonNil(out), err
}

// SaveAPIKey stores a key; a hash stored under another key id is a duplicate. Saving
// a key id again replaces that key.
func (s *Store) SaveAPIKey(ctx context.Context, k ports.APIKey) error {
	return s.write(ctx, func(u *undoLog) error {
		if other, ok := s.apiKeys[k.Hash]; ok && other.ID != k.ID {
			return duplicate("an API key with this hash exists")
		}
		if old, ok := s.keyHash[k.ID]; ok && old != k.Hash {
			del(u, s.apiKeys, old)
		}
		put(u, s.keyHash, k.ID, k.Hash)
		put(u, s.apiKeys, k.Hash, k)
		return nil
	})
}

// FindAPIKey returns the key with the hash.
func (s *Store) FindAPIKey(ctx context.Context, hash string) (ports.APIKey, error) {
	var k ports.APIKey
	err := s.read(ctx, func() error {
		stored, ok := s.apiKeys[hash]
		if !ok {
			return notFound("API key not found")
		}
		k = stored
		return nil
	})
	return k, err
}

// ListAPIKeys returns the club's keys ordered by creation time, then id.
func (s *Store) ListAPIKeys(ctx context.Context, clubID string) ([]ports.APIKey, error) {
	var out []ports.APIKey
	err := s.read(ctx, func() error {
		for _, k := range s.apiKeys {
			if k.ClubID == clubID {
				out = append(out, k)
			}
		}
		slices.SortFunc(out, func(a, b ports.APIKey) int {
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
		})
		return nil
	})
	return nonNil(out), err
}

// RevokeAPIKey revokes a key of the club; a revoked key keeps its first revocation time.
func (s *Store) RevokeAPIKey(ctx context.Context, clubID, id string, at time.Time) error {
	return s.write(ctx, func(u *undoLog) error {
		k, ok := s.apiKeys[s.keyHash[id]]
		if !ok || k.ID != id || k.ClubID != clubID {
			return notFound("API key %q not found", id)
		}
		if k.RevokedAt.IsZero() {
			k.RevokedAt = at.UTC()
			put(u, s.apiKeys, k.Hash, k)
		}
		return nil
	})
}

// TouchAPIKey moves the key's last use forward to at; it never moves it back.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	return s.write(ctx, func(u *undoLog) error {
		k, ok := s.apiKeys[s.keyHash[id]]
		if ok && k.ID == id && k.LastUsedAt.Before(at) {
			k.LastUsedAt = at.UTC()
			put(u, s.apiKeys, k.Hash, k)
		}
		return nil
	})
}

// RecordPaymentEvent records a provider's event id and reports whether it was new.
func (s *Store) RecordPaymentEvent(ctx context.Context, provider, eventID string, at time.Time) (bool, error) {
	fresh := false
	err := s.write(ctx, func(u *undoLog) error {
		k := eventKey{provider, eventID}
		if _, seen := s.events[k]; seen {
			return nil
		}
		put(u, s.events, k, at)
		fresh = true
		return nil
	})
	return fresh && err == nil, err
}

// copyClub returns c with its own policy durations.
func copyClub(c domain.Club) domain.Club {
	if c.Policy.Durations != nil {
		ds := make(map[domain.Sport][]time.Duration, len(c.Policy.Durations))
		for sport, d := range c.Policy.Durations {
			ds[sport] = slices.Clone(d)
		}
		c.Policy.Durations = ds
	}
	return c
}

// copySeason returns s with its own opening hours.
func copySeason(s domain.Season) domain.Season {
	for i, h := range s.Week {
		if h != nil {
			hours := *h
			s.Week[i] = &hours
		}
	}
	return s
}

// nonNil returns an empty slice for nil, so that an empty list is never nil.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
