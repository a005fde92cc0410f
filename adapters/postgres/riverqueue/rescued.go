package riverqueue

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// A job whose process died while running it is rescued by River's leader: run again,
// or, when that run was its last attempt, discarded. River discards it without
// calling the error handler, so the Queue looks for such jobs itself and reports each
// once, whichever process finds it first: the report is marked in the job's metadata
// in the same statement that finds it.

// rescuedCheckEvery is how often a started Queue looks for rescued-and-discarded jobs
// when Config.RescuedCheck is zero: the pace of River's rescuer.
const rescuedCheckEvery = 30 * time.Second

// rescuedError is the error River's rescuer records on a job it rescues.
const rescuedError = "Stuck job rescued by JobRescuer"

// reportRescued reports the jobs River discarded on rescue that no Queue has reported,
// until ctx ends.
func (q *Queue) reportRescued(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := q.reportRescuedOnce(ctx); err != nil && ctx.Err() == nil {
				q.cfg.Logger.WarnContext(ctx, "riverqueue: looking for jobs discarded on rescue failed", "err", err)
			}
		}
	}
}

// reportRescuedOnce reports, once across processes, the jobs discarded on rescue in the
// last week.
func (q *Queue) reportRescuedOnce(ctx context.Context) error {
	rows, err := q.db.QueryContext(ctx, `UPDATE river_job SET metadata = metadata || '{"matchpoint_reported": true}'
		WHERE state = 'discarded' AND finalized_at > now() - interval '7 days'
		  AND NOT metadata ? 'matchpoint_reported'
		  AND errors[array_length(errors, 1)]->>'error' = $1
		RETURNING id, kind, attempt`, rescuedError)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var kind string
		var attempt int
		if err := rows.Scan(&id, &kind, &attempt); err != nil {
			return err
		}
		err := fmt.Errorf("job %s was left running by a process that stopped, on its last attempt: it was discarded", kind)
		q.cfg.Logger.ErrorContext(ctx, "riverqueue: job discarded on rescue", "kind", kind, "job_id", id, "attempts", attempt)
		if q.cfg.Reporter != nil {
			q.cfg.Reporter.Report(ctx, err, map[string]string{"kind": kind, "job_id": strconv.FormatInt(id, 10), "attempts": strconv.Itoa(attempt)})
		}
	}
	return rows.Err()
}
