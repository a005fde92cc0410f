package envconf

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type nested struct {
	Token []byte `env:"T_TOKEN" secret:"true" want:"at least 32 bytes" help:"a secret"`
}

type testConfig struct {
	Addr    string        `env:"T_ADDR" envDefault:"127.0.0.1:1" help:"where it listens"`
	Timeout time.Duration `env:"T_TIMEOUT" envDefault:"5s" want:"a duration such as 10s" help:"how long it waits"`
	Conns   int           `env:"T_CONNS" default:"4 × GOMAXPROCS" want:"a positive whole number" help:"how many"`
	Nested  nested
	Skipped string `env:"-"`
}

func TestReadDefaultsAndNested(t *testing.T) {
	env := map[string]string{"T_TIMEOUT": "", "T_TOKEN": "abc", "OTHER": "x"}
	var c testConfig
	e, err := Read(func(k string) string { return env[k] }, &c)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:1", c.Addr)
	assert.Equal(t, 5*time.Second, c.Timeout, "an empty variable counts as unset")
	assert.Equal(t, []byte("abc"), c.Nested.Token)
	assert.True(t, e.IsSet("Token"))
	assert.False(t, e.IsSet("Timeout"))
	assert.False(t, e.IsSet("Conns"))
}

func TestReadBadValueNamesTheVariable(t *testing.T) {
	var c testConfig
	_, err := Read(func(k string) string { return map[string]string{"T_TIMEOUT": "soon"}[k] }, &c)
	assert.EqualError(t, err, `T_TIMEOUT="soon": want a duration such as 10s`)

	e, err := Read(func(k string) string { return map[string]string{"T_TOKEN": "short"}[k] }, &c)
	require.NoError(t, err)
	_, err = Secret(c.Nested.Token, e, "Token")
	assert.EqualError(t, err, "T_TOKEN: want at least 32 bytes", "a secret is never repeated")
	assert.NotContains(t, err.Error(), "short")
}

func TestSecret(t *testing.T) {
	e, err := Read(func(string) string { return "" }, &testConfig{})
	require.NoError(t, err)
	a, err := Secret(nil, e, "Token")
	require.NoError(t, err)
	b, err := Secret(nil, e, "Token")
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(a), 32)
	assert.NotEqual(t, a, b, "an unset secret is random")
	long := bytes.Repeat([]byte("k"), 32)
	got, err := Secret(long, e, "Token")
	require.NoError(t, err)
	assert.Equal(t, long, got)
}

func TestSettingsAndWriteVariables(t *testing.T) {
	s := Settings(&testConfig{})
	require.Len(t, s, 4, "env:\"-\" is left out; nested fields are in")
	assert.Equal(t, Setting{Name: "T_ADDR", Field: "Addr", Default: "127.0.0.1:1", Help: "where it listens"}, s[0])
	assert.Equal(t, "4 × GOMAXPROCS", s[2].Default)
	assert.Equal(t, "none", s[3].Default)
	assert.True(t, s[3].Secret)

	var out bytes.Buffer
	WriteVariables(&out, testConfig{})
	assert.Equal(t, "  T_ADDR (default 127.0.0.1:1)\n        where it listens\n"+
		"  T_TIMEOUT (default 5s)\n        how long it waits\n"+
		"  T_CONNS (default 4 × GOMAXPROCS)\n        how many\n"+
		"  T_TOKEN (default none)\n        a secret\n", out.String())
}

func TestDocumentedDefaults(t *testing.T) {
	readme := "# X\n\n## Configuration\n\n| variable | default | meaning |\n| --- | --- | --- |\n" +
		"| `MATCHPOINT_A` | `8080` | a |\n| `MATCHPOINT_B`, `MATCHPOINT_C` | (none: off) | b and c |\n| `OTHER` | x | not ours |\n\n## Next\n\n| `MATCHPOINT_D` | 1 | after the section |\n"
	got, err := DocumentedDefaults([]byte(readme))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"MATCHPOINT_A": "8080", "MATCHPOINT_B": "none: off", "MATCHPOINT_C": "none: off"}, got)

	_, err = DocumentedDefaults([]byte("# X\n"))
	assert.Error(t, err, "no Configuration section")
	_, err = DocumentedDefaults([]byte("\n## Configuration\n| `MATCHPOINT_A` | 1 | a |\n| `MATCHPOINT_A` | 2 | again |\n"))
	assert.ErrorContains(t, err, "twice")
}
