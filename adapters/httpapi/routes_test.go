package httpapi_test

import (
	"bufio"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// spec is what the route tests need of openapi.yaml, read with a line scanner (the
// module has no YAML library): the operations under paths, and the names under each
// section of components.
type spec struct {
	ops        map[string][]string            // "METHOD /path" → the operation's lines
	components map[string]map[string][]string // section → name → the component's lines
}

var (
	pathKey      = regexp.MustCompile(`^  (/\S*):\s*$`)
	methodKey    = regexp.MustCompile(`^    (get|put|post|delete|patch|head|options|trace):\s*$`)
	sectionKey   = regexp.MustCompile(`^  ([A-Za-z]+):\s*$`)
	componentKey = regexp.MustCompile(`^    ([A-Za-z][\w.-]*):`)
	refValue     = regexp.MustCompile(`\$ref: '#/components/(\w+)/([\w.-]+)'`)
)

func parseSpec(t *testing.T, doc string) spec {
	t.Helper()
	s := spec{ops: map[string][]string{}, components: map[string]map[string][]string{}}
	var top, path, op, section, name string
	sc := bufio.NewScanner(strings.NewReader(doc))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if !strings.HasPrefix(line, " ") {
			top, path, op, section, name = strings.TrimSuffix(line, ":"), "", "", "", ""
			continue
		}
		switch top {
		case "paths":
			if m := pathKey.FindStringSubmatch(line); m != nil {
				path, op = m[1], ""
			} else if m := methodKey.FindStringSubmatch(line); m != nil && path != "" {
				op = strings.ToUpper(m[1]) + " " + path
				require.NotContains(t, s.ops, op, "operation described twice")
				s.ops[op] = nil
			} else if op != "" {
				s.ops[op] = append(s.ops[op], line)
			}
		case "components":
			if m := sectionKey.FindStringSubmatch(line); m != nil {
				section, name = m[1], ""
				s.components[section] = map[string][]string{}
			} else if m := componentKey.FindStringSubmatch(line); m != nil && section != "" {
				name = m[1]
				s.components[section][name] = nil
			} else if name != "" {
				s.components[section][name] = append(s.components[section][name], line)
			}
		}
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, s.ops, "no operations found under paths:")
	return s
}

// servedSpec fetches openapi.yaml through the Handler and checks it is the file.
func servedSpec(t *testing.T, e *env) spec {
	t.Helper()
	res := e.get("/openapi.yaml", nil)
	require.Equal(t, http.StatusOK, res.Code)
	assert.Equal(t, "application/yaml", res.Header().Get("Content-Type"))
	file, err := os.ReadFile("openapi.yaml")
	require.NoError(t, err)
	require.Equal(t, string(file), res.Body.String(), "the embedded description is the file")
	require.True(t, strings.HasPrefix(string(file), "openapi: 3.1."), "an OpenAPI 3.1 document")
	return parseSpec(t, string(file))
}

// TestEveryRouteIsDescribed walks the Handler's routes and the description's
// operations: each must have the other.
func TestEveryRouteIsDescribed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := servedSpec(t, e)
	routes := e.handler.Routes()
	require.NotEmpty(t, routes)
	for _, r := range routes {
		assert.Contains(t, s.ops, r, "route %s is not described in openapi.yaml", r)
	}
	for op := range s.ops {
		assert.True(t, slices.Contains(routes, op), "openapi.yaml describes %s, which the Handler does not serve", op)
	}
}

// TestDescriptionIsComplete checks what each operation of openapi.yaml must say: its
// path parameters, its security, its responses, and references that resolve.
func TestDescriptionIsComplete(t *testing.T) {
	t.Parallel()
	s := servedSpec(t, newEnv(t))
	paramNames := map[string]string{} // component → the name it declares
	for comp, lines := range s.components["parameters"] {
		for _, l := range lines {
			if n, ok := strings.CutPrefix(strings.TrimSpace(l), "name: "); ok {
				paramNames[comp] = n
			}
		}
	}
	pathParam := regexp.MustCompile(`\{(\w+)\}`)
	for op, lines := range s.ops {
		body := strings.Join(lines, "\n")
		declared := map[string]bool{}
		for _, l := range lines {
			if n, ok := strings.CutPrefix(strings.TrimSpace(l), "- name: "); ok {
				declared[n] = true
			}
			for _, m := range refValue.FindAllStringSubmatch(l, -1) {
				if m[1] == "parameters" {
					declared[paramNames[m[2]]] = true
				}
			}
		}
		for _, m := range pathParam.FindAllStringSubmatch(op, -1) {
			assert.True(t, declared[m[1]], "%s does not declare its path parameter %s", op, m[1])
		}
		assert.Contains(t, body, "responses:", "%s has no responses", op)
		assert.Contains(t, body, "operationId:", "%s has no operationId", op)
		switch path := strings.SplitN(op, " ", 2)[1]; {
		case strings.HasPrefix(path, "/v1/admin/"):
			assert.Contains(t, body, "- adminKey: []", "%s must require the admin key", op)
			assert.Contains(t, body, "- adminKeyHeader: []", "%s must accept the X-API-Key header", op)
			assert.Contains(t, body, "'401':", op)
			assert.Contains(t, body, "'403':", op)
		case strings.HasPrefix(path, "/v1/bookings/"):
			assert.Contains(t, body, "- accessToken: []", "%s must require the access token", op)
			assert.Contains(t, body, "'401':", op)
		}
		if strings.HasPrefix(op, "POST ") || strings.HasPrefix(op, "PUT ") {
			if !strings.HasSuffix(op, "/cancel") && !strings.HasSuffix(op, "/no-show") && !strings.HasSuffix(op, "/retry") { // actions take no body
				assert.Contains(t, body, "requestBody:", "%s has no request body", op)
			}
		}
		if strings.HasPrefix(op, "DELETE ") {
			assert.Contains(t, body, "'204':", op)
		}
		if strings.Contains(op, " /v1/") {
			assert.Contains(t, body, "'429':", "%s is rate limited", op)
		}
	}

	for _, scheme := range []string{"accessToken", "adminKey", "adminKeyHeader"} {
		assert.Contains(t, s.components["securitySchemes"], scheme)
	}
	problem := strings.Join(s.components["schemas"]["Problem"], "\n")
	for _, field := range []string{"type", "title", "status", "detail", "code", "instance"} {
		assert.Regexp(t, `(?m)^        `+field+`:`, problem, "the problem schema lacks %s", field)
	}

	// Every reference resolves.
	file, err := os.ReadFile("openapi.yaml")
	require.NoError(t, err)
	for _, m := range refValue.FindAllStringSubmatch(string(file), -1) {
		assert.Contains(t, s.components[m[1]], m[2], "unresolved $ref %s", m[0])
	}
}

// TestEveryRouteIsServed sends each route's method to its path: none may fall through
// to the router's own 404 or 405.
func TestEveryRouteIsServed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	fill := strings.NewReplacer("{club}", clubSlug, "{id}", "some-id", "{provider}", provider)
	for _, r := range e.handler.Routes() {
		method, path, _ := strings.Cut(r, " ")
		res := e.do(request{method: method, path: fill.Replace(path), header: e.admin()})
		assert.NotEqual(t, http.StatusMethodNotAllowed, res.Code, r)
		if res.Code == http.StatusNotFound {
			assert.NotContains(t, res.json["detail"], "no resource at", "%s is not routed", r)
		}
	}
}
