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
// defaults, as written there without backticks and outer parentheses ("(none)" is
// "none").
func readmeTable(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(b), "\n## Configuration\n")
	require.True(t, ok, "README.md has a Configuration section")
	section, _, _ = strings.Cut(section, "\n## ")
	table := map[string]string{}
	for line := range strings.SplitSeq(section, "\n") {
		if !strings.HasPrefix(line, "| `MATCHPOINT_") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		require.GreaterOrEqual(t, len(cells), 3, "row %q", line)
		def := strings.ReplaceAll(cells[1], "`", "")
		if strings.HasPrefix(def, "(") && strings.HasSuffix(def, ")") {
			def = def[1 : len(def)-1]
		}
		for name := range strings.SplitSeq(cells[0], ",") {
			name = strings.Trim(strings.TrimSpace(name), "`")
			_, dup := table[name]
			require.False(t, dup, "%s is in the table once", name)
			table[name] = def
		}
	}
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
