package inproc

import (
	"container/heap"
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/matchpoint/matchpoint/ports"
)

// place puts j among the ready or the scheduled jobs. The caller holds mu.
func (q *Queue) place(j *job, now time.Time) {
	if j.runAt.After(now) {
		heap.Push(&q.scheduled, j)
		if q.scheduled[0] == j {
			select {
			case q.wake <- struct{}{}:
			default:
			}
		}
		return
	}
	q.ready = append(q.ready, j)
	q.work.Signal()
}

// promoteDue moves the scheduled jobs due at now to the ready ones. The caller holds mu.
func (q *Queue) promoteDue(now time.Time) {
	for len(q.scheduled) > 0 && !q.scheduled[0].runAt.After(now) {
		j := heap.Pop(&q.scheduled).(*job)
		q.ready = append(q.ready, j)
		q.work.Signal()
	}
}

// scheduler moves scheduled jobs to the ready ones when their time comes. It sleeps
// on a timer set for the earliest job, and wakes early when an earlier job arrives.
func (q *Queue) scheduler() {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		q.mu.Lock()
		now := q.clock.Now()
		q.promoteDue(now)
		var next time.Time
		if len(q.scheduled) > 0 {
			next = q.scheduled[0].runAt
		}
		q.mu.Unlock()

		if next.IsZero() {
			timer.Stop()
		} else {
			timer.Reset(next.Sub(now))
		}
		select {
		case <-timer.C:
		case <-q.wake:
		case <-q.stop:
			return
		}
	}
}

// worker runs ready jobs until the queue stops.
func (q *Queue) worker() {
	for {
		q.mu.Lock()
		for len(q.ready) == 0 && q.state == stateStarted {
			q.work.Wait()
		}
		if q.state != stateStarted {
			q.mu.Unlock()
			return
		}
		j := q.ready[0]
		q.ready[0] = nil
		q.ready = q.ready[1:]
		q.stats.Running++
		j.running = true
		ws, ctx := q.run, q.ctx
		q.mu.Unlock()

		// Work turns a panic of the worker into an error.
		err := ws.Work(ctx, ports.RawJob{ID: j.id, Kind: j.kind, Args: j.args, Attempt: j.attempts + 1, ScheduledAt: j.runAt})
		if attempts, dead := q.finish(j, err); dead && q.reporter != nil {
			q.reporter.Report(context.WithoutCancel(ctx),
				fmt.Errorf("job %s of kind %s failed %d attempts: %w", j.id, j.kind, attempts, err),
				map[string]string{"kind": j.kind, "job_id": j.id, "attempts": strconv.Itoa(attempts)})
		}
		// Only now is the job no longer running, so that Drain waits for its report.
		q.mu.Lock()
		q.stats.Running--
		q.notifyChanged()
		q.mu.Unlock()
	}
}

// finish records the outcome of one attempt of j: the attempts made, and whether
// that was its last failed attempt.
func (q *Queue) finish(j *job, err error) (attempts int, dead bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	j.attempts++
	attempts = j.attempts
	j.running = false
	switch {
	case err == nil:
		q.stats.Succeeded++
	case j.attempts >= q.maxAttempts:
		q.stats.Dead++
		dead = true
		q.logger().Error("job failed for good", "kind", j.kind, "job_id", j.id, "attempts", j.attempts, "error", err)
	case q.state == stateStopped:
		q.logger().Warn("job failed as the queue stopped; its retry is lost", "kind", j.kind, "job_id", j.id, "attempt", j.attempts, "error", err)
	default:
		q.stats.Retried++
		delay := q.backoff(j.attempts)
		q.logger().Warn("job failed; retrying", "kind", j.kind, "job_id", j.id, "attempt", j.attempts, "retry_in", delay, "error", err)
		now := q.clock.Now()
		j.runAt = now.Add(delay)
		q.place(j, now)
		return attempts, false // the job keeps its unique key while it waits
	}
	if j.key != "" {
		delete(q.keys, j.key)
	}
	return attempts, dead
}

// jobHeap orders scheduled jobs by time, then by the order they were added. Each job
// knows its index, so that Cancel can remove it.
type jobHeap []*job

func (h jobHeap) Len() int { return len(h) }
func (h jobHeap) Less(a, b int) bool {
	if !h[a].runAt.Equal(h[b].runAt) {
		return h[a].runAt.Before(h[b].runAt)
	}
	return h[a].seq < h[b].seq
}
func (h jobHeap) Swap(a, b int) {
	h[a], h[b] = h[b], h[a]
	h[a].index, h[b].index = a, b
}
func (h *jobHeap) Push(x any) {
	j := x.(*job)
	j.index = len(*h)
	*h = append(*h, j)
}
func (h *jobHeap) Pop() any {
	old := *h
	j := old[len(old)-1]
	old[len(old)-1] = nil
	j.index = -1
	*h = old[:len(old)-1]
	return j
}
