// Package postgres is the production store of Match Point: every repository of
// ports.Store on PostgreSQL through Bun, with pgx v5 as the database/sql driver.
//
// The database keeps the invariants itself: an exclusion constraint forbids two active
// bookings that overlap on a court, another forbids seasons of a club that share a
// day, and unique indexes guard slugs, idempotency keys, API key hashes and processed
// payment events. The store checks first (so that contention rarely reaches a
// constraint) and maps what the constraints refuse to domain conflicts.
//
// A database that is away is no bug: a call that cannot reach the server, loses its
// connection, meets a server starting up or shutting down (SQLSTATE 57P0x), short of
// connections (class 53) or in a connection exception (class 08), or runs out of its
// context's deadline, a wait for a free connection of a full pool included, fails as
// domain.KindUnavailable, with the driver's error as its cause. Text holding a NUL
// byte, which PostgreSQL cannot store, is domain.KindInvalid.
//
// Every statement is safe behind PgBouncer in transaction mode: Bun formats arguments
// into the query text, pgx sends it with the simple protocol (no prepared statements
// kept across transactions), and the only locks outside rows are transaction-scoped
// advisory locks. Migrate applies the embedded migrations.
//
// Round trips are what a booking costs most on a busy server, so the hot path saves
// them where the simple protocol allows it: a transaction's BEGIN goes with its first
// statement in one query string (the pool's connections begin lazily, and a
// transaction that sent nothing ends without a word to the server), and CreateBooking
// in a WithinTx sends its savepoint, the customer's advisory lock (only for a club
// with a limit per customer) and its INSERT together. Each statement of a query string
// takes its own snapshot, so the count of the customer's bookings still runs after the
// lock is granted.
//
// Club reports keep their CSV as bytea, byte for byte; listings leave it unread.
// Sent messages are rows of sent_messages keyed by the message's key (primary key),
// inserted with ON CONFLICT DO NOTHING, so that a second record of one key is told
// apart from the first.
//
// WithSQLTx lends the *sql.Tx of a WithinTx to code on the same database, so that its
// writes commit with the store's: the River job queue (subpackage riverqueue) inserts
// and cancels jobs this way. The River tables have migrations of their own
// (riverqueue.Migrate); this package does not depend on River.
//
// The package imports domain and ports, Bun, pgx and Wire only.
package postgres
