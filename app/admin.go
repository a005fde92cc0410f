package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// Admin holds a club's administration use cases: setting up a club, its courts,
// seasons, closures and price rules, reading its bookings, and its club reports
// (RequestReport, Report, ListReports). Every write invalidates the cached entries it
// affects once it commits (the store the use cases hold does it). Its List methods of
// the club's configuration and bookings may be served from a read replica; reports are
// read from the primary.
type Admin struct{ *core }

// apiKeyPrefix marks Match Point admin keys, so that a leaked one is recognisable.
const apiKeyPrefix = "mpk_"

// Authenticate returns the club an admin API key belongs to. A missing, unknown or
// revoked key is unauthorized; a key of another club is forbidden. It reads the key by
// its hash and records the key's use at most once a minute, so that an admin request
// costs one indexed read and, now and then, one small write.
func (a *Admin) Authenticate(ctx context.Context, clubSlug, key string) (domain.Club, error) {
	if key == "" {
		return domain.Club{}, domain.Errorf(domain.CodeUnauthorized, "an API key is required")
	}
	forbidden := domain.Errorf(domain.CodeForbidden, "this API key may not administer club %q", clubSlug)
	k, err := a.Store.FindAPIKey(ctx, hashToken(key))
	if domain.ErrorKind(err) == domain.KindNotFound {
		return domain.Club{}, domain.Errorf(domain.CodeUnauthorized, "the API key is not valid")
	}
	if err != nil {
		return domain.Club{}, err
	}
	if k.Revoked() {
		return domain.Club{}, domain.Errorf(domain.CodeUnauthorized, "the API key has been revoked")
	}
	club, err := a.catalog.ClubBySlug(ctx, clubSlug)
	if domain.ErrorKind(err) == domain.KindNotFound {
		return domain.Club{}, forbidden
	}
	if err != nil {
		return domain.Club{}, err
	}
	if k.ClubID != club.ID {
		return domain.Club{}, forbidden
	}
	if now := a.Clock.Now(); now.Sub(k.LastUsedAt) >= apiKeyTouchEvery {
		// A failed touch costs the operator a less precise "last used", not the
		// request: it is logged and the request goes on.
		if err := a.Store.TouchAPIKey(ctx, k.ID, now); err != nil {
			a.Logger.WarnContext(ctx, "record an API key's use", "key", k.ID, "err", err)
		}
	}
	return club, nil
}

// apiKeyTouchEvery is how stale a key's last-used time may get: a key used
// continuously is written once a minute, not on every request.
const apiKeyTouchEvery = time.Minute

// CreateClubCommand describes a new club. Zone and Currency are names, as a form, a
// request body or a command line gives them, not the *time.Location and domain.Currency
// a domain.Club holds: CreateClub parses them as domain.NewClub does, so that an unknown
// zone or currency is the use case's invalid error like any other bad field. A
// *time.Location would also let through time.Local or a fixed offset, which are not
// IANA zones a club can be stored by.
type CreateClubCommand struct {
	Slug     string
	Name     string
	Zone     string // IANA zone name, e.g. America/Argentina/Buenos_Aires
	Currency string // ISO 4217 code, e.g. ARS
	Policy   domain.Policy
}

// CreatedClub is a new club and its first admin API key.
type CreatedClub struct {
	Club   domain.Club
	APIKey string // in clear, returned this once: only its hash is stored
}

// CreateClub creates a club and its first admin API key, returned once in clear.
func (a *Admin) CreateClub(ctx context.Context, cmd CreateClubCommand) (CreatedClub, error) {
	club, err := domain.NewClub(a.IDs.NewID(), cmd.Slug, cmd.Name, cmd.Zone, cmd.Currency, cmd.Policy)
	if err != nil {
		return CreatedClub{}, err
	}
	var key string
	err = a.Store.WithinTx(ctx, func(ctx context.Context) error {
		if err := a.Store.SaveClub(ctx, club); err != nil {
			return err
		}
		key, err = a.issueKey(ctx, club.ID, "initial")
		return err
	})
	if err != nil {
		return CreatedClub{}, err
	}
	return CreatedClub{Club: club, APIKey: key}, nil
}

// Club returns the club with the slug, read from the store rather than the cache: it
// serves operators' tools, which act on what is stored. An unknown slug is not_found.
func (a *Admin) Club(ctx context.Context, slug string) (domain.Club, error) {
	return a.Store.GetClubBySlug(ctx, slug)
}

// maxAPIKeyLabel bounds a key's label, in characters.
const maxAPIKeyLabel = 100

