package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// defaultLimit is the number of bookings ListBookings returns when the filter sets none.
const defaultLimit = 100

// activeAt is the SQL condition of a booking active at the instant given as its one
// argument: confirmed, or pending with a hold that has not run out.
const activeAt = `(status = 'confirmed' OR (status = 'pending' AND hold_expires_at > ?))`

type bookingRow struct {
	ID               string    `bun:"id"`
	ClubID           string    `bun:"club_id"`
	CourtID          string    `bun:"court_id"`
	Sport            string    `bun:"sport"`
	CustomerName     string    `bun:"customer_name"`
	CustomerEmail    string    `bun:"customer_email"`
	CustomerPhone    string    `bun:"customer_phone"`
	CustomerCategory string    `bun:"customer_category"`
	Start            time.Time `bun:"starts_at"`
	End              time.Time `bun:"ends_at"`
	Currency         string    `bun:"currency"`
	QuoteTotal       int64     `bun:"quote_total"`
	QuoteLines       string    `bun:"quote_lines"`
	Status           string    `bun:"status"`
	HoldExpiresAt    time.Time `bun:"hold_expires_at"`
	PaymentRef       string    `bun:"payment_ref"`
	PaidAmount       int64     `bun:"paid_amount"`
	PaidCurrency     string    `bun:"paid_currency"`
	RefundAmount     int64     `bun:"refund_amount"`
	RefundCurrency   string    `bun:"refund_currency"`
	TokenHash        string    `bun:"token_hash"`
	IdempotencyKey   string    `bun:"idempotency_key"`
	RequestHash      string    `bun:"request_hash"`
	Version          int       `bun:"version"`
	CreatedAt        time.Time `bun:"created_at"`
	UpdatedAt        time.Time `bun:"updated_at"`
	SlotReleased     bool      `bun:"slot_released"` // not part of the record: see the schema
}

const bookingColumns = `id, club_id, court_id, sport, customer_name, customer_email, customer_phone,
	customer_category, lower(during) AS starts_at, upper(during) AS ends_at, currency, quote_total,
	quote_lines::text AS quote_lines, status, hold_expires_at, payment_ref, paid_amount, paid_currency,
	refund_amount, refund_currency, token_hash, idempotency_key, request_hash, version, created_at, updated_at, slot_released`

// lineDoc is the stored form of a quote line.
type lineDoc struct {
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	RuleID   string    `json:"rule_id"`
	Amount   int64     `json:"amount"`
	Currency string    `json:"currency"`
}

func encodeLines(lines []domain.QuoteLine) (string, error) {
	docs := make([]lineDoc, len(lines))
	for i, l := range lines {
		docs[i] = lineDoc{Start: l.Start.UTC(), End: l.End.UTC(), RuleID: l.RuleID, Amount: l.Amount.Amount(), Currency: l.Amount.Currency().Code()}
	}
	b, err := json.Marshal(docs)
	return string(b), err
}

func (r bookingRow) record() (domain.BookingRecord, error) {
	var docs []lineDoc
	if err := json.Unmarshal([]byte(r.QuoteLines), &docs); err != nil {
		return domain.BookingRecord{}, fmt.Errorf("postgres: booking %s quote lines: %w", r.ID, err)
	}
	cur, err := currency(r.Currency)
	if err != nil {
		return domain.BookingRecord{}, err
	}
	paidCur, err := currency(r.PaidCurrency)
	if err != nil {
		return domain.BookingRecord{}, err
	}
	refundCur, err := currency(r.RefundCurrency)
	if err != nil {
		return domain.BookingRecord{}, err
	}
	var lines []domain.QuoteLine
	for _, d := range docs {
		lc, err := currency(d.Currency)
		if err != nil {
			return domain.BookingRecord{}, err
		}
		lines = append(lines, domain.QuoteLine{Start: d.Start.UTC(), End: d.End.UTC(), RuleID: d.RuleID, Amount: domain.NewMoney(d.Amount, lc)})
	}
	return domain.BookingRecord{
		ID: r.ID, ClubID: r.ClubID, CourtID: r.CourtID, Sport: domain.Sport(r.Sport),
		Customer: domain.Customer{Name: r.CustomerName, Email: r.CustomerEmail, Phone: r.CustomerPhone,
			Category: domain.CustomerCategory(r.CustomerCategory)},
		Interval:       domain.Interval{Start: r.Start.UTC(), End: r.End.UTC()},
		Quote:          domain.Quote{Lines: lines, Total: domain.NewMoney(r.QuoteTotal, cur)},
		Status:         domain.Status(r.Status),
		HoldExpiresAt:  r.HoldExpiresAt.UTC(),
		PaymentRef:     r.PaymentRef,
		Paid:           domain.NewMoney(r.PaidAmount, paidCur),
		Refund:         domain.NewMoney(r.RefundAmount, refundCur),
		TokenHash:      r.TokenHash,
		IdempotencyKey: r.IdempotencyKey,
		RequestHash:    r.RequestHash,
		Version:        r.Version,
		CreatedAt:      r.CreatedAt.UTC(),
		UpdatedAt:      r.UpdatedAt.UTC(),
	}, nil
}

