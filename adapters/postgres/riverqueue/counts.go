package riverqueue

import (
	"context"
)

// Count is how many jobs of a kind are in one state.
type Count struct {
	State string // available (due, waiting for a worker), scheduled, retryable or running
	Kind  string
	N     int64
}

// Counts counts the jobs of the database that wait (available, scheduled, retryable)
// or run, by state and kind, for a gauge: one grouped count of river_job, whose
// unfinished jobs are few while the workers keep up. A database failure is
// unavailable.
func (q *Queue) Counts(ctx context.Context) ([]Count, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT state::text, kind, count(*) FROM river_job
		WHERE state IN ('available', 'scheduled', 'retryable', 'running')
		GROUP BY state, kind ORDER BY state, kind`)
	if err != nil {
		return nil, q.failed(err, "count jobs")
	}
	defer rows.Close()
	var out []Count
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.State, &c.Kind, &c.N); err != nil {
			return nil, q.failed(err, "count jobs")
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, q.failed(err, "count jobs")
	}
	return out, nil
}
