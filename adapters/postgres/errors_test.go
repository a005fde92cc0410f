package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/matchpoint/matchpoint/domain"
)

// TestMapErrorOutages checks that every way the database can be away reads as
// unavailable (a 503 to clients, who may retry), with the cause kept for the log.
func TestMapErrorOutages(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for name, err := range map[string]error{
		"connection refused":             refused,
		"refused, wrapped":               fmt.Errorf("bun: %w", refused),
		"bare ECONNREFUSED":              syscall.ECONNREFUSED,
		"connection reset":               fmt.Errorf("read: %w", syscall.ECONNRESET),
		"broken pipe":                    fmt.Errorf("write: %w", syscall.EPIPE),
		"server went away mid-reply":     io.ErrUnexpectedEOF,
		"server closed the socket":       io.EOF,
		"connection closed":              pgconn.ErrConnClosed,
		"deadline while waiting":         context.DeadlineExceeded,
		"08006 connection failure":       &pgconn.PgError{Severity: "FATAL", Code: "08006"},
		"57P01 admin shutdown":           &pgconn.PgError{Severity: "FATAL", Code: "57P01", Message: "terminating connection due to administrator command"},
		"57P02 crash shutdown":           &pgconn.PgError{Severity: "FATAL", Code: "57P02"},
		"57P03 starting up":              &pgconn.PgError{Severity: "FATAL", Code: "57P03", Message: "the database system is starting up"},
		"53300 too many clients":         &pgconn.PgError{Severity: "FATAL", Code: "53300", Message: "sorry, too many clients already"},
		"57014 statement timeout":        &pgconn.PgError{Severity: "ERROR", Code: "57014"},
		"25006 read-only after failover": &pgconn.PgError{Severity: "ERROR", Code: "25006"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := mapError(err)
			assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(got), "%v", got)
			assert.Equal(t, domain.CodeUnavailable, domain.ErrorCode(got))
			assert.ErrorIs(t, got, err, "the cause stays in the chain")
		})
	}
}

func TestMapErrorRefusals(t *testing.T) {
	t.Parallel()
	assert.ErrorIs(t, mapError(context.Canceled), context.Canceled, "a caller that left is no outage")
	assert.Equal(t, domain.KindInternal, domain.ErrorKind(mapError(context.Canceled)))
	for _, code := range []string{"22021", "22P05"} { // NUL byte; a character the encoding lacks
		got := mapError(&pgconn.PgError{Severity: "ERROR", Code: code, Message: "invalid byte sequence for encoding \"UTF8\": 0x00"})
		assert.Equal(t, domain.KindInvalid, domain.ErrorKind(got), code)
		assert.NotContains(t, domain.ErrorMessage(got), "0x00", "the message speaks of the value, not of the driver")
	}
	// A statement the server refused for another reason is a bug: internal.
	got := mapError(&pgconn.PgError{Severity: "ERROR", Code: "42P01", Message: `relation "x" does not exist`})
	assert.Equal(t, domain.KindInternal, domain.ErrorKind(got))
	assert.Equal(t, domain.KindInternal, domain.ErrorKind(mapError(errors.New("bun: something else"))))
}

// TestNothingListening runs the store on a pool whose server does not listen: every
// call is unavailable, none an internal error.
func TestNothingListening(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	sqldb, err := openPool("postgres://postgres@"+addr+"/matchpoint?sslmode=disable&connect_timeout=5", options{})
	require.NoError(t, err)
	db := bun.NewDB(sqldb, pgdialect.New())
	t.Cleanup(func() { _ = db.Close() })
	s := New(db)
	ctx := t.Context()

	_, err = s.GetClub(ctx, "c1")
	assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err), "a read: %v", err)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	err = s.WithinTx(ctx, func(context.Context) error { return nil })
	assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err), "a transaction: %v", err)
	club, err := domain.NewClub("c1", "c1", "Club", "Europe/Madrid", "EUR", domain.DefaultPolicy())
	require.NoError(t, err)
	err = s.SaveClub(ctx, club)
	assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err), "a write: %v", err)
}
