package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/extra/bunexp"

	"github.com/matchpoint/matchpoint/ports"
)

// ReplicaRouter sends the reads that decide no write to streaming read replicas. It
// is a bun.ConnResolver: Open installs it with WithReplicas, and Bun asks it where to
// run each query that is not bound to a transaction.
//
// A query goes to a replica only when all of these hold:
//   - its context was marked with ports.ReplicaReadsOK (availability, prices, reports);
//   - it is a Bun SELECT query (bun.IsReadOnlyQuery): the store writes the reads a
//     replica may serve with NewSelect, and every other statement as raw SQL, so that
//     reads deciding a booking, a cancellation or a payment never reach a replica;
//   - the replica Bun's resolver picks (round robin over the healthy ones, see
//     bunexp.ReadWriteConnResolver) has replayed all the WAL the primary had flushed
//     when the query was asked.
//
// The last check keeps the promise of ports.ReplicaReadsOK: a replica read sees every
// commit that came before it, so a customer sees their own booking, and a value read
// after a cache invalidation is never older than the write that invalidated it. It
// costs two small queries (the primary's flush position, the replica's replay
// position) before the read; a replica that lags, or fails to answer, leaves the read
// on the primary. Replay positions only grow, so the position checked on one of the
// replica's connections holds for the read on another — provided each replica URL
// reaches one server: a URL that spreads connections over several replicas (a reader
// endpoint, a pooler or load balancer in front of several, a multi-host URL) would
// check one server and read another. The fence also assumes synchronous_commit is on
// (PostgreSQL's default), so that a commit's WAL is flushed before the commit returns.
type ReplicaRouter struct {
	replicas *bunexp.ReadWriteConnResolver
	stats    struct{ replica, lagging, failed atomic.Int64 }
}

var _ bun.ConnResolver = (*ReplicaRouter)(nil)

// NewReplicaRouter returns a router over the replicas' connection pools, which it
// closes when it is closed.
func NewReplicaRouter(replicas ...bunexp.DBReplica) *ReplicaRouter {
	opts := make([]bunexp.ReadWriteConnResolverOption, len(replicas))
	for i, r := range replicas {
		opts[i] = bunexp.WithDBReplica(r, bunexp.DBReplicaReadOnly)
	}
	return &ReplicaRouter{replicas: bunexp.NewReadWriteConnResolver(opts...)}
}

// OpenReplicas returns a router over pools of the replicas at dsns, tuned by opts as
// Open tunes the primary's. It does not wait for the replicas: one that cannot be
// reached leaves its reads on the primary.
func OpenReplicas(dsns []string, opts ...Option) (*ReplicaRouter, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	pools := make([]bunexp.DBReplica, 0, len(dsns))
	closeAll := func() {
		for _, p := range pools {
			_ = p.Close()
		}
	}
	for _, dsn := range dsns {
		db, err := openPool(dsn, o)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("postgres: replica: %w", err)
		}
		pools = append(pools, db)
	}
	return NewReplicaRouter(pools...), nil
}

// ReplicaStats counts where the reads a replica may serve went.
type ReplicaStats struct {
	Replica int64 // served by a replica
	Lagging int64 // left on the primary: the replica had not replayed the primary's WAL
	Failed  int64 // left on the primary: the replica or the primary did not answer the check
}

// Stats returns the router's counts since it was made.
func (r *ReplicaRouter) Stats() ReplicaStats {
	return ReplicaStats{Replica: r.stats.replica.Load(), Lagging: r.stats.lagging.Load(), Failed: r.stats.failed.Load()}
}

// ResolveConn returns the replica to run q on, or nil to run it on the primary.
func (r *ReplicaRouter) ResolveConn(ctx context.Context, q bun.Query) bun.IConn {
	if !ports.ReplicaReadsAllowed(ctx) || !bun.IsReadOnlyQuery(q) {
		return nil
	}
	replica := r.replicas.ResolveConn(ctx, q)
	if replica == nil {
		return nil
	}
	primary := q.(*bun.SelectQuery).DB().DB // IsReadOnlyQuery holds for SELECT queries only
	switch err := caughtUp(ctx, primary, replica); {
	case err == nil:
		r.stats.replica.Add(1)
		return replica
	case errors.Is(err, errLagging):
		r.stats.lagging.Add(1)
	default:
		r.stats.failed.Add(1)
	}
	return nil
}

// Close closes the replicas' pools.
func (r *ReplicaRouter) Close() error { return r.replicas.Close() }

var errLagging = errors.New("the replica has not replayed the primary's WAL")

// caughtUp returns nil if replica has replayed all the WAL primary has flushed. A
// server that is not in recovery (a promoted replica) has nothing to replay.
func caughtUp(ctx context.Context, primary *sql.DB, replica bun.IConn) error {
	var flushed string
	if err := primary.QueryRowContext(ctx, `SELECT pg_current_wal_flush_lsn()::text`).Scan(&flushed); err != nil {
		return err
	}
	var ok bool
	if err := replica.QueryRowContext(ctx,
		`SELECT NOT pg_is_in_recovery() OR coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)`, flushed).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return errLagging
	}
	return nil
}
