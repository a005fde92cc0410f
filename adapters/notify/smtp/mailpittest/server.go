// Package mailpittest runs mailpit (github.com/axllent/mailpit), an SMTP server that
// keeps what it receives and shows it through an HTTP API, for tests that send real
// email: Start runs one on free loopback ports for a test, and Messages and Message
// read back what it received.
//
// The mailpit binary is found, in this order, at <module root>/bin/tools/mailpit
// (where `make tools`, a step of `make test`, installs the version the Makefile pins),
// on PATH, and in $(go env GOPATH)/bin. A test on a machine without it fails with one
// line saying how to install it; it never skips.
package mailpittest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// errNoMailpit is the one line a test fails with on a machine without mailpit.
var errNoMailpit = errors.New("mailpit not found in bin/tools, on PATH or in $(go env GOPATH)/bin: run `make tools` (GOBIN=$PWD/bin/tools go install github.com/axllent/mailpit@v1.33.1)")

// Options change how Start runs mailpit. The zero value accepts every recipient.
type Options struct {
	// AllowedRecipients, if not empty, is a regular expression; mailpit refuses any
	// other recipient with "550 5.1.0 mailbox unavailable" (--smtp-allowed-recipients).
	AllowedRecipients string
}

// Server is a running mailpit.
type Server struct {
	smtpAddr string
	httpURL  string
	client   *http.Client
}

// Start runs mailpit on free loopback ports with an empty database under t's temporary
// directory, no authentication and no TLS, keeping every message it receives (mailpit
// itself keeps only the newest 500 unless told), waits until its API answers, and stops
// it when t ends.
func Start(t testing.TB) *Server { return StartWith(t, Options{}) }

// StartWith is Start with options.
func StartWith(t testing.TB, o Options) *Server {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	smtpPort, httpPort := freePort(t), freePort(t)
	s := &Server{
		smtpAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(smtpPort)),
		httpURL:  "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(httpPort)),
		client:   &http.Client{Timeout: 10 * time.Second},
	}
	dir := t.TempDir()
	args := []string{
		"--smtp", s.smtpAddr, "--listen", strings.TrimPrefix(s.httpURL, "http://"),
		"--database", filepath.Join(dir, "mailpit.db"),
		"--disable-version-check", "--smtp-disable-rdns", "--quiet",
		"--max", "0", // keep every message: mailpit prunes all but the newest 500 by default
	}
	if o.AllowedRecipients != "" {
		args = append(args, "--smtp-allowed-recipients", o.AllowedRecipients)
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	deadline := time.Now().Add(20 * time.Second)
	for !s.ready() {
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			t.Fatalf("mailpit exited before it answered (%v): %s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit did not answer on %s within 20s: %s", s.httpURL, out.String())
		}
		time.Sleep(25 * time.Millisecond)
	}
	return s
}

// binary finds the mailpit executable.
func binary() (string, error) {
	if root, ok := moduleRoot(); ok {
		p := filepath.Join(root, "bin", "tools", "mailpit")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p, nil
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(dir, "bin", "mailpit")
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p, nil
			}
		}
	}
	return "", errNoMailpit
}

// moduleRoot is the nearest directory above the working directory (the package under
// test) that holds a go.mod.
func moduleRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ready tells whether both the API and the SMTP port answer.
func (s *Server) ready() bool {
	res, err := s.client.Get(s.httpURL + "/readyz")
	if err != nil {
		return false
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return false
	}
	c, err := net.DialTimeout("tcp", s.smtpAddr, time.Second)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

// SMTPAddr is the host:port of the SMTP server.
func (s *Server) SMTPAddr() string { return s.smtpAddr }

// SMTPURL is the server's URL for smtp.Config.URL: plain SMTP, no STARTTLS.
func (s *Server) SMTPURL() string { return "smtp://" + s.smtpAddr + "?starttls=off" }

// APIURL is the base URL of mailpit's web UI and API.
func (s *Server) APIURL() string { return s.httpURL }

// Address is a mailbox as mailpit reports it.
type Address struct {
	Name    string
	Address string
}

// Summary is a received message as the message list reports it.
type Summary struct {
	ID        string // mailpit's id, for Message
	MessageID string // the Message-ID header, without angle brackets
	From      Address
	To        []Address
	Subject   string
}

// Attachment is an attachment of a received message, with its content.
type Attachment struct {
	PartID      string
	FileName    string
	ContentType string
	Data        []byte
}

// Message is a received message, read back in full.
type Message struct {
	ID          string
	MessageID   string
	From        Address
	To          []Address
	Subject     string
	Text        string
	HTML        string
	Attachments []Attachment
	Headers     map[string][]string
}

// Messages returns the messages received so far, newest first.
func (s *Server) Messages(t testing.TB) []Summary {
	t.Helper()
	var list struct {
		Messages []Summary `json:"messages"`
	}
	s.getJSON(t, "/api/v1/messages?limit=1000", &list)
	return list.Messages
}

// Message returns the received message with mailpit id id, its attachments' content
// and its headers.
func (s *Server) Message(t testing.TB, id string) Message {
	t.Helper()
	var m struct {
		Message
		Attachments []struct {
			PartID      string
			FileName    string
			ContentType string
		}
	}
	s.getJSON(t, "/api/v1/message/"+url.PathEscape(id), &m)
	out := m.Message
	out.Attachments = nil
	for _, a := range m.Attachments {
		data := s.get(t, "/api/v1/message/"+url.PathEscape(id)+"/part/"+url.PathEscape(a.PartID))
		out.Attachments = append(out.Attachments, Attachment{PartID: a.PartID, FileName: a.FileName, ContentType: a.ContentType, Data: data})
	}
	s.getJSON(t, "/api/v1/message/"+url.PathEscape(id)+"/headers", &out.Headers)
	return out
}

// Raw returns the received message with mailpit id id as it arrived (RFC 5322).
func (s *Server) Raw(t testing.TB, id string) []byte {
	t.Helper()
	return s.get(t, "/api/v1/message/"+url.PathEscape(id)+"/raw")
}

// getJSON decodes the JSON answer of a GET of path.
func (s *Server) getJSON(t testing.TB, path string, v any) {
	t.Helper()
	if err := json.Unmarshal(s.get(t, path), v); err != nil {
		t.Fatalf("mailpit %s: %v", path, err)
	}
}

// get returns the body of a GET of path, which must answer 200.
func (s *Server) get(t testing.TB, path string) []byte {
	t.Helper()
	res, err := s.client.Get(s.httpURL + path)
	if err != nil {
		t.Fatalf("mailpit %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("mailpit %s: %v", path, err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("mailpit %s: %s: %s", path, res.Status, body)
	}
	return body
}

// String names the server, for test logs.
func (s *Server) String() string { return fmt.Sprintf("mailpit smtp %s api %s", s.smtpAddr, s.httpURL) }
