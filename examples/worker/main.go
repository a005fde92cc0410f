// Command worker runs the background jobs of Match Point's example servers on
// Postgres: confirmations and other messages, refunds, hold expiries, completions,
// reports, and the periodic sweeps (expired holds, payment reconciliation). It reads
// the servers' MATCHPOINT_* configuration, needs MATCHPOINT_DATABASE_URL, and runs the
// jobs that servers started with MATCHPOINT_WORKER=off enqueue in River's tables of
// that database; any number of workers may run at once, each job running in one of
// them. It serves /healthz, /readyz and /metrics (Prometheus; on
// MATCHPOINT_METRICS_ADDR if set) on MATCHPOINT_HTTP_ADDR (127.0.0.1:8081 by
// default), and on SIGTERM or an interrupt turns unready, lets the running jobs finish
// within MATCHPOINT_SHUTDOWN_TIMEOUT and exits. `worker -h` lists what it reads.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/matchpoint/matchpoint/examples/internal/compose"
	"github.com/matchpoint/matchpoint/examples/internal/envconf"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the worker with args (without the program name) and returns its exit
// status: 0 after a clean stop, 1 when it failed, 2 for a bad command line. The
// environment is read with getenv; `-h` prints the usage to stdout, and so do the logs; errors that stop the start go to stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "healthcheck" {
		return healthCheck(ctx, args[1:], getenv, stdout, stderr)
	}
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	switch err := fs.Parse(args); {
	case err == flag.ErrHelp:
		usage(stdout)
		return 0
	case err != nil || fs.NArg() > 0:
		fmt.Fprintf(stderr, "worker: takes no arguments: %q\n\n", args)
		usage(stderr)
		return 2
	}
	cfg, err := LoadConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "worker: %v\n", err)
		return 1
	}
	log := newLogger(cfg, stdout)
	w, cleanup, err := NewWorker(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "worker: %v\n", err)
		return 1
	}
	defer cleanup()
	if err := w.Run(ctx, func() {
		fmt.Fprintf(stdout, "Match Point worker is running; health checks on http://%s\n", w.Listener.Addr())
		if w.Metrics.Listener != nil {
			fmt.Fprintf(stdout, "Metrics (Prometheus) on http://%s/metrics\n", w.Metrics.Listener.Addr())
		}
	}); err != nil {
		fmt.Fprintf(stderr, "worker: %v\n", err)
		return 1
	}
	return 0
}

// healthCheck runs `worker healthcheck [-path PATH]`: it reads the worker's
// configuration, asks the worker running on its MATCHPOINT_HTTP_ADDR for GET /healthz
// (or PATH) and returns 0 if it answers 200, 1 if not: the HEALTHCHECK of an image
// without a shell or curl.
func healthCheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("worker healthcheck", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	path := fs.String("path", "/healthz", "the path to ask for: /healthz (the process runs) or /readyz (its queue runs)")
	switch err := fs.Parse(args); {
	case err == flag.ErrHelp:
		usage(stdout)
		return 0
	case err != nil || fs.NArg() > 0 || !strings.HasPrefix(*path, "/"):
		fmt.Fprintf(stderr, "worker healthcheck: want [-path /healthz|/readyz]: %q\n\n", args)
		usage(stderr)
		return 2
	}
	// The worker's own configuration, so that the check asks where the worker listens
	// (and a configuration the worker would refuse fails the check too).
	cfg, err := LoadConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "worker healthcheck: %v\n", err)
		return 1
	}
	if err := compose.HealthCheck(ctx, cfg.HTTPAddr, *path); err != nil {
		fmt.Fprintf(stderr, "worker healthcheck: %v\n", err)
		return 1
	}
	return 0
}

// usage says what the worker does and which variables it reads.
func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: worker")
	fmt.Fprintln(w, "       worker healthcheck [-path /healthz|/readyz]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Runs the background jobs of the Match Point servers on the Postgres database of")
	fmt.Fprintln(w, "MATCHPOINT_DATABASE_URL (servers started with MATCHPOINT_WORKER=off only enqueue them),")
	fmt.Fprintln(w, "and the periodic hold sweep and payment reconciliation. Serves /healthz and /readyz")
	fmt.Fprintln(w, "on MATCHPOINT_HTTP_ADDR; on SIGTERM turns unready, lets running jobs finish within")
	fmt.Fprintln(w, "MATCHPOINT_SHUTDOWN_TIMEOUT and exits. The database must be migrated (`server migrate`).")
	fmt.Fprintln(w, "`worker healthcheck` asks a running worker for /healthz (or -path) and exits 0 if it")
	fmt.Fprintln(w, "answers 200, 1 otherwise.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "It reads the servers' configuration from the environment (an empty variable counts")
	fmt.Fprintln(w, "as unset; see README.md):")
	envconf.WriteVariables(w, &Config{})
}
