package riverqueue_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// pingArgs are the arguments of the tests' jobs.
type pingArgs struct {
	Name string `json:"name"`
}

func (pingArgs) Kind() string { return "riverqueue_test.ping" }

// ran records the runs of a worker.
type ran struct {
	mu    sync.Mutex
	jobs  []ports.Job[pingArgs]
	queue []string // which queue's worker ran each job
}

func (r *ran) worker(name string, fail func(job *ports.Job[pingArgs]) error) ports.Worker[pingArgs] {
	return ports.WorkFunc[pingArgs](func(_ context.Context, job *ports.Job[pingArgs]) error {
		r.mu.Lock()
		r.jobs = append(r.jobs, *job)
		r.queue = append(r.queue, name)
		r.mu.Unlock()
		if fail != nil {
			return fail(job)
		}
		return nil
	})
}

func (r *ran) snapshot() ([]ports.Job[pingArgs], []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ports.Job[pingArgs](nil), r.jobs...), append([]string(nil), r.queue...)
}

func (r *ran) names() []string {
	jobs, _ := r.snapshot()
	out := make([]string, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, j.Args.Name)
	}
	return out
}

func workers(w ports.Worker[pingArgs]) *ports.Workers {
	ws := ports.NewWorkers()
	ports.AddWorker(ws, w)
	return ws
}

func TestTransactionalEnqueue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var r ran
	ws := workers(r.worker("q", nil))
	q := e.newQueue(t, riverqueue.Config{})
	ctx := context.Background()

	err := e.store.WithinTx(ctx, func(ctx context.Context) error {
		require.NoError(t, q.Enqueue(ctx, pingArgs{Name: "rolled back"}, ports.EnqueueOptions{}))
		require.NoError(t, q.Enqueue(ctx, pingArgs{Name: "rolled back too"}, ports.EnqueueOptions{UniqueKey: "k"}))
		return errRollback
	})
	require.ErrorIs(t, err, errRollback)
	assert.Empty(t, e.states(t), "a rolled-back transaction left jobs in river_job")

	require.NoError(t, e.store.WithinTx(ctx, func(ctx context.Context) error {
		require.NoError(t, q.Enqueue(ctx, pingArgs{Name: "committed"}, ports.EnqueueOptions{UniqueKey: "k"}))
		assert.Empty(t, e.states(t), "a job of an open transaction is visible outside it")
		return nil
	}))
	assert.Equal(t, []string{"available"}, e.states(t), "the committed transaction's job")

	require.NoError(t, q.Start(ctx, ws))
	e.waitIdle(t)
	assert.Equal(t, []string{"committed"}, r.names())
}

func TestEnqueueRefusesAnotherTransactorsTransaction(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	q := e.newQueue(t, riverqueue.Config{})
	ctx, end := ports.WithCommitHooks(context.Background())
	defer end(false)

	err := q.Enqueue(ctx, pingArgs{Name: "x"}, ports.EnqueueOptions{})
	require.Error(t, err)
	assert.Equal(t, domain.KindInternal, kindOf(t, err), "%v", err)
	assert.Empty(t, e.states(t))
}

func TestEnqueueInvalidArguments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	q := e.newQueue(t, riverqueue.Config{})
	err := q.Enqueue(context.Background(), nil, ports.EnqueueOptions{})
	assert.Equal(t, domain.KindInvalid, kindOf(t, err), "%v", err)
	err = q.Enqueue(context.Background(), badArgs{C: make(chan int)}, ports.EnqueueOptions{})
	assert.Equal(t, domain.KindInvalid, kindOf(t, err), "%v", err)
}

// badArgs do not encode as JSON.
type badArgs struct{ C chan int }

func (badArgs) Kind() string { return "riverqueue_test.bad" }

