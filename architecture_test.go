package matchpoint_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"
)

// module is the import path of this module; rules speak of packages relative to it.
const module = "github.com/matchpoint/matchpoint"

// adapterAllowList names the only adapters built on other adapters: a package under
// adapters/ may import another adapter package only when one of its patterns
// (path.Match, relative to the module) matches. Every other adapter stands alone,
// so that each can be swapped without touching the rest.
var adapterAllowList = map[string][]string{
	// The tiered cache is an L1 tier in front of an L2 tier.
	"adapters/cache/tiered": {"adapters/cache/*"},
}

// appHelpers are the modules app may use beside domain and ports: small and pure, with no
// I/O of their own. Wire's package only declares the ProviderSet that composition roots use;
// golang-lru bounds the decoded values the catalog keeps in memory; golang-ical writes the
// calendar event a confirmation carries.
var appHelpers = []string{"golang.org/x/sync", "github.com/google/wire", "github.com/hashicorp/golang-lru/v2", "github.com/arran4/golang-ical"}

// TestArchitecture checks every package of the module, production and test files, against
// the import rules of ARCHITECTURE.md.
func TestArchitecture(t *testing.T) {
	t.Parallel()

	pkgs := listPackages(t)

	seen := map[string]bool{}
	for _, p := range pkgs {
		rel := relPath(p.ImportPath)
		seen[rel] = true
		if why := outsideLayout(rel); why != "" {
			t.Errorf("%s: %s", p.ImportPath, why)
			continue
		}
		if p.Error != nil {
			t.Errorf("%s: go list could not load it, so its imports are unchecked: %s", p.ImportPath, p.Error.Err)
			continue
		}
		check := func(imports []string, test bool) {
			for _, imp := range imports {
				if why := violation(rel, imp, test); why != "" {
					kind := "imports"
					if test {
						kind = "imports in its tests"
					}
					t.Errorf("%s %s %s: %s (see \"Import rules\" in ARCHITECTURE.md)", p.ImportPath, kind, imp, why)
				}
			}
		}
		check(p.Imports, false)
		check(p.TestImports, true)
		check(p.XTestImports, true)
	}

	// Guard against a run that checks nothing (a wrong directory, a changed module path).
	for _, want := range []string{"domain", "ports"} {
		if !seen[want] {
			t.Errorf("go list did not report package %s/%s; the rules were not checked against it", module, want)
		}
	}
}

