package postgres_test

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/adapters/postgres/pgtest"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// The streaming pair is shared by the package's tests: it is started by the first test
// that asks for it and stopped when the tests end.
var replicaPair struct {
	once sync.Once
	pair *pgtest.Pair
	err  error
}

func streamingPair(t *testing.T) *pgtest.Pair {
	t.Helper()
	replicaPair.once.Do(func() {
		replicaPair.pair, replicaPair.err = pgtest.StartStreamingPair(context.Background())
	})
	if replicaPair.err != nil {
		t.Fatalf("start a primary and a streaming replica: %v", replicaPair.err) // a missing binary: one line
	}
	return replicaPair.pair
}

// stopStreamingPair stops the pair if a test started it.
func stopStreamingPair() error {
	if replicaPair.pair == nil {
		return nil
	}
	return replicaPair.pair.Stop()
}

// recordingReplica is a replica's pool that records the statements it runs.
type recordingReplica struct {
	*sql.DB
	mu    sync.Mutex
	stmts []string
}

func (r *recordingReplica) record(query string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stmts = append(r.stmts, query)
}

func (r *recordingReplica) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	r.record(query)
	return r.DB.QueryContext(ctx, query, args...)
}

func (r *recordingReplica) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	r.record(query)
	return r.DB.ExecContext(ctx, query, args...)
}

func (r *recordingReplica) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	r.record(query)
	return r.DB.QueryRowContext(ctx, query, args...)
}

// reads returns the statements recorded since the last call, leaving out the router's
// check of the replay position.
func (r *recordingReplica) reads() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, s := range r.stmts {
		if !strings.Contains(s, "pg_last_wal_replay_lsn") {
			out = append(out, s)
		}
	}
	r.stmts = nil
	return out
}

// replicaFixture is a migrated database on the streaming pair, with a store whose reads
// marked ports.ReplicaReadsOK may go to the replica, and a club with one court.
type replicaFixture struct {
	*courtFixture
	pair    *pgtest.Pair
	router  *postgres.ReplicaRouter
	replica *recordingReplica
}

func newReplicaFixture(t *testing.T) *replicaFixture {
	t.Helper()
	ctx := context.Background()
	pair := streamingPair(t)
	admin, err := postgres.Open(ctx, pair.PrimaryURL("postgres"))
	require.NoError(t, err)
	name, drop, err := createDatabase(ctx, admin, "matchpoint_replica")
	require.NoError(t, err)
	t.Cleanup(func() {
		drop()
		_ = admin.Close()
	})

	pool, err := sql.Open("pgx", pair.ReplicaURL(name))
	require.NoError(t, err)
	replica := &recordingReplica{DB: pool}
	router := postgres.NewReplicaRouter(replica)
	db, err := postgres.Open(ctx, pair.PrimaryURL(name), postgres.WithMaxOpenConns(8), postgres.WithReplicas(router))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() }) // closes the router and the replica's pool
	require.NoError(t, postgres.Migrate(ctx, db))
	s := postgres.New(db)
	f := &replicaFixture{courtFixture: newCourtFixture(t, s, db), pair: pair, router: router, replica: replica}
	require.NoError(t, pair.WaitReplayed(ctx))
	replica.reads()
	return f
}

// day is the day the tests book, in UTC.
var day = domain.Interval{Start: nextDay(0, 0), End: nextDay(0, 0).Add(24 * time.Hour)}

func occupied(t *testing.T, s ports.Store, ctx context.Context, clubID string) []string {
	t.Helper()
	occ, err := s.ListOccupancy(ctx, clubID, day)
	require.NoError(t, err)
	ids := make([]string, len(occ))
	for i, o := range occ {
		ids[i] = o.BookingID
	}
	return ids
}