// IssueAPIKey creates another admin API key for a club, labelled with what it is for;
// the key is returned once and only its hash is stored.
func (a *Admin) IssueAPIKey(ctx context.Context, club domain.Club, label string) (string, error) {
	label = strings.TrimSpace(label)
	if label == "" || utf8.RuneCountInString(label) > maxAPIKeyLabel {
		return "", domain.Errorf(domain.CodeInvalid, "an API key needs a label of 1 to %d characters saying what it is for", maxAPIKeyLabel)
	}
	return a.issueKey(ctx, club.ID, label)
}

// ListAPIKeys returns the club's admin API keys, revoked ones included, oldest first.
// Only hashes are stored: the keys themselves cannot be listed.
func (a *Admin) ListAPIKeys(ctx context.Context, club domain.Club) ([]ports.APIKey, error) {
	return a.Store.ListAPIKeys(ctx, club.ID)
}

// RevokeAPIKey revokes one of the club's admin API keys: from then on it is
// unauthorized. Revoking a revoked key changes nothing.
func (a *Admin) RevokeAPIKey(ctx context.Context, club domain.Club, id string) error {
	return a.Store.RevokeAPIKey(ctx, club.ID, id, a.Clock.Now())
}

func (a *Admin) issueKey(ctx context.Context, clubID, label string) (string, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", err
	}
	key := apiKeyPrefix + base64.RawURLEncoding.EncodeToString(secret)
	err := a.Store.SaveAPIKey(ctx, ports.APIKey{ID: a.IDs.NewID(), ClubID: clubID, Label: label, Hash: hashToken(key), CreatedAt: a.Clock.Now()})
	return key, err
}

// SaveCourt creates a court (empty ID) or replaces one of the club's courts.
func (a *Admin) SaveCourt(ctx context.Context, club domain.Club, c domain.Court) (domain.Court, error) {
	if c.ID == "" {
		c.ID = a.IDs.NewID()
	} else if _, err := a.Store.GetCourt(ctx, club.ID, c.ID); err != nil {
		return domain.Court{}, err
	}
	c.ClubID, c.Name, c.Surface = club.ID, strings.TrimSpace(c.Name), strings.TrimSpace(c.Surface)
	if err := c.Validate(); err != nil {
		return domain.Court{}, err
	}
	return c, a.Store.SaveCourt(ctx, c)
}

// ListCourts returns the club's courts.
func (a *Admin) ListCourts(ctx context.Context, club domain.Club) ([]domain.Court, error) {
	return a.Store.ListCourts(ports.ReplicaReadsOK(ctx), club.ID)
}

// SaveSeason creates a season (empty ID) or replaces one; seasons may not overlap.
func (a *Admin) SaveSeason(ctx context.Context, club domain.Club, s domain.Season) (domain.Season, error) {
	if s.ID == "" {
		s.ID = a.IDs.NewID()
	} else {
		seasons, err := a.Store.ListSeasons(ctx, club.ID)
		if err := owned(seasons, err, s.ID, func(s domain.Season) string { return s.ID }); err != nil {
			return domain.Season{}, err
		}
	}
	s.ClubID, s.Name = club.ID, strings.TrimSpace(s.Name)
	if err := s.Validate(club); err != nil {
		return domain.Season{}, err
	}
	return s, a.Store.SaveSeason(ctx, s)
}

// DeleteSeason removes a season of the club.
func (a *Admin) DeleteSeason(ctx context.Context, club domain.Club, id string) error {
	return a.Store.DeleteSeason(ctx, club.ID, id)
}

// ListSeasons returns the club's seasons.
func (a *Admin) ListSeasons(ctx context.Context, club domain.Club) ([]domain.Season, error) {
	return a.Store.ListSeasons(ports.ReplicaReadsOK(ctx), club.ID)
}

// SaveClosure creates a closure (empty ID) or replaces one of the club's closures.
func (a *Admin) SaveClosure(ctx context.Context, club domain.Club, c domain.Closure) (domain.Closure, error) {
	if c.ID == "" {
		c.ID = a.IDs.NewID()
	} else if _, err := a.closure(ctx, club, c.ID); err != nil {
		return domain.Closure{}, err // another club's closure is not found either
	}
	if c.CourtID != "" {
		if _, err := a.Store.GetCourt(ctx, club.ID, c.CourtID); err != nil {
			return domain.Closure{}, err
		}
	}
	c.ClubID = club.ID
	c.Interval.Start, c.Interval.End = c.Interval.Start.UTC(), c.Interval.End.UTC()
	if err := c.Validate(); err != nil {
		return domain.Closure{}, err
	}
	return c, a.Store.SaveClosure(ctx, c)
}

// DeleteClosure removes a closure of the club.
func (a *Admin) DeleteClosure(ctx context.Context, club domain.Club, id string) error {
	return a.Store.DeleteClosure(ctx, club.ID, id)
}

