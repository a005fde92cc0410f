// Command bundle packs the function's binary into the zip file AWS Lambda deploys:
//
//	go run ./examples/lambda/bundle -o bin/lambda/bootstrap.zip bin/lambda/bootstrap
//
// The archive holds one entry, "bootstrap" (the name the provided.al2023 runtime
// runs), executable, whatever the input file is called. It is `make lambda`'s last
// step, so that packing needs Go alone, not a zip program.
package main

import (
	"archive/zip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func main() {
	out := flag.String("o", "bootstrap.zip", "the zip file to write")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: bundle [-o bootstrap.zip] BINARY")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := bundle(*out, flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "bundle:", err)
		os.Exit(1)
	}
}

// bundle writes to out a zip archive whose one entry, "bootstrap", is the file at
// binary, with mode 0755. out is replaced only once it is complete.
func bundle(out, binary string) (err error) {
	in, err := os.Open(binary)
	if err != nil {
		return err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", binary)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".bootstrap-*.zip")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	zw := zip.NewWriter(tmp)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: info.ModTime()}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, in); err != nil {
		return err
	}
	if err := errors.Join(zw.Close(), tmp.Chmod(0o644), tmp.Close()); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), out)
}
