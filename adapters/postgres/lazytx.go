package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
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
	c.pending = false
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
	c.pending, c.ctx = true, ctx
	return &lazyTx{c: c}, nil
}

func (c *lazyConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.pending {
		c.pending = false
		query = beginSQL + query
	}
	return c.sc.ExecContext(ctx, query, args)
}

func (c *lazyConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.pending {
		c.pending = false
		if _, err := c.sc.Conn().Exec(ctx, "begin"); err != nil {
			return nil, err
		}
	}
	return c.sc.QueryContext(ctx, query, args)
}

// PrepareContext sends the pending BEGIN first, so that the statement runs in the
// transaction.
func (c *lazyConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if c.pending {
		c.pending = false
		if _, err := c.sc.Conn().Exec(ctx, "begin"); err != nil {
			return nil, err
		}
	}
	return c.sc.PrepareContext(ctx, query)
}

// lazyTx is a transaction of a lazyConn.
type lazyTx struct{ c *lazyConn }

func (t *lazyTx) Commit() error {
	if t.c.pending { // nothing was sent: nothing to commit
		t.c.pending = false
		return nil
	}
	tag, err := t.c.sc.Conn().Exec(t.c.ctx, "commit")
	if err != nil {
		return err
	}
	if tag.String() == "ROLLBACK" { // the transaction had failed: the server rolled it back
		return pgx.ErrTxCommitRollback
	}
	return nil
}

func (t *lazyTx) Rollback() error {
	if t.c.pending {
		t.c.pending = false
		return nil
	}
	if _, err := t.c.sc.Conn().Exec(t.c.ctx, "rollback"); err != nil {
		// The connection's state is unknown: it must not serve another transaction.
		_ = t.c.sc.Close()
		return errors.Join(err, driver.ErrBadConn)
	}
	return nil
}
