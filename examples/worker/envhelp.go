package main

// This file is the same in examples/server and examples/worker: -h lists the
// variables of the configuration struct from its tags (see envconfig.go).

import (
	"fmt"
	"io"
)

// writeVariables lists the variables of cfg's struct, each with its default and what
// it means.
func writeVariables(w io.Writer, cfg any) {
	for _, s := range settings(cfg) {
		d := "default " + s.Default
		if s.Default == "required" {
			d = s.Default
		}
		fmt.Fprintf(w, "  %s (%s)\n        %s\n", s.Name, d, s.Help)
	}
}
