package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHealthCheckCommand runs `worker healthcheck`, the HEALTHCHECK of the image, against
// a worker process, on the address as configured (loopback or every interface): 0 while
// it answers /healthz and /readyz 200, 1 for any other answer and once it has stopped, 2
// for a bad command line.
func TestHealthCheckCommand(t *testing.T) {
	db := testDatabase(t)
	startServer(t, db, map[string]string{"MATCHPOINT_WORKER": "off"}) // migrates the database
	worker, health := startWorker(t, db, nil)
	_, port, err := net.SplitHostPort(strings.TrimPrefix(health, "http://"))
	require.NoError(t, err)

	check := func(addr string, args ...string) (int, string) {
		var out, errb bytes.Buffer
		env := map[string]string{"MATCHPOINT_HTTP_ADDR": addr, "MATCHPOINT_DATABASE_URL": db} // the worker's environment
		code := run(context.Background(), append([]string{"healthcheck"}, args...), func(k string) string { return env[k] }, &out, &errb)
		return code, errb.String()
	}
	for _, addr := range []string{"127.0.0.1:" + port, ":" + port, "0.0.0.0:" + port} {
		code, stderr := check(addr)
		assert.Equal(t, 0, code, "%s: %s", addr, stderr)
		code, stderr = check(addr, "-path", "/readyz")
		assert.Equal(t, 0, code, "%s: %s", addr, stderr)
	}
	code, stderr := check("127.0.0.1:"+port, "-path", "/nowhere")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "404")
	code, _ = check("127.0.0.1:"+port, "now")
	assert.Equal(t, 2, code)
	var out, errb bytes.Buffer
	code = run(context.Background(), []string{"healthcheck"}, func(k string) string {
		return map[string]string{"MATCHPOINT_HTTP_ADDR": "127.0.0.1:" + port}[k]
	}, &out, &errb)
	assert.Equal(t, 1, code, "a configuration the worker refuses fails the check")
	assert.Contains(t, errb.String(), "MATCHPOINT_DATABASE_URL is not set")

	worker.signal(t, syscall.SIGTERM)
	assert.Equal(t, 0, worker.exited(t, 20*time.Second))
	code, stderr = check("127.0.0.1:" + port)
	assert.Equal(t, 1, code, "nothing listens any more")
	assert.Contains(t, stderr, "worker healthcheck: ")
}