func TestUniqueKeyAcrossQueues(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var r ran
	started := make(chan struct{}, 2)
	release := make(chan struct{})
	block := func(*ports.Job[pingArgs]) error {
		started <- struct{}{}
		<-release
		return nil
	}
	qaWorkers := workers(r.worker("a", block))
	qa := e.newQueue(t, riverqueue.Config{})
	qbWorkers := workers(r.worker("b", block))
	qb := e.newQueue(t, riverqueue.Config{})
	ctx := context.Background()
	key := ports.EnqueueOptions{UniqueKey: "expire:b1"}

	require.NoError(t, qa.Enqueue(ctx, pingArgs{Name: "first"}, key))
	require.NoError(t, qb.Enqueue(ctx, pingArgs{Name: "second"}, key))
	assert.Len(t, e.states(t), 1, "the second queue enqueued a waiting job's key")

	require.NoError(t, qa.Start(ctx, qaWorkers))
	require.NoError(t, qb.Start(ctx, qbWorkers))
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("the job never started")
	}
	require.NoError(t, qa.Enqueue(ctx, pingArgs{Name: "while running, a"}, key))
	require.NoError(t, qb.Enqueue(ctx, pingArgs{Name: "while running, b"}, key))
	assert.Equal(t, []string{"running"}, e.states(t), "a queue enqueued a running job's key")
	close(release)
	e.waitIdle(t)
	require.Eventually(t, func() bool { return len(e.states(t)) == 1 && e.states(t)[0] == "completed" },
		5*time.Second, 20*time.Millisecond)

	require.NoError(t, qb.Enqueue(ctx, pingArgs{Name: "after"}, key))
	e.waitIdle(t)
	assert.Equal(t, []string{"first", "after"}, r.names(), "each job ran once, on either queue, and a completed job freed its key")
}

func TestJobSurvivesRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var r ran
	ctx := context.Background()
	firstWorkers := workers(r.worker("first", nil))
	first := e.newQueue(t, riverqueue.Config{})
	require.NoError(t, first.Start(ctx, firstWorkers))
	runAt := time.Now().Add(time.Second)
	require.NoError(t, first.Enqueue(ctx, pingArgs{Name: "survivor"}, ports.EnqueueOptions{RunAt: runAt}))
	require.NoError(t, first.Stop(ctx))

	secondWorkers := workers(r.worker("second", nil))
	second := e.newQueue(t, riverqueue.Config{})
	require.NoError(t, second.Start(ctx, secondWorkers))
	require.Eventually(t, func() bool { return len(r.names()) == 1 }, 10*time.Second, 20*time.Millisecond,
		"the job enqueued before the restart never ran")
	jobs, by := r.snapshot()
	assert.Equal(t, "survivor", jobs[0].Args.Name)
	assert.Equal(t, []string{"second"}, by, "the stopped queue ran the job")
	e.waitIdle(t)
	assert.Len(t, r.names(), 1)
}

func TestCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var r ran
	ws := workers(r.worker("q", nil))
	q := e.newQueue(t, riverqueue.Config{})
	ctx := context.Background()
	require.NoError(t, q.Start(ctx, ws))
	key := ports.EnqueueOptions{UniqueKey: "remind:b1", RunAt: time.Now().Add(time.Second)}

	require.NoError(t, q.Cancel(ctx, "no such key"), "no job with the key is not an error")
	require.NoError(t, q.Enqueue(ctx, pingArgs{Name: "cancelled"}, key))
	require.NoError(t, q.Enqueue(ctx, pingArgs{Name: "other"}, ports.EnqueueOptions{UniqueKey: "remind:b2", RunAt: key.RunAt}))

	// A cancellation in a rolled-back transaction cancels nothing.
	err := e.store.WithinTx(ctx, func(ctx context.Context) error {
		require.NoError(t, q.Cancel(ctx, "remind:b1"))
		return errRollback
	})
	require.ErrorIs(t, err, errRollback)
	require.NoError(t, e.store.WithinTx(ctx, func(ctx context.Context) error {
		return q.Cancel(ctx, "remind:b1")
	}))
	assert.Equal(t, []string{"cancelled", "available"}, e.states(t), "Cancel touched the wrong job")

	require.NoError(t, q.Enqueue(ctx, pingArgs{Name: "again"}, ports.EnqueueOptions{UniqueKey: "remind:b1"}))
	require.Eventually(t, func() bool { return len(r.names()) == 2 }, 10*time.Second, 20*time.Millisecond)
	time.Sleep(300 * time.Millisecond) // past the cancelled job's time
	e.waitIdle(t)
	assert.ElementsMatch(t, []string{"other", "again"}, r.names(), "a cancelled job ran, or it kept its key")

	require.NoError(t, q.Cancel(ctx, "remind:b2"), "cancelling a completed job is a no-op")
	assert.ElementsMatch(t, []string{"cancelled", "completed", "completed"}, e.states(t))
}

func TestCancelOutsideTransactionBeforeStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var r ran
	ws := workers(r.worker("q", nil))
	q := e.newQueue(t, riverqueue.Config{})
	ctx := context.Background()
	require.NoError(t, q.Enqueue(ctx, pingArgs{Name: "now"}, ports.EnqueueOptions{UniqueKey: "k"}))
	require.NoError(t, q.Cancel(ctx, "k"))
	require.NoError(t, q.Start(ctx, ws))
	require.NoError(t, q.Enqueue(ctx, pingArgs{Name: "marker"}, ports.EnqueueOptions{}))
	e.waitIdle(t)
	assert.Equal(t, []string{"marker"}, r.names(), "a cancelled job ran")
}

func TestRetryRunsAttemptTwo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var r ran
	fail := func(job *ports.Job[pingArgs]) error {
		if job.Attempt == 1 {
			return errors.New("smtp: 421 try again later")
		}
		return nil
	}
	ws := workers(r.worker("q", fail))
	q := e.newQueue(t, riverqueue.Config{})
	ctx := context.Background()
	require.NoError(t, q.Start(ctx, ws))
	require.NoError(t, q.Enqueue(ctx, pingArgs{Name: "flaky"}, ports.EnqueueOptions{}))

	require.Eventually(t, func() bool { return len(r.names()) == 2 }, 10*time.Second, 20*time.Millisecond)
	e.waitIdle(t)
	jobs, _ := r.snapshot()
	require.Len(t, jobs, 2)
	assert.Equal(t, []int{1, 2}, []int{jobs[0].Attempt, jobs[1].Attempt})
	assert.Equal(t, jobs[0].ID, jobs[1].ID, "the retry is the same job")
	assert.Equal(t, "flaky", jobs[1].Args.Name)
	require.Eventually(t, func() bool { return e.states(t)[0] == "completed" }, 5*time.Second, 20*time.Millisecond)
}

// reporter records what it is given.
type reporter struct {
	mu    sync.Mutex
	errs  []error
	attrs []map[string]string
}

func (r *reporter) Report(_ context.Context, err error, attrs map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err)
	r.attrs = append(r.attrs, attrs)
}

func (r *reporter) reports() ([]error, []map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...), append([]map[string]string(nil), r.attrs...)
}

func TestLastAttemptReported(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var r ran
	var rep reporter
	boom := errors.New("gateway down")
	w := r.worker("q", func(job *ports.Job[pingArgs]) error {
		if job.Args.Name == "panics" {
			panic("nil map")
		}
		return boom
	})
	ws := workers(w)
	q := e.newQueue(t, riverqueue.Config{Reporter: &rep, MaxAttempts: 2})
	ctx := context.Background()
	require.NoError(t, q.Start(ctx, ws))
	require.NoError(t, q.Enqueue(ctx, pingArgs{Name: "doomed"}, ports.EnqueueOptions{}))
	require.NoError(t, q.Enqueue(ctx, pingArgs{Name: "panics"}, ports.EnqueueOptions{}))

	require.Eventually(t, func() bool { errs, _ := rep.reports(); return len(errs) == 2 }, 10*time.Second, 20*time.Millisecond,
		"the last attempts were not reported")
	e.waitIdle(t)
	require.Eventually(t, func() bool {
		s := e.states(t)
		return len(s) == 2 && s[0] == "discarded" && s[1] == "discarded"
	}, 5*time.Second, 20*time.Millisecond)
	errs, attrs := rep.reports()
	assert.Len(t, errs, 2, "only the last attempt of each job is reported")
	assert.Len(t, r.names(), 4, "each job ran MaxAttempts times")
	var sawBoom, sawPanic bool
	for i, err := range errs {
		sawBoom = sawBoom || errors.Is(err, boom)
		sawPanic = sawPanic || strings.Contains(err.Error(), "panicked")
		assert.Equal(t, pingArgs{}.Kind(), attrs[i]["kind"])
		assert.Equal(t, "2", attrs[i]["attempts"])
	}
	assert.True(t, sawBoom, "the worker's error is reported: %v", errs)
	assert.True(t, sawPanic, "the worker's panic is reported: %v", errs)
}

