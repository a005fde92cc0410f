package domain

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// RefundState is where a refund owed to a customer stands.
type RefundState string

// Refund states. owed → issued once the provider accepts it; owed → attention when the
// provider refuses it for good or keeps failing for RefundGiveUpAfter attempts;
// attention → owed when the club has fixed the cause and retries it.
const (
	RefundOwed      RefundState = "owed"
	RefundIssued    RefundState = "issued"
	RefundAttention RefundState = "attention"
)

// Known reports whether s is one of the refund states.
func (s RefundState) Known() bool {
	switch s {
	case RefundOwed, RefundIssued, RefundAttention:
		return true
	}
	return false
}

// refundBackoff is the wait after each failed attempt of a refund, in order; the last
// repeats.
var refundBackoff = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour}

// RefundBackoff returns how long a refund waits after its attempts-th failed attempt
// (1 for the first): 1 minute, 5 minutes, 15 minutes, 1 hour, 3 hours, then 6 hours
// each time. attempts below 1 count as 1.
func RefundBackoff(attempts int) time.Duration {
	i := min(max(attempts, 1), len(refundBackoff)) - 1
	return refundBackoff[i]
}

// RefundGiveUpAfter is how many failed attempts in a row leave a refund owed: the
// next failure needs attention. With RefundBackoff's waits the attempts span about
// three days.
const RefundGiveUpAfter = 16

