package deploy_test

import (
	"bytes"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// composeFile is compose.yaml, decoded into the fields it may use; extension fields
// (x-…, the anchors the services share) are gathered in Extensions.
type composeFile struct {
	Name       string                    `yaml:"name"`
	Services   map[string]composeService `yaml:"services"`
	Volumes    map[string]any            `yaml:"volumes"`
	Extensions map[string]any            `yaml:",inline"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
		Target     string `yaml:"target"`
	} `yaml:"build"`
	User            string            `yaml:"user"`
	Command         []string          `yaml:"command"`
	Environment     map[string]string `yaml:"environment"`
	Ports           []string          `yaml:"ports"`
	Volumes         []string          `yaml:"volumes"`
	Restart         string            `yaml:"restart"`
	StopGracePeriod string            `yaml:"stop_grace_period"`
	DependsOn       map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck *struct {
		Test     []string `yaml:"test"`
		Interval string   `yaml:"interval"`
		Retries  int      `yaml:"retries"`
	} `yaml:"healthcheck"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	b, err := os.ReadFile("compose.yaml")
	require.NoError(t, err)
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var c composeFile
	require.NoError(t, dec.Decode(&c))
	for k := range c.Extensions {
		require.True(t, strings.HasPrefix(k, "x-"), "compose.yaml: top-level %q is not a field of the compose file", k)
	}
	return c
}

// host is a URL's host:port.
func host(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err, raw)
	return u.Host
}

// TestComposeFile checks compose.yaml: each service of Match Point runs the image of
// its Dockerfile target with only variables its binary reads and values it accepts;
// the servers reach Postgres through PgBouncer in transaction mode (polling), read from
// the replica, share Redis, send mail to mailpit and leave the jobs to the workers;
// migrations run first, on a direct connection; Caddy and Prometheus find every server
// and worker where it listens; and Docker waits longer than a drain before SIGKILL.
func TestComposeFile(t *testing.T) {
	server, worker := binaries(t)
	c := loadCompose(t)
	d := parseDockerfile(t)
	for _, name := range []string{"postgres", "postgres-replica", "pgbouncer", "redis", "mailpit", "migrate", "seed",
		"server-1", "server-2", "worker-1", "worker-2", "caddy", "prometheus"} {
		require.Contains(t, c.Services, name)
	}

	binOf := map[string]*binary{"server": server, "worker": worker}
	roles := map[string][]string{} // target → services
	for name, s := range c.Services {
		assert.NotEmpty(t, s.Image, "%s names its image", name)
		if s.Build == nil {
			assert.Regexp(t, `^[a-z0-9./-]+:[A-Za-z0-9._-]+$`, s.Image, "%s: an image with a tag", name)
			for v := range s.Environment {
				assert.False(t, strings.HasPrefix(v, "MATCHPOINT_"), "%s is not Match Point's, but sets %s", name, v)
			}
			continue
		}
		assert.Equal(t, "../..", s.Build.Context, "%s builds from the repository's root", name)
		assert.Equal(t, "examples/deploy/Dockerfile", s.Build.Dockerfile)
		_, ok := d.stages[s.Build.Target]
		require.True(t, ok, "%s: the Dockerfile has a stage %q", name, s.Build.Target)
		bin := binOf[s.Build.Target]
		require.NotNil(t, bin, "%s: target %q is a binary's", name, s.Build.Target)
		assert.Equal(t, "matchpoint-"+bin.name+":dev", s.Image, "%s: the image is named after its target", name)
		roles[bin.name] = append(roles[bin.name], name)
		for v := range s.Environment {
			assert.True(t, bin.reads(v), "%s sets %s, which the %s does not read", name, v, bin.name)
		}
		bin.acceptsConfig(t, s.Environment)
	}
	assert.ElementsMatch(t, []string{"migrate", "seed", "server-1", "server-2"}, roles["server"])
	assert.ElementsMatch(t, []string{"worker-1", "worker-2"}, roles["worker"])

	pgbouncer, err := os.ReadFile("pgbouncer/pgbouncer.ini")
	require.NoError(t, err)
	assert.Regexp(t, `(?m)^pool_mode = transaction$`, string(pgbouncer))
	assert.Regexp(t, `(?m)^listen_port = 6432$`, string(pgbouncer))

	caddy, err := os.ReadFile("Caddyfile")
	require.NoError(t, err)
	var prom struct {
		Global        map[string]any `yaml:"global"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	b, err := os.ReadFile("prometheus.yml")
	require.NoError(t, err)
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&prom))
	scraped := map[string]bool{}
	for _, sc := range prom.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			for _, target := range st.Targets {
				scraped[target] = true
			}
		}
	}

	for _, name := range append(roles["server"], roles["worker"]...) {
		s := c.Services[name]
		env := s.Environment
		bin := binOf[s.Build.Target]
		long := name != "migrate" && name != "seed"
		if name != "migrate" {
			assert.Equal(t, "pgbouncer:6432", host(t, env["MATCHPOINT_DATABASE_URL"]), "%s goes through PgBouncer", name)
			assert.Equal(t, "true", env["MATCHPOINT_QUEUE_POLL_ONLY"], "%s: River polls behind PgBouncer", name)
			assert.Equal(t, "service_completed_successfully", s.DependsOn["migrate"].Condition, "%s starts once migrated", name)
		}
		if !long {
			continue
		}
		assert.Equal(t, "redis:6379", host(t, env["MATCHPOINT_REDIS_URL"]), name)
		assert.Equal(t, "mailpit:1025", host(t, env["MATCHPOINT_SMTP_URL"]), name)
		port := addrPort(t, env["MATCHPOINT_HTTP_ADDR"])
		target := name + ":" + strconv.Itoa(port)
		assert.True(t, scraped[target], "Prometheus scrapes %s", target)
		grace, err := time.ParseDuration(s.StopGracePeriod)
		require.NoError(t, err, "%s: stop_grace_period", name)
		drain := bin.duration(t, env, "MATCHPOINT_SHUTDOWN_TIMEOUT")
		if bin == server {
			drain += bin.duration(t, env, "MATCHPOINT_SHUTDOWN_DELAY")
			assert.Equal(t, "off", env["MATCHPOINT_WORKER"], "%s leaves the jobs to the workers", name)
			assert.Equal(t, "postgres-replica:5432", host(t, env["MATCHPOINT_DATABASE_REPLICA_URLS"]), name)
			assert.Contains(t, string(caddy), " "+target, "Caddy sends requests to %s", target)
		}
		assert.GreaterOrEqual(t, grace, drain+flushMargin, "%s: Docker waits for the drain (%s) before SIGKILL", name, drain)
	}
	assert.Regexp(t, regexp.MustCompile(`health_uri /readyz\n`), string(caddy), "Caddy stops sending requests to a server that drains")

	migrate := c.Services["migrate"]
	assert.Equal(t, []string{"migrate"}, migrate.Command)
	assert.Equal(t, "postgres:5432", host(t, migrate.Environment["MATCHPOINT_DATABASE_URL"]),
		"migrations connect to PostgreSQL itself: River's hold a session lock")
	assert.Equal(t, []string{"demo"}, c.Services["seed"].Command)

	replica := c.Services["postgres-replica"]
	assert.Contains(t, strings.Join(replica.Command, " "), "pg_basebackup -h postgres")
	assert.Equal(t, "service_healthy", c.Services["server-1"].DependsOn["postgres-replica"].Condition)
}
