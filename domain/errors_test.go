package domain_test

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
)

func TestErrorf(t *testing.T) {
	t.Parallel()

	err := domain.Errorf(domain.CodeLeadTime, "bookings must be made %d minutes ahead", 15)

	assert.Equal(t, domain.KindPolicy, err.Kind())
	assert.Equal(t, domain.CodeLeadTime, err.Code)
	assert.Equal(t, "bookings must be made 15 minutes ahead", err.Message)
	assert.Equal(t, "lead_time: bookings must be made 15 minutes ahead", err.Error())
	assert.NoError(t, err.Unwrap(), "a message without %%w has no cause")
}

func TestErrorfKeepsTheCauseOfW(t *testing.T) {
	t.Parallel()

	err := domain.Errorf(domain.CodeUnavailable, "reading the club: %w", io.ErrUnexpectedEOF)

	assert.Equal(t, "reading the club: unexpected EOF", err.Message)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Same(t, io.ErrUnexpectedEOF, errors.Unwrap(err))
}

func TestErrorKindAndCode(t *testing.T) {
	t.Parallel()

	slotTaken := domain.Errorf(domain.CodeSlotUnavailable, "court 1 is taken")
	tests := []struct {
		name     string
		err      error
		wantKind domain.Kind
		wantCode string
		wantMsg  string
	}{
		{"no error", nil, "", "", ""},
		{"a domain error", slotTaken, domain.KindConflict, domain.CodeSlotUnavailable, "court 1 is taken"},
		{"a domain error wrapped with %w", fmt.Errorf("booking b-1: %w", slotTaken), domain.KindConflict, domain.CodeSlotUnavailable, "court 1 is taken"},
		{"a domain error wrapped twice", fmt.Errorf("handler: %w", fmt.Errorf("store: %w", slotTaken)), domain.KindConflict, domain.CodeSlotUnavailable, "court 1 is taken"},
		{"any other error is internal and says nothing", errors.New("dial tcp 10.0.0.7:5432: refused"), domain.KindInternal, domain.CodeInternal, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.wantKind, domain.ErrorKind(tt.err))
			assert.Equal(t, tt.wantCode, domain.ErrorCode(tt.err))
			if tt.err != nil {
				assert.Equal(t, tt.wantMsg, domain.ErrorMessage(tt.err))
			}
		})
	}
}

func TestErrorsIsMatchesByCode(t *testing.T) {
	t.Parallel()

	err := fmt.Errorf("create booking: %w", domain.Errorf(domain.CodeSlotUnavailable, "court 1 is taken at 18:00"))
	tests := []struct {
		name   string
		target error
		want   bool
	}{
		{"same code", &domain.Error{Code: domain.CodeSlotUnavailable}, true},
		{"the code's sentinel", domain.ErrSlotUnavailable, true},
		{"same code, other message", &domain.Error{Code: domain.CodeSlotUnavailable, Message: "another court"}, true},
		{"another code's sentinel", domain.ErrClosed, false},
		{"other code", &domain.Error{Code: domain.CodeClosed}, false},
		{"not a domain error", io.EOF, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, errors.Is(err, tt.target))
		})
	}
}

func TestErrorsAsFindsTheDomainError(t *testing.T) {
	t.Parallel()

	err := fmt.Errorf("confirm: %w", domain.Errorf(domain.CodeAmountMismatch, "wrong amount"))

	var de *domain.Error
	if assert.ErrorAs(t, err, &de) {
		assert.Equal(t, domain.CodeAmountMismatch, de.Code)
		assert.Equal(t, domain.KindConflict, de.Kind())
	}
}

// declaredConsts returns the string constants of errors.go whose names start with
// prefix, by name, so that the tests below cover every code and kind declared there,
// including those added later.
func declaredConsts(t *testing.T, prefix string) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	require.NoError(t, err)
	out := map[string]string{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, prefix) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				require.True(t, ok, "%s is a string literal", name.Name)
				v, err := strconv.Unquote(lit.Value)
				require.NoError(t, err)
				out[name.Name] = v
			}
		}
	}
	require.NotEmpty(t, out, "errors.go declares %s constants", prefix)
	return out
}

