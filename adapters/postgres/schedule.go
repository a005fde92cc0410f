package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/domain"
)

type seasonRow struct {
	ID       string    `bun:"id"`
	ClubID   string    `bun:"club_id"`
	Name     string    `bun:"name"`
	FirstDay time.Time `bun:"first_day"`
	LastDay  time.Time `bun:"last_day"`
	Week     string    `bun:"week"`
}

func (r seasonRow) season() (domain.Season, error) {
	s := domain.Season{ID: r.ID, ClubID: r.ClubID, Name: r.Name, From: dateOf(r.FirstDay), To: dateOf(r.LastDay)}
	var week []*domain.Hours
	if err := json.Unmarshal([]byte(r.Week), &week); err != nil || len(week) != len(s.Week) {
		return domain.Season{}, fmt.Errorf("postgres: season %s has bad opening hours: %v", r.ID, err)
	}
	copy(s.Week[:], week)
	return s, nil
}

// dateOf returns the civil date a date column holds, whatever zone the driver gave it.
func dateOf(t time.Time) domain.LocalDate {
	y, m, d := t.Date()
	ld, _ := domain.NewLocalDate(y, m, d)
	return ld
}

const seasonColumns = `id, club_id, name, first_day, last_day, week::text AS week`

// SaveSeason creates or replaces a season unless it shares a day with another season
// of its club. The check comes first for a precise message; the exclusion constraint
// seasons_no_overlap makes it hold under concurrency.
func (s *Store) SaveSeason(ctx context.Context, season domain.Season) error {
	week, err := json.Marshal(season.Week[:])
	if err != nil {
		return fmt.Errorf("postgres: encode opening hours: %w", err)
	}
	return s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		var rows []seasonRow
		if err := tx.NewRaw(`SELECT `+seasonColumns+` FROM seasons
			WHERE club_id = ? AND id <> ? AND daterange(first_day, last_day, '[]') && daterange(?, ?, '[]')`,
			season.ClubID, season.ID, season.From.String(), season.To.String()).Scan(ctx, &rows); err != nil {
			return err
		}
		others := make([]domain.Season, 0, len(rows))
		for _, r := range rows {
			o, err := r.season()
			if err != nil {
				return err
			}
			others = append(others, o)
		}
		if err := domain.CheckSeasonOverlap(season, others); err != nil {
			return err
		}
		_, err := tx.NewRaw(`INSERT INTO seasons (id, club_id, name, first_day, last_day, week) VALUES (?, ?, ?, ?, ?, ?::jsonb)
			ON CONFLICT (id) DO UPDATE SET club_id = excluded.club_id, name = excluded.name, first_day = excluded.first_day,
				last_day = excluded.last_day, week = excluded.week`,
			season.ID, season.ClubID, season.Name, season.From.String(), season.To.String(), string(week)).Exec(ctx)
		return err
	})
}

// DeleteSeason removes a season.
func (s *Store) DeleteSeason(ctx context.Context, clubID, id string) error {
	return s.deleteByID(ctx, "seasons", "season", clubID, id)
}

// ListSeasons returns the club's seasons ordered by first day.
func (s *Store) ListSeasons(ctx context.Context, clubID string) ([]domain.Season, error) {
	var out []domain.Season
	err := s.read(ctx, func(ctx context.Context, db bun.IDB) error {
		var rows []seasonRow
		if err := db.NewSelect().ColumnExpr(seasonColumns).TableExpr("seasons").Where("club_id = ?", clubID).
			OrderExpr(`first_day, id COLLATE "C"`).Scan(ctx, &rows); err != nil {
			return err
		}
		for _, r := range rows {
			season, err := r.season()
			if err != nil {
				return err
			}
			out = append(out, season)
		}
		return nil
	})
	return nonNil(out), err
}

type closureRow struct {
	ID      string    `bun:"id"`
	ClubID  string    `bun:"club_id"`
	CourtID string    `bun:"court_id"`
	Start   time.Time `bun:"starts_at"`
	End     time.Time `bun:"ends_at"`
	Reason  string    `bun:"reason"`
}

// SaveClosure creates or replaces a closure.
func (s *Store) SaveClosure(ctx context.Context, c domain.Closure) error {
	return s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewRaw(`INSERT INTO closures (id, club_id, court_id, during, reason) VALUES (?, ?, NULLIF(?, ''), tstzrange(?, ?, '[)'), ?)
			ON CONFLICT (id) DO UPDATE SET club_id = excluded.club_id, court_id = excluded.court_id, during = excluded.during,
				reason = excluded.reason`,
			c.ID, c.ClubID, c.CourtID, c.Interval.Start.UTC(), c.Interval.End.UTC(), c.Reason).Exec(ctx)
		return err
	})
}

