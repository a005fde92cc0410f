package main

import (
	"os"
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

// TestFunctionReadsTheServersVariables: every variable of the function's Config is
// one of the server's, in README.md's table, with the server's default but for those
// the function sets its own.
func TestFunctionReadsTheServersVariables(t *testing.T) {
	table := readmeTable(t, "../../README.md")
	own := map[string]string{ // the function's defaults that are not the server's
		"MATCHPOINT_DATABASE_URL": "required", "MATCHPOINT_DATABASE_MAX_CONNS": "2",
		"MATCHPOINT_PUBLIC_URL": "http://127.0.0.1:8080",
	}
	for _, s := range envconf.Settings(&Config{}) {
		def, ok := table[s.Name]
		require.True(t, ok, "%s is in README.md's configuration table", s.Name)
		if d, ok := own[s.Name]; ok {
			def = d
		}
		assert.Equal(t, def, s.Default, s.Name)
		assert.NotEmpty(t, s.Help, s.Name)
	}
}
