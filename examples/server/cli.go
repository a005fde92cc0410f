package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/examples/internal/envconf"
	"github.com/matchpoint/matchpoint/ports"
)

// command is one subcommand of the server binary.
type command struct {
	path    string // as typed after the binary's name, e.g. "keys issue"
	args    string // the synopsis of its flags
	summary string // one line for `server -h`
	doc     string // what `server PATH -h` says above the flags
	// setup declares the command's flags on fs and returns what runs once they are parsed.
	setup func(c *cli, fs *flag.FlagSet) func(ctx context.Context) error
}

// commands are the subcommands, in the order `server -h` lists them.
var commands = []command{
	{path: "serve", summary: "run the server (what `server` with no subcommand does)",
		doc: "Runs the server: on the memory store with a seeded demo club by default, on the Postgres\n" +
			"database of MATCHPOINT_DATABASE_URL when it is set. The configuration is read from the\n" +
			"MATCHPOINT_* environment variables (see README.md).",
		setup: setupServe},
	{path: "migrate", summary: "apply the database migrations and print what was applied",
		doc: "Applies the migrations the database of MATCHPOINT_DATABASE_URL lacks, each in its own\n" +
			"transaction: the store's, then the job queue's (River's tables), and prints each one\n" +
			"applied and the versions the database is left at.",
		setup: setupMigrate},
	{path: "clubs create", args: "-slug SLUG -name NAME -zone ZONE -currency CODE",
		summary: "create a club and print its first admin API key",
		doc: "Creates a club with the default booking policy in the database of MATCHPOINT_DATABASE_URL\n" +
			"and prints its first admin API key, which is shown this once.",
		setup: setupClubsCreate},
	{path: "keys issue", args: "-club SLUG -label LABEL", summary: "issue another admin API key for a club",
		doc: "Issues an admin API key for the club and prints it: it is shown this once, only its hash\n" +
			"is stored. The label says what the key is for.",
		setup: setupKeysIssue},
	{path: "keys list", args: "-club SLUG", summary: "list a club's admin API keys (never the keys themselves)",
		doc: "Lists the club's admin API keys: id, label, when each was created, last used (to the\n" +
			"minute) and revoked. The keys themselves are not stored and cannot be shown.",
		setup: setupKeysList},
	{path: "keys revoke", args: "-club SLUG -id ID", summary: "revoke an admin API key",
		doc: "Revokes one of the club's admin API keys: requests made with it are unauthorized (401)\n" +
			"from then on.",
		setup: setupKeysRevoke},
	{path: "demo", summary: "seed the demo club and print its admin API key",
		doc: "Creates the demo club \"" + DemoSlug + "\" (courts, a season, prices and a closure) in the\n" +
			"database of MATCHPOINT_DATABASE_URL and prints its admin API key; if it exists, says so\n" +
			"and changes nothing.",
		setup: setupDemo},
	{path: "healthcheck", args: "-path PATH", summary: "ask the running server for /healthz; exit 0 if it answers 200",
		doc: "Asks the server running on MATCHPOINT_HTTP_ADDR (on the loopback interface when that\n" +
			"names every interface, as \":8080\" does) for GET /healthz, or the path given, and exits 0\n" +
			"if it answers 200, 1 otherwise: the HEALTHCHECK of an image without a shell or curl.",
		setup: setupHealthCheck},
}

// cli is one run of the command line: its environment and where it prints.
type cli struct {
	getenv         func(string) string
	stdout, stderr io.Writer
}

// usageError is a mistake in the command line: the command's usage follows it and the
// exit status is 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// run runs the server binary with args (without the program name) and returns its
// exit status: 0 on success, 1 when the command failed, 2 for a bad command line.
// Output goes to stdout, and so does a server's log; errors, and the log of the other
// commands, go to stderr. The environment is read with getenv.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	c := &cli{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		args = []string{"serve"}
	}
	if isHelp(args[0]) || args[0] == "help" {
		usage(stdout, "")
		return 0
	}
	cmd, rest, group := find(args)
	if cmd == nil {
		if group != "" && len(args) > 1 && isHelp(args[1]) {
			usage(stdout, group)
			return 0
		}
		if group != "" {
			fmt.Fprintf(stderr, "server %s: want a subcommand\n\n", group)
		} else {
			fmt.Fprintf(stderr, "server: unknown command %q\n\n", strings.Join(args, " "))
		}
		usage(stderr, group)
		return 2
	}
	fs := flag.NewFlagSet("server "+cmd.path, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // usage is printed below, to stdout for -h and stderr for a mistake
	exec := cmd.setup(c, fs)
	err := fs.Parse(rest)
	if errors.Is(err, flag.ErrHelp) {
		commandUsage(stdout, cmd, fs)
		return 0
	}
	if err == nil && fs.NArg() > 0 {
		err = usageError{fmt.Sprintf("unexpected arguments %q", fs.Args())}
	}
	if err != nil {
		// A flag the command does not have, or a bad value: the command did not run.
		fmt.Fprintf(stderr, "server %s: %v\n\n", cmd.path, err)
		commandUsage(stderr, cmd, fs)
		return 2
	}
	err = exec(ctx)
	var bad usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &bad):
		fmt.Fprintf(stderr, "server %s: %v\n\n", cmd.path, err)
		commandUsage(stderr, cmd, fs)
		return 2
	default:
		fmt.Fprintf(stderr, "server %s: %v\n", cmd.path, err)
		return 1
	}
}

