package main

// This file is the same in examples/server, examples/worker and examples/lambda, which
// may not import one another: it reads a configuration struct from MATCHPOINT_*
// variables with github.com/caarlos0/env and turns a bad value into an error naming
// the variable.
//
// A configuration field is declared by its tags:
//
//	env:"NAME"          the variable (fields without it, or with env:"-", are not read)
//	envDefault:"VALUE"  the value when the variable is unset or empty
//	default:"TEXT"      the default in words, for a default computed after parsing
//	                    (no envDefault); "none" when neither tag is there
//	help:"TEXT"         what the variable means, for -h
//	want:"TEXT"         what a good value is, for the error about a bad one
//	secret:"true"       the value is never repeated in an error
//
// Nested structs are read too (they add no prefix).

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/caarlos0/env/v11"
)

// setting is one variable of a configuration struct, as its tags declare it.
type setting struct {
	Name    string // the variable
	Field   string // the struct field that holds it
	Default string // envDefault, else the default tag, else "none"
	Help    string // what it means
	Want    string // what a good value is
	Secret  bool   // its value must not be shown
}

// settings lists the variables of the struct type of cfg (a pointer to a struct or a
// struct), nested structs included, in field order.
func settings(cfg any) []setting {
	t := reflect.TypeOf(cfg)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []setting
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("env")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			if f.Type.Kind() == reflect.Struct {
				out = append(out, settings(reflect.New(f.Type).Interface())...)
			}
			continue
		}
		s := setting{Name: name, Field: f.Name, Help: f.Tag.Get("help"), Want: f.Tag.Get("want"),
			Secret: f.Tag.Get("secret") == "true", Default: "none"}
		if d, ok := f.Tag.Lookup("envDefault"); ok {
			s.Default = d
		} else if d := f.Tag.Get("default"); d != "" {
			s.Default = d
		}
		out = append(out, s)
	}
	return out
}

// environment is the variables a configuration was read from: those its struct
// declares, as getenv returned them, empty ones left out.
type environment struct {
	vars   []setting
	values map[string]string
}

// readEnv fills the struct cfg points to from getenv and its envDefault tags; an
// empty variable counts as unset. A value that does not parse as its field's type
// fails with badValue's error. The returned environment serves the checks that
// follow.
func readEnv(getenv func(string) string, cfg any) (environment, error) {
	e := environment{vars: settings(cfg), values: map[string]string{}}
	for _, s := range e.vars {
		if v := getenv(s.Name); v != "" {
			e.values[s.Name] = v
		}
	}
	err := env.ParseWithOptions(cfg, env.Options{
		Environment: e.values, // never nil: a nil map would read the process's environment
		FuncMap: map[reflect.Type]env.ParserFunc{
			reflect.TypeFor[[]byte](): func(v string) (any, error) { return []byte(v), nil },
		},
	})
	var pe env.ParseError
	if errors.As(err, &pe) {
		return e, e.bad(pe.Name)
	}
	return e, err
}

// bad is the error for the value of field's variable: it names the variable, repeats
// the value unless it is secret, and says what a good value is.
func (e environment) bad(field string) error {
	for _, s := range e.vars {
		if s.Field != field {
			continue
		}
		if s.Secret {
			return fmt.Errorf("%s: want %s", s.Name, s.Want)
		}
		return fmt.Errorf("%s=%q: want %s", s.Name, e.values[s.Name], s.Want)
	}
	return fmt.Errorf("configuration field %s: bad value", field)
}
