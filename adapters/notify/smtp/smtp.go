package smtp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"

	mail "github.com/wneessen/go-mail"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// Notifier sends messages by SMTP. It is safe for concurrent use: each Send has its
// own connection.
type Notifier struct {
	s   settings
	tls *tls.Config
}

var _ ports.Notifier = (*Notifier)(nil)

// New checks cfg and returns a Notifier. A missing or malformed URL or From is an
// invalid error naming the field; New does not connect to the server.
func New(cfg Config) (*Notifier, error) {
	s, err := parse(cfg)
	if err != nil {
		return nil, err
	}
	n := &Notifier{s: s, tls: &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}}
	if _, err := n.client(nil); err != nil { // go-mail's own checks of the settings
		return nil, configError("%v", err)
	}
	return n, nil
}

// Send delivers m to m.To, as described in the package documentation. m.To must be
// one email address and m.Text is required; a message without them is an invalid
// error, and so is a permanent (5xx) rejection by the server. Any other failure is
// unavailable, including ctx ending, which stops the conversation with the server
// at once.
func (n *Notifier) Send(ctx context.Context, m ports.Message) error {
	if err := ctx.Err(); err != nil {
		return domain.Errorf(domain.CodeUnavailable, "smtp: %s message for booking %q not sent: %w", m.Kind, m.BookingID, err)
	}
	msg, err := n.message(m)
	if err != nil {
		return err
	}

	// The connection is closed as soon as ctx ends, which ends whatever SMTP command
	// is waiting on it; go-mail itself watches ctx only while it connects.
	var stop func() bool
	dial := func(dialCtx context.Context, network, addr string) (net.Conn, error) {
		var d interface {
			DialContext(context.Context, string, string) (net.Conn, error)
		} = &net.Dialer{}
		if n.s.implicitTLS {
			d = &tls.Dialer{Config: n.tls}
		}
		conn, err := d.DialContext(dialCtx, network, addr)
		if err != nil {
			return nil, err
		}
		stop = context.AfterFunc(ctx, func() { _ = conn.Close() })
		return conn, nil
	}
	client, err := n.client(dial)
	if err != nil {
		return domain.Errorf(domain.CodeInternal, "smtp: %v", err) // New accepted the same settings
	}
	err = client.DialAndSendWithContext(ctx, msg)
	if stop != nil {
		stop()
	}
	if msg.IsDelivered() {
		return nil // the server took it; a failure to say goodbye does not undo that
	}
	return n.sendError(ctx, m, err)
}

// client returns a go-mail client for one Send that connects through dial (nil: only
// to check the settings).
func (n *Notifier) client(dial mail.DialContextFunc) (*mail.Client, error) {
	opts := []mail.Option{
		mail.WithPort(n.s.port), mail.WithTimeout(n.s.timeout),
		mail.WithTLSPolicy(n.s.starttls), mail.WithTLSConfig(n.tls),
	}
	if dial != nil {
		opts = append(opts, mail.WithDialContextFunc(dial))
	}
	if n.s.implicitTLS {
		opts = append(opts, mail.WithSSL()) // the dialer speaks TLS; go-mail must not try STARTTLS
	}
	if n.s.helo != "" {
		opts = append(opts, mail.WithHELO(n.s.helo))
	}
	if n.s.user != "" {
		opts = append(opts, mail.WithSMTPAuth(n.s.auth), mail.WithUsername(n.s.user), mail.WithPassword(n.s.pass))
	}
	return mail.NewClient(n.s.host, opts...)
}

// message builds the email of m, or answers why m cannot be one.
func (n *Notifier) message(m ports.Message) (*mail.Msg, error) {
	invalid := func(format string, args ...any) error {
		return domain.Errorf(domain.CodeInvalid, "smtp: %s message for booking %q: "+format, append([]any{m.Kind, m.BookingID}, args...)...)
	}
	if m.To == "" {
		return nil, invalid("no recipient")
	}
	if m.Text == "" {
		return nil, invalid("no text")
	}
	msg := mail.NewMsg()
	msg.FromMailAddress(n.s.from)
	if err := msg.To(m.To); err != nil {
		return nil, invalid("recipient %q: %v", m.To, err)
	}
	msg.Subject(oneLine(m.Subject))
	msg.SetDate()
	if m.BookingID != "" {
		msg.SetMessageIDWithValue(n.messageID(m))
	} else {
		msg.SetMessageID()
	}
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	for _, a := range m.Attachments {
		var opts []mail.FileOption
		if a.ContentType != "" {
			opts = append(opts, mail.WithFileContentType(mail.ContentType(oneLine(a.ContentType))))
		}
		if err := msg.AttachReader(a.Name, bytes.NewReader(a.Data), opts...); err != nil {
			return nil, invalid("attachment %q: %v", a.Name, err)
		}
	}
	return msg, nil
}

// messageID is the Message-ID of m without its angle brackets, made of the parts of
// its key (ports.Message.Key) in their order, each as an atom: "confirmation.<booking
// id>@<From's domain>", or with a Seq "refund.<booking id>.<seq>@…"; the same every
// time m is sent and different for any two messages.
func (n *Notifier) messageID(m ports.Message) string {
	id := idAtom(string(m.Kind)) + "." + idAtom(m.BookingID)
	if m.Seq != "" {
		id += "." + idAtom(m.Seq)
	}
	return id + "@" + n.s.idDomain
}

// idAtom keeps the letters, digits and "-_" of s, and writes every other byte as
// "=XX", so that the result is a dot-atom part of a Message-ID and distinct values
// stay distinct.
func idAtom(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			sb.WriteByte(c)
		default:
			const hex = "0123456789ABCDEF"
			sb.WriteByte('=')
			sb.WriteByte(hex[c>>4])
			sb.WriteByte(hex[c&0xF])
		}
	}
	return sb.String()
}

// oneLine replaces line breaks in a header value with spaces.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(s)
}

// sendError classifies a failed Send: a permanent rejection of the message is invalid,
// anything else unavailable.
func (n *Notifier) sendError(ctx context.Context, m ports.Message, err error) error {
	if err == nil {
		err = errors.New("the server did not confirm delivery")
	}
	if ctx.Err() != nil {
		return domain.Errorf(domain.CodeUnavailable, "smtp: %s message for booking %q not sent to %s: %w", m.Kind, m.BookingID, n.s, ctx.Err())
	}
	var se *mail.SendError
	if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 {
		return domain.Errorf(domain.CodeInvalid, "smtp: %s refused the %s message for booking %q (%d): %w", n.s, m.Kind, m.BookingID, se.ErrorCode(), err)
	}
	return domain.Errorf(domain.CodeUnavailable, "smtp: %s message for booking %q not sent to %s: %w", m.Kind, m.BookingID, n.s, err)
}