// kindOf returns the kind of err, which must be a domain error.
func kindOf(t *testing.T, err error) domain.Kind {
	t.Helper()
	var de *domain.Error
	require.ErrorAs(t, err, &de)
	return de.Kind()
}

func TestStartNeedsWorkers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	q := e.newQueue(t, riverqueue.Config{})
	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(q.Start(context.Background(), nil)))
	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(q.Start(context.Background(), ports.NewWorkers())), "a set without a worker")
}

func TestStopEndsAtTheDeadline(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	started := make(chan struct{}, 1)
	cancelled := make(chan struct{})
	w := ports.WorkFunc[pingArgs](func(ctx context.Context, job *ports.Job[pingArgs]) error {
		started <- struct{}{}
		<-ctx.Done()
		close(cancelled)
		return ctx.Err()
	})
	ws := workers(w)
	q := e.newQueue(t, riverqueue.Config{})
	ctx := context.Background()
	require.NoError(t, q.Start(ctx, ws))
	require.NoError(t, q.Enqueue(ctx, pingArgs{Name: "slow"}, ports.EnqueueOptions{}))
	<-started
	stopCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	err := q.Stop(stopCtx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("Stop at its deadline did not cancel the running job")
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	schema := fmt.Sprintf("rq_%d", schemas.Add(1))
	_, err := testDB.ExecContext(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	db, err := postgres.Open(ctx, databaseURL(testName, schema))
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = db.Close()
		_, _ = testDB.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})

	pending, err := riverqueue.PendingMigrations(ctx, db.DB)
	require.NoError(t, err)
	require.NotEmpty(t, pending, "an empty schema has every migration pending")

	res, err := riverqueue.Migrate(ctx, db.DB)
	require.NoError(t, err)
	assert.Equal(t, pending, res.Applied, "Migrate applied what PendingMigrations named")
	assert.Positive(t, res.Version)
	var tables int
	require.NoError(t, db.DB.QueryRowContext(ctx, `SELECT count(*) FROM pg_tables
		WHERE schemaname = $1 AND tablename IN ('river_job', 'river_leader', 'river_migration')`, schema).Scan(&tables))
	assert.Equal(t, 3, tables, "River's tables are in the search_path's schema")

	again, err := riverqueue.Migrate(ctx, db.DB)
	require.NoError(t, err)
	assert.Empty(t, again.Applied, "a migrated database had migrations left")
	assert.Equal(t, res.Version, again.Version)
	pending, err = riverqueue.PendingMigrations(ctx, db.DB)
	require.NoError(t, err)
	assert.Empty(t, pending)
}

// TestAKeyIsTakenWhenItsTransactionCommits: a transaction's jobs are inserted as it
// commits, so until then an enqueue outside it takes the key, and the transaction's
// job of that key is then a no-op; rolled back, it leaves the outside job alone.
func TestAKeyIsTakenWhenItsTransactionCommits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	q := e.newQueue(t, riverqueue.Config{})
	ctx := context.Background()
	key := ports.EnqueueOptions{UniqueKey: "expire:b1"}

	for _, commit := range []bool{true, false} {
		txCtx, end := e.beginTx(t, ctx)
		require.NoError(t, q.Enqueue(txCtx, pingArgs{Name: "in the transaction"}, key))
		assert.Empty(t, e.states(t), "nothing is inserted before the commit")
		require.NoError(t, q.Enqueue(ctx, pingArgs{Name: "outside"}, key))
		end(commit)
		assert.Len(t, e.states(t), 1, "committed %v: one job holds the key", commit)
		var args string
		require.NoError(t, e.db.NewRaw("SELECT args->'args'->>'name' FROM "+e.schema+".river_job").Scan(ctx, &args))
		assert.Equal(t, "outside", args, "committed %v: the job that took the key first is kept", commit)
		_, err := e.db.ExecContext(ctx, "DELETE FROM "+e.schema+".river_job")
		require.NoError(t, err)
	}
}

