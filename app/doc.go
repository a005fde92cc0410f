// Package app holds Match Point's use cases: the library's main API. It orchestrates
// the domain and the ports — reads through the cache, writes in one transaction with
// the jobs they schedule, payments through the gateway — and keeps every rule in
// package domain. It imports domain, ports and the standard library (plus small pure
// helpers), never an adapter.
//
// # Messages are sent once
//
// Customers' messages go out from notify jobs (NotifyArgs), which the queue retries
// after a failed attempt and, on River, runs again when the process running one died.
// Each message has a key (ports.MessageKey: kind, booking id and, for a refund, the
// refund it tells of), which is also the basis of the SMTP adapter's Message-ID. The
// worker first looks the key up in the store (ports.SentMessages) and does nothing for
// a message recorded as sent; otherwise it sends the message and, as soon as the
// notifier has taken it (the SMTP server accepted it), records the key in its own
// transaction. So a retried or re-run job never sends its message again, with one
// bound: a crash (or the store failing) between the server's acceptance and that
// commit leaves the message unrecorded, and the next run sends it once more. A record
// that fails after a send is logged at error level and reported, and the job ends
// without an error, since retrying it would send the message again. Two runs of one
// job at the same moment (which the queues do not start) could both send.
package app
