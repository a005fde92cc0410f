package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/examples/internal/compose"
)

// Why each operator command refuses the memory store: there its effect would vanish
// with the command's own process, unseen by any server.
const (
	memoryClubs = "a club created in the memory store would vanish when this command exits; " +
		"set it to the Postgres database the server uses"
	memoryKeys = "API keys are kept in the Postgres database the server uses; " +
		"the memory store lives inside a running server and cannot be reached from this command"
	memoryDemo = "the server on the memory store seeds the demo club itself when it starts (`server serve`); " +
		"this command seeds a Postgres database"
)

func setupServe(c *cli, _ *flag.FlagSet) func(ctx context.Context) error {
	return c.serve
}

// serve runs the server until ctx is done.
func (c *cli) serve(ctx context.Context) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	compose := NewServer
	if cfg.DatabaseURL != "" {
		compose = NewPostgresServer
	}
	srv, cleanup, err := compose(ctx, cfg, newLogger(cfg, c.stdout)) // a server logs to standard output
	if err != nil {
		return err
	}
	defer cleanup()
	return srv.Run(ctx, func(d Demo) {
		c.printReady(cfg, srv.URL(), d)
		if srv.Metrics.Listener != nil {
			fmt.Fprintf(c.stdout, "Metrics (Prometheus) on http://%s/metrics\n", srv.Metrics.Listener.Addr())
		}
	})
}

// printReady tells the person who started the server where it serves and, when the
// demo club was just seeded, its admin key and how to get another.
func (c *cli) printReady(cfg Config, url string, d Demo) {
	fmt.Fprintf(c.stdout, "Match Point is serving %s\n", url)
	issue := fmt.Sprintf("`server keys issue -club %s -label LABEL`", DemoSlug)
	switch {
	case d.APIKey != "" && cfg.DatabaseURL == "":
		fmt.Fprintf(c.stdout, "demo club %q, admin API key (shown once): %s\n", d.Club.Slug, d.APIKey)
		fmt.Fprintf(c.stdout, "The memory store lasts as long as this process. On Postgres (MATCHPOINT_DATABASE_URL), %s issues another key.\n", issue)
	case d.APIKey != "":
		fmt.Fprintf(c.stdout, "demo club %q, admin API key (shown once): %s\n", d.Club.Slug, d.APIKey)
		fmt.Fprintf(c.stdout, "%s issues another one.\n", issue)
	case cfg.Seed && cfg.DatabaseURL != "":
		fmt.Fprintf(c.stdout, "demo club %q exists; %s issues an admin API key for it.\n", DemoSlug, issue)
	}
}

func setupMigrate(c *cli, _ *flag.FlagSet) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		cfg, err := c.config()
		if err != nil {
			return err
		}
		return runMigrate(ctx, cfg, c.stdout)
	}
}

func setupClubsCreate(c *cli, fs *flag.FlagSet) func(ctx context.Context) error {
	slug := fs.String("slug", "", "the club's slug, its name in URLs (lowercase letters, digits and dashes)")
	name := fs.String("name", "", "the club's name")
	zone := fs.String("zone", "", "the club's IANA time zone, e.g. America/Argentina/Buenos_Aires")
	currency := fs.String("currency", "", "the ISO 4217 code of the club's currency, e.g. ARS")
	return func(ctx context.Context) error {
		if err := required([2]string{"slug", *slug}, [2]string{"name", *name}, [2]string{"zone", *zone}, [2]string{"currency", *currency}); err != nil {
			return err
		}
		t, cleanup, err := c.admin(ctx, memoryClubs)
		if err != nil {
			return err
		}
		defer cleanup()
		created, err := t.App.Admin.CreateClub(ctx, app.CreateClubCommand{
			Slug: *slug, Name: *name, Zone: *zone, Currency: *currency, Policy: domain.DefaultPolicy(),
		})
		if err != nil {
			return operatorError(err)
		}
		club := created.Club
		fmt.Fprintf(c.stdout, "created club %q (%s), %s, %s, with the default booking policy\n",
			club.Slug, club.Name, club.Location, club.Currency)
		fmt.Fprintf(c.stdout, "admin API key (shown once):\n%s\n", created.APIKey)
		return nil
	}
}

func setupKeysIssue(c *cli, fs *flag.FlagSet) func(ctx context.Context) error {
	slug := fs.String("club", "", "the club's slug")
	label := fs.String("label", "", "what the key is for, e.g. \"front desk\"")
	return func(ctx context.Context) error {
		if err := required([2]string{"club", *slug}, [2]string{"label", *label}); err != nil {
			return err
		}
		return c.withClub(ctx, *slug, func(t *AdminTool, club domain.Club) error {
			key, err := t.App.Admin.IssueAPIKey(ctx, club, *label)
			if err != nil {
				return operatorError(err)
			}
			fmt.Fprintf(c.stdout, "admin API key for club %q, labelled %q (shown once):\n%s\n", club.Slug, strings.TrimSpace(*label), key)
			return nil
		})
	}
}

