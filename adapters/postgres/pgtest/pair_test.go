package pgtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// binaries makes dir with an executable file for each of names.
func binaries(t *testing.T, dir string, names ...string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPickBinDirTakesTheFirstWithEveryBinary(t *testing.T) {
	root := t.TempDir()
	partial := binaries(t, filepath.Join(root, "partial"), "initdb", "pg_ctl")
	whole := binaries(t, filepath.Join(root, "whole"), "initdb", "pg_ctl", "pg_basebackup")
	other := binaries(t, filepath.Join(root, "other"), "initdb", "pg_ctl", "pg_basebackup")

	got, err := pickBinDir([]string{partial, whole, other})

	if err != nil || got != whole {
		t.Errorf("pickBinDir = %q, %v; want %q", got, err, whole)
	}
}

func TestPickBinDirMissingSaysWhatAndHowToInstallIt(t *testing.T) {
	for _, c := range []struct {
		name string
		dirs func(root string) []string
		want string
	}{
		{"no directory", func(string) []string { return nil }, "initdb, pg_ctl, pg_basebackup not found"},
		{"no pg_basebackup", func(root string) []string {
			return []string{binaries(t, filepath.Join(root, "bin"), "initdb", "pg_ctl")}
		}, "pg_basebackup not found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := pickBinDir(c.dirs(t.TempDir()))

			if err == nil {
				t.Fatal("pickBinDir found binaries where there are none")
			}
			for _, want := range []string{c.want, "run `make deps` (apt-get install postgresql)"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error %q does not say %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("the error %q is more than one line", err)
			}
		})
	}
}
