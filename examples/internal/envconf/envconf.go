// Package envconf reads the configuration structs of the examples (examples/server,
// examples/worker, examples/lambda) from MATCHPOINT_* variables with
// github.com/caarlos0/env, turns a bad value into an error naming the variable, and
// lists the variables for -h. It holds no example's variables: each example declares
// its own Config struct.
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
package envconf

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"

	"github.com/caarlos0/env/v11"
)

// Setting is one variable of a configuration struct, as its tags declare it.
type Setting struct {
	Name    string // the variable
	Field   string // the struct field that holds it
	Default string // envDefault, else the default tag, else "none"
	Help    string // what it means
	Want    string // what a good value is
	Secret  bool   // its value must not be shown
}

// Settings lists the variables of the struct type of cfg (a pointer to a struct or a
// struct), nested structs included, in field order.
func Settings(cfg any) []Setting {
	t := reflect.TypeOf(cfg)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []Setting
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("env")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			if f.Type.Kind() == reflect.Struct {
				out = append(out, Settings(reflect.New(f.Type).Interface())...)
			}
			continue
		}
		s := Setting{Name: name, Field: f.Name, Help: f.Tag.Get("help"), Want: f.Tag.Get("want"),
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

// Environment is the variables a configuration was read from: those its struct
// declares, as getenv returned them, empty ones left out.
type Environment struct {
	vars   []Setting
	values map[string]string
}

// Read fills the struct cfg points to from getenv and its envDefault tags; an
// empty variable counts as unset. A value that does not parse as its field's type
// fails with Environment.Bad's error. The returned environment serves the checks that
// follow.
func Read(getenv func(string) string, cfg any) (Environment, error) {
	e := Environment{vars: Settings(cfg), values: map[string]string{}}
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
		return e, e.Bad(pe.Name)
	}
	return e, err
}

// Bad is the error for the value of field's variable (field is a name of the
// struct's fields): it names the variable, repeats the value unless it is secret, and
// says what a good value is.
func (e Environment) Bad(field string) error {
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

// IsSet says whether the variable of field was set (to a non-empty value).
func (e Environment) IsSet(field string) bool {
	for _, s := range e.vars {
		if s.Field == field {
			return e.values[s.Name] != ""
		}
	}
	return false
}

// Secret checks the secret read into field: at least 32 bytes, or, unset, a random
// one for this process. A shorter one fails with Bad's error for field.
func Secret(v []byte, e Environment, field string) ([]byte, error) {
	if len(v) == 0 {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		return []byte(base64.RawURLEncoding.EncodeToString(b)), nil
	}
	if len(v) < 32 {
		return nil, e.Bad(field)
	}
	return v, nil
}