func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// find returns the command args name and the arguments after its name; when args name
// a group of commands (e.g. "keys") but none of them, it returns the group.
func find(args []string) (cmd *command, rest []string, group string) {
	for i := range commands {
		words := strings.Fields(commands[i].path)
		if len(args) >= len(words) && slices.Equal(args[:len(words)], words) {
			return &commands[i], args[len(words):], ""
		}
		if len(words) > 1 && args[0] == words[0] {
			group = words[0]
		}
	}
	return nil, nil, group
}

// usage lists the commands, or those of a group.
func usage(w io.Writer, group string) {
	if group != "" {
		fmt.Fprintf(w, "usage: server %s COMMAND [flags]\n\n", group)
	} else {
		fmt.Fprintln(w, "usage: server [COMMAND] [flags]")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Match Point's example server and its operators' commands. With no command it serves.")
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "commands:")
	for _, cmd := range commands {
		if group != "" && !strings.HasPrefix(cmd.path, group+" ") {
			continue
		}
		name := cmd.path
		if cmd.args != "" {
			name += " " + cmd.args
		}
		fmt.Fprintf(w, "  %s\n        %s\n", name, cmd.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every command reads the MATCHPOINT_* environment; all but serve and healthcheck work on")
	fmt.Fprintln(w, "the Postgres database of MATCHPOINT_DATABASE_URL. `server COMMAND -h` describes a command.")
	if group == "" {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "environment (an empty variable counts as unset; README.md, \"Configuration\"):")
		envconf.WriteVariables(w, &Config{})
	}
}

// commandUsage describes one command and its flags.
func commandUsage(w io.Writer, cmd *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: server %s\n\n%s\n", strings.TrimSpace(cmd.path+" "+cmd.args), cmd.doc)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintln(w, "\nflags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

// required fails with a usage error naming the first flag left empty.
func required(flags ...[2]string) error {
	for _, f := range flags {
		if strings.TrimSpace(f[1]) == "" {
			return usageError{fmt.Sprintf("-%s is required", f[0])}
		}
	}
	return nil
}

func (c *cli) config() (Config, error) { return LoadConfig(c.getenv) }

// logger is the operators' commands' logger: on standard error, as their standard
// output is their answer.
func (c *cli) logger(cfg Config) *slog.Logger { return newLogger(cfg, c.stderr) }

// AdminTool is what the operators' commands work with: the use cases over the
// Postgres store.
type AdminTool struct {
	App   *app.App
	Clock ports.Clock
}

// configuredPublicURL is the base URL the servers are reached at, as configured; the
// commands do not listen, so without MATCHPOINT_PUBLIC_URL it is MATCHPOINT_HTTP_ADDR's.
func configuredPublicURL(cfg Config) PublicURL {
	if cfg.PublicURL != "" {
		return PublicURL(cfg.PublicURL)
	}
	return PublicURL("http://" + cfg.HTTPAddr)
}

// admin composes the admin tool on the database of MATCHPOINT_DATABASE_URL; without it
// the command is refused with why, since on the memory store its effect would vanish
// with this process.
func (c *cli) admin(ctx context.Context, why string) (*AdminTool, func(), error) {
	cfg, err := c.config()
	if err != nil {
		return nil, nil, err
	}
	if cfg.DatabaseURL == "" {
		return nil, nil, fmt.Errorf("MATCHPOINT_DATABASE_URL is not set: %s", why)
	}
	return NewAdminTool(ctx, cfg, c.logger(cfg))
}
