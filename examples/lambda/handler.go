package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/ports"
)

// ScheduledDetailType is the detail-type of the events an EventBridge schedule sends.
const ScheduledDetailType = "Scheduled Event"

// What a scheduled run does: as the example server does every half minute.
const (
	// reconcileAfter is how long a checkout stays pending before reconciliation asks
	// its gateway about it: a lost webhook would otherwise leave a paid booking
	// unconfirmed.
	reconcileAfter = 5 * time.Minute
	// reconcileLimit bounds the bookings one run asks about.
	reconcileLimit = 100
	// sweepBatch is how many run-out holds the sweep reads at a time.
	sweepBatch = 100
)

// errUnknownEvent is the error for an event that is neither an SQS batch nor a
// scheduled event.
var errUnknownEvent = errors.New("unknown event: want an SQS event (\"Records\" from aws:sqs) or an EventBridge scheduled event (detail-type \"Scheduled Event\")")

// JobMessage is the body of an SQS message: one job, as ports.RawJob carries it.
// Kind and Args are required; Args is the JSON object of the job's arguments (such as
// app.ExpireHoldArgs). ID defaults to the SQS message id. Attempt is the attempt of
// the message's first delivery (default 1); each further delivery of the message (its
// ApproximateReceiveCount) is the next attempt.
type JobMessage struct {
	Kind    string          `json:"kind"`
	Args    json.RawMessage `json:"args"`
	ID      string          `json:"id,omitempty"`
	Attempt int             `json:"attempt,omitempty"`
}

// ScheduledResult is what a scheduled run did.
type ScheduledResult struct {
	// Reconciled counts what reconciliation found at the gateways.
	Reconciled app.ReconcileResult `json:"reconciled"`
	// HoldsExpired is how many run-out holds the sweep expired.
	HoldsExpired int `json:"holds_expired"`
	// ReportsRequested is how many monthly reports the run requested: a club's two
	// reports of a month, on the first run after the month has ended in its zone.
	ReportsRequested int `json:"reports_requested"`
}

// Handle is the function's handler. It tells the event's shape by its fields:
//
//   - an SQS event ("Records", each from "aws:sqs") runs one job per record, its body
//     a JobMessage, through Workers.Work, and answers an events.SQSEventResponse that
//     lists the records whose job failed (an unknown kind, arguments that do not
//     decode, or the worker's error), so that SQS delivers only those again. The event
//     source mapping must report batch item failures (ReportBatchItemFailures);
//   - an EventBridge scheduled event (detail-type "Scheduled Event") reconciles the
//     payments of checkouts left pending, then expires the holds that have run out,
//     and answers a ScheduledResult; an error of either is the run's error, after
//     both have run.
//
// Any other event is an error. Before it answers, Handle waits for the jobs the use
// cases scheduled meanwhile that are due (a closed checkout, a message), for a frozen
// copy of the function would not run them; jobs due later stay in the queue of this
// copy, behind the scheduled sweep.
func (f *Function) Handle(ctx context.Context, event json.RawMessage) (any, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(event, &fields); err != nil || fields == nil {
		return nil, fmt.Errorf("%w; got no JSON object", errUnknownEvent)
	}
	_, records := fields["Records"]
	_, detailType := fields["detail-type"]
	switch {
	case records && !detailType:
		var ev events.SQSEvent
		if err := json.Unmarshal(event, &ev); err != nil {
			return nil, fmt.Errorf("SQS event: %w", err)
		}
		for _, r := range ev.Records {
			if r.EventSource != "aws:sqs" {
				return nil, fmt.Errorf("%w; got a record from %q", errUnknownEvent, r.EventSource)
			}
		}
		return f.handleSQS(ctx, ev), nil
	case detailType && !records:
		var ev events.EventBridgeEvent
		if err := json.Unmarshal(event, &ev); err != nil {
			return nil, fmt.Errorf("EventBridge event: %w", err)
		}
		if ev.DetailType != ScheduledDetailType {
			return nil, fmt.Errorf("%w; got detail-type %q", errUnknownEvent, ev.DetailType)
		}
		return f.handleScheduled(ctx, ev)
	}
	return nil, errUnknownEvent
}

