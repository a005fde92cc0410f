package stripetest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := StopMock(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// fakeMock puts an executable named stripe-mock in dir and returns its path.
func fakeMock(t *testing.T, dir string) string {
	t.Helper()
	name := "stripe-mock"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMockBinary(t *testing.T) {
	for _, c := range []struct {
		name string
		env  func(t *testing.T, root string) (path, gobin, gopath, want string)
	}{
		{"on PATH", func(t *testing.T, root string) (string, string, string, string) {
			dir := filepath.Join(root, "path")
			return dir, "", filepath.Join(root, "gopath"), fakeMock(t, dir)
		}},
		{"in GOBIN", func(t *testing.T, root string) (string, string, string, string) {
			dir := filepath.Join(root, "gobin")
			return filepath.Join(root, "path"), dir, filepath.Join(root, "gopath"), fakeMock(t, dir)
		}},
		{"in the first GOPATH's bin", func(t *testing.T, root string) (string, string, string, string) {
			first := filepath.Join(root, "gopath1")
			return filepath.Join(root, "path"), "", first + string(filepath.ListSeparator) + filepath.Join(root, "gopath2"),
				fakeMock(t, filepath.Join(first, "bin"))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Without a go command on PATH, the environment says where go install puts commands.
			path, gobin, gopath, want := c.env(t, t.TempDir())
			t.Setenv("PATH", path)
			t.Setenv("GOBIN", gobin)
			t.Setenv("GOPATH", gopath)

			got, err := mockBinary()

			if err != nil || got != want {
				t.Errorf("mockBinary() = %q, %v; want %q", got, err, want)
			}
		})
	}
}

func TestMockBinaryMissingSaysHowToInstallIt(t *testing.T) {
	root := t.TempDir()
	t.Setenv("PATH", filepath.Join(root, "path"))
	t.Setenv("GOBIN", filepath.Join(root, "gobin"))
	t.Setenv("GOPATH", filepath.Join(root, "gopath"))

	_, err := mockBinary()

	if err == nil {
		t.Fatal("mockBinary found a stripe-mock where there is none")
	}
	for _, want := range []string{"stripe-mock not found", "go tool -n stripe-mock",
		"go install github.com/stripe/stripe-mock@v0.162.0", filepath.Join(root, "gobin")} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("the error %q is more than one line", err)
	}
}

// TestMockBinaryIsTheModules checks that, run from the module, the stripe-mock found is
// the one the go command builds from go.mod's tool directive.
func TestMockBinaryIsTheModules(t *testing.T) {
	out, err := exec.Command("go", "tool", "-n", "stripe-mock").Output()
	if err != nil {
		t.Fatalf("go tool -n stripe-mock: %v", err)
	}

	got, err := mockBinary()

	if want := strings.TrimSpace(string(out)); err != nil || got != want {
		t.Errorf("mockBinary() = %q, %v; want the module's %q", got, err, want)
	}
}

// TestMockVersionIsTheModules checks that go.mod pins stripe-mock as a tool at the
// version the stand-ins are written for.
func TestMockVersionIsTheModules(t *testing.T) {
	out, err := exec.Command("go", "mod", "edit", "-json").Output()
	if err != nil {
		t.Fatalf("go mod edit -json: %v", err)
	}
	var mod struct {
		Require []struct{ Path, Version string }
		Tool    []struct{ Path string }
	}
	if err := json.Unmarshal(out, &mod); err != nil {
		t.Fatal(err)
	}
	const path = "github.com/stripe/stripe-mock"
	var version string
	for _, r := range mod.Require {
		if r.Path == path {
			version = r.Version
		}
	}
	isTool := false
	for _, tool := range mod.Tool {
		isTool = isTool || tool.Path == path
	}
	if version != mockVersion || !isTool {
		t.Errorf("go.mod requires %s at %q (a tool: %v); want %s as a tool", path, version, isTool, mockVersion)
	}
}