// RefundRecord is the stored form of a refund: what a repository saves and loads.
// Build refunds with NewRefund and change them with their methods; RestoreRefund turns
// a record back into a refund.
type RefundRecord struct {
	ID             string
	ClubID         string
	BookingID      string
	Gateway        string // the name of the gateway that took the payment
	PaymentRef     string // the gateway's reference of the payment refunded
	Amount         Money  // positive
	Reason         string // why it is owed, e.g. "cancellation" or "slot_taken"
	IdempotencyKey string // unique per club: the gateway refunds once per key
	State          RefundState
	Attempts       int       // failed attempts since the refund was last owed afresh
	LastError      string    // what the provider last answered, when it failed
	NextAttemptAt  time.Time // when an owed refund is next due; zero once it is not owed
	ProviderID     string    // the provider's id of the refund, once issued
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Refund is money owed back to a customer for a payment, until the provider has
// given it back. It changes only through its methods.
type Refund struct {
	r RefundRecord
}

// NewRefundParams are the inputs of NewRefund.
type NewRefundParams struct {
	ID             string
	ClubID         string
	BookingID      string
	Gateway        string
	PaymentRef     string
	Amount         Money
	Reason         string
	IdempotencyKey string
	Now            time.Time
}

// NewRefund returns an owed refund, due at Now plus RefundBackoff(1): the job that
// is queued with it tries it at once, and a sweep takes it up if it is still owed
// then. Every field but PaymentRef is required (a payment reported without a
// reference can still be given back by a provider that finds it by booking), and
// the amount is positive.
func NewRefund(p NewRefundParams) (*Refund, error) {
	switch {
	case p.ID == "" || p.ClubID == "" || p.BookingID == "":
		return nil, invalidf("a refund needs its id, club and booking")
	case p.Gateway == "":
		return nil, invalidf("a refund needs the gateway that took the payment")
	case p.IdempotencyKey == "" || len(p.IdempotencyKey) > 255:
		return nil, invalidf("a refund needs an idempotency key of 1 to 255 characters")
	case p.Amount.Currency().IsZero() || p.Amount.Amount() <= 0:
		return nil, invalidf("a refund of %s must be a positive amount with a currency", p.Amount)
	case p.Now.IsZero():
		return nil, invalidf("a refund needs the time it is owed from")
	}
	now := p.Now.UTC()
	return &Refund{r: RefundRecord{
		ID: p.ID, ClubID: p.ClubID, BookingID: p.BookingID, Gateway: p.Gateway, PaymentRef: p.PaymentRef,
		Amount: p.Amount, Reason: p.Reason, IdempotencyKey: p.IdempotencyKey, State: RefundOwed,
		NextAttemptAt: now.Add(RefundBackoff(1)), CreatedAt: now, UpdatedAt: now,
	}}, nil
}

// RestoreRefund returns the refund a repository stored as r. A record no refund could
// have reached is an internal error naming the fault.
func RestoreRefund(r RefundRecord) (*Refund, error) {
	if err := r.check(); err != nil {
		return nil, Errorf(CodeInternal, "stored refund %q: %s", r.ID, err)
	}
	return &Refund{r: r}, nil
}

// check reports the first rule of a stored refund that r breaks.
func (r RefundRecord) check() error {
	switch {
	case r.ID == "" || r.ClubID == "" || r.BookingID == "":
		return errors.New("the id, club or booking is empty")
	case r.Gateway == "" || r.IdempotencyKey == "":
		return errors.New("the gateway or the idempotency key is empty")
	case !r.State.Known():
		return fmt.Errorf("the state %q is unknown", r.State)
	case r.Amount.Currency().IsZero() || r.Amount.Amount() <= 0:
		return fmt.Errorf("the amount %s is not positive", r.Amount)
	case r.Attempts < 0:
		return fmt.Errorf("the attempts %d are negative", r.Attempts)
	case r.State == RefundOwed && r.NextAttemptAt.IsZero():
		return errors.New("an owed refund has no next attempt")
	case r.State == RefundIssued && r.ProviderID == "":
		return errors.New("an issued refund has no provider id")
	}
	return nil
}

// Record returns the stored form of the refund.
func (f *Refund) Record() RefundRecord { return f.r }

// ID returns the refund's id.
func (f *Refund) ID() string { return f.r.ID }

// ClubID returns the id of the club that owes the refund.
func (f *Refund) ClubID() string { return f.r.ClubID }

// BookingID returns the id of the booking whose payment is refunded.
func (f *Refund) BookingID() string { return f.r.BookingID }

// Gateway returns the name of the gateway that took the payment.
func (f *Refund) Gateway() string { return f.r.Gateway }

// PaymentRef returns the gateway's reference of the payment.
func (f *Refund) PaymentRef() string { return f.r.PaymentRef }

// Amount returns what is refunded.
func (f *Refund) Amount() Money { return f.r.Amount }

// Reason returns why the refund is owed.
func (f *Refund) Reason() string { return f.r.Reason }

// IdempotencyKey returns the key every attempt sends the gateway.
func (f *Refund) IdempotencyKey() string { return f.r.IdempotencyKey }

// State returns the refund's state.
func (f *Refund) State() RefundState { return f.r.State }

// Attempts returns the failed attempts since the refund was last owed afresh.
func (f *Refund) Attempts() int { return f.r.Attempts }

// LastError returns what the provider last answered when it failed; empty if never.
func (f *Refund) LastError() string { return f.r.LastError }

// NextAttemptAt returns when an owed refund is next due; zero when it is not owed.
func (f *Refund) NextAttemptAt() time.Time { return f.r.NextAttemptAt }

// ProviderID returns the provider's id of an issued refund.
func (f *Refund) ProviderID() string { return f.r.ProviderID }

// CreatedAt returns when the refund became owed.
func (f *Refund) CreatedAt() time.Time { return f.r.CreatedAt }

// UpdatedAt returns when the refund last changed.
func (f *Refund) UpdatedAt() time.Time { return f.r.UpdatedAt }

func (f *Refund) refuse(to RefundState) error {
	return Errorf(CodeInvalidTransition, "a refund %s cannot become %s", f.r.State, to)
}

// Issue records that the provider accepted the owed refund under its id.
func (f *Refund) Issue(providerID string, now time.Time) error {
	switch {
	case f.r.State != RefundOwed:
		return f.refuse(RefundIssued)
	case providerID == "":
		return invalidf("an issued refund has the provider's id")
	}
	f.r.State, f.r.ProviderID, f.r.NextAttemptAt, f.r.UpdatedAt = RefundIssued, providerID, time.Time{}, now.UTC()
	return nil
}

// Fail records a failed attempt of the owed refund: the provider could not answer,
// and a later attempt may succeed. The refund stays owed, due again after
// RefundBackoff(attempts); the RefundGiveUpAfter-th failure in a row moves it to
// attention instead. It reports whether the refund needs attention now.
func (f *Refund) Fail(reason string, now time.Time) (bool, error) {
	if f.r.State != RefundOwed {
		return false, f.refuse(RefundOwed)
	}
	f.r.Attempts++
	f.r.LastError, f.r.UpdatedAt = clipReason(reason), now.UTC()
	if f.r.Attempts >= RefundGiveUpAfter {
		f.r.State, f.r.NextAttemptAt = RefundAttention, time.Time{}
		return true, nil
	}
	f.r.NextAttemptAt = now.UTC().Add(RefundBackoff(f.r.Attempts))
	return false, nil
}

// Refuse records that the provider refused the owed refund for good: retrying
// cannot help until someone fixes the cause, so it needs attention.
func (f *Refund) Refuse(reason string, now time.Time) error {
	if f.r.State != RefundOwed {
		return f.refuse(RefundAttention)
	}
	f.r.Attempts++
	f.r.State, f.r.LastError, f.r.NextAttemptAt, f.r.UpdatedAt = RefundAttention, clipReason(reason), time.Time{}, now.UTC()
	return nil
}

// Reopen makes a refund that needs attention owed again, due at now, with its
// failed attempts counted afresh: the club has fixed the cause. Its last error stays
// until the next attempt.
func (f *Refund) Reopen(now time.Time) error {
	if f.r.State != RefundAttention {
		return f.refuse(RefundOwed)
	}
	f.r.State, f.r.Attempts, f.r.NextAttemptAt, f.r.UpdatedAt = RefundOwed, 0, now.UTC(), now.UTC()
	return nil
}

// maxReason bounds the provider's answer a refund keeps, in bytes.
const maxReason = 500

// clipReason returns a provider's answer as a refund keeps it: valid UTF-8 without NUL
// bytes, at most maxReason bytes.
func clipReason(s string) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	for len(s) > maxReason {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}
