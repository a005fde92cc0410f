package app

import (
	"context"
	"time"

	"github.com/matchpoint/matchpoint/ports"
)

// The periodic safety nets. Each booking schedules the jobs of its own life (its hold's
// expiry, its refund, its messages); these catch what those miss — a job lost with an
// in-process queue, a webhook the provider never delivered, a refund whose provider was
// down for hours — and a deployment runs them on a schedule: River's periodic jobs,
// enqueued by one leader however many workers run, or a ticker in a single process.
// Their workers are among App.Workers.
const (
	KindSweepHolds     = "booking.sweep_holds"
	KindReconcile      = "payment.reconcile"
	KindRetryRefunds   = "payment.retry_refunds"
	KindMonthlyReports = "report.monthly"
)

// SweepHoldsArgs expires the holds that have run out (Payments.ExpireHolds).
type SweepHoldsArgs struct{}

// Kind implements ports.JobArgs.
func (SweepHoldsArgs) Kind() string { return KindSweepHolds }

// ReconcileArgs asks the gateways about checkouts left pending and recently expired,
// and retries the refunds that are due (Payments.Reconcile).
type ReconcileArgs struct{}

// Kind implements ports.JobArgs.
func (ReconcileArgs) Kind() string { return KindReconcile }

// RetryRefundsArgs retries the owed refunds that are due (Payments.RetryRefunds).
type RetryRefundsArgs struct{}

// Kind implements ports.JobArgs.
func (RetryRefundsArgs) Kind() string { return KindRetryRefunds }

// MonthlyReportsArgs requests every club's reports of the month that has just ended
// (Admin.RequestMonthlyReports).
type MonthlyReportsArgs struct{}

// Kind implements ports.JobArgs.
func (MonthlyReportsArgs) Kind() string { return KindMonthlyReports }

// PeriodicJob is a job to run every Interval.
type PeriodicJob struct {
	Args     ports.JobArgs
	Interval time.Duration
}

// Periodic sizes: how often each safety net runs, how long a checkout stays pending
// before reconciliation asks about it, and how much one run handles (the next run
// takes up the rest).
const (
	SweepInterval     = 30 * time.Second
	ReconcileInterval = 2 * time.Minute
	ReconcileAfter    = 5 * time.Minute
	ReportsInterval   = time.Hour
	periodicBatch     = 100
)

// PeriodicJobs returns the periodic jobs and how often each runs: the hold sweep and
// the refund retries every SweepInterval, reconciliation every ReconcileInterval, and
// the monthly reports' request every ReportsInterval.
func PeriodicJobs() []PeriodicJob {
	return []PeriodicJob{
		{Args: SweepHoldsArgs{}, Interval: SweepInterval},
		{Args: RetryRefundsArgs{}, Interval: SweepInterval},
		{Args: ReconcileArgs{}, Interval: ReconcileInterval},
		{Args: MonthlyReportsArgs{}, Interval: ReportsInterval},
	}
}

// addPeriodicWorkers adds the workers of the safety nets to ws. Each logs what it did.
func (a *App) addPeriodicWorkers(ws *ports.Workers) {
	log := a.Payments.Logger
	ports.AddWorker(ws, ports.WorkFunc[SweepHoldsArgs](func(ctx context.Context, _ *ports.Job[SweepHoldsArgs]) error {
		n, err := a.Payments.ExpireHolds(ctx, periodicBatch)
		if err != nil {
			log.WarnContext(ctx, "hold sweep failed", "err", err)
		} else if n > 0 {
			log.InfoContext(ctx, "holds expired", "count", n)
		}
		return err
	}))
	ports.AddWorker(ws, ports.WorkFunc[RetryRefundsArgs](func(ctx context.Context, _ *ports.Job[RetryRefundsArgs]) error {
		r, err := a.Payments.RetryRefunds(ctx, periodicBatch)
		if err != nil {
			log.WarnContext(ctx, "refund retries failed", "err", err)
		} else if r.Retried > 0 {
			log.InfoContext(ctx, "refunds retried", "retried", r.Retried, "issued", r.Issued, "attention", r.Attention, "owed", r.Owed)
		}
		return err
	}))
	ports.AddWorker(ws, ports.WorkFunc[MonthlyReportsArgs](func(ctx context.Context, _ *ports.Job[MonthlyReportsArgs]) error {
		n, err := a.Admin.RequestMonthlyReports(ctx)
		if err != nil {
			log.WarnContext(ctx, "monthly reports not requested", "err", err)
		} else if n > 0 {
			log.InfoContext(ctx, "monthly reports requested", "count", n)
		}
		return err
	}))
	ports.AddWorker(ws, ports.WorkFunc[ReconcileArgs](func(ctx context.Context, _ *ports.Job[ReconcileArgs]) error {
		r, err := a.Payments.Reconcile(ctx, ReconcileAfter, periodicBatch)
		if err != nil {
			log.WarnContext(ctx, "payment reconciliation failed", "err", err)
		} else if r != (ReconcileResult{}) {
			log.InfoContext(ctx, "payments reconciled", "checked", r.Checked, "confirmed", r.Confirmed, "refunded", r.Refunded,
				"expired", r.Expired, "unknown", r.Unknown, "refunds_retried", r.Refunds.Retried)
		}
		return err
	}))
}
