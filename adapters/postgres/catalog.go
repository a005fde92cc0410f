package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// policyDoc is the stored form of a booking policy. Durations are Go duration strings,
// which round-trip exactly and read well in psql.
type policyDoc struct {
	Granularity           string              `json:"granularity"`
	Durations             map[string][]string `json:"durations"`
	MinLead               string              `json:"min_lead"`
	MaxHorizon            string              `json:"max_horizon"`
	Hold                  string              `json:"hold"`
	CancelCutoff          string              `json:"cancel_cutoff"`
	LateRefundBasisPoints int                 `json:"late_refund_basis_points"`
	MaxActivePerCustomer  int                 `json:"max_active_per_customer"`
	// Reminder is empty in clubs stored before policies had it: they get the default.
	Reminder string `json:"reminder,omitempty"`
}

func encodePolicy(p domain.Policy) (string, error) {
	d := policyDoc{
		Granularity: p.Granularity.String(), MinLead: p.MinLead.String(), MaxHorizon: p.MaxHorizon.String(),
		Hold: p.Hold.String(), CancelCutoff: p.CancelCutoff.String(),
		LateRefundBasisPoints: p.LateRefundBasisPoints, MaxActivePerCustomer: p.MaxActivePerCustomer,
		Reminder: p.Reminder.String(),
	}
	if p.Durations != nil {
		d.Durations = make(map[string][]string, len(p.Durations))
		for sport, ds := range p.Durations {
			ss := make([]string, len(ds))
			for i, v := range ds {
				ss[i] = v.String()
			}
			d.Durations[string(sport)] = ss
		}
	}
	b, err := json.Marshal(d)
	return string(b), err
}

func decodePolicy(s string) (domain.Policy, error) {
	var d policyDoc
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return domain.Policy{}, err
	}
	var errs []error
	dur := func(s string) time.Duration {
		v, err := time.ParseDuration(s)
		errs = append(errs, err)
		return v
	}
	p := domain.Policy{
		Granularity: dur(d.Granularity), MinLead: dur(d.MinLead), MaxHorizon: dur(d.MaxHorizon),
		Hold: dur(d.Hold), CancelCutoff: dur(d.CancelCutoff),
		LateRefundBasisPoints: d.LateRefundBasisPoints, MaxActivePerCustomer: d.MaxActivePerCustomer,
		Reminder: domain.DefaultPolicy().Reminder,
	}
	if d.Reminder != "" {
		p.Reminder = dur(d.Reminder)
	}
	if d.Durations != nil {
		p.Durations = make(map[domain.Sport][]time.Duration, len(d.Durations))
		for sport, ss := range d.Durations {
			ds := make([]time.Duration, len(ss))
			for i, v := range ss {
				ds[i] = dur(v)
			}
			p.Durations[domain.Sport(sport)] = ds
		}
	}
	return p, errors.Join(errs...)
}

type clubRow struct {
	ID       string `bun:"id"`
	Slug     string `bun:"slug"`
	Name     string `bun:"name"`
	TimeZone string `bun:"time_zone"`
	Currency string `bun:"currency"`
	Policy   string `bun:"policy"`
}

func (r clubRow) club() (domain.Club, error) {
	loc, err := time.LoadLocation(r.TimeZone)
	if err != nil {
		return domain.Club{}, fmt.Errorf("postgres: club %s: %w", r.ID, err)
	}
	cur, err := domain.ParseCurrency(r.Currency)
	if err != nil {
		return domain.Club{}, fmt.Errorf("postgres: club %s: %w", r.ID, err)
	}
	pol, err := decodePolicy(r.Policy)
	if err != nil {
		return domain.Club{}, fmt.Errorf("postgres: club %s policy: %w", r.ID, err)
	}
	return domain.Club{ID: r.ID, Slug: r.Slug, Name: r.Name, Location: loc, Currency: cur, Policy: pol}, nil
}

// SaveClub creates or replaces a club; a slug taken by another club is a duplicate.
func (s *Store) SaveClub(ctx context.Context, c domain.Club) error {
	if c.Location == nil {
		return domain.Errorf(domain.CodeInvalid, "club %q has no time zone", c.ID)
	}
	pol, err := encodePolicy(c.Policy)
	if err != nil {
		return fmt.Errorf("postgres: encode policy: %w", err)
	}
	return s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		var taken []string
		if err := tx.NewRaw(`SELECT id FROM clubs WHERE slug = ? AND id <> ?`, c.Slug, c.ID).Scan(ctx, &taken); err != nil {
			return err
		}
		if len(taken) > 0 {
			return domain.Errorf(domain.CodeDuplicate, "the slug %q is taken by another club", c.Slug)
		}
		_, err := tx.NewRaw(`INSERT INTO clubs (id, slug, name, time_zone, currency, policy) VALUES (?, ?, ?, ?, ?, ?::jsonb)
			ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, name = excluded.name, time_zone = excluded.time_zone,
				currency = excluded.currency, policy = excluded.policy`,
			c.ID, c.Slug, c.Name, c.Location.String(), c.Currency.Code(), pol).Exec(ctx)
		return err
	})
}

