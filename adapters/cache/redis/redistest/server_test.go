package redistest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestServerBinary(t *testing.T) {
	dir := t.TempDir()
	want := filepath.Join(dir, "redis-server")
	if err := os.WriteFile(want, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)

	if got, err := serverBinary(); err != nil || got != want {
		t.Errorf("serverBinary() = %q, %v; want %q", got, err, want)
	}
}

func TestServerBinaryMissingSaysHowToInstallIt(t *testing.T) {
	t.Setenv("PATH", t.TempDir())

	_, err := serverBinary()

	const want = "redis-server not found: run `make deps` (apt-get install redis-server)"
	if err == nil || err.Error() != want {
		t.Errorf("serverBinary() error = %v; want %q", err, want)
	}
}
