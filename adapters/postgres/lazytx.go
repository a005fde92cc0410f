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
// each: BeginTx sends nothing, and the transaction's BEGIN is held, like the
// statements DeferExec holds back, until the first statement that must go. A first
// Exec carries the BEGIN in its own query string (the simple protocol runs the two in
// one round trip, and PgBouncer in transaction mode sees one query that opens a
// transaction); a Query, whose rows would otherwise be BEGIN's, is sent just after
// what is held, as is an Exec after held statements; the COMMIT goes with them. A transaction that sent nothing but its BEGIN commits or rolls back without a
// word to the server, which never saw it. Transactions with an isolation level or
// read-only begin at once, as pgx begins them. Like pgx's own, the connection offers
// its *pgx.Conn through Conn, to code given it by database/sql's Conn.Raw.
type lazyConn struct {
	sc *stdlib.Conn
	// inTx is whether a transaction begun lazily is open; ctx is its context, used to
	// commit or roll it back as pgx's stdlib does; begun is whether the server has
	// seen its BEGIN.
	inTx, begun bool
	ctx         context.Context
	// held are the transaction's statements not sent yet, in order: its BEGIN until
	// begun, then those DeferExec held back.
	held []heldExec
}

// heldExec is a statement held back, with its arguments.
type heldExec struct {
	sql  string
	args []any
}

// deferExecKey marks a context whose Execs in a transaction are held back.
type deferExecKey struct{}

// DeferExec returns a context under which the Execs of a transaction of the store's
// pool are not sent at once: they go to the server in one round trip with the
// transaction's COMMIT — a round trip saved for each — or, when another statement
// comes first, just before it. The held statement's result reports
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
	c.inTx, c.held = false, nil
	return c.sc.ResetSession(ctx)
}

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
	c.inTx, c.begun, c.ctx = true, false, ctx
	c.held = []heldExec{{sql: "begin"}}
	return &lazyTx{c: c}, nil
}

func (c *lazyConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.inTx && deferring(ctx) {
		c.held = append(c.held, heldExec{sql: query, args: values(args)})
		return driver.RowsAffected(0), nil
	}
	if !c.begun && len(c.held) == 1 { // only the BEGIN is held: it prefixes query
		c.begun, c.held = true, nil
		return c.sc.ExecContext(ctx, "begin; "+query, args)
	}
	// Held statements go first, in a round trip of their own: query may be several
	// statements, and its result is its last one's, which only pgx's Exec reads.
	if _, err := c.send(ctx, "", nil); err != nil {
		return nil, err
	}
	return c.sc.ExecContext(ctx, query, args)
}

func (c *lazyConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if _, err := c.send(ctx, "", nil); err != nil {
		return nil, err
	}
	return c.sc.QueryContext(ctx, query, args)
}

// PrepareContext sends what the transaction holds first, so that the statement runs
// in the transaction, after its earlier statements.
func (c *lazyConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if _, err := c.send(ctx, "", nil); err != nil {
		return nil, err
	}
	return c.sc.PrepareContext(ctx, query)
}

// send sends, in one query string, the held statements and last (unless it is
// empty), and returns the command tag of the last statement read, last's when each is
// a single statement: the first error ends the string, as the server skips the rest
// of it. With nothing held and no last it sends nothing.
func (c *lazyConn) send(ctx context.Context, last string, args []any) (pgconn.CommandTag, error) {
	b := &pgx.Batch{}
	for _, h := range c.held {
		b.Queue(h.sql, h.args...)
	}
	if last != "" {
		b.Queue(last, args...)
	}
	if b.Len() == 0 {
		return pgconn.CommandTag{}, nil
	}
	c.begun, c.held = true, nil
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
	c := t.c
	c.inTx = false
	if !c.begun && len(c.held) == 1 { // only the BEGIN is held: nothing to commit
		c.held = nil
		return nil
	}
	tag, err := c.send(c.ctx, "commit", nil)
	if err != nil {
		// A held statement failed and the COMMIT was skipped, or the COMMIT failed
		// and ended the transaction: either way, nothing of it may stay open.
		return errors.Join(err, t.rollback())
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
	begun := t.c.begun
	t.c.inTx, t.c.held = false, nil // what is held was never sent: nothing to undo
	if !begun {
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
