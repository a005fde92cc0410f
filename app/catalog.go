package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// The cache key scheme. Every key of a club starts with clubPrefix(id), so dropping a
// club's whole cache is one DeletePrefix. A write invalidates exactly the keys it affects:
//
//	mp:slug:{slug}                  club record by slug       club saved
//	mp:club:{id}:club               club record by id         club saved
//	mp:club:{id}:courts             the club's courts         court saved
//	mp:club:{id}:seasons            the club's seasons        season saved or deleted
//	mp:club:{id}:rules              the club's price rules    price rule saved or deleted
//	mp:club:{id}:day:{YYYY-MM-DD}   bookings and closures     booking created, confirmed,
//	                                around one local date     cancelled or expired; closure
//	                                                          saved or deleted (its dates)
//
// Availability itself is computed from these on every request (it depends on "now"),
// which costs microseconds; what the cache saves is the database round trips.
func clubPrefix(clubID string) string { return "mp:club:" + clubID + ":" }
func slugKey(slug string) string      { return "mp:slug:" + slug }
func clubKey(clubID string) string    { return clubPrefix(clubID) + "club" }
func courtsKey(clubID string) string  { return clubPrefix(clubID) + "courts" }
func seasonsKey(clubID string) string { return clubPrefix(clubID) + "seasons" }
func rulesKey(clubID string) string   { return clubPrefix(clubID) + "rules" }
func dayPrefix(clubID string) string  { return clubPrefix(clubID) + "day:" }
func dayKey(clubID string, d domain.LocalDate) string {
	return dayPrefix(clubID) + d.String()
}

// dayWindow is the range of instants whose bookings and closures can affect the
// availability of local date d: starts on d, and games of up to a day from them.
func dayWindow(d domain.LocalDate, loc *time.Location) domain.Interval {
	return domain.Interval{Start: d.StartOfDay(loc), End: d.AddDays(2).StartOfDay(loc)}
}

// datesAffectedBy returns the local dates whose dayWindow overlaps iv.
func datesAffectedBy(iv domain.Interval, loc *time.Location) []domain.LocalDate {
	var ds []domain.LocalDate
	last := domain.DateOf(iv.End, loc)
	for d := domain.DateOf(iv.Start, loc).AddDays(-1); !d.After(last); d = d.AddDays(1) {
		ds = append(ds, d)
		if len(ds) > 400 {
			break
		}
	}
	return ds
}

// catalog reads a club's configuration and day data through the cache.
type catalog struct {
	store  ports.Store
	cache  ports.Cache
	ttl    time.Duration
	dayTTL time.Duration
	log    *slog.Logger
	zones  sync.Map // zone name → *time.Location
}