// sentinels is every code with its sentinel.
var sentinels = map[string]*domain.Error{
	domain.CodeInvalid:              domain.ErrInvalid,
	domain.CodeInvalidRequest:       domain.ErrInvalidRequest,
	domain.CodeNotFound:             domain.ErrNotFound,
	domain.CodeSlotUnavailable:      domain.ErrSlotUnavailable,
	domain.CodeOutsideOpeningHours:  domain.ErrOutsideOpeningHours,
	domain.CodeClosed:               domain.ErrClosed,
	domain.CodeLeadTime:             domain.ErrLeadTime,
	domain.CodeHorizon:              domain.ErrHorizon,
	domain.CodeTooManyActive:        domain.ErrTooManyActive,
	domain.CodeInvalidTransition:    domain.ErrInvalidTransition,
	domain.CodeDurationNotAllowed:   domain.ErrDurationNotAllowed,
	domain.CodeMisaligned:           domain.ErrMisaligned,
	domain.CodeNotPriced:            domain.ErrNotPriced,
	domain.CodeCourtInactive:        domain.ErrCourtInactive,
	domain.CodeCurrencyMismatch:     domain.ErrCurrencyMismatch,
	domain.CodeIdempotencyKeyReused: domain.ErrIdempotencyKeyReused,
	domain.CodeSeasonOverlap:        domain.ErrSeasonOverlap,
	domain.CodeDuplicate:            domain.ErrDuplicate,
	domain.CodeAmountMismatch:       domain.ErrAmountMismatch,
	domain.CodeBookingStarted:       domain.ErrBookingStarted,
	domain.CodeRefundedElsewhere:    domain.ErrRefundedElsewhere,
	domain.CodeRefundBeforePayment:  domain.ErrRefundBeforePayment,
	domain.CodeCheckoutPaid:         domain.ErrCheckoutPaid,
	domain.CodeBadSignature:         domain.ErrBadSignature,
	domain.CodeUnauthorized:         domain.ErrUnauthorized,
	domain.CodeForbidden:            domain.ErrForbidden,
	domain.CodeUnavailable:          domain.ErrUnavailable,
	domain.CodeRateLimited:          domain.ErrRateLimited,
	domain.CodeInternal:             domain.ErrInternal,
}

func TestEveryCodeHasExactlyOneKind(t *testing.T) {
	t.Parallel()

	kinds := map[domain.Kind]bool{}
	for _, v := range declaredConsts(t, "Kind") {
		kinds[domain.Kind(v)] = true
	}
	seen := map[string]string{}
	for name, code := range declaredConsts(t, "Code") {
		require.NotContains(t, seen, code, "%s and %s share a code, and so could name two kinds", name, seen[code])
		seen[code] = name
		kind := domain.CodeKind(code)
		assert.True(t, kinds[kind], "%s has a declared kind, not %q", name, kind)
		if code != domain.CodeInternal {
			assert.NotEqual(t, domain.KindInternal, kind, "%s is missing from the table (an unknown code is internal)", name)
		}
		assert.Equal(t, kind, domain.Errorf(code, "x").Kind(), "%s: an error's kind is its code's", name)
	}
}

func TestTheKindsOfSomeCodes(t *testing.T) {
	t.Parallel()

	for code, want := range map[string]domain.Kind{
		domain.CodeInvalid:              domain.KindInvalid,
		domain.CodeCurrencyMismatch:     domain.KindInvalid,
		domain.CodeNotFound:             domain.KindNotFound,
		domain.CodeSlotUnavailable:      domain.KindConflict,
		domain.CodeIdempotencyKeyReused: domain.KindConflict,
		domain.CodeCheckoutPaid:         domain.KindConflict,
		domain.CodeLeadTime:             domain.KindPolicy,
		domain.CodeForbidden:            domain.KindForbidden,
		domain.CodeBadSignature:         domain.KindUnauthorized,
		domain.CodeUnavailable:          domain.KindUnavailable,
		domain.CodeRateLimited:          domain.KindRateLimited,
		domain.CodeInternal:             domain.KindInternal,
		"no_such_code":                  domain.KindInternal,
	} {
		assert.Equal(t, want, domain.CodeKind(code), code)
	}
	assert.Equal(t, domain.KindInternal, domain.ErrorKind(&domain.Error{Code: "no_such_code", Message: "m"}),
		"an error with an unknown code is internal")
}

func TestEveryCodeHasASentinel(t *testing.T) {
	t.Parallel()

	codes := declaredConsts(t, "Code")
	for name, code := range codes {
		assert.Contains(t, sentinels, code, "%s has a sentinel", name)
	}
	assert.Len(t, sentinels, len(codes), "one sentinel per code")
}

func TestSentinelsMatchTheirCodeOnly(t *testing.T) {
	t.Parallel()

	for code, sentinel := range sentinels {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, code, sentinel.Code)
			assert.Equal(t, domain.CodeKind(code), sentinel.Kind())
			assert.NotEmpty(t, sentinel.Message)
			for other := range sentinels {
				err := domain.Errorf(other, "court %d", 1)
				assert.Equal(t, other == code, errors.Is(err, sentinel), "errors.Is(Errorf(%s), Err for %s)", other, code)
			}

			wrapped := fmt.Errorf("handler: %w", fmt.Errorf("store: %w", domain.Errorf(code, "court 1")))
			assert.ErrorIs(t, wrapped, sentinel, "through %%w twice")
			assert.Equal(t, domain.CodeKind(code), domain.ErrorKind(wrapped))
			assert.Equal(t, code, domain.ErrorCode(wrapped))

			withCause := domain.Errorf(code, "reading: %w", io.ErrUnexpectedEOF)
			assert.ErrorIs(t, withCause, sentinel)
			assert.ErrorIs(t, withCause, io.ErrUnexpectedEOF, "the cause stays reachable")
		})
	}
}
