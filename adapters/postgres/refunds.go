package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

type refundRow struct {
	ID               string       `bun:"id"`
	ClubID           string       `bun:"club_id"`
	BookingID        string       `bun:"booking_id"`
	Gateway          string       `bun:"gateway"`
	PaymentRef       string       `bun:"payment_ref"`
	Amount           int64        `bun:"amount"`
	Currency         string       `bun:"currency"`
	Reason           string       `bun:"reason"`
	IdempotencyKey   string       `bun:"idempotency_key"`
	State            string       `bun:"state"`
	Attempts         int          `bun:"attempts"`
	LastError        string       `bun:"last_error"`
	NextAttemptAt    sql.NullTime `bun:"next_attempt_at"`
	ProviderRefundID string       `bun:"provider_refund_id"`
	CreatedAt        time.Time    `bun:"created_at"`
	UpdatedAt        time.Time    `bun:"updated_at"`
}

const refundColumns = `id, club_id, booking_id, gateway, payment_ref, amount, currency, reason, idempotency_key,
	state, attempts, last_error, next_attempt_at, provider_refund_id, created_at, updated_at`

func refundRowOf(r domain.RefundRecord) refundRow {
	return refundRow{
		ID: r.ID, ClubID: r.ClubID, BookingID: r.BookingID, Gateway: r.Gateway, PaymentRef: r.PaymentRef,
		Amount: r.Amount.Amount(), Currency: r.Amount.Currency().Code(), Reason: r.Reason,
		IdempotencyKey: r.IdempotencyKey, State: string(r.State), Attempts: r.Attempts, LastError: r.LastError,
		NextAttemptAt: nullTime(r.NextAttemptAt), ProviderRefundID: r.ProviderID,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

func (r refundRow) refund() (*domain.Refund, error) {
	cur, err := currency(r.Currency)
	if err != nil {
		return nil, err
	}
	rec := domain.RefundRecord{
		ID: r.ID, ClubID: r.ClubID, BookingID: r.BookingID, Gateway: r.Gateway, PaymentRef: r.PaymentRef,
		Amount: domain.NewMoney(r.Amount, cur), Reason: r.Reason, IdempotencyKey: r.IdempotencyKey,
		State: domain.RefundState(r.State), Attempts: r.Attempts, LastError: r.LastError,
		ProviderID: r.ProviderRefundID, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.NextAttemptAt.Valid {
		rec.NextAttemptAt = r.NextAttemptAt.Time.UTC()
	}
	return domain.RestoreRefund(rec)
}

// SaveRefund stores a new refund unless its id or its club's idempotency key is taken.
// The insert refuses itself (ON CONFLICT DO NOTHING), so a duplicate leaves a caller's
// transaction as it was.
func (s *Store) SaveRefund(ctx context.Context, r *domain.Refund) error {
	if r == nil {
		return domain.Errorf(domain.CodeInvalid, "no refund to save")
	}
	row := refundRowOf(r.Record())
	return s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewRaw(`INSERT INTO refunds (`+refundColumns+`)
			VALUES (?id, ?club_id, ?booking_id, ?gateway, ?payment_ref, ?amount, ?currency, ?reason, ?idempotency_key,
				?state, ?attempts, ?last_error, ?next_attempt_at, ?provider_refund_id, ?created_at, ?updated_at)
			ON CONFLICT DO NOTHING`, &row).Exec(ctx)
		if err != nil {
			return err
		}
		n, err := rowsAffected(res)
		if err == nil && n == 0 {
			return domain.Errorf(domain.CodeDuplicate, "a refund with id %q or idempotency key %q exists", row.ID, row.IdempotencyKey)
		}
		return err
	})
}

// GetRefund returns a refund by id.
func (s *Store) GetRefund(ctx context.Context, id string) (*domain.Refund, error) {
	var r *domain.Refund
	err := s.read(ctx, func(ctx context.Context, db bun.IDB) error {
		var rows []refundRow
		if err := db.NewRaw(`SELECT `+refundColumns+` FROM refunds WHERE id = ?`, id).Scan(ctx, &rows); err != nil {
			return err
		}
		if len(rows) == 0 {
			return notFound("refund %q not found", id)
		}
		var err error
		r, err = rows[0].refund()
		return err
	})
	return r, err
}

// UpdateRefund locks a refund's row, lets fn change it and stores the result.
func (s *Store) UpdateRefund(ctx context.Context, id string, fn func(r *domain.Refund) error) error {
	return s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		var rows []refundRow
		if err := tx.NewRaw(`SELECT `+refundColumns+` FROM refunds WHERE id = ? FOR UPDATE`, id).Scan(ctx, &rows); err != nil {
			return err
		}
		if len(rows) == 0 {
			return notFound("refund %q not found", id)
		}
		r, err := rows[0].refund()
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
		row := refundRowOf(r.Record())
		if row.ID != rows[0].ID || row.ClubID != rows[0].ClubID || row.IdempotencyKey != rows[0].IdempotencyKey {
			return domain.Errorf(domain.CodeInternal, "an update may not change a refund's id, club or idempotency key")
		}
		_, err = tx.NewRaw(`UPDATE refunds SET booking_id = ?booking_id, gateway = ?gateway, payment_ref = ?payment_ref,
				amount = ?amount, currency = ?currency, reason = ?reason, state = ?state, attempts = ?attempts,
				last_error = ?last_error, next_attempt_at = ?next_attempt_at, provider_refund_id = ?provider_refund_id,
				created_at = ?created_at, updated_at = ?updated_at
			WHERE id = ?id`, &row).Exec(ctx)
		return err
	})
}

// ListRefunds returns the refunds a filter selects: due ones by next attempt (the
// sweep's query, on the index of state and next attempt), others newest first.
func (s *Store) ListRefunds(ctx context.Context, f ports.RefundFilter) ([]*domain.Refund, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	var out []*domain.Refund
	err := s.read(ctx, func(ctx context.Context, db bun.IDB) error {
		q := db.NewSelect().ColumnExpr(refundColumns).TableExpr("refunds")
		if f.ClubID != "" {
			q = q.Where("club_id = ?", f.ClubID)
		}
		if f.State != "" {
			q = q.Where("state = ?", string(f.State))
		}
		if f.DueBefore.IsZero() {
			q = q.OrderExpr(`created_at DESC, id COLLATE "C" DESC`)
		} else {
			q = q.Where("next_attempt_at <= ?", f.DueBefore.UTC()).OrderExpr(`next_attempt_at, id COLLATE "C"`)
		}
		var rows []refundRow
		if err := q.Limit(int64(limit)).Scan(ctx, &rows); err != nil {
			return err
		}
		out = make([]*domain.Refund, len(rows))
		for i, row := range rows {
			var err error
			if out[i], err = row.refund(); err != nil {
				return err
			}
		}
		return nil
	})
	return nonNil(out), err
}
