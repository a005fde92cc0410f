package envconf

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// WriteVariables lists the variables of cfg's struct for -h, each with its default
// and what it means.
func WriteVariables(w io.Writer, cfg any) {
	for _, s := range Settings(cfg) {
		d := "default " + s.Default
		if s.Default == "required" {
			d = s.Default
		}
		fmt.Fprintf(w, "  %s (%s)\n        %s\n", s.Name, d, s.Help)
	}
}

// DocumentedDefaults reads the configuration table under the "## Configuration"
// heading of a README in Markdown: each row that starts with a `MATCHPOINT_…` cell
// gives its variables (several may share a row, separated by commas) and, in its
// second cell, their default as written there without backticks and outer
// parentheses ("(none)" is "none"). The examples' tests check their Config against
// it, so that the README's table and the variables cannot drift apart.
func DocumentedDefaults(markdown []byte) (map[string]string, error) {
	_, section, ok := strings.Cut(string(markdown), "\n## Configuration\n")
	if !ok {
		return nil, errors.New("envconf: no Configuration section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	table := map[string]string{}
	for line := range strings.SplitSeq(section, "\n") {
		if !strings.HasPrefix(line, "| `MATCHPOINT_") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) < 3 {
			return nil, fmt.Errorf("envconf: row %q has fewer than 3 cells", line)
		}
		def := strings.ReplaceAll(cells[1], "`", "")
		if strings.HasPrefix(def, "(") && strings.HasSuffix(def, ")") {
			def = def[1 : len(def)-1]
		}
		for name := range strings.SplitSeq(cells[0], ",") {
			name = strings.Trim(strings.TrimSpace(name), "`")
			if _, dup := table[name]; dup {
				return nil, fmt.Errorf("envconf: %s is in the table twice", name)
			}
			table[name] = def
		}
	}
	return table, nil
}
