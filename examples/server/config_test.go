package main

import (
	"log/slog"
	"os"
	"reflect"
	"testing"
	"time"

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

// TestReadmeConfigurationTable: README.md's table lists exactly the variables of
// Config, each with the default its tags declare.
func TestReadmeConfigurationTable(t *testing.T) {
	table := readmeTable(t, "../../README.md")
	declared := map[string]bool{}
	for _, s := range envconf.Settings(&Config{}) {
		declared[s.Name] = true
		def, ok := table[s.Name]
		if assert.True(t, ok, "README.md's configuration table lacks %s", s.Name) {
			assert.Equal(t, s.Default, def, "the default of %s in README.md", s.Name)
		}
	}
	for name := range table {
		assert.True(t, declared[name], "README.md's configuration table has %s, which Config does not read", name)
	}
}

// TestSettingsAreDocumented: every variable has a meaning for -h, a field of its own,
// and a variable name of its own; `server -h` lists each with its default.
func TestSettingsAreDocumented(t *testing.T) {
	vars := envconf.Settings(&Config{})
	require.NotEmpty(t, vars)
	names, fields := map[string]bool{}, map[string]bool{}
	help := runCLI(t, nil, "-h")
	for _, s := range vars {
		assert.NotEmpty(t, s.Help, s.Name)
		assert.False(t, names[s.Name], "%s is read once", s.Name)
		assert.False(t, fields[s.Field], "field %s holds one variable", s.Field)
		names[s.Name], fields[s.Field] = true, true
		assert.Contains(t, help.stdout, "\n  "+s.Name+" (default "+s.Default+")\n        "+s.Help+"\n")
	}
}

// TestConfigValuesOfTheWrongType: a value that does not parse as its variable's type
// stops the start with an error naming the variable and the value.
func TestConfigValuesOfTheWrongType(t *testing.T) {
	typed := map[reflect.Type]bool{reflect.TypeFor[bool](): true, reflect.TypeFor[int](): true,
		reflect.TypeFor[time.Duration](): true, reflect.TypeFor[slog.Level](): true}
	n := 0
	for _, s := range envconf.Settings(&Config{}) {
		f, ok := fieldByName(reflect.TypeFor[Config](), s.Field)
		require.True(t, ok, s.Field)
		if !typed[f.Type] {
			continue
		}
		n++
		_, err := LoadConfig(func(k string) string {
			return map[string]string{s.Name: "no good"}[k]
		})
		require.Error(t, err, s.Name)
		assert.Contains(t, err.Error(), s.Name+`="no good": want `)
	}
	assert.Greater(t, n, 10)
}

// fieldByName finds a field of t or of the structs it holds.
func fieldByName(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Name == name {
			return f, true
		}
		if f.Type.Kind() == reflect.Struct {
			if g, ok := fieldByName(f.Type, name); ok {
				return g, true
			}
		}
	}
	return reflect.StructField{}, false
}

// TestConfigErrorsHideSecrets: a bad secret or URL with credentials is named, not
// repeated.
func TestConfigErrorsHideSecrets(t *testing.T) {
	for name, val := range map[string]string{
		"MATCHPOINT_TOKEN_SECRET":          "hunter2",
		"MATCHPOINT_SANDBOX_SECRET":        "hunter2",
		"MATCHPOINT_DATABASE_URL":          "mysql://u:hunter2@x",
		"MATCHPOINT_REDIS_URL":             "http://u:hunter2@x",
		"MATCHPOINT_DATABASE_REPLICA_URLS": "mysql://u:hunter2@x",
	} {
		_, err := LoadConfig(func(k string) string {
			return map[string]string{name: val, "MATCHPOINT_DATABASE_URL": "postgres://x/y"}[k]
		})
		if name == "MATCHPOINT_DATABASE_URL" {
			_, err = LoadConfig(func(k string) string { return map[string]string{name: val}[k] })
		}
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), name)
		assert.NotContains(t, err.Error(), "hunter2", name)
	}
}
