// Command server is Match Point's example HTTP server. With no configuration it runs
// the embedded default — memory store, in-process cache and queue, sandbox payments —
// with a seeded demo club, so that `make run` is all a newcomer needs. With
// MATCHPOINT_DATABASE_URL it keeps its data in Postgres; `server migrate` applies the
// database migrations.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := FromEnv()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args := os.Args[1:]; {
	case len(args) == 1 && args[0] == "migrate":
		return runMigrate(ctx, cfg)
	case len(args) > 0:
		return fmt.Errorf("unknown arguments %q: the only subcommand is migrate", args)
	}
	compose := NewServer
	if cfg.DatabaseURL != "" {
		compose = NewPostgresServer
	}
	srv, cleanup, err := compose(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer cleanup()
	return srv.Run(ctx, func(d Demo) {
		if d.APIKey != "" {
			fmt.Printf("Match Point is serving %s\ndemo club %q, admin API key (shown once): %s\n", srv.URL(), d.Club.Slug, d.APIKey)
		}
	})
}
