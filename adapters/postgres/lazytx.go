package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// lazyConnector makes the pool's connections: pgx connections of database/sql whose
// transactions begin lazily (see lazyConn).
type lazyConnector struct{ driver.Connector }

func (c lazyConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(*stdlib.Conn)
	if !ok {
		_ = conn.Close()
		return nil, fmt.Errorf("postgres: the pgx connector made a %T", conn)
	}
	return &lazyConn{sc: sc}, nil
}

// lazyConn is a pgx connection whose transactions begin lazily, saving a round trip
// each: BeginTx sends nothing, and the transaction's first statement carries the
// BEGIN — in its own query string when it is an Exec (the simple protocol runs the two
// statements in one round trip, and PgBouncer in transaction mode sees one query that
// opens a transaction), or just before it when it is a Query, whose rows would
// otherwise be BEGIN's. A transaction that sent no statement commits or rolls back
// without a word to the server, which never saw it. Transactions with an isolation
// level or read-only begin at once, as pgx begins them. Like pgx's own, the connection
// offers its *pgx.Conn through Conn, to code given it by database/sql's Conn.Raw.
type lazyConn struct {
	sc *stdlib.Conn
	// pending is a transaction begun but not yet sent; ctx is its context, used to
	// commit or roll it back as pgx's stdlib does.
	pending bool
	ctx     context.Context
	// inTx is whether a transaction begun lazily is open.
	inTx bool
	// deferred are the transaction's statements held back by DeferExec, in order,
	// to be sent with its next statement or its COMMIT.
	deferred []deferredExec
}

// deferredExec is a statement held back, with its arguments.
type deferredExec struct {
	sql  string
	args []any
}

// deferExecKey marks a context whose Execs in a transaction are held back.
type deferExecKey struct{}

// DeferExec returns a context under which the Execs of a transaction of the store's
// pool are not sent at once: they go to the server in one round trip with the
// transaction's next statement, or with its COMMIT — a round trip saved for each,
// when nothing reads their results before then. The held statement's result reports
// no rows affected; its error is that of the statement or COMMIT it went with (the
// transaction then fails as a whole, as it would have). A transaction that rolls back
// drops what it held. Outside a transaction, and on connections of other drivers, it
// changes nothing.
func DeferExec(ctx context.Context) context.Context {
	return context.WithValue(ctx, deferExecKey{}, true)
}

func deferring(ctx context.Context) bool {
	v, _ := ctx.Value(deferExecKey{}).(bool)
	return v
}

var (
	_ driver.ConnBeginTx        = (*lazyConn)(nil)
	_ driver.ExecerContext      = (*lazyConn)(nil)
	_ driver.QueryerContext     = (*lazyConn)(nil)
	_ driver.NamedValueChecker  = (*lazyConn)(nil)
	_ driver.SessionResetter    = (*lazyConn)(nil)
	_ driver.ConnPrepareContext = (*lazyConn)(nil)
	_ driver.Pinger             = (*lazyConn)(nil)
)

// Conn returns the pgx connection.
func (c *lazyConn) Conn() *pgx.Conn { return c.sc.Conn() }

func (c *lazyConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *lazyConn) Close() error                               { return c.sc.Close() }
func (c *lazyConn) Ping(ctx context.Context) error             { return c.sc.Ping(ctx) }
func (c *lazyConn) CheckNamedValue(v *driver.NamedValue) error { return c.sc.CheckNamedValue(v) }

// ResetSession readies the connection for its next user, as pgx's does; a
// transaction never sent leaves nothing to reset.
func (c *lazyConn) ResetSession(ctx context.Context) error {
	c.pending, c.inTx, c.deferred = false, false, nil
	return c.sc.ResetSession(ctx)
}

// beginSQL opens a transaction ahead of the statement it prefixes.
const beginSQL = "BEGIN; "

func (c *lazyConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *lazyConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if opts.Isolation != driver.IsolationLevel(0) || opts.ReadOnly {
		return c.sc.BeginTx(ctx, opts)
	}
	if c.sc.Conn().IsClosed() {
		return nil, driver.ErrBadConn
	}
	c.pending, c.inTx, c.ctx = true, true, ctx
	return &lazyTx{c: c}, nil
}

