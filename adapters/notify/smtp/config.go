package smtp

import (
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/matchpoint/matchpoint/domain"
)

// DefaultTimeout bounds each network step of a Send when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Config configures a Notifier. URL and From are required; the zero value of every
// other field has the meaning its comment gives.
type Config struct {
	// URL names the SMTP server, its TLS and its credentials:
	//
	//	smtp://[user[:password]@]host[:port][?starttls=required|opportunistic|off][&auth=plain|login]
	//	smtps://[user[:password]@]host[:port][?auth=plain|login]
	//
	// smtp:// talks plain SMTP and upgrades with STARTTLS; its port defaults to 587 (mail
	// submission). starttls says how: required (the default) refuses a server that
	// does not offer STARTTLS, opportunistic upgrades when the server offers it and
	// sends in the clear otherwise, off never upgrades (a local relay or mailpit).
	// smtps:// is TLS from the first byte (implicit TLS); its port defaults to 465.
	// With a user, the notifier authenticates with auth's mechanism, PLAIN by default;
	// go-mail sends PLAIN and LOGIN credentials only over TLS or to localhost. Reserved
	// characters in the user or password are percent-encoded. Required.
	URL string
	// From is the sender, as an address ("bookings@club.example") or a name and an
	// address ("Match Point <bookings@club.example>"). Its domain also ends every
	// Message-ID. Required.
	From string
	// HELO is the name the notifier gives in EHLO. Empty means the machine's host name
	// (os.Hostname).
	HELO string
	// Timeout bounds each network step of a Send: connecting, each SMTP command, and
	// writing the message. Zero (or less) means DefaultTimeout. A Send also ends when
	// its context does.
	Timeout time.Duration
}

// settings is a Config checked and taken apart.
type settings struct {
	host        string
	port        int
	implicitTLS bool
	starttls    mail.TLSPolicy
	user, pass  string
	auth        mail.SMTPAuthType
	from        *netmail.Address
	idDomain    string // the right-hand side of Message-IDs
	helo        string
	timeout     time.Duration
}

// configError is the invalid error of a Config field.
func configError(format string, args ...any) error {
	return domain.Errorf(domain.CodeInvalid, "smtp: "+format, args...)
}

// parse checks cfg and returns its settings. Errors name the field, never the password.
func parse(cfg Config) (settings, error) {
	var s settings
	if cfg.URL == "" {
		return s, configError("Config.URL is required")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return s, configError("Config.URL does not parse as a URL") // the error would quote the password
	}
	shown := u.Redacted()
	switch u.Scheme {
	case "smtp":
		s.port, s.starttls = 587, mail.TLSMandatory
	case "smtps":
		s.port, s.implicitTLS, s.starttls = 465, true, mail.NoTLS
	default:
		return s, configError("Config.URL %q: the scheme must be smtp or smtps", shown)
	}
	s.host = u.Hostname()
	if s.host == "" {
		return s, configError("Config.URL %q has no host", shown)
	}
	if p := u.Port(); p != "" {
		port, err := strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return s, configError("Config.URL %q: port %q is not a TCP port", shown, p)
		}
		s.port = port
	}
	if u.Path != "" && u.Path != "/" {
		return s, configError("Config.URL %q: an SMTP URL has no path", shown)
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
		s.auth = mail.SMTPAuthPlain
	}
	for key, values := range u.Query() {
		if len(values) != 1 {
			return s, configError("Config.URL %q: %s is given %d times", shown, key, len(values))
		}
		v := strings.ToLower(values[0])
		switch key {
		case "starttls":
			if s.implicitTLS {
				return s, configError("Config.URL %q: starttls is for smtp://; smtps:// is TLS throughout", shown)
			}
			switch v {
			case "required":
				s.starttls = mail.TLSMandatory
			case "opportunistic":
				s.starttls = mail.TLSOpportunistic
			case "off":
				s.starttls = mail.NoTLS
			default:
				return s, configError("Config.URL %q: starttls must be required, opportunistic or off, not %q", shown, values[0])
			}
		case "auth":
			if s.user == "" {
				return s, configError("Config.URL %q: auth is given without a user", shown)
			}
			switch v {
			case "plain":
				s.auth = mail.SMTPAuthPlain
			case "login":
				s.auth = mail.SMTPAuthLogin
			default:
				return s, configError("Config.URL %q: auth must be plain or login, not %q", shown, values[0])
			}
		default:
			return s, configError("Config.URL %q: unknown parameter %q (starttls, auth)", shown, key)
		}
	}

	if cfg.From == "" {
		return s, configError("Config.From is required")
	}
	s.from, err = netmail.ParseAddress(cfg.From)
	if err != nil {
		return s, configError("Config.From %q is not an email address: %v", cfg.From, err)
	}
	s.idDomain = s.from.Address[strings.LastIndexByte(s.from.Address, '@')+1:]

	s.helo = cfg.HELO
	if strings.ContainsAny(s.helo, " \t\r\n") {
		return s, configError("Config.HELO %q is not a host name", cfg.HELO)
	}
	s.timeout = cfg.Timeout
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	return s, nil
}

// addr is the server's host:port.
func (s settings) addr() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

// String describes the server without credentials, for errors.
func (s settings) String() string {
	scheme := "smtp"
	if s.implicitTLS {
		scheme = "smtps"
	}
	return fmt.Sprintf("%s://%s", scheme, s.addr())
}
