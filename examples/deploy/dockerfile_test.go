package deploy_test

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nonRootUID is the user the images run as: distroless's nonroot.
const nonRootUID = 65532

// dockerfile is the Dockerfile's stages, as BuildKit's own parser reads them.
type dockerfile struct {
	stages map[string]instructions.Stage
	args   map[string]string // the ARGs before the first FROM, with their defaults
}

func parseDockerfile(t *testing.T) dockerfile {
	t.Helper()
	f, err := os.Open("Dockerfile")
	require.NoError(t, err)
	defer f.Close()
	res, err := parser.Parse(f)
	require.NoError(t, err)
	for _, w := range res.Warnings {
		t.Errorf("Dockerfile: %s", w.Short)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	require.NoError(t, err)
	d := dockerfile{stages: map[string]instructions.Stage{}, args: map[string]string{}}
	for _, s := range stages {
		d.stages[s.Name] = s
	}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			if kv.Value != nil {
				d.args[kv.Key] = *kv.Value
			}
		}
	}
	return d
}

// commands returns the stage's commands of type C.
func commands[C instructions.Command](s instructions.Stage) []C {
	var out []C
	for _, c := range s.Commands {
		if cc, ok := c.(C); ok {
			out = append(out, cc)
		}
	}
	return out
}

// envOf is the stage's ENV.
func envOf(s instructions.Stage) map[string]string {
	env := map[string]string{}
	for _, e := range commands[*instructions.EnvCommand](s) {
		for _, kv := range e.Env {
			env[kv.Key] = kv.Value
		}
	}
	return env
}

// TestDockerfile reads the Dockerfile with BuildKit's parser: a build stage on the
// Go of go.mod that builds both binaries statically, and a server and a worker stage
// on distroless that copy their binary from it, run as a non-root user, check their
// health with the binary's healthcheck command, expose the port of the address they
// listen on, and start the binary in exec form.
func TestDockerfile(t *testing.T) {
	server, worker := binaries(t)
	d := parseDockerfile(t)
	require.Len(t, d.stages, 3)

	build, ok := d.stages["build"]
	require.True(t, ok, "a build stage")
	assert.Equal(t, "golang:${GO_VERSION}-bookworm", build.BaseName)
	gomod, err := os.ReadFile("../../go.mod")
	require.NoError(t, err)
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	require.NotNil(t, goVersion)
	assert.Equal(t, string(goVersion[1]), d.args["GO_VERSION"], "the build stage's Go is go.mod's")
	assert.Equal(t, "0", envOf(build)["CGO_ENABLED"], "static binaries: no cgo")
	var builds string
	for _, r := range commands[*instructions.RunCommand](build) {
		builds += strings.Join(r.CmdLine, " ") + "\n"
	}
	for _, name := range []string{"server", "worker"} {
		assert.Regexp(t, `go build -trimpath [^\n]*-o /out/`+name+` \./examples/`+name+`\b`, builds)
	}

	for _, bin := range []*binary{server, worker} {
		t.Run(bin.name, func(t *testing.T) {
			s, ok := d.stages[bin.name]
			require.True(t, ok, "a %s stage (docker build --target %s)", bin.name, bin.name)
			assert.Equal(t, "gcr.io/distroless/static-debian12:nonroot", s.BaseName)
			path := "/usr/local/bin/" + bin.name

			copies := commands[*instructions.CopyCommand](s)
			require.Len(t, copies, 1)
			assert.Equal(t, "build", copies[0].From)
			assert.Equal(t, []string{"/out/" + bin.name}, copies[0].SourcePaths)
			assert.Equal(t, path, copies[0].DestPath)

			users := commands[*instructions.UserCommand](s)
			require.NotEmpty(t, users)
			user := users[len(users)-1].User
			uid, _, _ := strings.Cut(user, ":")
			assert.Equal(t, strconv.Itoa(nonRootUID), uid, "USER %s: numeric and not root, so that runAsNonRoot can verify it", user)

			hc := commands[*instructions.HealthCheckCommand](s)
			require.Len(t, hc, 1)
			assert.Equal(t, []string{"CMD", path, "healthcheck"}, hc[0].Health.Test, "exec form: the image has no shell")
			assert.Positive(t, hc[0].Health.Interval)
			assert.Positive(t, hc[0].Health.Timeout)

			eps := commands[*instructions.EntrypointCommand](s)
			require.Len(t, eps, 1)
			assert.False(t, eps[0].PrependShell, "ENTRYPOINT in exec form: the binary is PID 1 and gets SIGTERM")
			assert.Equal(t, []string{path}, eps[0].CmdLine)

			env := envOf(s)
			for v := range env {
				assert.True(t, bin.reads(v), "ENV %s: the %s reads it", v, bin.name)
			}
			port := addrPort(t, env["MATCHPOINT_HTTP_ADDR"])
			exposes := commands[*instructions.ExposeCommand](s)
			require.Len(t, exposes, 1)
			assert.Equal(t, []string{strconv.Itoa(port)}, exposes[0].Ports, "EXPOSE the port of MATCHPOINT_HTTP_ADDR")
			assert.False(t, slices.ContainsFunc(s.Commands, func(c instructions.Command) bool {
				_, isRun := c.(*instructions.RunCommand)
				return isRun
			}), "nothing runs in a distroless stage: it has no shell")
		})
	}
}
