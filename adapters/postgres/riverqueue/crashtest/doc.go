// Package crashtest holds only tests: they run Match Point's use cases on River in
// PostgreSQL with worker processes that are killed mid-job (SIGKILL), and check that
// no refund is lost and no job takes effect twice, beyond the one duplicate the
// package app documents (a message the mail server accepted just before its worker
// died, whose record never committed, goes out once more).
//
// The test binary is also the worker: run with MATCHPOINT_CRASH_WORKER=1 it composes
// the use cases (app.New) over the postgres store of DATABASE_URL, a riverqueue.Queue
// started with App.Workers(), the SMTP notifier and a payment gateway whose calls go
// over HTTP to a stand-in of the provider that the test serves, and runs jobs until it
// is killed or stopped (SIGTERM). The tests start such processes, book, pay and cancel
// through the use cases in the test process itself (whose queue only enqueues), and
// read the outcome back from the database, the provider stand-in and mailpit.
//
// The tests need the local PostgreSQL the other adapter tests use and mailpit (`make
// tools`); each test works in a database of its own, dropped at the end.
package crashtest
