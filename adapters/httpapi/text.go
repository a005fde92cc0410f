package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/matchpoint/matchpoint/domain"
)

// Every piece of text a request carries — path segments, query keys and values, JSON
// strings and member names — ends up in a field a person reads or in a database
// column. Postgres refuses NUL outright, and no field of the API is meant to hold
// other control characters (an escape sequence in a customer's name reaches every
// terminal that shows the logs) or bytes that are not UTF-8. The Handler refuses such
// text at the edge, once, with a 400 invalid_request, so that no store ever sees it
// and no use case has to think about it.

// DefaultMaxHeaderBytes bounds a request's header fields when Config.MaxHeaderBytes is
// zero.
const DefaultMaxHeaderBytes = 64 << 10

// badText describes what is wrong with s as text, or returns "" when s is fine: valid
// UTF-8 without control characters. With lineBreaks, tab, line feed and carriage
// return are allowed, as in a closure's reason written on several lines.
func badText(s string, lineBreaks bool) string {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if isControl(c, lineBreaks) {
				return describeControl(rune(c))
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return "bytes that are not UTF-8"
		}
		i += size
	}
	return ""
}

// isControl reports whether the ASCII byte c is a control character a field may not
// hold.
func isControl(c byte, lineBreaks bool) bool {
	if lineBreaks && (c == '\t' || c == '\n' || c == '\r') {
		return false
	}
	return c < 0x20 || c == 0x7f
}

// describeControl names a control character for an error message.
func describeControl(r rune) string {
	if r == 0 {
		return "a NUL character (U+0000)"
	}
	return fmt.Sprintf("a control character (U+%04X)", r)
}

// invalidRequestf returns the error of a request malformed below its fields' rules.
func invalidRequestf(format string, args ...any) error {
	return domain.Errorf(domain.CodeInvalidRequest, format, args...)
}

// checkURLText refuses a request whose path or query holds text no field may hold.
// Query keys count too, even those no endpoint reads: one rule for the whole URL is
// easier to rely on than one per parameter.
func checkURLText(u *url.URL) error {
	// Path is already unescaped: "%00" is a NUL here.
	if bad := badText(u.Path, false); bad != "" {
		return invalidRequestf("the path holds %s; paths and query parameters may hold no control characters and only UTF-8", bad)
	}
	raw := u.RawQuery
	if raw == "" {
		return nil
	}
	if !strings.Contains(raw, "%") {
		// Without escapes the query's bytes are its text ('+' stands for a space).
		if bad := badText(raw, false); bad != "" {
			return invalidRequestf("the query holds %s; paths and query parameters may hold no control characters and only UTF-8", bad)
		}
		return nil
	}
	// Pairs whose escapes are broken are left out, as r.URL.Query leaves them out for
	// the endpoints.
	q, _ := url.ParseQuery(raw)
	for k, vs := range q {
		if bad := badText(k, false); bad != "" {
			return invalidRequestf("the name of a query parameter holds %s; paths and query parameters may hold no control characters and only UTF-8", bad)
		}
		for _, v := range vs {
			if bad := badText(v, false); bad != "" {
				return invalidRequestf("query parameter %s holds %s; paths and query parameters may hold no control characters and only UTF-8", k, bad)
			}
		}
	}
	return nil
}

// headerBytes measures a request's header fields as they came on the wire: each
// field's name and value with ": " and CRLF, and the Host, which net/http takes out of
// the header map.
func headerBytes(r *http.Request) int {
	n := 0
	if r.Host != "" {
		n += len("Host: \r\n") + len(r.Host)
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}
