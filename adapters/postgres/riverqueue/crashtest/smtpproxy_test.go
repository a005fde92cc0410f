package crashtest_test

import (
	"bufio"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// holdPoint is where an smtpProxy holds the first message that reaches it.
type holdPoint int

const (
	// holdDataEnd keeps the line that ends the message's data (".") from the server:
	// the server has not accepted the message, and drops it when the connection
	// closes, so the client is stuck waiting for the reply to its data.
	holdDataEnd holdPoint = iota + 1
	// holdAfterAccept forwards the data and the server's acceptance (250) and keeps
	// the client's next command (go-mail's RSET, then QUIT) from the server: the
	// message is delivered and the client knows it, but its Send has not returned,
	// so the worker cannot have recorded the message as sent.
	holdAfterAccept
)

// smtpProxy is a TCP proxy in front of an SMTP server (mailpit) that passes every
// conversation through, except that it holds the first message to reach its hold
// point: it tells held and stops forwarding what the client says, until the client
// goes away, and then closes the server's connection. Every later conversation
// passes through untouched. It reads the client's side line by line, which is how
// go-mail speaks (no pipelining, no BDAT); the server's side is copied as it comes.
type smtpProxy struct {
	upstream string
	point    holdPoint
	l        net.Listener
	armed    atomic.Bool
	held     chan struct{}
}

// startSMTPProxy proxies to the SMTP server at upstream (host:port) until the test ends.
func startSMTPProxy(t *testing.T, upstream string, point holdPoint) *smtpProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &smtpProxy{upstream: upstream, point: point, l: l, held: make(chan struct{}, 1)}
	p.armed.Store(true)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

// URL is the proxy's URL for smtp.Config.URL.
func (p *smtpProxy) URL() string { return "smtp://" + p.l.Addr().String() + "?starttls=off" }

func (p *smtpProxy) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.upstream)
	if err != nil {
		return
	}
	defer server.Close()
	go func() {
		_, _ = io.Copy(client, server)
		_ = client.Close()
	}()
	r := bufio.NewReader(client)
	inData, afterData := false, false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		hold := false
		switch {
		case inData && line == ".\r\n":
			inData, afterData = false, true
			hold = p.point == holdDataEnd
		case inData:
		case afterData:
			afterData = false
			hold = p.point == holdAfterAccept
		case strings.EqualFold(strings.TrimSpace(line), "DATA"):
			inData = true
		}
		if hold && p.armed.CompareAndSwap(true, false) {
			p.held <- struct{}{}
			_, _ = io.Copy(io.Discard, r) // until the client is gone
			return                        // closing the server's side drops a message whose end never came
		}
		if _, err := io.WriteString(server, line); err != nil {
			return
		}
	}
}
