package memory

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// defaultLimit is the number of bookings ListBookings returns when the filter sets none.
const defaultLimit = 100

// CreateBooking stores a new booking at version 1 unless its id or idempotency key is
// taken, an active booking holds its court, or the customer has too many active
// bookings. On success b itself is at version 1.
func (s *Store) CreateBooking(ctx context.Context, b *domain.Booking, opts ports.CreateBookingOptions) error {
	if b == nil {
		return domain.Errorf(domain.CodeInvalid, "no booking to create")
	}
	r := copyRecord(b.Record())
	if r.ID == "" {
		return domain.Errorf(domain.CodeInvalid, "booking id is empty")
	}
	r.Version = 1
	t := s.bookings
	err := s.write(ctx, func(u *undoLog) error {
		if _, ok := t.byID[r.ID]; ok {
			return duplicate("a booking with id %q exists", r.ID)
		}
		if r.IdempotencyKey != "" {
			if _, ok := t.byKey[clubKey{r.ClubID, r.IdempotencyKey}]; ok {
				return duplicate("a booking with idempotency key %q exists", r.IdempotencyKey)
			}
		}
		if _, ok := t.activeOverlap(r, opts.Now); ok {
			return slotUnavailable(r)
		}
		if most := opts.MaxActivePerCustomer; most > 0 && t.countActive(r.ClubID, r.Customer.Email, opts.Now)+1 > most {
			return domain.Errorf(domain.CodeTooManyActive, "a customer may hold at most %d active bookings", most)
		}
		t.put(u, r)
		return nil
	})
	if err != nil {
		return err
	}
	created, err := domain.RestoreBooking(copyRecord(r))
	if err != nil {
		return err
	}
	*b = *created
	return nil
}

// GetBooking returns a booking by id.
func (s *Store) GetBooking(ctx context.Context, id string) (*domain.Booking, error) {
	var b *domain.Booking
	err := s.read(ctx, func() error {
		r, ok := s.bookings.byID[id]
		if !ok {
			return notFound("booking %q not found", id)
		}
		var err error
		b, err = domain.RestoreBooking(copyRecord(r))
		return err
	})
	return b, err
}

// UpdateBooking loads a booking, lets fn change it and stores the result one version
// up, with the store locked throughout: fn must not call the store. The booking fn
// changed is left at the stored version. A booking keeps its id and club; a change of
// idempotency key must not take another booking's.
func (s *Store) UpdateBooking(ctx context.Context, id string, now time.Time, fn func(b *domain.Booking) error) error {
	t := s.bookings
	var b *domain.Booking
	var stored domain.BookingRecord
	err := s.write(ctx, func(u *undoLog) error {
		old, ok := t.byID[id]
		if !ok {
			return notFound("booking %q not found", id)
		}
		var err error
		if b, err = domain.RestoreBooking(copyRecord(old)); err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
		r := copyRecord(b.Record())
		if r.ID != old.ID || r.ClubID != old.ClubID {
			return domain.Errorf(domain.CodeInternal, "an update may not change a booking's id or club")
		}
		if r.IdempotencyKey != old.IdempotencyKey && r.IdempotencyKey != "" {
			if _, ok := t.byKey[clubKey{r.ClubID, r.IdempotencyKey}]; ok {
				return duplicate("a booking with idempotency key %q exists", r.IdempotencyKey)
			}
		}
		if domain.IsActive(r.Status, r.HoldExpiresAt, now) {
			if _, ok := t.activeOverlap(r, now); ok {
				return slotUnavailable(r)
			}
		}
		r.Version = old.Version + 1
		t.put(u, r)
		stored = r
		return nil
	})
	if err != nil {
		return err
	}
	updated, err := domain.RestoreBooking(copyRecord(stored))
	if err != nil {
		return err
	}
	*b = *updated
	return nil
}

// FindBookingByIdempotencyKey returns the club's booking made with key.
func (s *Store) FindBookingByIdempotencyKey(ctx context.Context, clubID, key string) (*domain.Booking, error) {
	var b *domain.Booking
	err := s.read(ctx, func() error {
		id, ok := s.bookings.byKey[clubKey{clubID, key}]
		if !ok {
			return notFound("no booking with idempotency key %q", key)
		}
		var err error
		b, err = domain.RestoreBooking(copyRecord(s.bookings.byID[id]))
		return err
	})
	return b, err
}

