// Package prommetrics counts what the use cases and their jobs do (ports.Metrics) in
// Prometheus collectors, registered on the registry the program serves:
//
//	bookings_total{outcome}                     bookings reaching an outcome (ports.BookingOutcome)
//	holds_expired_total{via}                    holds that ran out unpaid, by what expired them
//	webhooks_total{provider,outcome}            payment providers' webhooks and what each did
//	refunds_total{outcome}                      steps of the refunds owed to customers
//	jobs_total{kind,outcome}                    runs of jobs
//	job_duration_seconds{kind}                  how long they ran, a histogram
//	job_queue_lag_seconds{kind}                 how long after they were due they started, a histogram
//	cache_lookups_total{tier,family,result}     lookups of the use cases' cache
//
// Besides the port it offers two collectors over counts kept elsewhere, read when
// Prometheus scrapes: TierCollector, for the counts a tiered cache keeps of its own
// tiers, and QueueCollector, for the jobs waiting in a durable queue.
//
// The package imports ports, the Prometheus client and the standard library; it must
// not import another adapter.
package prommetrics
