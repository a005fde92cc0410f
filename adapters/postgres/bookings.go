package postgres

import (
	"context"
	"encoding/json"
	"errors"
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
	PaymentGateway   string    `bun:"payment_gateway"`
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
	quote_lines::text AS quote_lines, status, hold_expires_at, payment_ref, payment_gateway, paid_amount, paid_currency,
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
		PaymentGateway: r.PaymentGateway,
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
// The insert goes first and refuses itself: ON CONFLICT DO NOTHING looks for a row
// the unique indexes or the exclusion constraint would hold against the booking
// before it writes anything, so customers chasing one slot are turned away by an
// index read, and the constraint still decides races. Only a booking that was not
// stored pays for a second read, which names the refusal (see create). Outside a
// transaction and with no limit per customer the insert runs alone, atomic by itself,
// in one round trip. A limit needs a lock taken before the count, sent with the
// insert in one round trip, and pending bookings whose hold has run out at opts.Now
// must give their slot up (slot_released, keeping their state and version) before the
// insert: those run in a transaction, or under a savepoint of the context's
// transaction (see createInTx).
func (s *Store) CreateBooking(ctx context.Context, b *domain.Booking, opts ports.CreateBookingOptions) error {
	if b == nil {
		return domain.Errorf(domain.CodeInvalid, "no booking to create")
	}
	r := b.Record()
	if r.ID == "" {
		return domain.Errorf(domain.CodeInvalid, "booking id is empty")
	}
	r.Version = 1
	row, err := rowOf(r)
	if err != nil {
		return err
	}
	ctx = withTextCheck(ctx)
	p := createParams{bookingRow: row, Now: opts.Now.UTC(), Most: max(opts.MaxActivePerCustomer, 0),
		LockKey: "customer:" + r.ClubID + ":" + r.Customer.Email}
	switch st := s.txOf(ctx); {
	case st != nil:
		err = s.createInTx(ctx, st, p)
	case p.Most == 0:
		if err = s.createAlone(ctx, p); errors.Is(err, errHoldsInTheWay) {
			err = s.write(ctx, func(ctx context.Context, tx bun.Tx) error { return create(ctx, tx, p, true) })
		}
	default:
		err = s.write(ctx, func(ctx context.Context, tx bun.Tx) error { return create(ctx, tx, p, true) })
	}
	if err != nil {
		return mapCallError(ctx, err)
	}
	created, err := domain.RestoreBooking(r)
	if err != nil {
		return err
	}
	*b = *created
	return nil
}

// createInTx runs create in the caller's transaction st, in as few round trips as
// it can: the savepoint that keeps a failed call from spoiling the transaction, the
// customer's lock when there is a limit and the insert go in one query string (each
// statement of it takes its own snapshot, so the count in the insert sees every
// booking committed before the lock was granted). A stored booking leaves its
// savepoint open rather than pay a round trip to release it: the transaction's end
// ends it, and a later call's savepoint, of the same name, nests in it and is the one
// that call rolls back to. A refused insert changed nothing: the probe that names the
// refusal and the savepoint's undoing go in one more query string. Only lapsed holds
// in the way take the longer path, under a savepoint of its own. A serialization
// failure or a deadlock rolls back to the savepoint and tries again, a bounded number
// of times.
func (s *Store) createInTx(ctx context.Context, st *txState, p createParams) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.done {
		return errTxEnded
	}
	var err error
	for range maxAttempts {
		if err = createUnderSavepoint(ctx, st.tx, p); !retryable(err) || ctx.Err() != nil {
			break
		}
	}
	return err
}

// The statements createUnderSavepoint adds around the insert.
const (
	openSavepointSQL = `SAVEPOINT matchpoint_call; `
	undoSavepointSQL = `ROLLBACK TO SAVEPOINT matchpoint_call; RELEASE SAVEPOINT matchpoint_call`
	// customerLockSQL serialises two bookings of one customer, so that both do not
	// pass the count: the count runs in the next statement, whose snapshot is taken
	// once the lock is held.
	customerLockSQL = `SELECT pg_advisory_xact_lock(hashtextextended(?lock_key, 0)); `
)