// ListOccupancy returns what the club's bookings overlapping iv occupy, in any state,
// ordered by start.
func (s *Store) ListOccupancy(ctx context.Context, clubID string, iv domain.Interval) ([]domain.Occupancy, error) {
	var out []domain.Occupancy
	err := s.read(ctx, func() error {
		for courtID := range s.bookings.byClub[clubID] {
			s.bookings.overlapping(clubID, courtID, iv, func(r domain.BookingRecord) {
				out = append(out, domain.Occupancy{BookingID: r.ID, CourtID: r.CourtID, Interval: r.Interval, Status: r.Status, HoldExpiresAt: r.HoldExpiresAt})
			})
		}
		slices.SortFunc(out, func(a, b domain.Occupancy) int {
			return cmp.Or(a.Interval.Start.Compare(b.Interval.Start), strings.Compare(a.BookingID, b.BookingID))
		})
		return nil
	})
	return nonNil(out), err
}

// ListBookings returns the bookings f selects, ordered by start, then id.
func (s *Store) ListBookings(ctx context.Context, f ports.BookingFilter) ([]*domain.Booking, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	var out []*domain.Booking
	err := s.read(ctx, func() error {
		t := s.bookings
		var found []domain.BookingRecord
		visit := func(ci *courtIndex) {
			for _, e := range ci.between(f.From, f.To) {
				r := t.byID[e.id]
				if (f.Status == "" || r.Status == f.Status) && (f.From.IsZero() || r.Interval.End.After(f.From)) &&
					(f.CreatedBefore.IsZero() || r.CreatedAt.Before(f.CreatedBefore)) &&
					(f.CreatedAfter.IsZero() || !r.CreatedAt.Before(f.CreatedAfter)) {
					found = append(found, r)
				}
			}
		}
		for clubID, courts := range t.byClub {
			if f.ClubID != "" && clubID != f.ClubID {
				continue
			}
			for courtID, ci := range courts {
				if f.CourtID == "" || courtID == f.CourtID {
					visit(ci)
				}
			}
		}
		slices.SortFunc(found, func(a, b domain.BookingRecord) int {
			return cmp.Or(a.Interval.Start.Compare(b.Interval.Start), strings.Compare(a.ID, b.ID))
		})
		out = make([]*domain.Booking, 0, min(len(found), limit))
		for _, r := range found[:min(len(found), limit)] {
			b, err := domain.RestoreBooking(copyRecord(r))
			if err != nil {
				return err
			}
			out = append(out, b)
		}
		return nil
	})
	return out, err
}

// ListExpiredHolds returns the ids of pending bookings whose hold ended at or before
// now, the earliest hold first, at most limit of them.
func (s *Store) ListExpiredHolds(ctx context.Context, now time.Time, limit int) ([]string, error) {
	var ids []string
	err := s.read(ctx, func() error {
		var expired []domain.BookingRecord
		for id := range s.bookings.pending {
			if r := s.bookings.byID[id]; !r.HoldExpiresAt.After(now) {
				expired = append(expired, r)
			}
		}
		slices.SortFunc(expired, func(a, b domain.BookingRecord) int {
			return cmp.Or(a.HoldExpiresAt.Compare(b.HoldExpiresAt), strings.Compare(a.ID, b.ID))
		})
		ids = make([]string, 0, min(len(expired), max(limit, 0)))
		for _, r := range expired[:min(len(expired), max(limit, 0))] {
			ids = append(ids, r.ID)
		}
		return nil
	})
	return ids, err
}

func slotUnavailable(r domain.BookingRecord) error {
	return domain.Errorf(domain.CodeSlotUnavailable, "the court is already booked between %s and %s",
		r.Interval.Start.Format(time.RFC3339), r.Interval.End.Format(time.RFC3339))
}

// copyRecord returns r with its own quote lines.
func copyRecord(r domain.BookingRecord) domain.BookingRecord {
	r.Quote.Lines = slices.Clone(r.Quote.Lines)
	return r
}
