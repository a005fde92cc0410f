// Package storetest is the contract suite of ports.Store: the one set of tests that
// every store adapter must pass — the memory store, and the Postgres store both
// directly and through PgBouncer. An adapter proves itself by calling Run from its own
// tests with a function that makes a fresh, empty store:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) ports.Store { return memory.New() })
//	}
//
// The suite checks what the doc comments of ports/store.go promise: lookups and
// not_found errors, unique slugs, keys and idempotency keys, atomic season overlap
// checks, the orderings of lists, the booking invariant (two active bookings never
// overlap on one court) under concurrent writers, versions, the per-customer limit,
// reports kept byte for byte and scoped to their club, refunds owed once per
// idempotency key and listed by state and due time, and transactions that commit
// or undo every write together and run commit hooks only after committing.
//
// Subtests run in parallel, each on its own store, so newStore may be called
// concurrently and must isolate what it returns (a schema or database per call); it
// cleans up with t.Cleanup. Every record belongs to a club and court saved first, and
// every id is a UUID string, so stores may keep foreign keys and uuid columns. Times
// are whole minutes in UTC. The suite imports domain, ports and testify; nothing
// imports it but tests.
package storetest