// closure returns one of the club's closures.
func (a *Admin) closure(ctx context.Context, club domain.Club, id string) (domain.Closure, error) {
	all, err := a.Store.ListClosures(ctx, club.ID, everything)
	if err != nil {
		return domain.Closure{}, err
	}
	for _, c := range all {
		if c.ID == id {
			return c, nil
		}
	}
	return domain.Closure{}, domain.Errorf(domain.CodeNotFound, "closure %q not found", id)
}

// ListClosures returns the club's closures that overlap [from, to); zero bounds are open.
func (a *Admin) ListClosures(ctx context.Context, club domain.Club, from, to time.Time) ([]domain.Closure, error) {
	if err := checkBounds(from, to); err != nil {
		return nil, err
	}
	iv := everything
	if !from.IsZero() {
		iv.Start = from
	}
	if !to.IsZero() {
		iv.End = to
	}
	return a.Store.ListClosures(ports.ReplicaReadsOK(ctx), club.ID, iv)
}

// checkBounds refuses the bounds of a listing that lie outside the era Match Point
// accepts; a zero bound is no bound.
func checkBounds(from, to time.Time) error {
	if !from.IsZero() {
		if err := domain.CheckInstant("from", from); err != nil {
			return err
		}
	}
	if !to.IsZero() {
		return domain.CheckInstant("to", to)
	}
	return nil
}

// everything is an interval wider than any booking system will see.
var everything = domain.Interval{Start: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}

// SavePriceRule creates a price rule (empty ID) or replaces one of the club's rules.
func (a *Admin) SavePriceRule(ctx context.Context, club domain.Club, r domain.PriceRule) (domain.PriceRule, error) {
	if r.ID == "" {
		r.ID = a.IDs.NewID()
	} else {
		rules, err := a.Store.ListPriceRules(ctx, club.ID)
		if err := owned(rules, err, r.ID, func(r domain.PriceRule) string { return r.ID }); err != nil {
			return domain.PriceRule{}, err
		}
	}
	r.ClubID = club.ID
	if r.CourtID != "" {
		if _, err := a.Store.GetCourt(ctx, club.ID, r.CourtID); err != nil {
			return domain.PriceRule{}, err
		}
	}
	if r.SeasonID != "" {
		// As with a court, a season of another club is one this club does not have.
		seasons, err := a.Store.ListSeasons(ctx, club.ID)
		if err != nil {
			return domain.PriceRule{}, err
		}
		if !slices.ContainsFunc(seasons, func(s domain.Season) bool { return s.ID == r.SeasonID }) {
			return domain.PriceRule{}, domain.Errorf(domain.CodeNotFound, "season %q not found", r.SeasonID)
		}
	}
	if err := r.Validate(club); err != nil {
		return domain.PriceRule{}, err
	}
	return r, a.Store.SavePriceRule(ctx, r)
}

// DeletePriceRule removes a price rule of the club.
func (a *Admin) DeletePriceRule(ctx context.Context, club domain.Club, id string) error {
	return a.Store.DeletePriceRule(ctx, club.ID, id)
}

// ListPriceRules returns the club's price rules.
func (a *Admin) ListPriceRules(ctx context.Context, club domain.Club) ([]domain.PriceRule, error) {
	return a.Store.ListPriceRules(ports.ReplicaReadsOK(ctx), club.ID)
}

// ListBookings returns the club's bookings a filter selects (its ClubID is the club's).
func (a *Admin) ListBookings(ctx context.Context, club domain.Club, f ports.BookingFilter) ([]*domain.Booking, error) {
	f.ClubID = club.ID
	if err := checkBounds(f.From, f.To); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	return a.Store.ListBookings(ports.ReplicaReadsOK(ctx), f)
}

// MarkNoShow records that the customer of a confirmed booking of the club did not come;
// it may be done once the booking has started.
func (a *Admin) MarkNoShow(ctx context.Context, club domain.Club, id string) (*domain.Booking, error) {
	var out *domain.Booking
	now := a.Clock.Now()
	err := a.Store.UpdateBooking(ctx, id, now, func(b *domain.Booking) error {
		if b.ClubID() != club.ID {
			return domain.Errorf(domain.CodeNotFound, "booking %q not found", id)
		}
		out = b
		return b.MarkNoShow(now)
	})
	if err == nil {
		a.Metrics.Booking(ports.BookingNoShow)
	}
	return out, err
}

// owned returns not_found unless one of items, as a list call returned them (with its
// error), has the id.
func owned[T any](items []T, err error, id string, idOf func(T) string) error {
	if err != nil {
		return err
	}
	if slices.ContainsFunc(items, func(x T) bool { return idOf(x) == id }) {
		return nil
	}
	return domain.Errorf(domain.CodeNotFound, "%q not found", id)
}
