// Package inproc is the embedded default ports.JobQueue: a small job queue that runs
// jobs in worker goroutines of the same process. It keeps jobs in memory only, so a
// job that has not run when the process stops is lost. It is the only queue in this
// repository; a deployment that cannot lose jobs implements ports.JobQueue over
// durable storage and runs ports/queuetest against it. (The example server also
// expires holds and reconciles pending checkouts every half minute, a safety net
// behind the expiry jobs and the webhooks.)
//
// Within one process it keeps the promises of the port. Start takes the
// ports.Workers that run the jobs, one typed worker per kind; each job gets an id,
// stable across its attempts, and runs through Workers.Work. Enqueue encodes the
// arguments as JSON; a job runs at its RunAt time (a timer wakes the scheduler, it
// does not poll); a unique key makes Enqueue a no-op while a job with that key is
// waiting or running, and Cancel removes the waiting job with a key. A failed attempt
// (an error or a panic of the worker) is logged and retried with backoff up to a
// number of attempts; the last one is logged as dead and reported to Config.Reporter.
// Enqueued or cancelled with a context inside a transaction (ports.InTx), a job
// becomes visible, or is removed, only once the transaction commits
// (ports.AfterCommit), and never if it rolls back.
//
// The package imports ports, domain, Wire (for its ProviderSet) and the standard
// library; it must not import another adapter.
package inproc
