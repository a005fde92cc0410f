package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/domain"
)

// SQLSTATE codes the store acts on.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeCheckViolation      = "23514"
	codeExclusionViolation  = "23P01"
	codeSerialization       = "40001"
	codeDeadlock            = "40P01"
	// Text the database cannot store: a NUL byte, or a character the server's
	// encoding lacks.
	codeCharacterNotInRepertoire = "22021"
	codeUntranslatableCharacter  = "22P05"
	// The server is shutting down, crashed, or is still starting up.
	codeAdminShutdown    = "57P01"
	codeCrashShutdown    = "57P02"
	codeCannotConnectNow = "57P03"
	// The statement ran out of its statement_timeout, or was cancelled by the server.
	codeQueryCanceled = "57014"
	// A failover left the connection on a server that only reads.
	codeReadOnlyTransaction = "25006"
)

func pgCode(err error) (string, string) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code, pgErr.ConstraintName
	}
	return "", ""
}

func retryable(err error) bool {
	code, _ := pgCode(err)
	return code == codeSerialization || code == codeDeadlock
}

// mapError turns what the database refused into domain errors; domain errors and a
// cancelled context pass unchanged. A database that cannot be reached, is shutting
// down or starting up, has no connection left, or did not answer before the caller's
// deadline (a full pool included) is unavailable: the caller may retry later.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) || errors.Is(err, context.Canceled) {
		return err
	}
	if isUnavailable(err) {
		return unavailable("the database is unavailable", err)
	}
	code, constraint := pgCode(err)
	switch code {
	case codeExclusionViolation:
		if constraint == "seasons_no_overlap" {
			return domain.Errorf(domain.CodeSeasonOverlap, "the season shares a day with another season of the club")
		}
		return domain.Errorf(domain.CodeSlotUnavailable, "the court is already booked then")
	case codeUniqueViolation:
		return domain.Errorf(domain.CodeDuplicate, "a record with the same key exists (%s)", constraint)
	case codeForeignKeyViolation:
		return domain.Errorf(domain.CodeNotFound, "a record it refers to does not exist (%s)", constraint)
	case codeCheckViolation:
		return domain.Errorf(domain.CodeInvalid, "the database refused the values (%s)", constraint)
	case codeCharacterNotInRepertoire, codeUntranslatableCharacter:
		return errTextWithNUL
	case codeSerialization, codeDeadlock:
		return unavailable("write under contention", err)
	}
	return fmt.Errorf("postgres: %w", err)
}

// errTextWithNUL refuses a value holding a NUL byte, which PostgreSQL cannot store in
// text.
var errTextWithNUL = domain.Errorf(domain.CodeInvalid, "a text holds a character that cannot be stored (such as a NUL byte)")

// bunNULMarker is how Bun refuses a string holding a NUL byte: it cannot fail while
// it formats a query, so it writes its error into the SQL ("?!(bun: string contains a
// NUL byte (0x00))"), which the server then rejects as a syntax error.
const bunNULMarker = "bun: string contains a NUL byte"

// textCheck notes that a query of a store call carried a string Bun refused.
type textCheck struct{ nul atomic.Bool }

type textCheckKey struct{}

// withTextCheck returns ctx with a textCheck for textHook to fill, unless it has one.
func withTextCheck(ctx context.Context) context.Context {
	if _, ok := ctx.Value(textCheckKey{}).(*textCheck); ok {
		return ctx
	}
	return context.WithValue(ctx, textCheckKey{}, new(textCheck))
}

// textHook is a bun.QueryHook that notes, in the call's textCheck, a query into which
// Bun wrote its refusal of a NUL byte, so that the syntax error the server answers is
// reported as the caller's invalid value rather than as a bug.
type textHook struct{}

var _ bun.QueryHook = textHook{}

func (textHook) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	if strings.Contains(e.Query, bunNULMarker) {
		if c, ok := ctx.Value(textCheckKey{}).(*textCheck); ok {
			c.nul.Store(true)
		}
	}
	return ctx
}

func (textHook) AfterQuery(context.Context, *bun.QueryEvent) {}

// mapCallError is mapError for the error of a store call made with ctx (see
// withTextCheck).
func mapCallError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if c, ok := ctx.Value(textCheckKey{}).(*textCheck); ok && c.nul.Load() && !errors.As(err, &de) {
		return errTextWithNUL
	}
	return mapError(err)
}

// isUnavailable reports whether err says the database could not serve the call, as
// opposed to refusing it: the server could not be reached or went away, is starting
// up or shutting down, has no connection slot left, or did not answer in time.
func isUnavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch code := pgErr.Code; {
		case strings.HasPrefix(code, "08"), // connection exception
			strings.HasPrefix(code, "53"), // insufficient resources: too many connections, out of memory, disk full
			code == codeAdminShutdown, code == codeCrashShutdown, code == codeCannotConnectNow,
			code == codeQueryCanceled, code == codeReadOnlyTransaction:
			return true
		}
		return false // the server answered: it refused this statement
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr),
		errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ETIMEDOUT),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return true
	}
	return false
}

// unavailable returns a domain error saying what failed; the cause stays in its
// message and chain for the log, and the HTTP adapter keeps both from clients.
func unavailable(what string, err error) error {
	return domain.Errorf(domain.CodeUnavailable, "postgres: %s: %w", what, err)
}
