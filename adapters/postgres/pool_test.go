package postgres_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/domain"
)

// withApplicationName returns dsn with application_name set, so that the server's
// pg_stat_activity tells this pool's connections from every other.
func withApplicationName(t *testing.T, dsn, name string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// searchPathOf returns the search_path of db's connections: a store's own schema.
func searchPathOf(t *testing.T, db *bun.DB) string {
	t.Helper()
	var path string
	require.NoError(t, db.NewRaw("SHOW search_path").Scan(context.Background(), &path))
	return strings.ReplaceAll(path, " ", "")
}

// connectionsOf counts the server's connections of application name.
func connectionsOf(t *testing.T, name string) int {
	var n int
	require.NoError(t, testDB.NewRaw("SELECT count(*) FROM pg_stat_activity WHERE application_name = ?", name).Scan(context.Background(), &n))
	return n
}

// TestPoolBoundsConnections runs many more concurrent store calls than the pool has
// connections: each waits for a connection, all succeed, and the server never sees
// more connections than the bound.
func TestPoolBoundsConnections(t *testing.T) {
	const maxConns, callers = 3, 48
	app := "matchpoint_pool_" + randomID()[:8]
	ctx := context.Background()
	s, sdb := newStore(t)
	f := newCourtFixture(t, s, sdb)
	db, err := postgres.Open(ctx, withApplicationName(t, databaseURL(testName, searchPathOf(t, sdb)), app), postgres.WithMaxOpenConns(maxConns))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	bounded := postgres.New(db)

	var most atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if n := int64(connectionsOf(t, app)); n > most.Load() {
				most.Store(n)
			}
		}
	}()

	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for i := range callers {
		wg.Go(func() {
			if i%2 == 0 {
				_, err := bounded.GetClub(ctx, f.club.ID)
				errs <- err
				return
			}
			// A transaction holds its connection across statements.
			errs <- bounded.WithinTx(ctx, func(ctx context.Context) error {
				if _, err := bounded.ListCourts(ctx, f.club.ID); err != nil {
					return err
				}
				_, err := bounded.GetClub(ctx, f.club.ID)
				return err
			})
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	assert.LessOrEqual(t, most.Load(), int64(maxConns), "connections seen on the server")
	assert.Positive(t, most.Load(), "the sampler saw the pool at work")
	assert.Equal(t, maxConns, db.Stats().MaxOpenConnections)
}

// TestPoolWaitEndsAtTheDeadline holds the pool's only connection: a call that waits
// for it past its deadline fails as unavailable, not as an internal error.
func TestPoolWaitEndsAtTheDeadline(t *testing.T) {
	ctx := context.Background()
	s, sdb := newStore(t)
	f := newCourtFixture(t, s, sdb)
	db, err := postgres.Open(ctx, databaseURL(testName, searchPathOf(t, sdb)), postgres.WithMaxOpenConns(1))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	one := postgres.New(db)

	held, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- one.WithinTx(ctx, func(ctx context.Context) error {
			if _, err := one.GetClub(ctx, f.club.ID); err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err = one.GetClub(short, f.club.ID)
	assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err), "%v", err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	close(release)
	require.NoError(t, <-done)
	_, err = one.GetClub(ctx, f.club.ID)
	assert.NoError(t, err, "the connection is back in the pool")
}

// TestTextWithNUL: PostgreSQL stores no NUL byte in text; a value holding one is the
// caller's mistake, not the server's.
func TestTextWithNUL(t *testing.T) {
	s, _ := newStore(t)
	id := randomID()
	club, err := domain.NewClub(id, "club-"+id[:8], "Club\x00One", "Europe/Madrid", "EUR", domain.DefaultPolicy())
	require.NoError(t, err)
	err = s.SaveClub(context.Background(), club)
	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), "a write: %v", err)
	_, err = s.GetClubBySlug(context.Background(), "club\x00one")
	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), "a read: %v", err)
}

// TestTerminatedConnection ends the server's session under a transaction, as a
// server shutting down does: the transaction fails as unavailable, and the next call
// gets a new connection.
func TestTerminatedConnection(t *testing.T) {
	ctx := context.Background()
	app := "matchpoint_terminated_" + randomID()[:8]
	s, sdb := newStore(t)
	f := newCourtFixture(t, s, sdb)
	db, err := postgres.Open(ctx, withApplicationName(t, databaseURL(testName, searchPathOf(t, sdb)), app), postgres.WithMaxOpenConns(2))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	store := postgres.New(db)

	err = store.WithinTx(ctx, func(ctx context.Context) error {
		if _, err := store.GetClub(ctx, f.club.ID); err != nil {
			return err
		}
		var ended int
		require.NoError(t, testDB.NewRaw("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = ?", app).Scan(ctx, &ended))
		require.Positive(t, ended)
		_, err := store.ListCourts(ctx, f.club.ID)
		return err
	})
	assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err), "%v", err)
	_, err = store.GetClub(ctx, f.club.ID)
	assert.NoError(t, err)
}
