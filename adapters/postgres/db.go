package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/migrate"
)

// Option tunes what Open makes.
type Option func(*options)

type options struct {
	pool     []func(*sql.DB)
	replicas *ReplicaRouter
}

// WithMaxOpenConns bounds the pool's open connections, and keeps up to n of them
// idle (WithMaxIdleConns given after it keeps fewer). A call that finds every
// connection busy waits for one as long as its context allows; one whose deadline
// passes first fails as unavailable. Without the option the pool has no bound, and a
// burst of requests can open more connections than the server accepts.
func WithMaxOpenConns(n int) Option {
	return func(o *options) {
		o.pool = append(o.pool, func(db *sql.DB) {
			db.SetMaxOpenConns(n)
			db.SetMaxIdleConns(n)
		})
	}
}

// WithMaxIdleConns keeps at most n connections open while idle; zero or less keeps
// none. Give it after WithMaxOpenConns, which sets both.
func WithMaxIdleConns(n int) Option {
	return func(o *options) {
		o.pool = append(o.pool, func(db *sql.DB) { db.SetMaxIdleConns(n) })
	}
}

// WithConnMaxIdleTime closes connections left idle for longer than d, so that a pool
// shrinks back after a burst; zero or less keeps them.
func WithConnMaxIdleTime(d time.Duration) Option {
	return func(o *options) {
		o.pool = append(o.pool, func(db *sql.DB) { db.SetConnMaxIdleTime(d) })
	}
}

// WithConnMaxLifetime closes pooled connections once they are older than d, so that
// a pool spreads over new servers (or PgBouncer instances) as they appear.
func WithConnMaxLifetime(d time.Duration) Option {
	return func(o *options) {
		o.pool = append(o.pool, func(db *sql.DB) { db.SetConnMaxLifetime(d) })
	}
}

// WithReplicas routes the reads that may be served by a replica through r (see
// ReplicaRouter); closing the DB closes r.
func WithReplicas(r *ReplicaRouter) Option {
	return func(o *options) { o.replicas = r }
}

// Open connects to the database at dsn (a postgres:// URL or key=value string) and
// returns a Bun handle over a database/sql pool of pgx connections. Queries use the
// simple protocol whatever dsn says, so the pool works through PgBouncer in
// transaction mode; a transaction's BEGIN goes with its first statement, in the same
// round trip. Open pings the server before it returns.
func Open(ctx context.Context, dsn string, opts ...Option) (*bun.DB, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	sqldb, err := openPool(dsn, o)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	var dbOpts []bun.DBOption
	if o.replicas != nil {
		dbOpts = append(dbOpts, bun.WithConnResolver(o.replicas))
	}
	// textHook tells a string Bun refused (one holding a NUL byte) from a bug.
	db := bun.NewDB(sqldb, pgdialect.New(), dbOpts...).WithQueryHook(textHook{})
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	return db, nil
}

// openPool returns a pool of pgx connections to dsn using the simple protocol, whose
// transactions send their BEGIN with their first statement (see lazyConn).
func openPool(dsn string, o options) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	sqldb := sql.OpenDB(lazyConnector{stdlib.GetConnector(*cfg)})
	for _, tune := range o.pool {
		tune(sqldb)
	}
	return sqldb, nil
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the schema's migrations, embedded in the binary.
func Migrations() (*migrate.Migrations, error) {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	m := migrate.NewMigrations()
	if err := m.Discover(sub); err != nil {
		return nil, fmt.Errorf("postgres: read migrations: %w", err)
	}
	return m, nil
}

// Migrate applies the migrations db has not applied yet; with none left it changes
// nothing. It is ApplyMigrations without the report.
func Migrate(ctx context.Context, db *bun.DB) error {
	_, err := ApplyMigrations(ctx, db)
	return err
}
