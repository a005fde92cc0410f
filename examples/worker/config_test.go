package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/examples/internal/envconf"
)

// readmeTable returns the variables of README.md's configuration table with their
// defaults (envconf.DocumentedDefaults).
func readmeTable(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	table, err := envconf.DocumentedDefaults(b)
	require.NoError(t, err)
	return table
}

// TestWorkerReadsTheServersVariables: every variable of the worker's Config is one of
// the server's, in README.md's table, with the server's default but for those the
// worker sets its own.
func TestWorkerReadsTheServersVariables(t *testing.T) {
	table := readmeTable(t, "../../README.md")
	own := map[string]string{ // the worker's defaults that are not the server's
		"MATCHPOINT_HTTP_ADDR": "127.0.0.1:8081", "MATCHPOINT_PUBLIC_URL": "http://127.0.0.1:8080",
		"MATCHPOINT_DATABASE_URL": "required",
	}
	var help strings.Builder
	envconf.WriteVariables(&help, &Config{})
	for _, s := range envconf.Settings(&Config{}) {
		def, ok := table[s.Name]
		require.True(t, ok, "%s is in README.md's configuration table", s.Name)
		if d, ok := own[s.Name]; ok {
			def = d
		}
		assert.Equal(t, def, s.Default, s.Name)
		assert.NotEmpty(t, s.Help, s.Name)
		assert.Contains(t, help.String(), "\n        "+s.Help+"\n", s.Name)
	}
}

// TestConfigErrorsNameTheVariable: a bad value stops the worker with an error naming
// its variable; the defaults are those -h shows.
func TestConfigErrorsNameTheVariable(t *testing.T) {
	db := map[string]string{"MATCHPOINT_DATABASE_URL": "postgres://db/mp"}
	cfg, err := LoadConfig(func(k string) string { return db[k] })
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:8081", cfg.HTTPAddr)
	assert.Equal(t, "http://127.0.0.1:8080", cfg.PublicURL)
	assert.Equal(t, "sandbox", cfg.Payments.Default)
	assert.Len(t, cfg.TokenSecret, 43, "a random secret for this process")

	for name, val := range map[string]string{
		"MATCHPOINT_DATABASE_URL":            "mysql://db",
		"MATCHPOINT_PUBLIC_URL":              "example.com",
		"MATCHPOINT_TOKEN_SECRET":            "short",
		"MATCHPOINT_SANDBOX_SECRET":          "short",
		"MATCHPOINT_REDIS_URL":               "localhost:6379",
		"MATCHPOINT_SMTP_URL":                "http://mail.example",
		"MATCHPOINT_DEFAULT_GATEWAY":         "stripe",
		"MATCHPOINT_QUEUE_POLL_ONLY":         "maybe",
		"MATCHPOINT_LOG_LEVEL":               "loud",
		"MATCHPOINT_SHUTDOWN_TIMEOUT":        "0s",
		"MATCHPOINT_DATABASE_MAX_CONNS":      "0",
		"MATCHPOINT_DATABASE_MAX_IDLE_CONNS": "-1",
	} {
		_, err := LoadConfig(func(k string) string {
			if k == name {
				return val
			}
			return db[k]
		})
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), name)
	}
}
