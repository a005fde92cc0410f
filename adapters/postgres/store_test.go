package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/storetest"
)

// adminURL is the server the tests run against; MATCHPOINT_TEST_POSTGRES_URL
// overrides it. The tests create their own database there and drop it at the end.
var adminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// testName is the database of this test run, and testDB a pool on it for the harness.
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
		fmt.Fprintln(os.Stderr, "postgres tests need a server:", err)
		return 1
	}
	defer admin.Close()
	name, drop, err := createDatabase(ctx, admin, "matchpoint_test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer drop()
	defer func() {
		if err := stopStreamingPair(); err != nil {
			fmt.Fprintln(os.Stderr, "stop the streaming pair:", err)
		}
	}()
	testName = name
	testDB, err = postgres.Open(ctx, databaseURL(name, ""), postgres.WithMaxOpenConns(4))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer testDB.Close()
	// Every store's schema shares the database's extension, made once here so that
	// parallel migrations never race to create it.
	if _, err := testDB.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS btree_gist"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// createDatabase creates an empty database with a random name and returns it with a
// function that drops it.
func createDatabase(ctx context.Context, admin *bun.DB, prefix string) (string, func(), error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := prefix + "_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	return name, func() {
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}, nil
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

// newStore returns a store over a schema of its own in the run's database, migrated
// and empty: the contract suite wants each store isolated from every other.
// newStore returns a migrated store in a schema of its own, dropped when the test ends,
// with the database handle it runs on.
func newStore(tb testing.TB) (*postgres.Store, *bun.DB) {
	tb.Helper()
	ctx := context.Background()
	schema := fmt.Sprintf("store_%d", schemas.Add(1))
	_, err := testDB.ExecContext(ctx, "CREATE SCHEMA "+schema)
	require.NoError(tb, err)
	db, err := postgres.Open(ctx, databaseURL(testName, schema+",public"), postgres.WithMaxOpenConns(8))
	require.NoError(tb, err)
	tb.Cleanup(func() {
		_ = db.Close()
		_, _ = testDB.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	require.NoError(tb, postgres.Migrate(ctx, db))
	return postgres.New(db), db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) ports.Store {
		s, _ := newStore(t)
		return s
	})
}
