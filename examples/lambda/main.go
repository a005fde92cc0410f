// Command lambda runs Match Point's background work as an AWS Lambda function, beside
// servers that share its Postgres database (see README.md, "Running jobs on AWS
// Lambda"). One handler takes two kinds of events:
//
//   - SQS messages, one job each ({"kind": "booking.expire_hold", "args": {...},
//     "id": "...", "attempt": 1}), run by the use cases' workers; the records whose
//     job failed are reported back as batch item failures, so that only they are
//     delivered again;
//   - EventBridge scheduled events, which reconcile pending payments with their
//     gateways and expire the holds that have run out, as the example server does
//     every half minute.
//
// The function reads the MATCHPOINT_* configuration the server reads (Config; the
// database is required) and is composed with Wire once per cold start (wire.go). The
// use cases' own jobs run in an in-process queue while an event is handled.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/matchpoint/matchpoint/adapters/system"
)

func main() {
	cfg, err := FromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "lambda:", err)
		os.Exit(1)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	fn, cleanup, err := NewFunction(context.Background(), cfg, log, system.NewClock())
	if err != nil {
		log.Error("the function cannot start", "err", err)
		os.Exit(1)
	}
	lambda.StartWithOptions(fn.Handle, lambda.WithEnableSIGTERM(cleanup))
}
