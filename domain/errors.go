package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an Error; it follows from the error's code (CodeKind). The HTTP
// adapter maps each kind to a status code once.
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
	KindRateLimited  Kind = "rate_limited" // the caller has used up its request budget; retry later
	KindInternal     Kind = "internal"     // a bug or an unexpected failure
)

// Stable machine codes. Clients may switch on them; they never change meaning. Each
// has one kind, in the table of CodeKind, and one sentinel (ErrLeadTime for
// CodeLeadTime) for errors.Is.
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
	CodeCheckoutPaid         = "checkout_paid"         // a checkout asked to close has been paid already
	CodeBadSignature         = "bad_signature"
	CodeUnauthorized         = "unauthorized"
	CodeForbidden            = "forbidden"
	CodeUnavailable          = "unavailable"
	CodeRateLimited          = "rate_limited" // too many requests from the caller, or too many failed credentials
	CodeInternal             = "internal"
)

// kinds is the one table from code to kind: a code names a single kind, so that a
// call site says only the code and cannot pair it with the wrong kind.
var kinds = map[string]Kind{
	CodeInvalid:              KindInvalid,
	CodeInvalidRequest:       KindInvalid,
	CodeCurrencyMismatch:     KindInvalid,
	CodeNotFound:             KindNotFound,
	CodeSlotUnavailable:      KindConflict,
	CodeInvalidTransition:    KindConflict,
	CodeIdempotencyKeyReused: KindConflict,
	CodeSeasonOverlap:        KindConflict,
	CodeDuplicate:            KindConflict,
	CodeAmountMismatch:       KindConflict,
	CodeBookingStarted:       KindConflict,
	CodeRefundedElsewhere:    KindConflict,
	CodeRefundBeforePayment:  KindConflict,
	CodeCheckoutPaid:         KindConflict,
	CodeOutsideOpeningHours:  KindPolicy,
	CodeClosed:               KindPolicy,
	CodeLeadTime:             KindPolicy,
	CodeHorizon:              KindPolicy,
	CodeTooManyActive:        KindPolicy,
	CodeDurationNotAllowed:   KindPolicy,
	CodeMisaligned:           KindPolicy,
	CodeNotPriced:            KindPolicy,
	CodeCourtInactive:        KindPolicy,
	CodeForbidden:            KindForbidden,
	CodeBadSignature:         KindUnauthorized,
	CodeUnauthorized:         KindUnauthorized,
	CodeUnavailable:          KindUnavailable,
	CodeRateLimited:          KindRateLimited,
	CodeInternal:             KindInternal,
}

// CodeKind returns the kind of code, and KindInternal for a code that is not one of
// the Code constants: an error nobody classified is treated as a bug.
func CodeKind(code string) Kind {
	if k, ok := kinds[code]; ok {
		return k
	}
	return KindInternal
}

// Sentinels, one per code, for errors.Is: errors.Is(err, ErrSlotUnavailable) holds
// for any *Error with code CodeSlotUnavailable in err's chain, whatever its message.
// They are targets to compare with; return an Errorf with a message that says what
// happened instead.
var (
	ErrInvalid              = sentinel(CodeInvalid)
	ErrInvalidRequest       = sentinel(CodeInvalidRequest)
	ErrNotFound             = sentinel(CodeNotFound)
	ErrSlotUnavailable      = sentinel(CodeSlotUnavailable)
	ErrOutsideOpeningHours  = sentinel(CodeOutsideOpeningHours)
	ErrClosed               = sentinel(CodeClosed)
	ErrLeadTime             = sentinel(CodeLeadTime)
	ErrHorizon              = sentinel(CodeHorizon)
	ErrTooManyActive        = sentinel(CodeTooManyActive)
	ErrInvalidTransition    = sentinel(CodeInvalidTransition)
	ErrDurationNotAllowed   = sentinel(CodeDurationNotAllowed)
	ErrMisaligned           = sentinel(CodeMisaligned)
	ErrNotPriced            = sentinel(CodeNotPriced)
	ErrCourtInactive        = sentinel(CodeCourtInactive)
	ErrCurrencyMismatch     = sentinel(CodeCurrencyMismatch)
	ErrIdempotencyKeyReused = sentinel(CodeIdempotencyKeyReused)
	ErrSeasonOverlap        = sentinel(CodeSeasonOverlap)
	ErrDuplicate            = sentinel(CodeDuplicate)
	ErrAmountMismatch       = sentinel(CodeAmountMismatch)
	ErrBookingStarted       = sentinel(CodeBookingStarted)
	ErrRefundedElsewhere    = sentinel(CodeRefundedElsewhere)
	ErrRefundBeforePayment  = sentinel(CodeRefundBeforePayment)
	ErrCheckoutPaid         = sentinel(CodeCheckoutPaid)
	ErrBadSignature         = sentinel(CodeBadSignature)
	ErrUnauthorized         = sentinel(CodeUnauthorized)
	ErrForbidden            = sentinel(CodeForbidden)
	ErrUnavailable          = sentinel(CodeUnavailable)
	ErrRateLimited          = sentinel(CodeRateLimited)
	ErrInternal             = sentinel(CodeInternal)
)

func sentinel(code string) *Error {
	return &Error{Code: code, Message: strings.ReplaceAll(code, "_", " ")}
}

// Error is the one error type of Match Point: a stable code and a human message. Its
// kind follows from the code (see Kind).
type Error struct {
	Code    string
	Message string
	Err     error // the cause, if any
}

// Errorf returns an *Error with the given code and a formatted message; its kind is
// the code's. A %w verb in format keeps the cause reachable through errors.Unwrap.
func Errorf(code, format string, args ...any) *Error {
	wrapped := fmt.Errorf(format, args...)
	return &Error{Code: code, Message: wrapped.Error(), Err: errors.Unwrap(wrapped)}
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Kind returns the kind of e's code, KindInternal for a code that has none.
func (e *Error) Kind() Kind { return CodeKind(e.Code) }

// Unwrap returns the cause of e.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, domain.ErrSlotUnavailable) and
// errors.Is(err, &domain.Error{Code: domain.CodeSlotUnavailable}) work.
func (e *Error) Is(target error) bool {
	var t *Error
	if !errors.As(target, &t) || t == nil {
		return false
	}
	return t.Code == e.Code
}

// ErrorKind returns the kind of the first *Error in err's chain, KindInternal otherwise.
func ErrorKind(err error) Kind {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind()
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
	return Errorf(CodeInvalid, format, args...)
}