func (c *lazyConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.inTx && deferring(ctx) {
		c.deferred = append(c.deferred, deferredExec{sql: query, args: values(args)})
		return driver.RowsAffected(0), nil
	}
	if len(c.deferred) > 0 {
		tag, err := c.flush(ctx, query, values(args))
		if err != nil {
			return nil, err
		}
		return driver.RowsAffected(tag.RowsAffected()), nil
	}
	if c.pending {
		c.pending = false
		query = beginSQL + query
	}
	return c.sc.ExecContext(ctx, query, args)
}

func (c *lazyConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if err := c.sendHeld(ctx); err != nil {
		return nil, err
	}
	return c.sc.QueryContext(ctx, query, args)
}

// PrepareContext sends what the transaction holds first, so that the statement runs
// in the transaction, after its earlier statements.
func (c *lazyConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if err := c.sendHeld(ctx); err != nil {
		return nil, err
	}
	return c.sc.PrepareContext(ctx, query)
}

// sendHeld sends the pending BEGIN and the held statements, if any, in one round trip.
func (c *lazyConn) sendHeld(ctx context.Context) error {
	if len(c.deferred) > 0 {
		_, err := c.flush(ctx, "", nil)
		return err
	}
	if c.pending {
		c.pending = false
		if _, err := c.sc.Conn().Exec(ctx, "begin"); err != nil {
			return err
		}
	}
	return nil
}

// flush sends, in one query string, the pending BEGIN, the held statements and last
// (unless it is empty), and returns last's command tag: the first error ends the
// string, as the server skips the rest of it.
func (c *lazyConn) flush(ctx context.Context, last string, args []any) (pgconn.CommandTag, error) {
	b := &pgx.Batch{}
	if c.pending {
		b.Queue("begin")
	}
	for _, d := range c.deferred {
		b.Queue(d.sql, d.args...)
	}
	if last != "" {
		b.Queue(last, args...)
	}
	c.pending, c.deferred = false, nil
	br := c.sc.Conn().SendBatch(ctx, b)
	var tag pgconn.CommandTag
	var err error
	for range b.Len() {
		if tag, err = br.Exec(); err != nil {
			break
		}
	}
	return tag, errors.Join(err, br.Close())
}

// values are database/sql's arguments as pgx takes them.
func values(args []driver.NamedValue) []any {
	vs := make([]any, len(args))
	for i, a := range args {
		vs[i] = a.Value
	}
	return vs
}

// lazyTx is a transaction of a lazyConn.
type lazyTx struct{ c *lazyConn }

func (t *lazyTx) Commit() error {
	t.c.inTx = false
	if len(t.c.deferred) > 0 { // the held statements go with the COMMIT
		tag, err := t.c.flush(t.c.ctx, "commit", nil)
		if err != nil {
			return errors.Join(err, t.rollback())
		}
		return commitTag(tag)
	}
	if t.c.pending { // nothing was sent: nothing to commit
		t.c.pending = false
		return nil
	}
	tag, err := t.c.sc.Conn().Exec(t.c.ctx, "commit")
	if err != nil {
		return err
	}
	return commitTag(tag)
}

// commitTag is the outcome of a COMMIT that answered tag.
func commitTag(tag pgconn.CommandTag) error {
	if tag.String() == "ROLLBACK" { // the transaction had failed: the server rolled it back
		return pgx.ErrTxCommitRollback
	}
	return nil
}

func (t *lazyTx) Rollback() error {
	t.c.inTx, t.c.deferred = false, nil // never sent: nothing to undo
	if t.c.pending {
		t.c.pending = false
		return nil
	}
	return t.rollback()
}

// rollback ends the transaction the server has begun.
func (t *lazyTx) rollback() error {
	if _, err := t.c.sc.Conn().Exec(t.c.ctx, "rollback"); err != nil {
		// The connection's state is unknown: it must not serve another transaction.
		_ = t.c.sc.Close()
		return errors.Join(err, driver.ErrBadConn)
	}
	return nil
}
