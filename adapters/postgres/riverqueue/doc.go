// Package riverqueue is a durable ports.JobQueue on River (github.com/riverqueue/river),
// storing its jobs in the bookings' PostgreSQL database through the same *sql.DB
// (pgx's database/sql driver, River's riverdatabasesql driver) as the postgres
// store, so that a job enqueued with a booking commits, or rolls back, with it.
// Jobs survive restarts, and every process with a started Queue on the database runs
// them: one of them fetches each job. A job whose process dies while running it is
// run again once River's rescuer (on the elected leader among the started Queues)
// finds it stuck: after Config.RescueAfter, an hour by default. So a worker must
// tolerate running twice; the tests of package crashtest kill worker processes
// mid-job to show that the use cases' workers do.
//
// Transactions. With the context of the store's transaction (store.WithinTx),
// Enqueue inserts the job in that transaction: the transaction's jobs are gathered and
// inserted together just before it commits (postgres.Store.BeforeCommit), in one
// River InsertManyFastTx on its *sql.Tx, an INSERT … ON CONFLICT DO NOTHING without
// RETURNING. Cancel cancels in it; a rollback leaves no job and a commit always has
// its jobs. Outside a transaction each
// call is a transaction of its own. A context inside another Transactor's transaction
// is refused, since the job could not commit with it.
//
// Unique keys. Every job's River arguments are an envelope, {"key": …, "args": …},
// whose Kind is the kind of the port's arguments and whose only field marked
// `river:"unique"` is the key. A job with EnqueueOptions.UniqueKey is inserted with
// UniqueOpts{ByArgs: true, ExcludeKind: true, ByState: available, pending, running,
// retryable, scheduled}: River's unique index then lets one job per key exist while
// it waits (for its first run, its RunAt time or a retry) or runs, whatever its kind,
// and a completed, cancelled or discarded job frees the key. A duplicate is a no-op.
// Cancel finds the waiting job of a key through River's GIN index on args, locks it
// (so no worker fetches it meanwhile) and cancels it with JobCancelTx; a running job is
// left to finish.
//
// Workers and retries. Start registers one River worker per kind of the workers it is given
// (ports.Workers), which hands the job's arguments (unwrapped from the envelope), id
// and attempt to Workers.Work. A failed attempt is retried after River's backoff
// (attempt⁴ seconds) or Config.Backoff, up to Config.MaxAttempts; the failure of the
// last attempt is given to Config.Reporter and the job is discarded. A job whose
// RunAt is at most five seconds away (River's scheduler interval) is inserted as
// available with that time, as River does for near retries, so it runs on time rather
// than when the scheduler next looks.
//
// Periodic jobs. Config.Periodic names jobs to enqueue every interval (a sweep, a
// reconciliation). Every started Queue carries them, but only River's elected leader
// among the started queues of the database enqueues them, so each runs once per
// interval however many processes run workers; one of them still waiting or running
// holds its key ("periodic:" and its kind), so they never pile up.
//
// Waiting. WaitIdle polls river_job until no job is due or running, in this process or
// another: what a test, or a process that drains before it exits, waits on. Counts
// counts the jobs that wait or run, by state and kind, for a gauge of the backlog.
//
// Polling. The database/sql driver has no LISTEN connection, so River runs in poll
// only mode whatever Config.PollOnly says: each Queue looks for due jobs every
// Config.FetchPollInterval (one second by default). This also makes the queue work
// through PgBouncer in transaction pooling mode, where LISTEN does not; set PollOnly
// there all the same, so that it stays true if the driver gains a listener; the
// contract suite runs through PgBouncer in transaction mode in this package's tests.
// Since no Queue listens, Enqueue lets River send its insert NOTIFY at most once an
// hour (River's default is every 100ms of inserts), sparing the enqueueing
// transactions that round trip and their commits the database-wide lock of a NOTIFY.
// Migrate takes a session advisory lock, so run it on a direct connection.
//
// Migrate creates River's tables (river_job, river_leader, river_queue, …) in the
// schema the connections' search_path names first; run it with postgres.Migrate.
//
// The package imports domain, ports, the postgres adapter it belongs to (for the
// store's transaction) and River.
package riverqueue