// storedBooking is a booking as a row holds it: its record and whether it has
// released its slot.
type storedBooking struct {
	domain.BookingRecord
	released bool
}

// queryBookings runs a query selecting bookingColumns and returns its bookings.
func queryBookings(ctx context.Context, db bun.IDB, query string, args ...any) ([]storedBooking, error) {
	var rows []bookingRow
	if err := db.NewRaw(`SELECT `+bookingColumns+` FROM bookings `+query, args...).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make([]storedBooking, 0, len(rows))
	for _, row := range rows {
		r, err := row.record()
		if err != nil {
			return nil, err
		}
		out = append(out, storedBooking{BookingRecord: r, released: row.SlotReleased})
	}
	return out, nil
}

// CreateBooking stores a new booking at version 1 unless its id or idempotency key is
// taken, an active booking holds its court, or the customer has too many active
// bookings. On success b itself is at version 1.
//
// The checks come before the insert, so that customers chasing one slot are turned
// away by a read rather than by the exclusion constraint; the constraint and the
// unique indexes still decide races. Pending bookings whose hold has run out at
// opts.Now give their slot up (slot_released) but keep their state and version.
func (s *Store) CreateBooking(ctx context.Context, b *domain.Booking, opts ports.CreateBookingOptions) error {
	if b == nil {
		return domain.Errorf(domain.KindInvalid, domain.CodeInvalid, "no booking to create")
	}
	r := b.Record()
	if r.ID == "" {
		return domain.Errorf(domain.KindInvalid, domain.CodeInvalid, "booking id is empty")
	}
	r.Version = 1
	lines, err := encodeLines(r.Quote.Lines)
	if err != nil {
		return fmt.Errorf("postgres: encode quote: %w", err)
	}
	now := opts.Now.UTC()
	err = s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		if opts.MaxActivePerCustomer > 0 {
			// Two bookings of one customer must not both pass the count: serialise them.
			if _, err := tx.NewRaw(`SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`,
				"customer:"+r.ClubID+":"+r.Customer.Email).Exec(ctx); err != nil {
				return err
			}
		}
		var taken []string
		if err := tx.NewRaw(`SELECT id FROM bookings WHERE id = ?`, r.ID).Scan(ctx, &taken); err != nil {
			return err
		}
		if len(taken) > 0 {
			return domain.Errorf(domain.KindConflict, domain.CodeDuplicate, "a booking with id %q exists", r.ID)
		}
		if r.IdempotencyKey != "" {
			if err := tx.NewRaw(`SELECT id FROM bookings WHERE club_id = ? AND idempotency_key = ?`,
				r.ClubID, r.IdempotencyKey).Scan(ctx, &taken); err != nil {
				return err
			}
			if len(taken) > 0 {
				return domain.Errorf(domain.KindConflict, domain.CodeDuplicate, "a booking with idempotency key %q exists", r.IdempotencyKey)
			}
		}
		if err := takeSlot(ctx, tx, r, now); err != nil {
			return err
		}
		if most := opts.MaxActivePerCustomer; most > 0 {
			var n int
			if err := tx.NewRaw(`SELECT count(*) FROM bookings
				WHERE club_id = ? AND customer_email = ? AND upper(during) > ? AND `+activeAt,
				r.ClubID, r.Customer.Email, now, now).Scan(ctx, &n); err != nil {
				return err
			}
			if n+1 > most {
				return domain.Errorf(domain.KindPolicy, domain.CodeTooManyActive, "a customer may hold at most %d active bookings", most)
			}
		}
		_, err := tx.NewRaw(`INSERT INTO bookings (id, club_id, court_id, sport, customer_name, customer_email,
				customer_phone, customer_category, during, currency, quote_total, quote_lines, status, hold_expires_at,
				payment_ref, paid_amount, paid_currency, refund_amount, refund_currency, token_hash, idempotency_key,
				request_hash, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, tstzrange(?, ?, '[)'), ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.ClubID, r.CourtID, string(r.Sport), r.Customer.Name, r.Customer.Email, r.Customer.Phone,
			string(r.Customer.Category), r.Interval.Start.UTC(), r.Interval.End.UTC(), r.Quote.Total.Currency().Code(),
			r.Quote.Total.Amount(), lines, string(r.Status), r.HoldExpiresAt.UTC(), r.PaymentRef, r.Paid.Amount(),
			r.Paid.Currency().Code(), r.Refund.Amount(), r.Refund.Currency().Code(), r.TokenHash, r.IdempotencyKey,
			r.RequestHash, r.Version, r.CreatedAt.UTC(), r.UpdatedAt.UTC()).Exec(ctx)
		return err
	})
	if err != nil {
		return err
	}
	*b = *domain.RestoreBooking(r)
	return nil
}

// takeSlot makes room for r on its court at now: it fails with slot_unavailable if
// another booking active at now overlaps r, and otherwise releases the slots of the
// overlapping pending bookings whose hold has run out, so that the exclusion
// constraint lets r in.
func takeSlot(ctx context.Context, tx bun.Tx, r domain.BookingRecord, now time.Time) error {
	start, end := r.Interval.Start.UTC(), r.Interval.End.UTC()
	var active []string
	if err := tx.NewRaw(`SELECT id FROM bookings
		WHERE court_id = ? AND id <> ? AND during && tstzrange(?, ?, '[)') AND `+activeAt+` LIMIT 1`,
		r.CourtID, r.ID, start, end, now).Scan(ctx, &active); err != nil {
		return err
	}
	if len(active) > 0 {
		return slotUnavailable(r)
	}
	_, err := tx.NewRaw(`UPDATE bookings SET slot_released = true
		WHERE court_id = ? AND id <> ? AND during && tstzrange(?, ?, '[)')
			AND status = 'pending' AND hold_expires_at <= ? AND NOT slot_released`,
		r.CourtID, r.ID, start, end, now).Exec(ctx)
	return err
}

func slotUnavailable(r domain.BookingRecord) error {
	return domain.Errorf(domain.KindConflict, domain.CodeSlotUnavailable, "the court is already booked between %s and %s",
		r.Interval.Start.Format(time.RFC3339), r.Interval.End.Format(time.RFC3339))
}

// GetBooking returns a booking by id.
func (s *Store) GetBooking(ctx context.Context, id string) (*domain.Booking, error) {
	return s.findBooking(ctx, `WHERE id = ?`, id)
}

// FindBookingByIdempotencyKey returns the club's booking made with key.
func (s *Store) FindBookingByIdempotencyKey(ctx context.Context, clubID, key string) (*domain.Booking, error) {
	if key == "" {
		return nil, notFound("no booking with an empty idempotency key")
	}
	return s.findBooking(ctx, `WHERE club_id = ? AND idempotency_key = ?`, clubID, key)
}

func (s *Store) findBooking(ctx context.Context, where string, args ...any) (*domain.Booking, error) {
	var b *domain.Booking
	err := s.read(ctx, func(ctx context.Context, db bun.IDB) error {
		rs, err := queryBookings(ctx, db, where, args...)
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return notFound("booking not found")
		}
		b = domain.RestoreBooking(rs[0].BookingRecord)
		return nil
	})
	return b, err
}

// UpdateBooking locks a booking's row, lets fn change it and stores the result one
// version up. If the booking is active at now after fn, no other active booking may
// overlap it; lapsed holds in its way give their slot up, as in CreateBooking. The
// booking fn changed is left at the stored version.
func (s *Store) UpdateBooking(ctx context.Context, id string, now time.Time, fn func(b *domain.Booking) error) error {
	now = now.UTC()
	var stored domain.BookingRecord
	var changed *domain.Booking
	err := s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		rs, err := queryBookings(ctx, tx, `WHERE id = ? FOR UPDATE`, id)
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return notFound("booking %q not found", id)
		}
		old := rs[0].BookingRecord
		changed = domain.RestoreBooking(old)
		if err := fn(changed); err != nil {
			return err
		}
		r := changed.Record()
		if r.ID != old.ID || r.ClubID != old.ClubID {
			return domain.Errorf(domain.KindInternal, domain.CodeInternal, "an update may not change a booking's id or club")
		}
		slotReleased := rs[0].released
		if domain.IsActive(r.Status, r.HoldExpiresAt, now) {
			if err := takeSlot(ctx, tx, r, now); err != nil {
				return err
			}
			slotReleased = false
		}
		lines, err := encodeLines(r.Quote.Lines)
		if err != nil {
			return fmt.Errorf("postgres: encode quote: %w", err)
		}
		res, err := tx.NewRaw(`UPDATE bookings SET court_id = ?, sport = ?, customer_name = ?, customer_email = ?,
				customer_phone = ?, customer_category = ?, during = tstzrange(?, ?, '[)'), currency = ?, quote_total = ?,
				quote_lines = ?::jsonb, status = ?, hold_expires_at = ?, slot_released = ?, payment_ref = ?, paid_amount = ?,
				paid_currency = ?, refund_amount = ?, refund_currency = ?, token_hash = ?, idempotency_key = ?,
				request_hash = ?, version = version + 1, created_at = ?, updated_at = ?
			WHERE id = ? AND version = ?`,
			r.CourtID, string(r.Sport), r.Customer.Name, r.Customer.Email, r.Customer.Phone, string(r.Customer.Category),
			r.Interval.Start.UTC(), r.Interval.End.UTC(), r.Quote.Total.Currency().Code(), r.Quote.Total.Amount(), lines,
			string(r.Status), r.HoldExpiresAt.UTC(), slotReleased, r.PaymentRef, r.Paid.Amount(), r.Paid.Currency().Code(),
			r.Refund.Amount(), r.Refund.Currency().Code(), r.TokenHash, r.IdempotencyKey, r.RequestHash,
			r.CreatedAt.UTC(), r.UpdatedAt.UTC(), id, old.Version).Exec(ctx)
		if err != nil {
			return err
		}
		if n, err := rowsAffected(res); err != nil {
			return err
		} else if n != 1 {
			// The row is locked, so this means the version was changed behind the lock.
			return domain.Errorf(domain.KindUnavailable, domain.CodeUnavailable, "booking %q changed while it was updated; retry", id)
		}
		r.Version = old.Version + 1
		stored = r
		return nil
	})
	if err != nil {
		return err
	}
	*changed = *domain.RestoreBooking(stored)
	return nil
}

// ListOccupancy returns what the club's bookings overlapping iv occupy, in any state,
// ordered by start, in one query on the GiST index of (club_id, during).
func (s *Store) ListOccupancy(ctx context.Context, clubID string, iv domain.Interval) ([]domain.Occupancy, error) {
	type occupancyRow struct {
		ID            string    `bun:"id"`
		CourtID       string    `bun:"court_id"`
		Start         time.Time `bun:"starts_at"`
		End           time.Time `bun:"ends_at"`
		Status        string    `bun:"status"`
		HoldExpiresAt time.Time `bun:"hold_expires_at"`
	}
	var out []domain.Occupancy
	err := s.read(ctx, func(ctx context.Context, db bun.IDB) error {
		var rows []occupancyRow
		if err := db.NewSelect().
			ColumnExpr(`id, court_id, lower(during) AS starts_at, upper(during) AS ends_at, status, hold_expires_at`).
			TableExpr("bookings").Where("club_id = ?", clubID).Where("during && tstzrange(?, ?, '[)')", iv.Start.UTC(), iv.End.UTC()).
			OrderExpr(`lower(during), id COLLATE "C"`).Scan(ctx, &rows); err != nil {
			return err
		}
		out = make([]domain.Occupancy, len(rows))
		for i, r := range rows {
			out[i] = domain.Occupancy{BookingID: r.ID, CourtID: r.CourtID, Interval: domain.Interval{Start: r.Start.UTC(), End: r.End.UTC()},
				Status: domain.Status(r.Status), HoldExpiresAt: r.HoldExpiresAt.UTC()}
		}
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
	err := s.read(ctx, func(ctx context.Context, db bun.IDB) error {
		q := db.NewSelect().ColumnExpr(bookingColumns).TableExpr("bookings")
		if f.ClubID != "" {
			q = q.Where("club_id = ?", f.ClubID)
		}
		if f.CourtID != "" {
			q = q.Where("court_id = ?", f.CourtID)
		}
		if f.Status != "" {
			q = q.Where("status = ?", string(f.Status))
		}
		if !f.From.IsZero() {
			q = q.Where("upper(during) > ?", f.From.UTC())
		}
		if !f.To.IsZero() {
			q = q.Where("lower(during) < ?", f.To.UTC())
		}
		var rows []bookingRow
		if err := q.OrderExpr(`lower(during), id COLLATE "C"`).Limit(int64(limit)).Scan(ctx, &rows); err != nil {
			return err
		}
		out = make([]*domain.Booking, len(rows))
		for i, row := range rows {
			r, err := row.record()
			if err != nil {
				return err
			}
			out[i] = domain.RestoreBooking(r)
		}
		return nil
	})
	return nonNil(out), err
}

// ListExpiredHolds returns the ids of pending bookings whose hold ended at or before
// now, the earliest hold first, at most limit of them.
func (s *Store) ListExpiredHolds(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		return []string{}, nil
	}
	var ids []string
	err := s.read(ctx, func(ctx context.Context, db bun.IDB) error {
		return db.NewRaw(`SELECT id FROM bookings WHERE status = 'pending' AND hold_expires_at <= ?
			ORDER BY hold_expires_at, id COLLATE "C" LIMIT ?`, now.UTC(), limit).Scan(ctx, &ids)
	})
	return nonNil(ids), err
}