// TestArchitectureRules runs import pairs through the rule itself, so a rule that accepts
// everything (or rejects everything) is caught even while the tree obeys it.
func TestArchitectureRules(t *testing.T) {
	t.Parallel()

	const m = module + "/"
	rejected := []struct {
		from, imp string
		test      bool
	}{
		{"domain", "github.com/stretchr/testify/require", false},
		{"domain", "github.com/google/uuid", false},
		{"domain", m + "ports", false},
		{"domain", m + "app", true},
		{"domain", m + "adapters/memory", true},
		{"ports", m + "app", false},
		{"ports", m + "adapters/memory", false},
		{"ports", "github.com/stretchr/testify/require", false},
		{"ports", "github.com/allegro/bigcache/v3", false},
		{"ports", "github.com/google/wire", false},
		{"domain", "github.com/google/wire", false},
		{"ports/bookingtest", m + "adapters/memory", false},
		{"ports/bookingtest", m + "adapters/memory", true},
		{"ports/bookingtest", m + "app", false},
		{"ports/bookingtest", "github.com/google/wire", false},
		{"ports/bookingtest", "github.com/allegro/bigcache/v3", true},
		{"ports/clock", "github.com/stretchr/testify/require", false},
		{"app", m + "adapters/memory", false},
		{"app", m + "adapters/postgres", false},
		{"app", "github.com/allegro/bigcache/v3", false},
		{"app", "golang.org/x/time/rate", false},
		{"app", "golang.org/x/syncx", false},
		{"app", "github.com/stretchr/testify/assert", false},
		{"adapters/postgres", m + "adapters/memory", false},
		{"adapters/cache/redis", m + "adapters/cache/bigcache", false},
		{"adapters/httpapi", m + "adapters/postgres", false},
		{"adapters/cache/tiered", m + "adapters/postgres", false},
		{"adapters/ratelimit/fallback", m + "adapters/ratelimit/redis", false},
		{"adapters/ratelimit/inproc", m + "adapters/ratelimit/redis", false},
		{"adapters/ratelimit/redis", m + "adapters/cache/redis", false},
		{"adapters/payments/stripe/stripetest", m + "adapters/payments/sandbox", false},
		{"adapters/postgres/riverqueue", m + "adapters/memory", false},
		{"adapters/memory", m + "examples/server", false},
		{"app", m + "examples/server", true},
		{"domain", m + "examples/server", false},
		{"examples/server", m + "examples/worker", false},
		{"examples/lambda", m + "examples/server", false},
		{"app", m + "examples/internal/envconf", false},
		{"adapters/postgres", m + "examples/internal/envconf", true},
		{"", m + "examples/internal/envconf", false},
		{"examples/internal/envconf", m + "examples/server", false},
		{"examples/server", m + "examples/worker/config", false},
		{"", m + "examples/server", true},
		{"internal/helpers", "fmt", false},
	}
	for _, c := range rejected {
		if violation(c.from, c.imp, c.test) == "" {
			t.Errorf("rule accepts %q importing %q (test files: %v); ARCHITECTURE.md forbids it", c.from, c.imp, c.test)
		}
	}

	accepted := []struct {
		from, imp string
		test      bool
	}{
		{"domain", "time", false},
		{"domain", "github.com/stretchr/testify/require", true},
		{"ports", m + "domain", false},
		{"ports", "context", false},
		{"ports/bookingtest", m + "ports", false},
		{"ports/bookingtest", "testing", false},
		{"ports/bookingtest", "github.com/stretchr/testify/require", false},
		{"ports/bookingtest", "github.com/stretchr/testify/assert", true},
		{"app", m + "ports", false},
		{"app", "golang.org/x/sync/errgroup", false},
		{"app", "github.com/google/wire", false},
		{"app", m + "adapters/memory", true},
		{"app", m + "ports/bookingtest", true},
		{"adapters/postgres", m + "app", false},
		{"adapters/postgres", "github.com/uptrace/bun", false},
		{"adapters/postgres", m + "adapters/postgres/migrations", false},
		{"adapters/postgres", m + "ports/bookingtest", true},
		{"adapters/httpapi", m + "adapters/memory", true},
		{"adapters/cache/tiered", m + "adapters/cache/bigcache", false},
		{"adapters/cache/tiered", m + "adapters/cache/redis", false},
		{"adapters/ratelimit/fallback", m + "ports", false},
		{"adapters/ratelimit/fallback", m + "adapters/ratelimit/inproc", true},
		{"adapters/ratelimit/redis", "github.com/go-redis/redis_rate/v10", false},
		{"adapters/ratelimit/inproc", "golang.org/x/time/rate", false},
		{"adapters/payments/stripe/stripetest", m + "adapters/payments/stripe", false},
		{"adapters/postgres/riverqueue", m + "adapters/postgres", false},
		{"examples/server", m + "adapters/postgres", false},
		{"examples/server", m + "examples/server/config", false},
		{"examples/lambda", m + "examples/lambda/bundle", false},
		{"examples/lambda", m + "examples/internal/envconf", false},
		{"examples/server", m + "examples/internal/compose", true},
		{"examples/internal/compose", m + "examples/internal/envconf", false},
		{"", "os/exec", true},
	}
	for _, c := range accepted {
		if why := violation(c.from, c.imp, c.test); why != "" {
			t.Errorf("rule rejects %q importing %q (test files: %v): %s", c.from, c.imp, c.test, why)
		}
	}
}