// cached returns the value under key, loading and storing it on a miss. A cache error
// is logged and treated as a miss: the store is the truth.
func cached[T any](ctx context.Context, c *catalog, key string, ttl time.Duration, load func() (T, error)) (T, error) {
	if b, ok, err := c.cache.Get(ctx, key); err != nil {
		c.log.WarnContext(ctx, "cache get failed", "key", key, "err", err)
	} else if ok {
		var v T
		if err := json.Unmarshal(b, &v); err == nil {
			return v, nil
		}
		c.log.WarnContext(ctx, "cache value undecodable", "key", key)
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	if b, err := json.Marshal(v); err == nil {
		if err := c.cache.Set(ctx, key, b, ttl); err != nil {
			c.log.WarnContext(ctx, "cache set failed", "key", key, "err", err)
		}
	}
	return v, nil
}

// invalidate deletes keys now and again once the surrounding transaction commits, so
// that a read racing the write cannot leave the old value cached.
func (c *catalog) invalidate(ctx context.Context, keys ...string) {
	del := func() {
		if err := c.cache.Delete(context.WithoutCancel(ctx), keys...); err != nil {
			c.log.WarnContext(ctx, "cache invalidation failed", "keys", keys, "err", err)
		}
	}
	del()
	ports.AfterCommit(ctx, del)
}

// invalidateDays drops the day entries that iv can affect.
func (c *catalog) invalidateDays(ctx context.Context, club domain.Club, iv domain.Interval) {
	dates := datesAffectedBy(iv, club.Location)
	keys := make([]string, len(dates))
	for i, d := range dates {
		keys[i] = dayKey(club.ID, d)
	}
	c.invalidate(ctx, keys...)
}

type clubRecord struct {
	ID       string        `json:"id"`
	Slug     string        `json:"slug"`
	Name     string        `json:"name"`
	Zone     string        `json:"zone"`
	Currency string        `json:"currency"`
	Policy   domain.Policy `json:"policy"`
}

// club rebuilds the club a record was made from. The record was made from a valid
// club, so only the zone and currency need resolving; zones are resolved once per
// process, since loading one reads the zone database.
func (c *catalog) clubOf(r clubRecord) (domain.Club, error) {
	loc, ok := c.zones.Load(r.Zone)
	if !ok {
		l, err := time.LoadLocation(r.Zone)
		if err != nil {
			return domain.Club{}, err
		}
		loc, _ = c.zones.LoadOrStore(r.Zone, l)
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

// clubBySlug returns the club with the slug.
func (c *catalog) clubBySlug(ctx context.Context, slug string) (domain.Club, error) {
	r, err := cached(ctx, c, slugKey(slug), c.ttl, func() (clubRecord, error) {
		cl, err := c.store.GetClubBySlug(ctx, slug)
		return recordOf(cl), err
	})
	if err != nil {
		return domain.Club{}, err
	}
	return c.clubOf(r)
}

// club returns the club with the id.
func (c *catalog) club(ctx context.Context, id string) (domain.Club, error) {
	r, err := cached(ctx, c, clubKey(id), c.ttl, func() (clubRecord, error) {
		cl, err := c.store.GetClub(ctx, id)
		return recordOf(cl), err
	})
	if err != nil {
		return domain.Club{}, err
	}
	return c.clubOf(r)
}

func (c *catalog) courts(ctx context.Context, clubID string) ([]domain.Court, error) {
	return cached(ctx, c, courtsKey(clubID), c.ttl, func() ([]domain.Court, error) {
		return c.store.ListCourts(ctx, clubID)
	})
}

func (c *catalog) court(ctx context.Context, clubID, id string) (domain.Court, error) {
	courts, err := c.courts(ctx, clubID)
	if err != nil {
		return domain.Court{}, err
	}
	for _, ct := range courts {
		if ct.ID == id {
			return ct, nil
		}
	}
	return domain.Court{}, domain.Errorf(domain.KindNotFound, domain.CodeNotFound, "court %q not found", id)
}

// schedule returns what decides the club's opening hours and prices.
func (c *catalog) schedule(ctx context.Context, club domain.Club) (domain.Schedule, error) {
	seasons, err := cached(ctx, c, seasonsKey(club.ID), c.ttl, func() ([]domain.Season, error) {
		return c.store.ListSeasons(ctx, club.ID)
	})
	if err != nil {
		return domain.Schedule{}, err
	}
	rules, err := cached(ctx, c, rulesKey(club.ID), c.ttl, func() ([]domain.PriceRule, error) {
		return c.store.ListPriceRules(ctx, club.ID)
	})
	if err != nil {
		return domain.Schedule{}, err
	}
	return domain.Schedule{Club: club, Seasons: seasons, Rules: rules}, nil
}

// dayData is what availability needs to know of one local date besides the schedule.
type dayData struct {
	Closures  []domain.Closure   `json:"closures"`
	Occupancy []domain.Occupancy `json:"occupancy"`
}

func (c *catalog) day(ctx context.Context, club domain.Club, d domain.LocalDate) (dayData, error) {
	return cached(ctx, c, dayKey(club.ID, d), c.dayTTL, func() (dayData, error) {
		w := dayWindow(d, club.Location)
		closures, err := c.store.ListClosures(ctx, club.ID, w)
		if err != nil {
			return dayData{}, err
		}
		occ, err := c.store.ListOccupancy(ctx, club.ID, w)
		return dayData{Closures: closures, Occupancy: occ}, err
	})
}

// invalidatePrefix drops every key under prefix now and again once the transaction commits.
func (c *catalog) invalidatePrefix(ctx context.Context, prefix string) {
	del := func() {
		if err := c.cache.DeletePrefix(context.WithoutCancel(ctx), prefix); err != nil {
			c.log.WarnContext(ctx, "cache invalidation failed", "prefix", prefix, "err", err)
		}
	}
	del()
	ports.AfterCommit(ctx, del)
}
