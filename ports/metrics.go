package ports

import "time"

// Metrics is told what the use cases and the workers of their jobs do, for an
// operator's counters and histograms. It is called on the paths it counts, often
// inside a request, so every method must be cheap, must not block, and never fails.
// Each label it is given comes from a small fixed set (the constants below, a gateway
// name, a job kind, a cache family), never an id: an adapter may use them as they are.
// The use cases call it for what has happened, once it has: a change made in a
// transaction is counted after the transaction commits.
type Metrics interface {
	// Booking counts one booking reaching an outcome.
	Booking(outcome BookingOutcome)
	// HoldsExpired counts n holds that ran out unpaid, expired by via.
	HoldsExpired(via HoldExpiry, n int)
	// Webhook counts one webhook of a payment provider and what it did (see
	// WebhookRejected and WebhookFailed; the others are the use cases' outcomes).
	Webhook(provider, outcome string)
	// Refund counts one step of a refund owed to a customer.
	Refund(outcome RefundOutcome)
	// Job counts one run of a job of kind: its outcome, how long after it was due it
	// started (lag, zero when the queue did not say when it was due) and how long it ran.
	Job(kind string, outcome JobOutcome, lag, took time.Duration)
	// CacheLookup counts one lookup of a key of family in a tier of the use cases'
	// cache (see CacheTierDecoded and CacheTierShared); an error counts as a miss.
	CacheLookup(tier, family string, hit bool)
}

// BookingOutcome is what became of a booking, or of a request for one.
type BookingOutcome string

// Booking outcomes.
const (
	BookingHeld      BookingOutcome = "held"      // created and held while the customer pays
	BookingConfirmed BookingOutcome = "confirmed" // paid (or free), and so confirmed
	BookingCancelled BookingOutcome = "cancelled" // cancelled by its customer
	BookingExpired   BookingOutcome = "expired"   // its hold ran out unpaid
	BookingCompleted BookingOutcome = "completed" // played
	BookingNoShow    BookingOutcome = "no_show"   // its customer did not come
	// BookingConflict is a request refused because the slot, or the customer's
	// allowance, is taken.
	BookingConflict BookingOutcome = "conflict"
	// BookingRefused is a request the club's policy refuses (too far ahead, too short).
	BookingRefused BookingOutcome = "refused"
	// BookingInvalid is a request that names nothing bookable or is malformed.
	BookingInvalid BookingOutcome = "invalid"
	// BookingFailed is a request that could not be completed: the store or the payment
	// provider did not answer, or refused the checkout.
	BookingFailed BookingOutcome = "failed"
)

// HoldExpiry says what expired a hold.
type HoldExpiry string

// What expires holds.
const (
	ExpiredByJob       HoldExpiry = "job"       // the expiry job the booking scheduled
	ExpiredBySweep     HoldExpiry = "sweep"     // the periodic sweep behind those jobs
	ExpiredByWebhook   HoldExpiry = "webhook"   // the provider's word that the checkout expired or failed
	ExpiredByReconcile HoldExpiry = "reconcile" // reconciliation with the provider
	ExpiredByPayment   HoldExpiry = "payment"   // a payment that came too late to confirm it
)

// Webhook outcomes that are not the use cases' own.
const (
	WebhookRejected = "rejected" // unknown provider, bad signature or unreadable body
	WebhookFailed   = "failed"   // verified, but not applied (the store failed): the provider retries it
)

// RefundOutcome is one step of a refund owed to a customer.
type RefundOutcome string

// Refund outcomes.
const (
	RefundOwed      RefundOutcome = "owed"      // a refund became owed
	RefundIssued    RefundOutcome = "issued"    // the provider accepted it
	RefundFailed    RefundOutcome = "failed"    // the provider did not answer: owed again later
	RefundAttention RefundOutcome = "attention" // refused, or failing for days: the club must look
)

// JobOutcome is how one run of a job ended.
type JobOutcome string

// Job outcomes.
const (
	JobSucceeded JobOutcome = "succeeded"
	JobFailed    JobOutcome = "failed"   // the worker returned an error: retried until its attempts run out
	JobPanicked  JobOutcome = "panicked" // the worker panicked: a failure too
)

// Tiers of the use cases' cache, for CacheLookup.
const (
	// CacheTierDecoded is the values a process keeps decoded, per generation of
	// their family.
	CacheTierDecoded = "decoded"
	// CacheTierShared is the Cache the use cases were given (whose own tiers, if it
	// has any, count their lookups themselves).
	CacheTierShared = "cache"
)

// NoMetrics counts nothing: the Metrics of a program that keeps none.
type NoMetrics struct{}

// Booking does nothing.
func (NoMetrics) Booking(BookingOutcome) {}

// HoldsExpired does nothing.
func (NoMetrics) HoldsExpired(HoldExpiry, int) {}

// Webhook does nothing.
func (NoMetrics) Webhook(string, string) {}

// Refund does nothing.
func (NoMetrics) Refund(RefundOutcome) {}

// Job does nothing.
func (NoMetrics) Job(string, JobOutcome, time.Duration, time.Duration) {}

// CacheLookup does nothing.
func (NoMetrics) CacheLookup(string, string, bool) {}
