// Package inproc is the embedded default ports.JobQueue: a small job queue that runs
// jobs in worker goroutines of the same process. It keeps jobs in memory only, so a
// job that has not run when the process stops is lost. It is the only queue in this
// repository; a deployment that cannot lose jobs implements ports.JobQueue over
// durable storage and runs ports/queuetest against it. (The example server also
// expires holds and reconciles pending checkouts every half minute, a safety net
// behind the expiry jobs and the webhooks.)
//
// Within one process it keeps the promises of the port. Enqueue encodes the
// arguments as JSON; a job runs at its RunAt time (a timer wakes the scheduler, it
// does not poll); a unique key makes Enqueue a no-op while a job with that key is
// waiting or running; a failed job is retried with backoff up to a number of attempts
// and then logged as dead. Enqueued with a context inside a transaction (ports.InTx),
// a job becomes visible only once the transaction commits (ports.AfterCommit), and
// never if it rolls back.
//
// The package imports ports, domain, Wire (for its ProviderSet) and the standard
// library; it must not import another adapter.
package inproc