// GetClub returns a club by id.
func (s *Store) GetClub(ctx context.Context, id string) (domain.Club, error) {
	return s.getClub(ctx, "id", id)
}

// GetClubBySlug returns a club by slug.
func (s *Store) GetClubBySlug(ctx context.Context, slug string) (domain.Club, error) {
	return s.getClub(ctx, "slug", slug)
}

// ListClubs returns every club, ordered by slug.
func (s *Store) ListClubs(ctx context.Context) ([]domain.Club, error) {
	var out []domain.Club
	err := s.read(ctx, func(ctx context.Context, db bun.IDB) error {
		var rows []clubRow
		if err := db.NewSelect().ColumnExpr(`id, slug, name, time_zone, currency, policy::text AS policy`).TableExpr("clubs").
			OrderExpr("slug COLLATE \"C\"").Scan(ctx, &rows); err != nil {
			return err
		}
		out = make([]domain.Club, 0, len(rows))
		for _, r := range rows {
			c, err := r.club()
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

func (s *Store) getClub(ctx context.Context, column, value string) (domain.Club, error) {
	var c domain.Club
	err := s.read(ctx, func(ctx context.Context, db bun.IDB) error {
		var rows []clubRow
		if err := db.NewSelect().ColumnExpr(`id, slug, name, time_zone, currency, policy::text AS policy`).TableExpr("clubs").
			Where("? = ?", bun.Ident(column), value).Scan(ctx, &rows); err != nil {
			return err
		}
		if len(rows) == 0 {
			return notFound("club %q not found", value)
		}
		var err error
		c, err = rows[0].club()
		return err
	})
	return c, err
}

type courtRow struct {
	ID      string `bun:"id"`
	ClubID  string `bun:"club_id"`
	Name    string `bun:"name"`
	Sport   string `bun:"sport"`
	Indoor  bool   `bun:"indoor"`
	Surface string `bun:"surface"`
	Active  bool   `bun:"active"`
}

func (r courtRow) court() domain.Court {
	return domain.Court{ID: r.ID, ClubID: r.ClubID, Name: r.Name, Sport: domain.Sport(r.Sport), Indoor: r.Indoor, Surface: r.Surface, Active: r.Active}
}

const courtColumns = `id, club_id, name, sport, indoor, surface, active`

// SaveCourt creates or replaces a court.
func (s *Store) SaveCourt(ctx context.Context, c domain.Court) error {
	return s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewRaw(`INSERT INTO courts (`+courtColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET club_id = excluded.club_id, name = excluded.name, sport = excluded.sport,
				indoor = excluded.indoor, surface = excluded.surface, active = excluded.active`,
			c.ID, c.ClubID, c.Name, string(c.Sport), c.Indoor, c.Surface, c.Active).Exec(ctx)
		return err
	})
}

// GetCourt returns a court of the club.
func (s *Store) GetCourt(ctx context.Context, clubID, id string) (domain.Court, error) {
	var c domain.Court
	err := s.read(ctx, func(ctx context.Context, db bun.IDB) error {
		var rows []courtRow
		if err := db.NewRaw(`SELECT `+courtColumns+` FROM courts WHERE club_id = ? AND id = ?`, clubID, id).Scan(ctx, &rows); err != nil {
			return err
		}
		if len(rows) == 0 {
			return notFound("court %q not found", id)
		}
		c = rows[0].court()
		return nil
	})
	return c, err
}

// ListCourts returns the club's courts ordered by name, then id, in byte order.
func (s *Store) ListCourts(ctx context.Context, clubID string) ([]domain.Court, error) {
	var out []domain.Court
	err := s.read(ctx, func(ctx context.Context, db bun.IDB) error {
		var rows []courtRow
		if err := db.NewSelect().ColumnExpr(courtColumns).TableExpr("courts").Where("club_id = ?", clubID).
			OrderExpr(`name COLLATE "C", id COLLATE "C"`).Scan(ctx, &rows); err != nil {
			return err
		}
		for _, r := range rows {
			out = append(out, r.court())
		}
		return nil
	})
	return nonNil(out), err
}

// SaveAPIKey stores a key; a hash stored under another key id is a duplicate. Saving
// a key id again replaces that key.
func (s *Store) SaveAPIKey(ctx context.Context, k ports.APIKey) error {
	return s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewRaw(`INSERT INTO api_keys (id, club_id, label, hash, created_at, last_used_at, revoked_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET club_id = excluded.club_id, label = excluded.label, hash = excluded.hash,
				created_at = excluded.created_at, last_used_at = excluded.last_used_at, revoked_at = excluded.revoked_at`,
			k.ID, k.ClubID, k.Label, k.Hash, k.CreatedAt.UTC(), nullTime(k.LastUsedAt), nullTime(k.RevokedAt)).Exec(ctx)
		return err
	})
}

// apiKeyColumns are the columns an apiKeyRow scans.
const apiKeyColumns = `id, club_id, label, hash, created_at, last_used_at, revoked_at`

type apiKeyRow struct {
	ID         string       `bun:"id"`
	ClubID     string       `bun:"club_id"`
	Label      string       `bun:"label"`
	Hash       string       `bun:"hash"`
	CreatedAt  time.Time    `bun:"created_at"`
	LastUsedAt sql.NullTime `bun:"last_used_at"`
	RevokedAt  sql.NullTime `bun:"revoked_at"`
}

func (r apiKeyRow) key() ports.APIKey {
	k := ports.APIKey{ID: r.ID, ClubID: r.ClubID, Label: r.Label, Hash: r.Hash, CreatedAt: r.CreatedAt.UTC()}
	if r.LastUsedAt.Valid {
		k.LastUsedAt = r.LastUsedAt.Time.UTC()
	}
	if r.RevokedAt.Valid {
		k.RevokedAt = r.RevokedAt.Time.UTC()
	}
	return k
}

// nullTime stores a zero time as NULL.
func nullTime(t time.Time) sql.NullTime {
	if t.IsZero() {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: t.UTC(), Valid: true}
}

// FindAPIKey returns the key with the hash: one lookup on its unique index.
func (s *Store) FindAPIKey(ctx context.Context, hash string) (ports.APIKey, error) {
	var k ports.APIKey
	err := s.read(ctx, func(ctx context.Context, db bun.IDB) error {
		var rows []apiKeyRow
		if err := db.NewRaw(`SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = ?`, hash).Scan(ctx, &rows); err != nil {
			return err
		}
		if len(rows) == 0 {
			return notFound("API key not found")
		}
		k = rows[0].key()
		return nil
	})
	return k, err
}

// ListAPIKeys returns the club's keys ordered by creation time, then id.
func (s *Store) ListAPIKeys(ctx context.Context, clubID string) ([]ports.APIKey, error) {
	var out []ports.APIKey
	err := s.read(ctx, func(ctx context.Context, db bun.IDB) error {
		var rows []apiKeyRow
		if err := db.NewRaw(`SELECT `+apiKeyColumns+` FROM api_keys WHERE club_id = ?
			ORDER BY created_at, id COLLATE "C"`, clubID).Scan(ctx, &rows); err != nil {
			return err
		}
		for _, r := range rows {
			out = append(out, r.key())
		}
		return nil
	})
	return nonNil(out), err
}

// RevokeAPIKey revokes a key of the club; a revoked key keeps its first revocation time.
func (s *Store) RevokeAPIKey(ctx context.Context, clubID, id string, at time.Time) error {
	return s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewRaw(`UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE club_id = ? AND id = ?`,
			at.UTC(), clubID, id).Exec(ctx)
		if err != nil {
			return err
		}
		n, err := rowsAffected(res)
		if err == nil && n == 0 {
			return notFound("API key %q not found", id)
		}
		return err
	})
}

// TouchAPIKey moves the key's last use forward to at; it never moves it back.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	return s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewRaw(`UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
			at.UTC(), id, at.UTC()).Exec(ctx)
		return err
	})
}

// RecordPaymentEvent records a provider's event id and reports whether it was new.
// Of two calls racing with one event, the second waits for the first and sees it.
func (s *Store) RecordPaymentEvent(ctx context.Context, provider, eventID string, at time.Time) (bool, error) {
	fresh := false
	err := s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewRaw(`INSERT INTO payment_events (provider, event_id, processed_at) VALUES (?, ?, ?)
			ON CONFLICT (provider, event_id) DO NOTHING`, provider, eventID, at.UTC()).Exec(ctx)
		if err != nil {
			return err
		}
		n, err := rowsAffected(res)
		fresh = n == 1
		return err
	})
	return fresh && err == nil, err
}

// deleteByID deletes a club's row from table, or returns not_found.
func (s *Store) deleteByID(ctx context.Context, table, what, clubID, id string) error {
	return s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewRaw(`DELETE FROM ? WHERE club_id = ? AND id = ?`, bun.Ident(table), clubID, id).Exec(ctx)
		if err != nil {
			return err
		}
		n, err := rowsAffected(res)
		if err == nil && n == 0 {
			return notFound("%s %q not found", what, id)
		}
		return err
	})
}
