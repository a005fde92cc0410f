package catalog

import (
	"context"
	"strings"
	"time"

	"github.com/matchpoint/matchpoint/domain"
)

// clubRecord is how a club is cached: a *time.Location does not encode.
type clubRecord struct {
	ID       string        `json:"id"`
	Slug     string        `json:"slug"`
	Name     string        `json:"name"`
	Zone     string        `json:"zone"`
	Currency string        `json:"currency"`
	Policy   domain.Policy `json:"policy"`
}

// clubOf rebuilds the club a record was made from. The record was made from a valid
// club, so only the zone and currency need resolving; zones are resolved once per
// process, since loading one reads the zone database.
func (s *Store) clubOf(r clubRecord) (domain.Club, error) {
	loc, ok := s.zones.Load(r.Zone)
	if !ok {
		l, err := time.LoadLocation(r.Zone)
		if err != nil {
			return domain.Club{}, err
		}
		loc, _ = s.zones.LoadOrStore(r.Zone, l)
	}
	cur, err := domain.ParseCurrency(r.Currency)
	if err != nil {
		return domain.Club{}, err
	}
	return domain.Club{ID: r.ID, Slug: r.Slug, Name: r.Name, Location: loc.(*time.Location), Currency: cur, Policy: r.Policy}, nil
}

func recordOf(c domain.Club) clubRecord {
	return clubRecord{ID: c.ID, Slug: c.Slug, Name: c.Name, Zone: c.Location.String(), Currency: c.Currency.Code(), Policy: c.Policy}
}

// ClubBySlug returns the club with the slug, or a not_found error.
func (s *Store) ClubBySlug(ctx context.Context, slug string) (domain.Club, error) {
	club, _, err := s.clubBySlug(ctx, slug)
	return club, err
}

// clubBySlug is ClubBySlug, also returning the generation of the club's record ("" when
// it was read without the cache).
func (s *Store) clubBySlug(ctx context.Context, slug string) (domain.Club, string, error) {
	r, gen, err := cachedGen(ctx, s, slugKey(slug), s.ttl, func() (clubRecord, error) {
		cl, err := s.Store.GetClubBySlug(ctx, slug)
		return recordOf(cl), err
	})
	if err != nil {
		return domain.Club{}, "", err
	}
	club, err := s.clubOf(r)
	return club, gen, err
}

// DayVersion returns the club with the slug, as ClubBySlug does, and the version of
// what the availability of its local date d at now is read from: the generations of
// the club's record, its courts, seasons and price rules and the day's bookings and
// closures, joined. Any write that changes one of them starts a new generation of its
// family, here and in every process sharing the cache, and so a new version.
//
// The generations are read before the values: values read after DayVersion returns
// belong to its version or to a later one, never to an earlier one, so an answer
// computed from them may be kept under the version. The version is "" when it cannot
// be had — the cache is failing, or d is a date whose day is not cached (see Day) — and
// then nothing may be kept.
func (s *Store) DayVersion(ctx context.Context, slug string, d domain.LocalDate, now time.Time) (domain.Club, string, error) {
	club, gen, err := s.clubBySlug(ctx, slug)
	if err != nil || gen == "" {
		return club, "", err
	}
	if first, last := bookableDates(club, now); d.Before(first) || d.After(last) {
		return club, "", nil
	}
	families := [...]string{courtsKey(club.ID), seasonsKey(club.ID), rulesKey(club.ID), dayKey(club.ID, d)}
	var gens [len(families) + 1]string
	gens[0] = gen
	n := len(gen)
	for i, f := range families {
		g, ok := s.generation(ctx, f)
		if !ok {
			return club, "", nil
		}
		gens[i+1] = g
		n += 1 + len(g)
	}
	// Generations are unpadded base64url: a dot cannot occur in one.
	var b strings.Builder
	b.Grow(n)
	for i, g := range gens {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(g)
	}
	return club, b.String(), nil
}

// Club returns the club with the id, or a not_found error.
func (s *Store) Club(ctx context.Context, id string) (domain.Club, error) {
	r, err := cached(ctx, s, clubKey(id), s.ttl, func() (clubRecord, error) {
		cl, err := s.Store.GetClub(ctx, id)
		return recordOf(cl), err
	})
	if err != nil {
		return domain.Club{}, err
	}
	return s.clubOf(r)
}

// Courts returns the club's courts, ordered as the store orders them. The slice is
// shared: callers must not modify it.
func (s *Store) Courts(ctx context.Context, clubID string) ([]domain.Court, error) {
	return cached(ctx, s, courtsKey(clubID), s.ttl, func() ([]domain.Court, error) {
		return s.Store.ListCourts(ctx, clubID)
	})
}

// Court returns a court of the club, or a not_found error.
func (s *Store) Court(ctx context.Context, clubID, id string) (domain.Court, error) {
	courts, err := s.Courts(ctx, clubID)
	if err != nil {
		return domain.Court{}, err
	}
	for _, ct := range courts {
		if ct.ID == id {
			return ct, nil
		}
	}
	return domain.Court{}, domain.Errorf(domain.CodeNotFound, "court %q not found", id)
}

// Schedule returns what decides the club's opening hours and prices.
func (s *Store) Schedule(ctx context.Context, club domain.Club) (domain.Schedule, error) {
	seasons, err := cached(ctx, s, seasonsKey(club.ID), s.ttl, func() ([]domain.Season, error) {
		return s.Store.ListSeasons(ctx, club.ID)
	})
	if err != nil {
		return domain.Schedule{}, err
	}
	rules, err := cached(ctx, s, rulesKey(club.ID), s.ttl, func() ([]domain.PriceRule, error) {
		return s.Store.ListPriceRules(ctx, club.ID)
	})
	if err != nil {
		return domain.Schedule{}, err
	}
	return domain.Schedule{Club: club, Seasons: seasons, Rules: rules}, nil
}

// Day is what availability needs to know of one local date besides the schedule: the
// closures and bookings of the club around it. Its slices are shared: callers must not
// modify them.
type Day struct {
	Closures  []domain.Closure   `json:"closures"`
	Occupancy []domain.Occupancy `json:"occupancy"`
}

// Day returns the club's closures and bookings that can affect the availability of
// local date d. Only the dates bookable at now are cached.
func (s *Store) Day(ctx context.Context, club domain.Club, d domain.LocalDate, now time.Time) (Day, error) {
	load := func() (Day, error) {
		w := dayWindow(d, club.Location)
		closures, err := s.Store.ListClosures(ctx, club.ID, w)
		if err != nil {
			return Day{}, err
		}
		occ, err := s.Store.ListOccupancy(ctx, club.ID, w)
		return Day{Closures: closures, Occupancy: occ}, err
	}
	if first, last := bookableDates(club, now); d.Before(first) || d.After(last) {
		return load() // nothing can be booked that day: not worth a cache entry
	}
	return cached(ctx, s, dayKey(club.ID, d), s.dayTTL, load)
}