// createUnderSavepoint is one attempt of createInTx.
func createUnderSavepoint(ctx context.Context, tx bun.Tx, p createParams) error {
	first := openSavepointSQL
	if p.Most > 0 {
		first += customerLockSQL
	}
	res, err := tx.NewRaw(first+insertSQL, p).Exec(ctx)
	if err != nil {
		return undoSavepoint(ctx, tx, err)
	}
	if n, err := rowsAffected(res); err != nil || n == 1 {
		return err // stored, or the driver could not say
	}
	var why probe
	if err := tx.NewRaw(probeSQL+"; "+undoSavepointSQL, p).Scan(ctx, &why); err != nil {
		return undoSavepoint(ctx, tx, err)
	}
	if err := why.refusal(p); err != nil {
		return err
	}
	// Lapsed holds in the way, or a row that has gone since the insert met it.
	return savepoint(ctx, tx, func(ctx context.Context, tx bun.Tx) error { return create(ctx, tx, p, true) })
}

// undoSavepoint rolls back to createUnderSavepoint's savepoint after err and releases
// it, leaving the transaction usable.
func undoSavepoint(ctx context.Context, tx bun.Tx, err error) error {
	if _, rerr := tx.ExecContext(ctx, undoSavepointSQL); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// createAlone runs create on the pool, outside any transaction: each of its
// statements is atomic by itself and needs no BEGIN or COMMIT. Like write, it tries
// again, a bounded number of times, when the database aborts a statement for a
// serialization failure or a deadlock.
func (s *Store) createAlone(ctx context.Context, p createParams) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var err error
	for range maxAttempts {
		if err = create(ctx, s.db, p, false); !retryable(err) || ctx.Err() != nil {
			break
		}
	}
	return err
}

// errHoldsInTheWay reports that only pending bookings whose hold has run out stand in
// a new booking's way: they must give their slot up first, in a transaction.
var errHoldsInTheWay = errors.New("postgres: lapsed holds in the way")

// createParams are the named arguments of insertSQL and probeSQL.
type createParams struct {
	bookingRow
	Now  time.Time `bun:"now"`  // decides which holds still count
	Most int       `bun:"most"` // the customer's limit of active bookings; 0 for none
	// LockKey names the customer's advisory lock, taken before the count when there
	// is a limit.
	LockKey string `bun:"lock_key"`
}

// insertSQL stores a booking unless its customer is at the limit or a row conflicts
// with it. ON CONFLICT DO NOTHING, over the unique indexes and the exclusion
// constraint alike, checks before it writes: a refused booking leaves no dead row,
// and one that meets a row still being written waits for that transaction, as a
// plain INSERT would, but without the deadlock two plain INSERTs checking each
// other's new rows can reach (found only after deadlock_timeout, a second by
// default). A refusal is not an error, so it leaves a caller's transaction usable.
// Bun inlines the arguments, so with no limit (most is 0) the planner drops the count.
const insertSQL = `INSERT INTO bookings (id, club_id, court_id, sport, customer_name, customer_email,
		customer_phone, customer_category, during, currency, quote_total, quote_lines, status, hold_expires_at,
		payment_ref, payment_gateway, paid_amount, paid_currency, refund_amount, refund_currency, token_hash, idempotency_key,
		request_hash, version, created_at, updated_at)
	SELECT ?id, ?club_id, ?court_id, ?sport, ?customer_name, ?customer_email,
		?customer_phone, ?customer_category, tstzrange(?starts_at, ?ends_at, '[)'), ?currency, ?quote_total,
		?quote_lines::jsonb, ?status, ?hold_expires_at, ?payment_ref, ?payment_gateway, ?paid_amount, ?paid_currency, ?refund_amount,
		?refund_currency, ?token_hash, ?idempotency_key, ?request_hash, ?version, ?created_at, ?updated_at
	WHERE ?most = 0 OR (` + activeOfCustomerSQL + `) < ?most
	ON CONFLICT DO NOTHING`

// activeOfCustomerSQL counts the customer's bookings in the club that are active at
// now and have not ended.
const activeOfCustomerSQL = `SELECT count(*) FROM bookings
	WHERE club_id = ?club_id AND customer_email = ?customer_email AND upper(during) > ?now
		AND (status = 'confirmed' OR (status = 'pending' AND hold_expires_at > ?now))`

// probeSQL reads what keeps a booking out, every reason at once; create ranks them.
// in_way is what the exclusion constraint holds against the booking, active at now
// or not.
const probeSQL = `WITH in_way AS (
		SELECT status = 'confirmed' OR hold_expires_at > ?now AS active
		FROM bookings
		WHERE court_id = ?court_id AND during && tstzrange(?starts_at, ?ends_at, '[)')
			AND status IN ('pending', 'confirmed') AND NOT slot_released
	)
	SELECT EXISTS (SELECT FROM bookings WHERE id = ?id) AS id_taken,
		?idempotency_key <> '' AND EXISTS (SELECT FROM bookings
			WHERE club_id = ?club_id AND idempotency_key = ?idempotency_key) AS key_taken,
		EXISTS (SELECT FROM in_way WHERE active) AS slot_taken,
		?most > 0 AND (` + activeOfCustomerSQL + `) >= ?most AS too_many,
		EXISTS (SELECT FROM in_way WHERE NOT active) AS holds_lapsed`

