// Command server is Match Point's example HTTP server and its operators' commands.
// With no configuration it runs the embedded default — memory store, in-process cache
// and queue, sandbox payments — with a seeded demo club, so that `make run` is all a
// newcomer needs. With MATCHPOINT_DATABASE_URL it keeps its data in Postgres and its
// jobs in River's tables of the same database, runs them itself unless
// MATCHPOINT_WORKER=off leaves them to examples/worker processes, and the subcommands
// manage that database: `server migrate` applies the migrations, `server
// clubs create` and `server keys issue|list|revoke` set up clubs and their admin API
// keys, `server demo` seeds the demo club. `server -h` lists them. The server serves
// Prometheus metrics at /metrics (metrics.go), on its own listener or on
// MATCHPOINT_METRICS_ADDR.
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
