package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A binary is examples/server or examples/worker, built as the Dockerfile builds it,
// with the variables its -h lists (the tags of its Config, through envconf).
type binary struct {
	name     string            // "server" or "worker"
	path     string            // the built binary
	defaults map[string]string // each MATCHPOINT_* variable it reads, with its default
}

var (
	buildOnce sync.Once
	binDir    string
	built     map[string]*binary
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binaries builds the server and the worker once per test binary and reads the
// variables each lists for -h. They are built as the other tests build them, so that
// the build cache serves (the Dockerfile's static build, CGO_ENABLED=0 -trimpath,
// compiles every package again).
func binaries(t *testing.T) (server, worker *binary) {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "matchpoint-deploy-test-"); buildErr != nil {
			return
		}
		built = map[string]*binary{}
		for _, name := range []string{"server", "worker"} {
			b := &binary{name: name, path: filepath.Join(binDir, name)}
			if out, err := exec.Command("go", "build", "-o", b.path, "../"+name).CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build ../%s: %v\n%s", name, err, out)
				return
			}
			out, err := exec.Command(b.path, "-h").Output()
			if err != nil {
				buildErr = fmt.Errorf("%s -h: %v", name, err)
				return
			}
			if b.defaults, buildErr = listedVariables(out); buildErr != nil {
				return
			}
			built[name] = b
		}
	})
	require.NoError(t, buildErr)
	return built["server"], built["worker"]
}

// variableLine is a variable as envconf.WriteVariables lists it for -h.
var variableLine = regexp.MustCompile(`^  (MATCHPOINT_[A-Z0-9_]+) \((?:default (.*)|required)\)$`)

// listedVariables reads the variables of a -h listing, with their defaults.
func listedVariables(help []byte) (map[string]string, error) {
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(help))
	for sc.Scan() {
		if m := variableLine.FindStringSubmatch(sc.Text()); m != nil {
			vars[m[1]] = m[2]
		}
	}
	if len(vars) < 10 {
		return nil, fmt.Errorf("-h lists %d MATCHPOINT_* variables: %q", len(vars), help)
	}
	return vars, nil
}

// reads says whether the binary reads the variable.
func (b *binary) reads(name string) bool { _, ok := b.defaults[name]; return ok }

// names are the variables the binary reads, sorted.
func (b *binary) names() []string { return slices.Sorted(maps.Keys(b.defaults)) }

// duration is the variable's value in env, or the binary's default.
func (b *binary) duration(t *testing.T, env map[string]string, name string) time.Duration {
	t.Helper()
	v, ok := env[name]
	if !ok {
		v, ok = b.defaults[name]
	}
	require.True(t, ok, "%s reads %s", b.name, name)
	d, err := time.ParseDuration(v)
	require.NoError(t, err, "%s=%q", name, v)
	return d
}

// acceptsConfig runs `BINARY healthcheck` on env with MATCHPOINT_HTTP_ADDR pointed at a
// port where nothing listens: the binary reads and checks its whole configuration
// first, so that it fails for want of a server to ask, not for a variable it refuses.
func (b *binary) acceptsConfig(t *testing.T, env map[string]string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	free := ln.Addr().String()
	require.NoError(t, ln.Close())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.path, "healthcheck")
	cmd.Env = []string{"MATCHPOINT_HTTP_ADDR=" + free}
	for k, v := range env {
		if k != "MATCHPOINT_HTTP_ADDR" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	require.Error(t, err, "nothing listens on %s", free)
	require.Contains(t, stderr.String(), "connection refused",
		"%s accepts the configuration and only fails to reach the address: %s", b.name, stderr.String())
}
