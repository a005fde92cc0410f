package ports

import (
	"context"
	"time"

	"github.com/matchpoint/matchpoint/domain"
)

// Transactor runs a unit of work. Every repository write and every job enqueued with
// the context passed to fn commits when fn returns nil and is undone when it returns an
// error, so a booking and the jobs it schedules are stored together or not at all.
// Transactions may nest: an inner WithinTx joins the outer one. A call that fails
// inside a transaction (a conflict, an update function's error) stores nothing and
// leaves the transaction usable: the use cases go on after such a failure, so an SQL
// adapter wraps each such statement in a savepoint. Hooks registered with AfterCommit
// have run by the time WithinTx returns.
type Transactor interface {
	WithinTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Clubs stores clubs. Slugs are unique.
type Clubs interface {
	// SaveClub creates or replaces a club; a slug taken by another club is a conflict
	// with code duplicate.
	SaveClub(ctx context.Context, c domain.Club) error
	// GetClub returns a club by id or a not_found error.
	GetClub(ctx context.Context, id string) (domain.Club, error)
	// GetClubBySlug returns a club by slug or a not_found error.
	GetClubBySlug(ctx context.Context, slug string) (domain.Club, error)
	// ListClubs returns every club, ordered by slug: the work done for all clubs at
	// once (their monthly reports) goes through it.
	ListClubs(ctx context.Context) ([]domain.Club, error)
}

// Courts stores a club's courts.
type Courts interface {
	// SaveCourt creates or replaces a court.
	SaveCourt(ctx context.Context, c domain.Court) error
	// GetCourt returns a court of the club or a not_found error.
	GetCourt(ctx context.Context, clubID, id string) (domain.Court, error)
	// ListCourts returns the club's courts ordered by name, then id.
	ListCourts(ctx context.Context, clubID string) ([]domain.Court, error)
}

// Seasons stores a club's seasons.
type Seasons interface {
	// SaveSeason creates or replaces a season. It fails with season_overlap, storing
	// nothing, when the season shares a day with another season of the club; the check
	// and the write are atomic.
	SaveSeason(ctx context.Context, s domain.Season) error
	// DeleteSeason removes a season or returns a not_found error.
	DeleteSeason(ctx context.Context, clubID, id string) error
	// ListSeasons returns the club's seasons ordered by first day.
	ListSeasons(ctx context.Context, clubID string) ([]domain.Season, error)
}

// Closures stores a club's closures.
type Closures interface {
	// SaveClosure creates or replaces a closure.
	SaveClosure(ctx context.Context, c domain.Closure) error
	// DeleteClosure removes a closure or returns a not_found error.
	DeleteClosure(ctx context.Context, clubID, id string) error
	// ListClosures returns the club's closures that overlap iv, ordered by start.
	ListClosures(ctx context.Context, clubID string, iv domain.Interval) ([]domain.Closure, error)
}

// PriceRules stores a club's price rules.
type PriceRules interface {
	// SavePriceRule creates or replaces a price rule.
	SavePriceRule(ctx context.Context, r domain.PriceRule) error
	// DeletePriceRule removes a price rule or returns a not_found error.
	DeletePriceRule(ctx context.Context, clubID, id string) error
	// ListPriceRules returns the club's price rules ordered by id.
	ListPriceRules(ctx context.Context, clubID string) ([]domain.PriceRule, error)
}

// CreateBookingOptions are the rules CreateBooking checks atomically with the write.
type CreateBookingOptions struct {
	// Now decides which pending holds still count as active.
	Now time.Time
	// MaxActivePerCustomer bounds the customer's (by email) active bookings in the club
	// that have not ended at Now, the new one included; 0 means no limit.
	MaxActivePerCustomer int
}

// BookingFilter selects bookings of a club. Zero fields select everything.
type BookingFilter struct {
	ClubID  string
	CourtID string
	Status  domain.Status
	From    time.Time // bookings ending after From
	To      time.Time // bookings starting before To
	// CreatedBefore keeps the bookings made before it (reconciliation looks for
	// checkouts left open too long); zero keeps every booking.
	CreatedBefore time.Time
	// CreatedAfter keeps the bookings made at or after it (reconciliation looks at the
	// holds that expired recently); zero keeps every booking.
	CreatedAfter time.Time
	Limit        int // 0 means 100
}

// Ids of courts, seasons, closures and price rules are unique across clubs (the app
// makes them with ports.IDs); lists ordered "by name" or "by id" use byte order.

// Bookings stores bookings and enforces the invariant of the system: two active
// bookings (confirmed, or pending with a hold that has not run out) never overlap on
// one court. Booking ids are unique across clubs.
type Bookings interface {
	// CreateBooking stores a new booking. Atomically with the write it fails with
	//   - conflict slot_unavailable if an active booking at opts.Now overlaps it on its court
	//     (pending bookings whose hold has passed do not count, even if not yet expired);
	//   - conflict duplicate if the club already has a booking with its idempotency key;
	//   - policy too_many_active_bookings if the customer would exceed the limit.
	// A booking id already stored is a conflict with code duplicate. The stored version is 1.
	CreateBooking(ctx context.Context, b *domain.Booking, opts CreateBookingOptions) error
	// GetBooking returns a booking by id or a not_found error.
	GetBooking(ctx context.Context, id string) (*domain.Booking, error)
	// UpdateBooking loads a booking, calls fn and stores what fn left, atomically: no
	// other change to the booking happens in between, and the version goes up by one. If
	// fn returns an error nothing is stored and that error is returned. If the booking
	// becomes (or stays) active at now and overlaps another active booking, nothing is
	// stored and the error is conflict slot_unavailable. fn must not call the store and
	// may be called more than once (an adapter may retry on a serialization failure); it
	// may not change the booking's id or club.
	UpdateBooking(ctx context.Context, id string, now time.Time, fn func(b *domain.Booking) error) error
	// FindBookingByIdempotencyKey returns the club's booking made with key or not_found.
	FindBookingByIdempotencyKey(ctx context.Context, clubID, key string) (*domain.Booking, error)
	// ListOccupancy returns what every booking of the club overlapping iv occupies, in
	// any state, ordered by start.
	ListOccupancy(ctx context.Context, clubID string, iv domain.Interval) ([]domain.Occupancy, error)
	// ListBookings returns the bookings a filter selects, ordered by start, then id.
	ListBookings(ctx context.Context, f BookingFilter) ([]*domain.Booking, error)
	// ListExpiredHolds returns the ids of pending bookings (of every club) whose hold
	// ended at or before now, oldest first, at most limit.
	ListExpiredHolds(ctx context.Context, now time.Time, limit int) ([]string, error)
}

// PaymentEvents remembers which payment provider events have been processed.
type PaymentEvents interface {
	// RecordPaymentEvent records an event id of a provider and reports whether it was
	// new. Inside a transaction the record commits or rolls back with the transaction.
	RecordPaymentEvent(ctx context.Context, provider, eventID string, at time.Time) (bool, error)
}

// APIKey is a club-scoped secret for the admin API, stored hashed: the key itself is
// shown once, when it is issued, and never stored.
type APIKey struct {
	ID        string
	ClubID    string
	Label     string // what the key is for, e.g. "front desk"
	Hash      string // hex SHA-256 of the key
	CreatedAt time.Time
	// LastUsedAt is when the key last authenticated a request, to the minute or so
	// (see TouchAPIKey); zero if it never did.
	LastUsedAt time.Time
	// RevokedAt is when the key was revoked; zero while it is in force.
	RevokedAt time.Time
}

// Revoked reports whether the key has been revoked.
func (k APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// APIKeys stores admin API keys.
type APIKeys interface {
	// SaveAPIKey stores a key; a hash already stored is a conflict with code duplicate.
	SaveAPIKey(ctx context.Context, k APIKey) error
	// FindAPIKey returns the key with the hash, revoked or not, or a not_found error.
	// It is the one query of an authenticated admin request: an index lookup.
	FindAPIKey(ctx context.Context, hash string) (APIKey, error)
	// ListAPIKeys returns the club's keys, revoked ones included, ordered by creation
	// time, then id.
	ListAPIKeys(ctx context.Context, clubID string) ([]APIKey, error)
	// RevokeAPIKey revokes a key of the club at the instant given, or returns a
	// not_found error if the club has no key with that id. Revoking a revoked key
	// keeps its first revocation time.
	RevokeAPIKey(ctx context.Context, clubID, id string, at time.Time) error
	// TouchAPIKey records that the key with that id was used at the instant given. It
	// never moves LastUsedAt back; an unknown id changes nothing. Callers touch a key
	// only when its LastUsedAt is old enough to matter, so that authenticating stays
	// a read.
	TouchAPIKey(ctx context.Context, id string, at time.Time) error
}

// ReportKind names what a club report measures.
type ReportKind string

// Report kinds.
const (
	ReportRevenue   ReportKind = "revenue"   // money taken per court, gateway and month
	ReportOccupancy ReportKind = "occupancy" // booked hours against open hours per court and month
)

// ReportState is where a report's generation stands.
type ReportState string

// Report states: a report is requested pending and becomes ready (with its CSV) or
// failed (with an error message) once, when its job has run.
const (
	ReportPending ReportState = "pending"
	ReportReady   ReportState = "ready"
	ReportFailed  ReportState = "failed"
)

// Report is a club report over a range of months, generated in the background as CSV.
type Report struct {
	ID     string
	ClubID string
	Kind   ReportKind
	From   domain.Month // first month, inclusive
	To     domain.Month // last month, inclusive
	State  ReportState
	// CreatedAt is when the report was requested; FinishedAt when it became ready or
	// failed, zero while it is pending.
	CreatedAt  time.Time
	FinishedAt time.Time
	CSV        []byte // the report, when ready; nil otherwise and in listings
	Error      string // why the report failed, when it did
}

// Reports stores club reports.
type Reports interface {
	// SaveReport creates a report or replaces the one with its id.
	SaveReport(ctx context.Context, r Report) error
	// GetReport returns one of the club's reports with its CSV, or a not_found error;
	// another club's report is not found either.
	GetReport(ctx context.Context, clubID, id string) (Report, error)
	// ListReports returns the club's reports without their CSV (nil), newest first:
	// by creation time descending, then id descending.
	ListReports(ctx context.Context, clubID string) ([]Report, error)
}

// RefundFilter selects refunds. Zero fields select everything.
type RefundFilter struct {
	ClubID string
	State  domain.RefundState
	// DueBefore keeps the refunds whose next attempt is at or before it (the sweep looks
	// for owed refunds that are due), and orders them by next attempt, then id; zero
	// keeps every refund, newest first (by creation time, then id, both descending).
	DueBefore time.Time
	Limit     int // 0 means 100
}

// Refunds stores the refunds owed to customers until the provider has given the money
// back. Refund ids are unique across clubs; idempotency keys are unique per club.
type Refunds interface {
	// SaveRefund stores a new refund. An id already stored, or an idempotency key the
	// club has stored already, is a conflict with code duplicate and stores nothing:
	// a change repeated does not owe twice. Inside a transaction the refund commits or
	// rolls back with it.
	SaveRefund(ctx context.Context, r *domain.Refund) error
	// GetRefund returns a refund by id or a not_found error.
	GetRefund(ctx context.Context, id string) (*domain.Refund, error)
	// UpdateRefund loads a refund, calls fn and stores what fn left, atomically: no
	// other change to the refund happens in between. If fn returns an error nothing is
	// stored and that error is returned. fn must not call the store and may be called
	// more than once; it may not change the refund's id, club or idempotency key.
	UpdateRefund(ctx context.Context, id string, fn func(r *domain.Refund) error) error
	// ListRefunds returns the refunds a filter selects, in the filter's order.
	ListRefunds(ctx context.Context, f RefundFilter) ([]*domain.Refund, error)
}

// SentMessages remembers which messages to customers have gone out, by their key
// (MessageKey: kind, booking id and, for a kind that repeats, a sequence), so that a
// notify job run again — a retry after a failed attempt, or a run after its worker
// died — does not send its message a second time.
type SentMessages interface {
	// MessageSent reports whether the message with key has been recorded as sent.
	MessageSent(ctx context.Context, key string) (bool, error)
	// RecordMessageSent records that the message with key was sent at the instant
	// given and reports whether the record is new; recording a key again changes
	// nothing and answers false. Inside a transaction the record commits or rolls
	// back with the transaction. Of two calls racing with one key, one answers true.
	RecordMessageSent(ctx context.Context, key string, at time.Time) (bool, error)
}

// Store is every repository of Match Point with its transaction boundary.
type Store interface {
	Transactor
	Clubs
	Courts
	Seasons
	Closures
	PriceRules
	Bookings
	PaymentEvents
	APIKeys
	Reports
	Refunds
	SentMessages
}
