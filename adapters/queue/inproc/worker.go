package inproc

import (
	"container/heap"
	"context"
	"fmt"
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
		h := q.handlers[j.kind]
		ctx := q.ctx
		q.mu.Unlock()

		err := run(ctx, h, j)
		q.finish(j, err)
	}
}

// run calls the handler of j, turning a panic into an error.
func run(ctx context.Context, h ports.JobHandler, j *job) (err error) {
	if h == nil {
		return fmt.Errorf("no handler registered for kind %q", j.kind)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panicked: %v", r)
		}
	}()
	return h(ctx, j.args)
}

// finish records the outcome of one attempt of j.
func (q *Queue) finish(j *job, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stats.Running--
	defer q.notifyChanged()
	j.attempts++
	switch {
	case err == nil:
		q.stats.Succeeded++
	case j.attempts >= q.maxAttempts:
		q.stats.Dead++
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
		return // the job keeps its unique key while it waits
	}
	if j.key != "" {
		delete(q.keys, j.key)
	}
}

// jobHeap orders scheduled jobs by time, then by id.
type jobHeap []*job

func (h jobHeap) Len() int { return len(h) }
func (h jobHeap) Less(a, b int) bool {
	if !h[a].runAt.Equal(h[b].runAt) {
		return h[a].runAt.Before(h[b].runAt)
	}
	return h[a].id < h[b].id
}
func (h jobHeap) Swap(a, b int) { h[a], h[b] = h[b], h[a] }
func (h *jobHeap) Push(x any)   { *h = append(*h, x.(*job)) }
func (h *jobHeap) Pop() any {
	old := *h
	j := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return j
}