// violation tells why the package at from (relative to the module root, "" for the root)
// may not import imp, or returns "" when it may. test is true for imports made by the
// package's _test.go files, which may also use testify and, in app and adapters, any
// adapter: the memory adapters stand in for mocks.
func violation(from, imp string, test bool) string {
	if why := outsideLayout(from); why != "" {
		return why
	}
	if isStdlib(imp) {
		return ""
	}
	to, inModule := relImport(imp)
	if inModule && layer(to) == "examples" && !sameExample(from, to) {
		if isUnder(to, "examples/internal") {
			if layer(from) == "examples" {
				return "" // the composition helpers the examples share
			}
			return "only examples import examples/internal (composition helpers, not library code)"
		}
		return "nothing imports an example but itself (composition roots are leaves)"
	}
	testify := isUnder(imp, "github.com/stretchr/testify")

	switch layer(from) {
	case "domain":
		if inModule && layer(to) == "domain" || test && testify {
			return ""
		}
		return "domain imports the standard library only"

	case "ports":
		// A contract suite makes its assertions with testify, in its production files
		// too: it runs inside the adapters' tests, which use testify already.
		contractSuite := strings.HasSuffix(path.Base(from), "test")
		if inModule && (layer(to) == "domain" || layer(to) == "ports") || (test || contractSuite) && testify {
			return ""
		}
		if contractSuite {
			return "a contract suite imports domain, ports, testify and the standard library only, never app, an adapter or another module"
		}
		return "ports imports domain and the standard library only"

	case "app":
		switch {
		case inModule && (layer(to) == "domain" || layer(to) == "ports" || layer(to) == "app"):
			return ""
		case slices.ContainsFunc(appHelpers, func(h string) bool { return isUnder(imp, h) }):
			return ""
		case test && (testify || inModule && layer(to) == "adapters"):
			return ""
		}
		return "app imports domain, ports, appHelpers and the standard library only, never an adapter"

	case "adapters":
		if !inModule || layer(to) != "adapters" || test {
			return ""
		}
		if to == from || strings.HasPrefix(to, from+"/") || strings.HasPrefix(from, to+"/") {
			return "" // the adapter's own subpackage, or the adapter a subpackage (its test kit) belongs to
		}
		for _, pattern := range adapterAllowList[from] {
			if ok, _ := path.Match(pattern, to); ok {
				return ""
			}
		}
		return "an adapter never imports another adapter unless adapterAllowList says it is built on it"
	}
	return "" // examples and the root test package: anything the checks above allow
}

// outsideLayout tells why a package at rel has no place in the layout of ARCHITECTURE.md, or
// returns "" when it has one.
func outsideLayout(rel string) string {
	switch layer(rel) {
	case "domain", "ports", "app", "adapters", "examples", "":
		return ""
	}
	return "package is outside the layout of ARCHITECTURE.md (domain, ports, app, adapters, examples)"
}

// listedPackage holds the fields of `go list -json` that the rules read.
type listedPackage struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Error        *struct{ Err string }
}

// listPackages asks the go command for every package of the module with its imports.
func listPackages(t *testing.T) []listedPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,TestImports,XTestImports,Error", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// isStdlib reports whether imp names a standard-library package: the go command's own
// test is that the first path element has no dot.
func isStdlib(imp string) bool {
	first, _, _ := strings.Cut(imp, "/")
	return !strings.Contains(first, ".")
}

// relImport returns imp relative to the module root and whether it is in the module.
func relImport(imp string) (string, bool) {
	if imp == module {
		return "", true
	}
	rel, ok := strings.CutPrefix(imp, module+"/")
	return rel, ok
}

// relPath returns a package path of the module relative to the module root.
func relPath(importPath string) string {
	rel, _ := relImport(importPath)
	return rel
}

// layer is the first element of a path relative to the module root: domain, ports, app,
// adapters or examples.
func layer(rel string) string {
	first, _, _ := strings.Cut(rel, "/")
	return first
}

// sameExample reports whether from and to lie in the same example (examples/NAME/...),
// examples/internal counting as one: with examples/internal, the only ways one package
// of examples may import another.
func sameExample(from, to string) bool {
	if layer(from) != "examples" {
		return false
	}
	name := func(rel string) string {
		parts := strings.SplitN(rel, "/", 3)
		if len(parts) < 2 {
			return ""
		}
		return parts[1]
	}
	return name(from) != "" && name(from) == name(to)
}

// isUnder reports whether imp is the package or module root at prefix or lies beneath it.
func isUnder(imp, prefix string) bool {
	return imp == prefix || strings.HasPrefix(imp, prefix+"/")
}
