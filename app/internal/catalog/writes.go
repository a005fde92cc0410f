package catalog

import (
	"context"
	"time"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// SaveClub saves a club and invalidates its record under its id and under its old and
// new slugs; a change of zone moves every day's window, so it invalidates the club's
// bookable days too.
func (s *Store) SaveClub(ctx context.Context, c domain.Club) error {
	return s.Store.WithinTx(ctx, func(ctx context.Context) error {
		old, err := s.Store.GetClub(ctx, c.ID)
		replaced := err == nil
		if err != nil && domain.ErrorKind(err) != domain.KindNotFound {
			return err
		}
		if err := s.Store.SaveClub(ctx, c); err != nil {
			return err
		}
		families := []string{clubKey(c.ID), slugKey(c.Slug)}
		if replaced {
			if old.Slug != c.Slug {
				families = append(families, slugKey(old.Slug))
			}
			if old.Location.String() != c.Location.String() {
				for _, cl := range []domain.Club{old, c} {
					for _, d := range datesAffectedBy(everything, cl, s.clock.Now()) {
						families = append(families, dayKey(c.ID, d))
					}
				}
			}
		}
		s.invalidate(ctx, families...)
		return nil
	})
}

// SaveCourt saves a court and invalidates its club's courts.
func (s *Store) SaveCourt(ctx context.Context, c domain.Court) error {
	if err := s.Store.SaveCourt(ctx, c); err != nil {
		return err
	}
	s.invalidate(ctx, courtsKey(c.ClubID))
	return nil
}

// SaveSeason saves a season and invalidates its club's seasons.
func (s *Store) SaveSeason(ctx context.Context, season domain.Season) error {
	if err := s.Store.SaveSeason(ctx, season); err != nil {
		return err
	}
	s.invalidate(ctx, seasonsKey(season.ClubID))
	return nil
}

// DeleteSeason deletes a season and invalidates its club's seasons.
func (s *Store) DeleteSeason(ctx context.Context, clubID, id string) error {
	if err := s.Store.DeleteSeason(ctx, clubID, id); err != nil {
		return err
	}
	s.invalidate(ctx, seasonsKey(clubID))
	return nil
}

// SavePriceRule saves a price rule and invalidates its club's rules.
func (s *Store) SavePriceRule(ctx context.Context, r domain.PriceRule) error {
	if err := s.Store.SavePriceRule(ctx, r); err != nil {
		return err
	}
	s.invalidate(ctx, rulesKey(r.ClubID))
	return nil
}

// DeletePriceRule deletes a price rule and invalidates its club's rules.
func (s *Store) DeletePriceRule(ctx context.Context, clubID, id string) error {
	if err := s.Store.DeletePriceRule(ctx, clubID, id); err != nil {
		return err
	}
	s.invalidate(ctx, rulesKey(clubID))
	return nil
}

// SaveClosure saves a closure and invalidates the days it covers, and those the closure
// it replaces covered.
func (s *Store) SaveClosure(ctx context.Context, c domain.Closure) error {
	club, err := s.Club(ctx, c.ClubID)
	if err != nil {
		return err
	}
	return s.Store.WithinTx(ctx, func(ctx context.Context) error {
		ivs := []domain.Interval{c.Interval}
		old, found, err := s.closure(ctx, c.ClubID, c.ID)
		if err != nil {
			return err
		}
		if found {
			ivs = append(ivs, old.Interval)
		}
		if err := s.Store.SaveClosure(ctx, c); err != nil {
			return err
		}
		s.invalidateDays(ctx, club, ivs...)
		return nil
	})
}

// DeleteClosure deletes a closure and invalidates the days it covered.
func (s *Store) DeleteClosure(ctx context.Context, clubID, id string) error {
	club, err := s.Club(ctx, clubID)
	if err != nil {
		return err
	}
	return s.Store.WithinTx(ctx, func(ctx context.Context) error {
		old, found, err := s.closure(ctx, clubID, id)
		if err != nil {
			return err
		}
		if err := s.Store.DeleteClosure(ctx, clubID, id); err != nil {
			return err
		}
		if found {
			s.invalidateDays(ctx, club, old.Interval)
		}
		return nil
	})
}

// closure returns the club's closure with the id, if there is one.
func (s *Store) closure(ctx context.Context, clubID, id string) (domain.Closure, bool, error) {
	all, err := s.Store.ListClosures(ctx, clubID, everything)
	if err != nil {
		return domain.Closure{}, false, err
	}
	for _, c := range all {
		if c.ID == id {
			return c, true, nil
		}
	}
	return domain.Closure{}, false, nil
}

// everything is an interval wider than any booking system will see.
var everything = domain.Interval{Start: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}

// CreateBooking stores a booking and invalidates the days it occupies.
func (s *Store) CreateBooking(ctx context.Context, b *domain.Booking, opts ports.CreateBookingOptions) error {
	if err := s.Store.CreateBooking(ctx, b, opts); err != nil {
		return err
	}
	s.invalidateBooking(ctx, b.ClubID(), b.Interval())
	return nil
}

// UpdateBooking updates a booking and, when what it occupies changed (its status, its
// hold), invalidates the days it occupies. A change that leaves availability as it was
// (a refund recorded, a checkout opened) invalidates nothing.
func (s *Store) UpdateBooking(ctx context.Context, id string, now time.Time, fn func(b *domain.Booking) error) error {
	var clubID string
	var before, after domain.Occupancy
	err := s.Store.UpdateBooking(ctx, id, now, func(b *domain.Booking) error {
		clubID, before = b.ClubID(), b.Occupancy()
		if err := fn(b); err != nil {
			return err
		}
		after = b.Occupancy()
		return nil
	})
	if err != nil {
		return err
	}
	if !sameOccupancy(before, after) {
		s.invalidateBooking(ctx, clubID, before.Interval, after.Interval)
	}
	return nil
}

func sameOccupancy(a, b domain.Occupancy) bool {
	return a.BookingID == b.BookingID && a.CourtID == b.CourtID && a.Status == b.Status &&
		a.Interval.Start.Equal(b.Interval.Start) && a.Interval.End.Equal(b.Interval.End) &&
		a.HoldExpiresAt.Equal(b.HoldExpiresAt)
}

// invalidateBooking invalidates the days of the club that a booking's intervals can
// affect. A booking's write has happened by then, so a club that cannot be read does
// not fail it: the days around the intervals in every time zone are invalidated.
func (s *Store) invalidateBooking(ctx context.Context, clubID string, ivs ...domain.Interval) {
	club, err := s.Club(ctx, clubID)
	if err == nil {
		s.invalidateDays(ctx, club, ivs...)
		return
	}
	s.log.WarnContext(ctx, "reading a booking's club to invalidate its days failed; invalidating the days around it", "club", clubID, "err", err)
	var keys []string
	for _, iv := range ivs {
		for _, d := range datesAroundUTC(iv) {
			keys = append(keys, dayKey(clubID, d))
		}
	}
	s.invalidate(ctx, keys...)
}
