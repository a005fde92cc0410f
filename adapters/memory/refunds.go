package memory

import (
	"cmp"
	"context"
	"slices"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// refundTable holds the refunds: by id, and each club's idempotency keys.
type refundTable struct {
	byID  map[string]domain.RefundRecord
	byKey map[clubKey]string // (club, idempotency key) → refund id
}

func newRefundTable() *refundTable {
	return &refundTable{byID: make(map[string]domain.RefundRecord), byKey: make(map[clubKey]string)}
}

// SaveRefund stores a new refund unless its id or its club's idempotency key is taken.
func (s *Store) SaveRefund(ctx context.Context, r *domain.Refund) error {
	if r == nil {
		return domain.Errorf(domain.CodeInvalid, "no refund to save")
	}
	rec := r.Record()
	t := s.refunds
	return s.write(ctx, func(u *undoLog) error {
		if _, ok := t.byID[rec.ID]; ok {
			return duplicate("a refund with id %q exists", rec.ID)
		}
		k := clubKey{rec.ClubID, rec.IdempotencyKey}
		if _, ok := t.byKey[k]; ok {
			return duplicate("a refund with idempotency key %q exists", rec.IdempotencyKey)
		}
		put(u, t.byID, rec.ID, rec)
		put(u, t.byKey, k, rec.ID)
		return nil
	})
}

// GetRefund returns a refund by id.
func (s *Store) GetRefund(ctx context.Context, id string) (*domain.Refund, error) {
	var r *domain.Refund
	err := s.read(ctx, func() error {
		rec, ok := s.refunds.byID[id]
		if !ok {
			return notFound("refund %q not found", id)
		}
		var err error
		r, err = domain.RestoreRefund(rec)
		return err
	})
	return r, err
}

// UpdateRefund loads a refund, lets fn change it and stores the result, with the
// store locked throughout: fn must not call the store.
func (s *Store) UpdateRefund(ctx context.Context, id string, fn func(r *domain.Refund) error) error {
	t := s.refunds
	return s.write(ctx, func(u *undoLog) error {
		old, ok := t.byID[id]
		if !ok {
			return notFound("refund %q not found", id)
		}
		r, err := domain.RestoreRefund(old)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
		rec := r.Record()
		if rec.ID != old.ID || rec.ClubID != old.ClubID || rec.IdempotencyKey != old.IdempotencyKey {
			return domain.Errorf(domain.CodeInternal, "an update may not change a refund's id, club or idempotency key")
		}
		put(u, t.byID, id, rec)
		return nil
	})
}

// ListRefunds returns the refunds a filter selects: due ones by next attempt, others
// newest first.
func (s *Store) ListRefunds(ctx context.Context, f ports.RefundFilter) ([]*domain.Refund, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	var out []*domain.Refund
	err := s.read(ctx, func() error {
		var recs []domain.RefundRecord
		for _, r := range s.refunds.byID {
			switch {
			case f.ClubID != "" && r.ClubID != f.ClubID,
				f.State != "" && r.State != f.State,
				!f.DueBefore.IsZero() && (r.NextAttemptAt.IsZero() || r.NextAttemptAt.After(f.DueBefore)):
				continue
			}
			recs = append(recs, r)
		}
		if f.DueBefore.IsZero() {
			slices.SortFunc(recs, func(a, b domain.RefundRecord) int {
				return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
			})
		} else {
			slices.SortFunc(recs, func(a, b domain.RefundRecord) int {
				return cmp.Or(a.NextAttemptAt.Compare(b.NextAttemptAt), cmp.Compare(a.ID, b.ID))
			})
		}
		for _, rec := range recs[:min(limit, len(recs))] {
			r, err := domain.RestoreRefund(rec)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return nonNil(out), err
}