func TestATransactionsJobsAreInsertedTogetherAtItsCommit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	q := e.newQueue(t, riverqueue.Config{})
	ctx := context.Background()

	txCtx, end := e.beginTx(t, ctx)
	require.NoError(t, q.Enqueue(txCtx, pingArgs{Name: "expire"}, ports.EnqueueOptions{UniqueKey: "expire:b1"}))
	require.NoError(t, q.Enqueue(txCtx, pingArgs{Name: "expire again"}, ports.EnqueueOptions{UniqueKey: "expire:b1"}))
	require.NoError(t, q.Enqueue(txCtx, pingArgs{Name: "remind"}, ports.EnqueueOptions{UniqueKey: "remind:b1"}))
	require.NoError(t, q.Enqueue(txCtx, pingArgs{Name: "complete"}, ports.EnqueueOptions{}))
	require.NoError(t, q.Cancel(txCtx, "remind:b1"), "cancelled in the transaction that enqueued it")
	assert.Empty(t, e.states(t))
	end(true)
	assert.Len(t, e.states(t), 2, "expire once, complete; the reminder was cancelled before it was stored")
}

func TestNewRefusesWhatRiverRefuses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := riverqueue.New(nil, e.db.DB, riverqueue.Config{})
	require.Error(t, err)
	_, err = riverqueue.New(e.store, e.db.DB, riverqueue.Config{FetchPollInterval: time.Microsecond})
	require.ErrorContains(t, err, "FetchPollInterval")
	ws := ports.NewWorkers()
	ports.AddWorker(ws, ports.WorkFunc[spacedArgs](func(context.Context, *ports.Job[spacedArgs]) error { return nil }))
	q, err := riverqueue.New(e.store, e.db.DB, riverqueue.Config{})
	require.NoError(t, err)
	require.ErrorContains(t, q.Start(context.Background(), ws), "has spaces", "River refuses the kind")
}

// spacedArgs have a kind River refuses.
type spacedArgs struct{}

func (spacedArgs) Kind() string { return "has spaces" }

// TestEnqueueSendsNoInsertNotifications: River notifies listeners of the database when
// it inserts available jobs, at most once per its fetch cooldown (100ms by default).
// No Queue listens, so Queue lets it do so only once an hour: enqueues well apart
// send one notification between them, the first.
// pgxConn is what the pool's driver connections offer: their pgx connection.
type pgxConn interface{ Conn() *pgx.Conn }

func TestEnqueueSendsNoInsertNotifications(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	q := e.newQueue(t, riverqueue.Config{})
	ctx := context.Background()

	conn, err := e.db.DB.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	// The pgx connection is used only inside Raw, as database/sql requires.
	require.NoError(t, conn.Raw(func(dc any) error {
		_, err := dc.(pgxConn).Conn().Exec(ctx, `LISTEN "`+e.schema+`.river_insert"`)
		return err
	}))

	for i := range 3 {
		require.NoError(t, e.store.WithinTx(ctx, func(ctx context.Context) error {
			return q.Enqueue(ctx, pingArgs{Name: fmt.Sprint(i)}, ports.EnqueueOptions{UniqueKey: fmt.Sprint("k", i)})
		}))
		require.NoError(t, q.Enqueue(ctx, pingArgs{Name: fmt.Sprint("outside ", i)}, ports.EnqueueOptions{}))
		time.Sleep(150 * time.Millisecond) // longer than River's default cooldown
	}
	assert.Len(t, e.states(t), 6)
	notifications := 0
	require.NoError(t, conn.Raw(func(dc any) error {
		listener := dc.(pgxConn).Conn()
		for {
			waitCtx, cancel := context.WithTimeout(ctx, time.Second)
			_, err := listener.WaitForNotification(waitCtx)
			cancel()
			if errors.Is(err, context.DeadlineExceeded) {
				return nil
			}
			if err != nil {
				return err
			}
			notifications++
		}
	}))
	assert.Equal(t, 1, notifications, "one notification, for the first enqueue")
}
