package domain_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/matchpoint/matchpoint/domain"
)

func TestErrorf(t *testing.T) {
	t.Parallel()

	err := domain.Errorf(domain.KindPolicy, domain.CodeLeadTime, "bookings must be made %d minutes ahead", 15)

	assert.Equal(t, domain.KindPolicy, err.Kind)
	assert.Equal(t, domain.CodeLeadTime, err.Code)
	assert.Equal(t, "bookings must be made 15 minutes ahead", err.Message)
	assert.Equal(t, "lead_time: bookings must be made 15 minutes ahead", err.Error())
	assert.NoError(t, err.Unwrap(), "a message without %%w has no cause")
}

func TestErrorfKeepsTheCauseOfW(t *testing.T) {
	t.Parallel()

	err := domain.Errorf(domain.KindUnavailable, domain.CodeUnavailable, "reading the club: %w", io.ErrUnexpectedEOF)

	assert.Equal(t, "reading the club: unexpected EOF", err.Message)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Same(t, io.ErrUnexpectedEOF, errors.Unwrap(err))
}

func TestErrorKindAndCode(t *testing.T) {
	t.Parallel()

	slotTaken := domain.Errorf(domain.KindConflict, domain.CodeSlotUnavailable, "court 1 is taken")
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

	err := fmt.Errorf("create booking: %w", domain.Errorf(domain.KindConflict, domain.CodeSlotUnavailable, "court 1 is taken at 18:00"))
	tests := []struct {
		name   string
		target error
		want   bool
	}{
		{"same code", &domain.Error{Code: domain.CodeSlotUnavailable}, true},
		{"same code and kind", &domain.Error{Kind: domain.KindConflict, Code: domain.CodeSlotUnavailable}, true},
		{"same code, other kind", &domain.Error{Kind: domain.KindPolicy, Code: domain.CodeSlotUnavailable}, false},
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

	err := fmt.Errorf("confirm: %w", domain.Errorf(domain.KindConflict, domain.CodeAmountMismatch, "wrong amount"))

	var de *domain.Error
	if assert.ErrorAs(t, err, &de) {
		assert.Equal(t, domain.CodeAmountMismatch, de.Code)
		assert.Equal(t, domain.KindConflict, de.Kind)
	}
}
