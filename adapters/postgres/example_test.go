package postgres_test

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/ports"
)

// Open connects to the primary and tunes its pool; Migrate brings the schema up to
// date (run it from one instance, or from a deploy step, before serving); New is the
// ports.Store over the handle. The examples of this package need a PostgreSQL server,
// so they are compiled but not run.
func ExampleOpen() {
	ctx := context.Background()
	db, err := postgres.Open(ctx, "postgres://matchpoint@127.0.0.1:5432/matchpoint?sslmode=disable",
		postgres.WithMaxOpenConns(20), // and as many kept idle
		postgres.WithConnMaxLifetime(30*time.Minute),
		postgres.WithConnMaxIdleTime(5*time.Minute),
	)
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if err := postgres.Migrate(ctx, db); err != nil {
		panic(err)
	}
	store := postgres.New(db)
	_, err = store.GetClubBySlug(ctx, "riverside")
	fmt.Println(err)
}

// New is the ports.Store over a handle that Open returned.
func ExampleNew() {
	ctx := context.Background()
	db, err := postgres.Open(ctx, "postgres://matchpoint@127.0.0.1:5432/matchpoint?sslmode=disable")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	store := postgres.New(db)
	err = store.WithinTx(ctx, func(ctx context.Context) error {
		// Everything the store does with ctx is one transaction.
		_, err := store.RecordPaymentEvent(ctx, "sandbox", "evt_1", time.Now())
		return err
	})
	fmt.Println(err)
}

// OpenReplicas sends the reads that decide no write to streaming read replicas that
// have caught up with the primary (see ReplicaRouter); WithReplicas gives the router to Open, and closing
// the primary's handle closes the replicas' pools.
func ExampleOpenReplicas() {
	ctx := context.Background()
	replicas, err := postgres.OpenReplicas([]string{
		"postgres://matchpoint@replica-1:5432/matchpoint?sslmode=disable",
		"postgres://matchpoint@replica-2:5432/matchpoint?sslmode=disable",
	}, postgres.WithMaxOpenConns(20))
	if err != nil {
		panic(err)
	}
	db, err := postgres.Open(ctx, "postgres://matchpoint@primary:5432/matchpoint?sslmode=disable",
		postgres.WithMaxOpenConns(20), postgres.WithReplicas(replicas))
	if err != nil {
		_ = replicas.Close()
		panic(err)
	}
	defer db.Close()
	store := postgres.New(db)
	// Only reads whose context ports.ReplicaReadsOK marked may go to a replica.
	_, err = store.GetClubBySlug(ports.ReplicaReadsOK(ctx), "riverside")
	fmt.Println(err, replicas.Stats().Replica)
}

// NewReplicaRouter routes over connection pools the caller opened itself, here a
// pgx pool that uses the simple protocol, as Open's do, so that it works through
// PgBouncer in transaction mode.
func ExampleNewReplicaRouter() {
	cfg, err := pgx.ParseConfig("postgres://matchpoint@replica-1:5432/matchpoint?sslmode=disable")
	if err != nil {
		panic(err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	replicas := postgres.NewReplicaRouter(stdlib.OpenDB(*cfg))
	db, err := postgres.Open(context.Background(), "postgres://matchpoint@primary:5432/matchpoint?sslmode=disable",
		postgres.WithReplicas(replicas))
	if err != nil {
		_ = replicas.Close()
		panic(err)
	}
	defer db.Close()
}