// probe is what probeSQL found.
type probe struct {
	IDTaken     bool `bun:"id_taken"`
	KeyTaken    bool `bun:"key_taken"`
	SlotTaken   bool `bun:"slot_taken"`   // an active booking overlaps on the court
	TooMany     bool `bun:"too_many"`     // the customer is at the limit
	HoldsLapsed bool `bun:"holds_lapsed"` // lapsed holds keep the slot in the constraint's sense
}

// create inserts the booking and, if that stored nothing, probes for the reason,
// ranked as the contract ranks them: a request repeated with its idempotency key is
// a duplicate even where the first one holds the slot. The probe is a statement of
// its own, so it sees what the insert waited for. With a limit per customer the first
// insert is sent together with the customer's lock (customerLockSQL), in one round
// trip, so db must then be a transaction. Lapsed holds in the way give their slot up
// when release is set (db must then be a transaction), and the insert is tried again;
// without release, create returns errHoldsInTheWay for them. A probe that finds
// nothing means the row in the way has gone since: the insert is tried again, a
// bounded number of times.
func create(ctx context.Context, db bun.IDB, p createParams, release bool) error {
	lock := ""
	if p.Most > 0 {
		lock = customerLockSQL
	}
	for range maxAttempts {
		res, err := db.NewRaw(lock+insertSQL, p).Exec(ctx)
		if err != nil {
			return err
		}
		lock = "" // held until the transaction ends
		if n, err := rowsAffected(res); err != nil || n == 1 {
			return err // stored, or the driver could not say
		}
		var why probe
		if err := db.NewRaw(probeSQL, p).Scan(ctx, &why); err != nil {
			return err
		}
		if err := why.refusal(p); err != nil {
			return err
		}
		switch {
		case why.HoldsLapsed && !release:
			return errHoldsInTheWay
		case why.HoldsLapsed:
			if err := releaseLapsedHolds(ctx, db, p.CourtID, p.ID, p.Start, p.End, p.Now); err != nil {
				return err
			}
		}
	}
	return domain.Errorf(domain.CodeUnavailable, "the slot of booking %q kept changing hands; retry", p.ID)
}

// refusal returns the error that refuses the booking of p, nil when only lapsed holds
// are in its way or nothing is.
func (why probe) refusal(p createParams) error {
	switch {
	case why.IDTaken:
		return domain.Errorf(domain.CodeDuplicate, "a booking with id %q exists", p.ID)
	case why.KeyTaken:
		return domain.Errorf(domain.CodeDuplicate, "a booking with idempotency key %q exists", p.IdempotencyKey)
	case why.SlotTaken:
		return slotUnavailable(p.Start, p.End)
	case why.TooMany:
		return domain.Errorf(domain.CodeTooManyActive, "a customer may hold at most %d active bookings", p.Most)
	}
	return nil
}

// rowOf returns the row that stores r.
func rowOf(r domain.BookingRecord) (bookingRow, error) {
	lines, err := encodeLines(r.Quote.Lines)
	if err != nil {
		return bookingRow{}, fmt.Errorf("postgres: encode quote: %w", err)
	}
	return bookingRow{
		ID: r.ID, ClubID: r.ClubID, CourtID: r.CourtID, Sport: string(r.Sport),
		CustomerName: r.Customer.Name, CustomerEmail: r.Customer.Email, CustomerPhone: r.Customer.Phone,
		CustomerCategory: string(r.Customer.Category), Start: r.Interval.Start.UTC(), End: r.Interval.End.UTC(),
		Currency: r.Quote.Total.Currency().Code(), QuoteTotal: r.Quote.Total.Amount(), QuoteLines: lines,
		Status: string(r.Status), HoldExpiresAt: r.HoldExpiresAt.UTC(), PaymentRef: r.PaymentRef, PaymentGateway: r.PaymentGateway,
		PaidAmount: r.Paid.Amount(), PaidCurrency: r.Paid.Currency().Code(),
		RefundAmount: r.Refund.Amount(), RefundCurrency: r.Refund.Currency().Code(),
		TokenHash: r.TokenHash, IdempotencyKey: r.IdempotencyKey, RequestHash: r.RequestHash,
		Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}, nil
}

