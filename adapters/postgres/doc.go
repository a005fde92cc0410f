// Package postgres is the production store of Match Point: every repository of
// ports.Store on PostgreSQL through Bun, with pgx v5 as the database/sql driver.
//
// The database keeps the invariants itself: an exclusion constraint forbids two active
// bookings that overlap on a court, another forbids seasons of a club that share a
// day, and unique indexes guard slugs, idempotency keys, API key hashes and processed
// payment events. The store checks first (so that contention rarely reaches a
// constraint) and maps what the constraints refuse to domain conflicts.
//
// Every statement is safe behind PgBouncer in transaction mode: Bun formats arguments
// into the query text, pgx sends it with the simple protocol (no prepared statements
// kept across transactions), and the only locks outside rows are transaction-scoped
// advisory locks. Migrate applies the embedded migrations.
//
// The package imports domain and ports, Bun, pgx and Wire only.
package postgres
