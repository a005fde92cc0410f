package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The probe reads the routes, parameters and request schemas from the API's OpenAPI
// description, so that a route or a field added there is probed (or the probe fails
// for want of a valid example of it).

// oaSchema is the part of an OpenAPI 3.1 schema the probe uses.
type oaSchema struct {
	Ref        string               `yaml:"$ref"`
	Type       string               `yaml:"type"`
	Format     string               `yaml:"format"`
	Pattern    string               `yaml:"pattern"`
	Enum       []any                `yaml:"enum"`
	MinLength  *int                 `yaml:"minLength"`
	MaxLength  *int                 `yaml:"maxLength"`
	Minimum    *float64             `yaml:"minimum"`
	Maximum    *float64             `yaml:"maximum"`
	Required   []string             `yaml:"required"`
	Properties map[string]*oaSchema `yaml:"properties"`
	Items      *oaSchema            `yaml:"items"`
	AnyOf      []*oaSchema          `yaml:"anyOf"`
	OneOf      []*oaSchema          `yaml:"oneOf"`
}

type oaParam struct {
	Ref      string    `yaml:"$ref"`
	Name     string    `yaml:"name"`
	In       string    `yaml:"in"`
	Required bool      `yaml:"required"`
	Schema   *oaSchema `yaml:"schema"`
}

type oaOperation struct {
	OperationID string    `yaml:"operationId"`
	Parameters  []oaParam `yaml:"parameters"`
	RequestBody *struct {
		Content map[string]struct {
			Schema *oaSchema `yaml:"schema"`
		} `yaml:"content"`
	} `yaml:"requestBody"`
	Security []map[string][]string `yaml:"security"`
}

type oaDoc struct {
	Paths      map[string]map[string]oaOperation `yaml:"paths"`
	Components struct {
		Parameters map[string]oaParam   `yaml:"parameters"`
		Schemas    map[string]*oaSchema `yaml:"schemas"`
	} `yaml:"components"`
}

// specRoute is one operation of the description with its references resolved.
type specRoute struct {
	Method, Path, OperationID string
	Params                    []oaParam // path, query and header parameters
	Body                      *oaSchema // the JSON request body's schema; nil without one
	Secured                   bool
}

// Pattern is the route as the Handler's table names it.
func (r specRoute) Pattern() string { return r.Method + " " + r.Path }

// loadSpec parses adapters/httpapi/openapi.yaml.
func loadSpec(t testing.TB) (*oaDoc, []specRoute) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "adapters", "httpapi", "openapi.yaml"))
	require.NoError(t, err)
	var doc oaDoc
	require.NoError(t, yaml.Unmarshal(raw, &doc))
	var routes []specRoute
	for path, ops := range doc.Paths {
		for method, op := range ops {
			r := specRoute{Method: strings.ToUpper(method), Path: path, OperationID: op.OperationID, Secured: len(op.Security) > 0}
			for _, p := range op.Parameters {
				if p.Ref != "" {
					p = doc.Components.Parameters[strings.TrimPrefix(p.Ref, "#/components/parameters/")]
				}
				require.NotEmpty(t, p.Name, "%s %s: unresolved parameter", method, path)
				r.Params = append(r.Params, p)
			}
			if op.RequestBody != nil {
				if c, ok := op.RequestBody.Content["application/json"]; ok {
					r.Body = c.Schema
				}
			}
			require.NotEmpty(t, r.OperationID, "%s %s has no operationId", method, path)
			routes = append(routes, r)
		}
	}
	slices.SortFunc(routes, func(a, b specRoute) int { return strings.Compare(a.Pattern(), b.Pattern()) })
	return &doc, routes
}

// resolve follows a schema's $ref; it returns the schema and the name it was
// referenced by ("" for an inline schema).
func (d *oaDoc) resolve(s *oaSchema) (*oaSchema, string) {
	name := ""
	for s != nil && s.Ref != "" {
		name = strings.TrimPrefix(s.Ref, "#/components/schemas/")
		s = d.Components.Schemas[name]
	}
	return s, name
}
