package domain

import (
	"errors"
	"fmt"
)

// Kind classifies an Error. The HTTP adapter maps each kind to a status code once.
type Kind string

// The kinds of error the domain and the use cases return.
const (
	KindInvalid      Kind = "invalid"      // the request is malformed or breaks a value's rules
	KindNotFound     Kind = "not_found"    // the thing asked for does not exist (or is not visible)
	KindConflict     Kind = "conflict"     // the request collides with the current state
	KindPolicy       Kind = "policy"       // the club's booking policy forbids it
	KindForbidden    Kind = "forbidden"    // the caller is known but may not do this
	KindUnauthorized Kind = "unauthorized" // the caller is not authenticated
	KindUnavailable  Kind = "unavailable"  // a dependency (payment provider, store) failed; retry later
	KindInternal     Kind = "internal"     // a bug or an unexpected failure
)

// Stable machine codes. Clients may switch on them; they never change meaning.
const (
	CodeInvalid              = "invalid"
	CodeInvalidRequest       = "invalid_request" // text with NUL, control characters or bad UTF-8; JSON members twice or miscased
	CodeNotFound             = "not_found"
	CodeSlotUnavailable      = "slot_unavailable"
	CodeOutsideOpeningHours  = "outside_opening_hours"
	CodeClosed               = "closed"
	CodeLeadTime             = "lead_time"
	CodeHorizon              = "horizon"
	CodeTooManyActive        = "too_many_active_bookings"
	CodeInvalidTransition    = "invalid_transition"
	CodeDurationNotAllowed   = "duration_not_allowed"
	CodeMisaligned           = "misaligned_start"
	CodeNotPriced            = "not_priced"
	CodeCourtInactive        = "court_inactive"
	CodeCurrencyMismatch     = "currency_mismatch"
	CodeIdempotencyKeyReused = "idempotency_key_reused"
	CodeSeasonOverlap        = "season_overlap"
	CodeDuplicate            = "duplicate"
	CodeAmountMismatch       = "amount_mismatch"
	CodeBookingStarted       = "booking_started"
	CodeRefundedElsewhere    = "refunded_elsewhere"    // a refund made at the provider, not asked for here
	CodeRefundBeforePayment  = "refund_before_payment" // a payment's refund arrived before the payment
	CodeBadSignature         = "bad_signature"
	CodeUnauthorized         = "unauthorized"
	CodeForbidden            = "forbidden"
	CodeUnavailable          = "unavailable"
	CodeInternal             = "internal"
)

// Error is the one error type of Match Point: a kind, a stable code and a human message.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Err     error // the cause, if any
}

// Errorf returns an *Error of the given kind and code with a formatted message.
// A %w verb in format keeps the cause reachable through errors.Unwrap.
func Errorf(kind Kind, code, format string, args ...any) *Error {
	wrapped := fmt.Errorf(format, args...)
	return &Error{Kind: kind, Code: code, Message: wrapped.Error(), Err: errors.Unwrap(wrapped)}
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Unwrap returns the cause of e.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, &domain.Error{Code: domain.CodeSlotUnavailable}) works.
func (e *Error) Is(target error) bool {
	var t *Error
	if !errors.As(target, &t) {
		return false
	}
	return t.Code == e.Code && (t.Kind == "" || t.Kind == e.Kind)
}

// ErrorKind returns the kind of the first *Error in err's chain, KindInternal otherwise.
func ErrorKind(err error) Kind {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// ErrorCode returns the code of the first *Error in err's chain, CodeInternal otherwise.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the human message of the first *Error in err's chain and a
// generic message for anything else, so that internal details never reach a client.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

func invalidf(format string, args ...any) *Error {
	return Errorf(KindInvalid, CodeInvalid, format, args...)
}
