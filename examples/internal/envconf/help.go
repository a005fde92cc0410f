package envconf

import (
	"fmt"
	"io"
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