// handleSQS runs the job of each record in turn and lists the records that failed.
func (f *Function) handleSQS(ctx context.Context, ev events.SQSEvent) events.SQSEventResponse {
	res := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, msg := range ev.Records {
		job, err := decodeJob(msg)
		if err == nil {
			err = f.Workers.Work(ctx, job)
		}
		if err != nil {
			f.Logger.WarnContext(ctx, "job failed; SQS will deliver it again", "message", msg.MessageId, "kind", job.Kind, "attempt", job.Attempt, "err", err)
			res.BatchItemFailures = append(res.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
			continue
		}
		f.Logger.InfoContext(ctx, "job done", "message", msg.MessageId, "kind", job.Kind, "attempt", job.Attempt)
	}
	f.settle(ctx)
	return res
}

// decodeJob reads the job of an SQS message's body (a JobMessage).
func decodeJob(msg events.SQSMessage) (ports.RawJob, error) {
	var m JobMessage
	dec := json.NewDecoder(bytes.NewReader([]byte(msg.Body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return ports.RawJob{}, fmt.Errorf("message body: want a JSON job {\"kind\", \"args\", \"id\", \"attempt\"}: %w", err)
	}
	if dec.More() {
		return ports.RawJob{}, fmt.Errorf("message body: trailing data after the job")
	}
	job := ports.RawJob{ID: m.ID, Kind: m.Kind, Args: m.Args, Attempt: m.Attempt}
	if job.Kind == "" {
		return job, fmt.Errorf("message body: the job has no kind")
	}
	if a := bytes.TrimSpace(m.Args); len(a) == 0 || a[0] != '{' {
		return job, fmt.Errorf("message body: the arguments of %s must be a JSON object", job.Kind)
	}
	if job.ID == "" {
		job.ID = msg.MessageId
	}
	if job.Attempt <= 0 {
		job.Attempt = 1
	}
	// SQS counts its deliveries: the message's second delivery is the job's next attempt.
	if n, err := strconv.Atoi(msg.Attributes["ApproximateReceiveCount"]); err == nil && n > 1 {
		job.Attempt += n - 1
	}
	return job, nil
}

// handleScheduled runs the periodic work: reconciliation, then the hold sweep, so
// that a booking paid whose webhook was lost is confirmed rather than expired, then
// the request of the monthly reports.
func (f *Function) handleScheduled(ctx context.Context, ev events.EventBridgeEvent) (ScheduledResult, error) {
	var res ScheduledResult
	var errs []error
	r, err := f.App.Payments.Reconcile(ctx, reconcileAfter, reconcileLimit)
	res.Reconciled = r
	if err != nil {
		errs = append(errs, fmt.Errorf("payment reconciliation: %w", err))
	}
	n, err := f.App.Payments.ExpireHolds(ctx, sweepBatch)
	res.HoldsExpired = n
	if err != nil {
		errs = append(errs, fmt.Errorf("hold sweep: %w", err))
	}
	// The month's reports: requested once per club and month, on the first run after
	// the month has ended in the club's zone, and generated by jobs settle runs.
	m, err := f.App.Admin.RequestMonthlyReports(ctx)
	res.ReportsRequested = m
	if err != nil {
		errs = append(errs, fmt.Errorf("monthly reports: %w", err))
	}
	f.settle(ctx)
	f.Logger.InfoContext(ctx, "scheduled run", "event", ev.ID, "time", ev.Time, "holds_expired", n,
		"checked", r.Checked, "checked_expired", r.CheckedExpired, "confirmed", r.Confirmed,
		"refunded", r.Refunded, "expired", r.Expired, "unknown", r.Unknown, "reports_requested", m)
	return res, errors.Join(errs...)
}

// settle waits for the jobs the use cases scheduled during the event that are due,
// so that they run before the function is frozen; jobs due later do not hold it.
func (f *Function) settle(ctx context.Context) {
	if err := f.Queue.Drain(ctx); err != nil {
		f.Logger.WarnContext(ctx, "scheduled jobs left unrun", "err", err)
	}
	if r, ok := f.Reporter.(interface{ Flush(context.Context) error }); ok {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := r.Flush(fctx); err != nil {
			f.Logger.WarnContext(ctx, "error reports left unsent", "err", err)
		}
	}
}
