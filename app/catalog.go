package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// The cache key scheme. Cached values are grouped in families; every key of a club
// starts with clubPrefix(id). A write invalidates exactly the families it affects:
//
//	family                          holds                     invalidated when
//	mp:slug:{slug}                  club record by slug       club saved
//	mp:club:{id}:club               club record by id         club saved
//	mp:club:{id}:courts             the club's courts         court saved
//	mp:club:{id}:seasons            the club's seasons        season saved or deleted
//	mp:club:{id}:rules              the club's price rules    price rule saved or deleted
//	mp:club:{id}:day:{YYYY-MM-DD}   bookings and closures     booking created, confirmed,
//	                                around one local date     cancelled or expired; closure
//	                                                          saved or deleted (its dates)
//
// A family's value lives under "{family}@{generation}", and its current generation
// under "{family}#gen". Invalidating a family deletes its generation key once the write
// has committed; the next reader starts a new random generation. A reader that loaded
// the old state before the commit can only store it under the old generation, which
// nobody reads any more: deleting the value key instead would let such a reader put the
// old value back after the write has returned. A generation is always set before the
// values stored under it are loaded, so a value under a live generation was loaded after
// the last invalidation of its family.
//
// Invalidation is a Delete, the one operation whose effect ports.Cache promises to
// every process sharing the cache at once (the tiered cache waits for every instance to
// drop the keys from its L1).
//
// Availability itself is computed from these on every request (it depends on "now"),
// which costs microseconds; what the cache saves is the database round trips.
func clubPrefix(clubID string) string { return "mp:club:" + clubID + ":" }
func slugKey(slug string) string      { return "mp:slug:" + slug }
func clubKey(clubID string) string    { return clubPrefix(clubID) + "club" }
func courtsKey(clubID string) string  { return clubPrefix(clubID) + "courts" }
func seasonsKey(clubID string) string { return clubPrefix(clubID) + "seasons" }
func rulesKey(clubID string) string   { return clubPrefix(clubID) + "rules" }
func dayKey(clubID string, d domain.LocalDate) string {
	return clubPrefix(clubID) + "day:" + d.String()
}

// CacheFamily names the family of a cache key of the scheme above, for counters: slug,
// club, courts, seasons, rules or day, with ".gen" for a generation key, and "other"
// for a key outside the scheme.
func CacheFamily(key string) string {
	gen := strings.HasSuffix(key, "#gen")
	if strings.HasPrefix(key, "mp:slug:") {
		return pick(gen, "slug.gen", "slug")
	}
	rest, ok := strings.CutPrefix(key, "mp:club:")
	if !ok {
		return "other"
	}
	i := strings.IndexByte(rest, ':') // after the club id
	if i < 0 {
		return "other"
	}
	rest = rest[i+1:]
	for j := 0; j < len(rest); j++ {
		if c := rest[j]; c == ':' || c == '@' || c == '#' {
			rest = rest[:j]
			break
		}
	}
	switch rest {
	case "club":
		return pick(gen, "club.gen", "club")
	case "courts":
		return pick(gen, "courts.gen", "courts")
	case "seasons":
		return pick(gen, "seasons.gen", "seasons")
	case "rules":
		return pick(gen, "rules.gen", "rules")
	case "day":
		return pick(gen, "day.gen", "day")
	}
	return "other"
}

// pick returns a if cond holds, else b. CacheFamily runs on every cache read, so it
// returns constants rather than building names.
func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

// generationTTL outlives every cached value: a generation that has run out only costs
// its family one miss.
const generationTTL = 24 * time.Hour

// dayWindow is the range of instants whose bookings and closures can affect the
// availability of local date d: starts on d, and games of up to a day from them.
func dayWindow(d domain.LocalDate, loc *time.Location) domain.Interval {
	return domain.Interval{Start: d.StartOfDay(loc), End: d.AddDays(2).StartOfDay(loc)}
}

// bookableDates returns the first and last local dates whose availability can hold a
// start at now: from yesterday (a clock change can move a start across midnight) to
// the day after the horizon. Only these days are cached.
func bookableDates(club domain.Club, now time.Time) (first, last domain.LocalDate) {
	return domain.DateOf(now, club.Location).AddDays(-1), domain.DateOf(now.Add(club.Policy.MaxHorizon), club.Location).AddDays(1)
}

// datesAffectedBy returns the cached local dates whose dayWindow overlaps iv.
func datesAffectedBy(iv domain.Interval, club domain.Club, now time.Time) []domain.LocalDate {
	first, last := bookableDates(club, now)
	if d := domain.DateOf(iv.Start, club.Location).AddDays(-1); d.After(first) {
		first = d
	}
	if d := domain.DateOf(iv.End, club.Location); d.Before(last) {
		last = d
	}
	var ds []domain.LocalDate
	for d := first; !d.After(last); d = d.AddDays(1) {
		ds = append(ds, d)
	}
	return ds
}

