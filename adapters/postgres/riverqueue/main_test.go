package riverqueue_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/adapters/postgres/pgtest"
	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
)

// adminURL is the server the tests run against; MATCHPOINT_TEST_POSTGRES_URL
// overrides it, as for the postgres adapter's tests. The tests create a database of
// their own there and drop it at the end; each test works in a schema of its own.
var adminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var (
	testName string
	testDB   *bun.DB
	schemas  atomic.Int64
)

func TestMain(m *testing.M) {
	if u := os.Getenv("MATCHPOINT_TEST_POSTGRES_URL"); u != "" {
		adminURL = u
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	admin, err := postgres.Open(ctx, adminURL)
	if err != nil {
		fmt.Fprintln(os.Stderr, "riverqueue tests need a server:", err)
		return 1
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	testName = "matchpoint_river_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+testName); err != nil {
		fmt.Fprintln(os.Stderr, "create database:", err)
		return 1
	}
	defer func() {
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+testName+" WITH (FORCE)")
	}()
	testDB, err = postgres.Open(ctx, databaseURL(testName, ""), postgres.WithMaxOpenConns(4))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer testDB.Close()
	// The stores' schemas share the database's extension, made once here so that
	// parallel migrations never race to create it.
	if _, err := testDB.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS btree_gist"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// databaseURL returns adminURL pointed at database name, with searchPath as the
// connections' search_path when it is not empty.
func databaseURL(name, searchPath string) string {
	u, err := url.Parse(adminURL)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	if searchPath != "" {
		q := u.Query()
		q.Set("search_path", searchPath)
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// env is one schema of the test database holding the store's and River's tables.
type env struct {
	schema string
	store  *postgres.Store
	db     *bun.DB
}

// newEnv returns a store over a new schema, migrated for the store and for River,
// dropped when the test ends.
func newEnv(tb testing.TB) *env {
	tb.Helper()
	ctx := context.Background()
	schema := fmt.Sprintf("rq_%d", schemas.Add(1))
	_, err := testDB.ExecContext(ctx, "CREATE SCHEMA "+schema)
	require.NoError(tb, err)
	db, err := postgres.Open(ctx, databaseURL(testName, schema+",public"), postgres.WithMaxOpenConns(16))
	require.NoError(tb, err)
	tb.Cleanup(func() {
		_ = db.Close()
		_, _ = testDB.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	migrate(tb, db)
	return &env{schema: schema, store: postgres.New(db), db: db}
}

// newBouncerEnv returns a store reached through pb, over a database of its own
// (PgBouncer refuses a search_path startup parameter, so schemas cannot isolate),
// migrated over a direct connection, as Migrate's session lock needs, and dropped when
// the test ends.
func newBouncerEnv(tb testing.TB, pb *pgtest.PgBouncer) *env {
	tb.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("%s_b%d", testName, schemas.Add(1))
	_, err := testDB.ExecContext(ctx, "CREATE DATABASE "+name)
	require.NoError(tb, err)
	tb.Cleanup(func() { // FORCE also ends PgBouncer's server connections to it
		_, _ = testDB.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	direct, err := postgres.Open(ctx, databaseURL(name, ""), postgres.WithMaxOpenConns(2))
	require.NoError(tb, err)
	_, err = direct.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS btree_gist")
	require.NoError(tb, err)
	migrate(tb, direct)
	require.NoError(tb, direct.Close())
	db, err := postgres.Open(ctx, pb.URL(name), postgres.WithMaxOpenConns(8))
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = db.Close() })
	return &env{schema: "public", store: postgres.New(db), db: db}
}

// migrate applies the store's and River's migrations to db.
func migrate(tb testing.TB, db *bun.DB) {
	tb.Helper()
	require.NoError(tb, postgres.Migrate(context.Background(), db))
	_, err := riverqueue.Migrate(context.Background(), db.DB)
	require.NoError(tb, err)
}

// fastConfig is a Config for tests: quick polling and retries.
func fastConfig(cfg riverqueue.Config) riverqueue.Config {
	cfg.FetchPollInterval = 20 * time.Millisecond
	if cfg.Logger == nil { // River logs every start, stop and retry at info
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError + 1}))
	}
	if cfg.Backoff == nil {
		cfg.Backoff = func(int) time.Duration { return 50 * time.Millisecond }
	}
	return cfg
}

// newQueue returns a queue on e, stopped when the test ends.
func (e *env) newQueue(tb testing.TB, cfg riverqueue.Config) *riverqueue.Queue {
	tb.Helper()
	q, err := riverqueue.New(e.store, e.db.DB, fastConfig(cfg))
	require.NoError(tb, err)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})
	return q
}

// states returns the states of the jobs of e, by id.
func (e *env) states(tb testing.TB) []string {
	tb.Helper()
	var out []string
	err := e.db.NewRaw("SELECT state::text FROM "+e.schema+".river_job ORDER BY id").Scan(context.Background(), &out)
	require.NoError(tb, err)
	return out
}

// due counts the jobs of e that are running or due: waiting with their time come.
func (e *env) due(tb testing.TB) int {
	tb.Helper()
	var n int
	err := e.db.QueryRowContext(context.Background(), `SELECT count(*) FROM `+e.schema+`.river_job
		WHERE state = 'running' OR (state IN ('available', 'scheduled', 'retryable') AND scheduled_at <= now())`).Scan(&n)
	require.NoError(tb, err)
	return n
}

// waitIdle returns once no job of e is running or due.
func (e *env) waitIdle(tb testing.TB) {
	tb.Helper()
	require.Eventually(tb, func() bool { return e.due(tb) == 0 }, 10*time.Second, 20*time.Millisecond,
		"jobs still due or running")
}

// beginTx opens a store transaction and returns its context and the function that
// ends it, committing or rolling back, and waits for WithinTx to return.
func (e *env) beginTx(tb testing.TB, ctx context.Context) (context.Context, func(committed bool)) {
	tb.Helper()
	txCtx := make(chan context.Context)
	end := make(chan bool)
	done := make(chan error)
	go func() {
		done <- e.store.WithinTx(ctx, func(ctx context.Context) error {
			txCtx <- ctx
			if !<-end {
				return errRollback
			}
			return nil
		})
	}()
	c := <-txCtx
	return c, func(committed bool) {
		end <- committed
		err := <-done
		if committed {
			require.NoError(tb, err)
		} else {
			require.ErrorIs(tb, err, errRollback)
		}
	}
}

var errRollback = fmt.Errorf("roll back")
