// Command loadtest puts the Match Point HTTP API under load and checks what the load
// left behind. It sends a mix of availability reads (by day, sport and duration, some
// revalidated with If-None-Match) and bookings across clubs and days, at a fixed rate or
// stepping the rate up to find the knee, where the 99th percentile latency or the
// errors pass their limits. It prints the throughput, the latency percentiles and the
// answers by status and by problem code, optionally writes an HTML latency plot, and at
// the end checks that no two active bookings of a court overlap and that every booking
// answered 201 is stored: in SQL on Postgres, through the API on the memory store.
//
// Without -target it builds examples/server and starts it on a free loopback port, on
// the embedded default or (-start postgres) on a fresh Postgres database, and reports
// the server's resident memory before and after the load. It refuses a target that is
// not on the loopback interface unless told -allow-remote.
//
//	go run ./examples/loadtest -h
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