func setupKeysList(c *cli, fs *flag.FlagSet) func(ctx context.Context) error {
	slug := fs.String("club", "", "the club's slug")
	return func(ctx context.Context) error {
		if err := required([2]string{"club", *slug}); err != nil {
			return err
		}
		return c.withClub(ctx, *slug, func(t *AdminTool, club domain.Club) error {
			keys, err := t.App.Admin.ListAPIKeys(ctx, club)
			if err != nil {
				return operatorError(err)
			}
			w := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tLABEL\tCREATED\tLAST USED\tREVOKED")
			for _, k := range keys {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Label, when(k.CreatedAt, "-"), when(k.LastUsedAt, "never"), when(k.RevokedAt, "-"))
			}
			return w.Flush()
		})
	}
}

// when prints an instant for the key list, or none when it is zero.
func when(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return t.UTC().Format(time.RFC3339)
}

func setupKeysRevoke(c *cli, fs *flag.FlagSet) func(ctx context.Context) error {
	slug := fs.String("club", "", "the club's slug")
	id := fs.String("id", "", "the key's id, as server keys list shows it")
	return func(ctx context.Context) error {
		if err := required([2]string{"club", *slug}, [2]string{"id", *id}); err != nil {
			return err
		}
		return c.withClub(ctx, *slug, func(t *AdminTool, club domain.Club) error {
			if err := t.App.Admin.RevokeAPIKey(ctx, club, *id); err != nil {
				return operatorError(err)
			}
			fmt.Fprintf(c.stdout, "revoked API key %s of club %q: requests made with it are unauthorized\n", *id, club.Slug)
			return nil
		})
	}
}

func setupDemo(c *cli, _ *flag.FlagSet) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		t, cleanup, err := c.admin(ctx, memoryDemo)
		if err != nil {
			return err
		}
		defer cleanup()
		d, err := SeedDemo(ctx, t.App, t.Clock.Now())
		if err != nil {
			return operatorError(err)
		}
		if d.APIKey == "" {
			fmt.Fprintf(c.stdout, "the demo club %q exists already; nothing changed. `server keys issue -club %s -label LABEL` issues an admin API key for it.\n", DemoSlug, DemoSlug)
			return nil
		}
		fmt.Fprintf(c.stdout, "created the demo club %q (%s), %s, %s, with %d courts\n", d.Club.Slug, d.Club.Name, d.Club.Location, d.Club.Currency, len(d.Courts))
		fmt.Fprintf(c.stdout, "admin API key (shown once):\n%s\n", d.APIKey)
		return nil
	}
}

// withClub runs fn with the admin tool and the club of the slug.
func (c *cli) withClub(ctx context.Context, slug string, fn func(t *AdminTool, club domain.Club) error) error {
	t, cleanup, err := c.admin(ctx, memoryKeys)
	if err != nil {
		return err
	}
	defer cleanup()
	club, err := t.App.Admin.Club(ctx, slug)
	if err != nil {
		return operatorError(err)
	}
	return fn(t, club)
}

// operatorError states a use case's refusal in its own words (a bad value, a taken
// slug, an unknown club); other failures keep their detail, which an operator needs.
func operatorError(err error) error {
	var e *domain.Error
	if !errors.As(err, &e) || e.Kind() == domain.KindInternal {
		return err
	}
	if e.Kind() == domain.KindInvalid {
		return usageError{e.Message}
	}
	return errors.New(e.Message)
}

// describeDeployment is the start-up log line's attributes: which adapters this server
// runs on and where it listens. It names the database and Redis by host and database,
// never with their credentials.
func describeDeployment(cfg Config, addr, publicURL string) []any {
	store := "memory"
	if cfg.DatabaseURL != "" {
		store = "postgres " + location(cfg.DatabaseURL)
		if n := len(cfg.ReplicaURLs); n > 0 {
			store += fmt.Sprintf(" with %d read replicas", n)
		}
	}
	cache := "in-process"
	if cfg.RedisURL != "" {
		cache = "tiered: in-process over redis " + location(cfg.RedisURL)
	}
	names := []string{"sandbox"}
	for name := range cfg.Payments.Gateways {
		if name != "sandbox" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	def := cfg.Payments.Default
	if def == "" {
		def = "sandbox"
	}
	notifier := "outbox"
	if cfg.SMTPURL != "" {
		notifier = "smtp " + location(cfg.SMTPURL)
	}
	queue := "in-process"
	if cfg.DatabaseURL != "" {
		queue = "river"
	}
	if cfg.Worker == WorkerOff {
		queue += ", workers off"
	}
	return []any{"store", store, "cache", cache, "queue", queue, "notifier", notifier,
		"gateways", strings.Join(names, ","), "default_gateway", def, "rate_limit", rateLimitDescription(cfg), "addr", addr, "url", publicURL}
}

// location is a database URL's host and database, without user or password.
func location(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.Host == "" {
		return "socket=" + u.Path // a unix:// Redis socket
	}
	s := "host=" + u.Host
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		s += " db=" + db
	}
	return s
}

func setupHealthCheck(c *cli, fs *flag.FlagSet) func(ctx context.Context) error {
	path := fs.String("path", "/healthz", "the path to ask for: /healthz (the process runs) or /readyz (it takes traffic)")
	return func(ctx context.Context) error {
		if !strings.HasPrefix(*path, "/") {
			return usageError{fmt.Sprintf("-path %q: want a path such as /healthz", *path)}
		}
		cfg, err := c.config()
		if err != nil {
			return err
		}
		return compose.HealthCheck(ctx, cfg.HTTPAddr, *path)
	}
}