// takeSlot makes room for r on its court at now: it fails with slot_unavailable if
// another booking active at now overlaps r, and otherwise releases the slots of the
// overlapping pending bookings whose hold has run out, so that the exclusion
// constraint lets r in. It looks only at the rows the constraint holds, so that the
// constraint's index on (court_id, during) serves the read; the index on (club_id,
// during) would visit every court's bookings at that time.
func takeSlot(ctx context.Context, tx bun.Tx, r domain.BookingRecord, now time.Time) error {
	start, end := r.Interval.Start.UTC(), r.Interval.End.UTC()
	var active []string
	if err := tx.NewRaw(`SELECT id FROM bookings
		WHERE court_id = ? AND id <> ? AND during && tstzrange(?, ?, '[)')
			AND status IN ('pending', 'confirmed') AND NOT slot_released AND `+activeAt+` LIMIT 1`,
		r.CourtID, r.ID, start, end, now).Scan(ctx, &active); err != nil {
		return err
	}
	if len(active) > 0 {
		return slotUnavailable(start, end)
	}
	return releaseLapsedHolds(ctx, tx, r.CourtID, r.ID, start, end, now)
}

// releaseLapsedHolds gives up the slots of the pending bookings on court, other than
// booking id, that overlap start–end and whose hold ran out at or before now: they
// keep their state, and the expiry job ends them.
func releaseLapsedHolds(ctx context.Context, db bun.IDB, court, id string, start, end, now time.Time) error {
	_, err := db.NewRaw(`UPDATE bookings SET slot_released = true
		WHERE court_id = ? AND id <> ? AND during && tstzrange(?, ?, '[)')
			AND status = 'pending' AND hold_expires_at <= ? AND NOT slot_released`,
		court, id, start, end, now).Exec(ctx)
	return err
}

func slotUnavailable(start, end time.Time) error {
	return domain.Errorf(domain.CodeSlotUnavailable, "the court is already booked between %s and %s",
		start.Format(time.RFC3339), end.Format(time.RFC3339))
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
		b, err = domain.RestoreBooking(rs[0].BookingRecord)
		return err
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
		if changed, err = domain.RestoreBooking(old); err != nil {
			return err
		}
		if err := fn(changed); err != nil {
			return err
		}
		r := changed.Record()
		if r.ID != old.ID || r.ClubID != old.ClubID {
			return domain.Errorf(domain.CodeInternal, "an update may not change a booking's id or club")
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
				quote_lines = ?::jsonb, status = ?, hold_expires_at = ?, slot_released = ?, payment_ref = ?, payment_gateway = ?, paid_amount = ?,
				paid_currency = ?, refund_amount = ?, refund_currency = ?, token_hash = ?, idempotency_key = ?,
				request_hash = ?, version = version + 1, created_at = ?, updated_at = ?
			WHERE id = ? AND version = ?`,
			r.CourtID, string(r.Sport), r.Customer.Name, r.Customer.Email, r.Customer.Phone, string(r.Customer.Category),
			r.Interval.Start.UTC(), r.Interval.End.UTC(), r.Quote.Total.Currency().Code(), r.Quote.Total.Amount(), lines,
			string(r.Status), r.HoldExpiresAt.UTC(), slotReleased, r.PaymentRef, r.PaymentGateway, r.Paid.Amount(), r.Paid.Currency().Code(),
			r.Refund.Amount(), r.Refund.Currency().Code(), r.TokenHash, r.IdempotencyKey, r.RequestHash,
			r.CreatedAt.UTC(), r.UpdatedAt.UTC(), id, old.Version).Exec(ctx)
		if err != nil {
			return err
		}
		if n, err := rowsAffected(res); err != nil {
			return err
		} else if n != 1 {
			// The row is locked, so this means the version was changed behind the lock.
			return domain.Errorf(domain.CodeUnavailable, "booking %q changed while it was updated; retry", id)
		}
		r.Version = old.Version + 1
		stored = r
		return nil
	})
	if err != nil {
		return err
	}
	updated, err := domain.RestoreBooking(stored)
	if err != nil {
		return err
	}
	*changed = *updated
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
		if !f.CreatedBefore.IsZero() {
			q = q.Where("created_at < ?", f.CreatedBefore.UTC())
		}
		if !f.CreatedAfter.IsZero() {
			q = q.Where("created_at >= ?", f.CreatedAfter.UTC())
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
			if out[i], err = domain.RestoreBooking(r); err != nil {
				return err
			}
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