// catalog reads a club's configuration and day data through the cache.
type catalog struct {
	store   ports.Store
	cache   ports.Cache
	ttl     time.Duration
	dayTTL  time.Duration
	log     *slog.Logger
	zones   sync.Map // zone name → *time.Location
	loads   singleflight.Group
	decoded *lru.Cache[string, decodedValue]
}

// cached returns the value of a family, loading and storing it on a miss; concurrent
// misses of one key in this process load it once. A cache error is logged and treated
// as a miss: the store is the truth.
//
// A value under a generation never changes, so the process also keeps it decoded, keyed
// by family and generation, for the value's TTL: a request reads the generation from the
// cache (which is what invalidation changes) and skips decoding the value.
func cached[T any](ctx context.Context, c *catalog, family string, ttl time.Duration, load func() (T, error)) (T, error) {
	var v T
	gen, ok := c.generation(ctx, family)
	if !ok {
		return load()
	}
	key := family + "@" + gen
	now := time.Now()
	if m, ok := c.decoded.Get(key); ok && now.Before(m.expires) {
		return m.value.(T), nil
	}
	if b, hit, err := c.cache.Get(ctx, key); err != nil {
		c.log.WarnContext(ctx, "cache get failed", "key", key, "err", err)
	} else if hit {
		if err := json.Unmarshal(b, &v); err == nil {
			c.decoded.Add(key, decodedValue{value: v, expires: now.Add(ttl)})
			return v, nil
		}
		c.log.WarnContext(ctx, "cache value undecodable", "key", key)
	}
	// The callers sharing a load each decode their own copy of its encoding.
	shared, err, _ := c.loads.Do(key, func() (any, error) {
		v, err := load()
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("app: encode %s for the cache: %w", family, err)
		}
		if err := c.cache.Set(ctx, key, b, ttl); err != nil {
			c.log.WarnContext(ctx, "cache set failed", "key", key, "err", err)
		}
		return b, nil
	})
	if err != nil && ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// The load ran under another request's context, which ended: load for this one.
		return load()
	}
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(shared.([]byte), &v); err != nil {
		return v, fmt.Errorf("app: decode %s: %w", family, err)
	}
	c.decoded.Add(key, decodedValue{value: v, expires: now.Add(ttl)})
	return v, nil
}

// decodedValue is a cached value already decoded, shared by the requests that read it
// while its generation lives: nobody may modify it.
type decodedValue struct {
	value   any
	expires time.Time
}

// decodedEntries bounds the decoded values a process keeps: enough for the
// configuration and bookable days of a few dozen clubs.
const decodedEntries = 4096

// generation returns the current generation of a family, starting a new one if it has
// none. It must be read before the value is loaded from the store. false means the
// cache is failing: load without caching.
func (c *catalog) generation(ctx context.Context, family string) (string, bool) {
	key := family + "#gen"
	b, hit, err := c.cache.Get(ctx, key)
	if err != nil {
		c.log.WarnContext(ctx, "cache get failed", "key", key, "err", err)
		return "", false
	}
	if hit {
		return string(b), true
	}
	// Concurrent readers of this process start one generation between them, so that
	// they share the load of its value.
	gen, err, _ := c.loads.Do(key, func() (any, error) {
		gen := newGeneration()
		return gen, c.cache.Set(ctx, key, []byte(gen), generationTTL)
	})
	if err != nil {
		c.log.WarnContext(ctx, "cache set failed", "key", key, "err", err)
		return "", false
	}
	return gen.(string), true
}

func newGeneration() string {
	b := make([]byte, 9)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// invalidate deletes each family's generation once the surrounding transaction
// commits (at once outside one), before the write returns to its caller.
func (c *catalog) invalidate(ctx context.Context, families ...string) {
	keys := make([]string, len(families))
	for i, f := range families {
		keys[i] = f + "#gen"
	}
	ports.AfterCommit(ctx, func() {
		if err := c.cache.Delete(context.WithoutCancel(ctx), keys...); err != nil {
			// The old generation may be served until its values run out.
			c.log.ErrorContext(ctx, "cache invalidation failed", "families", families, "err", err)
		}
	})
}

// invalidateDays invalidates the day families that iv can affect.
func (c *catalog) invalidateDays(ctx context.Context, club domain.Club, iv domain.Interval, now time.Time) {
	dates := datesAffectedBy(iv, club, now)
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
	return domain.Court{}, domain.Errorf(domain.CodeNotFound, "court %q not found", id)
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

func (c *catalog) day(ctx context.Context, club domain.Club, d domain.LocalDate, now time.Time) (dayData, error) {
	load := func() (dayData, error) {
		w := dayWindow(d, club.Location)
		closures, err := c.store.ListClosures(ctx, club.ID, w)
		if err != nil {
			return dayData{}, err
		}
		occ, err := c.store.ListOccupancy(ctx, club.ID, w)
		return dayData{Closures: closures, Occupancy: occ}, err
	}
	if first, last := bookableDates(club, now); d.Before(first) || d.After(last) {
		return load() // nothing can be booked that day: not worth a cache entry
	}
	return cached(ctx, c, dayKey(club.ID, d), c.dayTTL, load)
}