func TestReadReplicas(t *testing.T) {
	t.Run("marked reads run on the replica", func(t *testing.T) {
		f := newReplicaFixture(t)
		marked := ports.ReplicaReadsOK(t.Context())
		b := f.booking(t, f.court, nextDay(10, 0), 90*time.Minute, bookingNow)
		f.create(t, b)
		require.NoError(t, f.pair.WaitReplayed(t.Context()))
		f.replica.reads()

		// The connection a marked SELECT runs on is in recovery: it is the replica.
		var inRecovery bool
		require.NoError(t, f.db.NewSelect().ColumnExpr("pg_is_in_recovery()").Scan(marked, &inRecovery))
		assert.True(t, inRecovery, "a marked SELECT runs on the replica")
		require.NoError(t, f.db.NewSelect().ColumnExpr("pg_is_in_recovery()").Scan(t.Context(), &inRecovery))
		assert.False(t, inRecovery, "an unmarked SELECT runs on the primary")
		require.NoError(t, f.db.NewRaw("SELECT pg_is_in_recovery()").Scan(marked, &inRecovery))
		assert.False(t, inRecovery, "a raw statement runs on the primary even when marked")
		f.replica.reads()

		// The availability reads: one statement each, all on the replica.
		before := f.router.Stats()
		assert.Equal(t, []string{b.ID()}, occupied(t, f.store, marked, f.club.ID))
		_, err := f.store.ListCourts(marked, f.club.ID)
		require.NoError(t, err)
		_, err = f.store.ListSeasons(marked, f.club.ID)
		require.NoError(t, err)
		_, err = f.store.ListPriceRules(marked, f.club.ID)
		require.NoError(t, err)
		_, err = f.store.ListClosures(marked, f.club.ID, day)
		require.NoError(t, err)
		_, err = f.store.GetClubBySlug(marked, f.club.Slug)
		require.NoError(t, err)
		listed, err := f.store.ListBookings(marked, ports.BookingFilter{ClubID: f.club.ID})
		require.NoError(t, err)
		require.Len(t, listed, 1)
		reads := f.replica.reads()
		require.Len(t, reads, 7)
		for i, table := range []string{"bookings", "courts", "seasons", "price_rules", "closures", "clubs", "bookings"} {
			assert.Contains(t, reads[i], table)
		}
		assert.Equal(t, int64(7), f.router.Stats().Replica-before.Replica)

		// The same reads unmarked stay on the primary.
		assert.Equal(t, []string{b.ID()}, occupied(t, f.store, t.Context(), f.club.ID))
		_, err = f.store.ListPriceRules(t.Context(), f.club.ID)
		require.NoError(t, err)
		assert.Empty(t, f.replica.reads())
	})

	t.Run("booking decisions never reach the replica", func(t *testing.T) {
		f := newReplicaFixture(t)
		// Marked on purpose: the store's own choice of statement keeps these on the
		// primary whatever the caller says.
		ctx := ports.ReplicaReadsOK(t.Context())
		b := f.booking(t, f.court, nextDay(10, 0), 90*time.Minute, bookingNow)
		require.NoError(t, f.store.CreateBooking(ctx, b, ports.CreateBookingOptions{Now: bookingNow, MaxActivePerCustomer: 3}))
		got, err := f.store.GetBooking(ctx, b.ID())
		require.NoError(t, err)
		require.Equal(t, b.ID(), got.ID())
		_, err = f.store.FindBookingByIdempotencyKey(ctx, f.club.ID, "no-such-key")
		require.Equal(t, domain.KindNotFound, domain.ErrorKind(err))
		_, err = f.store.GetCourt(ctx, f.club.ID, f.court.ID)
		require.NoError(t, err)
		require.NoError(t, f.store.UpdateBooking(ctx, b.ID(), bookingNow, func(nb *domain.Booking) error {
			_, err := nb.Cancel(f.club.Policy, bookingNow)
			return err
		}))
		first, err := f.store.RecordPaymentEvent(ctx, "sandbox", "evt-"+b.ID(), bookingNow)
		require.NoError(t, err)
		require.True(t, first)
		_, err = f.store.ListExpiredHolds(ctx, bookingNow, 10)
		require.NoError(t, err)
		require.NoError(t, f.store.WithinTx(ctx, func(ctx context.Context) error {
			_, err := f.store.ListOccupancy(ctx, f.club.ID, day) // inside a transaction: on its connection
			return err
		}))
		assert.Empty(t, f.replica.reads(), "no statement of a decision ran on the replica")
		assert.Zero(t, f.router.Stats().Replica)
	})

	t.Run("a lagging replica leaves reads on the primary and bookings correct", func(t *testing.T) {
		f := newReplicaFixture(t)
		marked := ports.ReplicaReadsOK(t.Context())
		first := f.booking(t, f.court, nextDay(10, 0), 90*time.Minute, bookingNow)
		f.create(t, first)
		require.NoError(t, f.pair.WaitReplayed(t.Context()))

		require.NoError(t, f.pair.PauseReplay(t.Context()))
		resumed := false
		defer func() {
			if !resumed {
				_ = f.pair.ResumeReplay(context.Background())
			}
		}()
		second := f.booking(t, f.court, nextDay(12, 0), 90*time.Minute, bookingNow)
		f.create(t, second)

		// The replica does not have the second booking: reading it there would show
		// the slot free. The router sees the replica behind and reads the primary.
		var onReplica int
		replicaDB, err := sql.Open("pgx", f.pair.ReplicaURL(dbName(t, f.db)))
		require.NoError(t, err)
		defer replicaDB.Close()
		require.NoError(t, replicaDB.QueryRowContext(t.Context(),
			"SELECT count(*) FROM bookings WHERE id = $1", second.ID()).Scan(&onReplica))
		require.Zero(t, onReplica, "the paused replica lags the primary")

		before := f.router.Stats()
		assert.Equal(t, []string{first.ID(), second.ID()}, occupied(t, f.store, marked, f.club.ID))
		assert.Equal(t, before.Lagging+1, f.router.Stats().Lagging)
		assert.Equal(t, before.Replica, f.router.Stats().Replica)
		assert.Empty(t, f.replica.reads(), "nothing but the position check ran on the replica")

		// Booking decisions are made on the primary: the taken slot is refused, a free
		// one is booked.
		clash := f.booking(t, f.court, nextDay(12, 30), time.Hour, bookingNow)
		err = f.store.CreateBooking(marked, clash, ports.CreateBookingOptions{Now: bookingNow})
		assert.Equal(t, domain.CodeSlotUnavailable, domain.ErrorCode(err))
		third := f.booking(t, f.court, nextDay(15, 0), 90*time.Minute, bookingNow)
		require.NoError(t, f.store.CreateBooking(marked, third, ports.CreateBookingOptions{Now: bookingNow}))

		// Caught up again, the replica serves the reads and has every booking.
		require.NoError(t, f.pair.ResumeReplay(t.Context()))
		resumed = true
		require.NoError(t, f.pair.WaitReplayed(t.Context()))
		before = f.router.Stats()
		assert.Equal(t, []string{first.ID(), second.ID(), third.ID()}, occupied(t, f.store, marked, f.club.ID))
		assert.Equal(t, before.Replica+1, f.router.Stats().Replica)
		assert.Len(t, f.replica.reads(), 1)
	})

	t.Run("a replica that does not answer leaves reads on the primary", func(t *testing.T) {
		f := newReplicaFixture(t)
		require.NoError(t, f.replica.Close()) // every statement on it now fails
		b := f.booking(t, f.court, nextDay(10, 0), 90*time.Minute, bookingNow)
		f.create(t, b)
		assert.Equal(t, []string{b.ID()}, occupied(t, f.store, ports.ReplicaReadsOK(t.Context()), f.club.ID))
		assert.Equal(t, int64(1), f.router.Stats().Failed)
	})

	t.Run("OpenReplicas connects to replicas by URL", func(t *testing.T) {
		pair := streamingPair(t)
		router, err := postgres.OpenReplicas([]string{pair.ReplicaURL("postgres")}, postgres.WithMaxOpenConns(2))
		require.NoError(t, err)
		db, err := postgres.Open(t.Context(), pair.PrimaryURL("postgres"), postgres.WithReplicas(router))
		require.NoError(t, err)
		defer db.Close()
		require.NoError(t, pair.WaitReplayed(t.Context()))
		var inRecovery bool
		require.NoError(t, db.NewSelect().ColumnExpr("pg_is_in_recovery()").Scan(ports.ReplicaReadsOK(t.Context()), &inRecovery))
		assert.True(t, inRecovery)
		assert.Equal(t, int64(1), router.Stats().Replica)

		_, err = postgres.OpenReplicas([]string{"postgres://[bad"})
		assert.Error(t, err)
	})
}

// dbName returns the name of the database db is connected to.
func dbName(t *testing.T, db *bun.DB) string {
	t.Helper()
	var name string
	require.NoError(t, db.NewRaw("SELECT current_database()").Scan(t.Context(), &name))
	return name
}
