// Package memory is the in-memory store of Match Point: every repository of
// ports.Store kept in maps, for the embedded demo, for tests of the use cases and as
// the reference the contract suite (ports/storetest) is checked against.
//
// It enforces every invariant the Postgres store enforces — no two active bookings
// overlap on a court, unique slugs, idempotency keys and API key hashes, seasons that
// never share a day, the per-customer limit of active bookings — and it is safe for
// concurrent use. Transactions are serialised: WithinTx holds the store's write lock
// until the transaction ends and undoes its writes if it fails. Values go in and come
// out as deep copies, so no caller can change stored state behind the store's back.
//
// The store lives in one process: it is the default of `make run` and of tests, not a
// store for several instances. It imports domain, ports and Wire only.
package memory