// DeleteClosure removes a closure.
func (s *Store) DeleteClosure(ctx context.Context, clubID, id string) error {
	return s.deleteByID(ctx, "closures", "closure", clubID, id)
}

// ListClosures returns the club's closures that overlap iv, ordered by start.
func (s *Store) ListClosures(ctx context.Context, clubID string, iv domain.Interval) ([]domain.Closure, error) {
	var out []domain.Closure
	err := s.read(ctx, func(ctx context.Context, db bun.IDB) error {
		var rows []closureRow
		if err := db.NewSelect().
			ColumnExpr(`id, club_id, coalesce(court_id, '') AS court_id, lower(during) AS starts_at, upper(during) AS ends_at, reason`).
			TableExpr("closures").Where("club_id = ?", clubID).Where("during && tstzrange(?, ?, '[)')", iv.Start.UTC(), iv.End.UTC()).
			OrderExpr(`lower(during), id COLLATE "C"`).Scan(ctx, &rows); err != nil {
			return err
		}
		for _, r := range rows {
			out = append(out, domain.Closure{ID: r.ID, ClubID: r.ClubID, CourtID: r.CourtID,
				Interval: domain.Interval{Start: r.Start.UTC(), End: r.End.UTC()}, Reason: r.Reason})
		}
		return nil
	})
	return nonNil(out), err
}

type priceRuleRow struct {
	ID         string `bun:"id"`
	ClubID     string `bun:"club_id"`
	Name       string `bun:"name"`
	Sport      string `bun:"sport"`
	CourtID    string `bun:"court_id"`
	SeasonID   string `bun:"season_id"`
	Weekdays   int    `bun:"weekdays"`
	WindowFrom int    `bun:"window_from"`
	WindowTo   int    `bun:"window_to"`
	Category   string `bun:"category"`
	Priority   int    `bun:"priority"`
	RateAmount int64  `bun:"rate_amount"`
	Currency   string `bun:"currency"`
}

const priceRuleColumns = `id, club_id, name, sport, court_id, season_id, weekdays, window_from, window_to, category, priority, rate_amount, currency`

// SavePriceRule creates or replaces a price rule.
func (s *Store) SavePriceRule(ctx context.Context, r domain.PriceRule) error {
	return s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewRaw(`INSERT INTO price_rules (`+priceRuleColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET club_id = excluded.club_id, name = excluded.name, sport = excluded.sport,
				court_id = excluded.court_id, season_id = excluded.season_id, weekdays = excluded.weekdays,
				window_from = excluded.window_from, window_to = excluded.window_to, category = excluded.category,
				priority = excluded.priority, rate_amount = excluded.rate_amount, currency = excluded.currency`,
			r.ID, r.ClubID, r.Name, string(r.Sport), r.CourtID, r.SeasonID, int(r.Weekdays), r.Window.From.Minutes(),
			r.Window.To.Minutes(), string(r.Category), r.Priority, r.Rate.Amount(), r.Rate.Currency().Code()).Exec(ctx)
		return err
	})
}

// DeletePriceRule removes a price rule.
func (s *Store) DeletePriceRule(ctx context.Context, clubID, id string) error {
	return s.deleteByID(ctx, "price_rules", "price rule", clubID, id)
}

// ListPriceRules returns the club's price rules ordered by id, in byte order.
func (s *Store) ListPriceRules(ctx context.Context, clubID string) ([]domain.PriceRule, error) {
	var out []domain.PriceRule
	err := s.read(ctx, func(ctx context.Context, db bun.IDB) error {
		var rows []priceRuleRow
		if err := db.NewSelect().ColumnExpr(priceRuleColumns).TableExpr("price_rules").Where("club_id = ?", clubID).
			OrderExpr(`id COLLATE "C"`).Scan(ctx, &rows); err != nil {
			return err
		}
		for _, r := range rows {
			cur, err := currency(r.Currency)
			if err != nil {
				return err
			}
			out = append(out, domain.PriceRule{
				ID: r.ID, ClubID: r.ClubID, Name: r.Name, Sport: domain.Sport(r.Sport), CourtID: r.CourtID,
				SeasonID: r.SeasonID, Weekdays: domain.Weekdays(r.Weekdays),
				Window:   domain.Window{From: domain.ClockTime(r.WindowFrom), To: domain.ClockTime(r.WindowTo)},
				Category: domain.CustomerCategory(r.Category), Priority: r.Priority, Rate: domain.NewMoney(r.RateAmount, cur),
			})
		}
		return nil
	})
	return nonNil(out), err
}

// currency parses a stored ISO 4217 code; an empty code is the zero Currency.
func currency(code string) (domain.Currency, error) {
	if code == "" {
		return domain.Currency{}, nil
	}
	c, err := domain.ParseCurrency(code)
	if err != nil {
		return domain.Currency{}, fmt.Errorf("postgres: stored currency: %w", err)
	}
	return c, nil
}
