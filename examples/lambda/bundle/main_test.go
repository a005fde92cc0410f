package main

import (
	"archive/zip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBundle(t *testing.T) {
	dir := t.TempDir()
	binary := filepath.Join(dir, "lambda-arm64")
	content := []byte("\x7fELF not really, but bytes all the same")
	require.NoError(t, os.WriteFile(binary, content, 0o700))
	out := filepath.Join(dir, "bootstrap.zip")
	require.NoError(t, os.WriteFile(out, []byte("an older archive"), 0o644))

	require.NoError(t, bundle(out, binary))

	zr, err := zip.OpenReader(out)
	require.NoError(t, err)
	defer zr.Close()
	require.Len(t, zr.File, 1)
	f := zr.File[0]
	assert.Equal(t, "bootstrap", f.Name)
	assert.Equal(t, os.FileMode(0o755), f.Mode().Perm(), "the runtime must be able to execute it")
	assert.Equal(t, zip.Deflate, f.Method)
	r, err := f.Open()
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, content, got)

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 2, "no temporary file is left behind")
}

func TestBundleRefusesWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "bootstrap.zip")
	require.Error(t, bundle(out, filepath.Join(dir, "missing")))
	require.Error(t, bundle(out, dir))
	_, err := os.Stat(out)
	assert.True(t, os.IsNotExist(err), "no archive is written")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
}
