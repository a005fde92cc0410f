package sentry

import (
	"net/url"
	"regexp"
	"strings"

	sentrygo "github.com/getsentry/sentry-go"
)

// What a scrubbed secret is replaced with.
const (
	redacted  = "[redacted]"
	emailMark = "[email]"
	cardMark  = "[card]"
	tokenMark = "[token]"
	queryMark = "?" + redacted
)

// replacement is one pattern of scrub and what it becomes; with is a regexp.Expand
// template.
type replacement struct {
	re   *regexp.Regexp
	with string
}

// replacements run in this order: URL credentials and query strings first, as they
// hold the rest (an e-mail address in a query string goes with the query).
var replacements = []replacement{
	// scheme://user:password@host → scheme://user:[redacted]@host
	{regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://[^\s/?#@:]*):[^\s/?#@]*@`), "${1}:" + redacted + "@"},
	// Any URL's query string (and fragment): tokens travel in them.
	{regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://[^\s?#"'<>]*)[?#][^\s"'<>]*`), "${1}" + queryMark},
	// The query string of a bare path ("/v1/bookings/b1?token=…", a request's path):
	// a path at the start of the text or after a space, quote, '=' or parenthesis.
	{regexp.MustCompile(`(^|[\s"'=(])(/[^\s?#"'<>]*)[?#][^\s"'<>]*`), "${1}${2}" + queryMark},
	// "Bearer xyz", "Basic xyz": credentials of an Authorization header.
	{regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+`), "${1} " + redacted},
	// key=value, key: value and "key": "value" where the key names a secret.
	{regexp.MustCompile(`(?i)\b([a-z0-9_-]*(?:password|passwd|secret|token|api[_-]?key|authorization|cookie|signature|credentials?))("?\s*[:=]\s*"?)([^\s"'&,;]+)`), "${1}${2}" + redacted},
	// Match Point admin API keys; Stripe secret and restricted keys and webhook secrets.
	{regexp.MustCompile(`\b(mpk_|sk_|rk_|whsec_)[A-Za-z0-9_-]+`), "${1}" + redacted},
	// Mercado Pago access tokens, production and test.
	{regexp.MustCompile(`\b(APP_USR-|TEST-)[A-Za-z0-9_-]+`), "${1}" + redacted},
	// E-mail addresses: the customers'.
	{regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`), emailMark},
}

// card is a run of 13 to 19 digits, which may be grouped by single spaces or dashes:
// a card number's length.
var card = regexp.MustCompile(`\b\d(?:[ -]?\d){12,18}\b`)

// tokenRun is a run of base64url characters long enough to be a secret (a customer's
// access token is 43); uuid is the one such shape that is an identifier.
var (
	tokenRun = regexp.MustCompile(`[A-Za-z0-9_-]{32,}`)
	uuid     = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	letter   = regexp.MustCompile(`[A-Za-z]`)
	digit    = regexp.MustCompile(`[0-9]`)
)

// publicIDs start the providers' object ids, which are long but no secret: Stripe's
// sessions, payment intents, charges, refunds, events, customers and products.
var publicIDs = []string{"cs_", "pi_", "pm_", "ch_", "re_", "evt_", "cus_", "in_", "py_", "prod_", "price_", "acct_", "seti_", "src_", "txn_", "po_"}

// scrub replaces every secret it recognises in s; see the package documentation for
// the list.
func scrub(s string) string {
	if s == "" {
		return s
	}
	for _, r := range replacements {
		s = r.re.ReplaceAllString(s, r.with)
	}
	s = tokenRun.ReplaceAllStringFunc(s, scrubRun)
	return card.ReplaceAllString(s, cardMark)
}

// scrubRun replaces a long base64url run with tokenMark when it holds letters and
// digits, keeping the UUIDs in it (booking ids) and providers' public ids.
func scrubRun(run string) string {
	for _, p := range publicIDs {
		if strings.HasPrefix(run, p) {
			return run
		}
	}
	var b strings.Builder
	last := 0
	for _, loc := range uuid.FindAllStringIndex(run, -1) {
		b.WriteString(scrubGap(run[last:loc[0]]))
		b.WriteString(run[loc[0]:loc[1]])
		last = loc[1]
	}
	b.WriteString(scrubGap(run[last:]))
	return b.String()
}

// scrubGap is scrubRun's rule for the text between UUIDs.
func scrubGap(s string) string {
	if len(s) >= 32 && letter.MatchString(s) && digit.MatchString(s) {
		return tokenMark
	}
	return s
}

// secretKey tells whether an attribute, tag or header name says its value is a
// secret, whatever the value looks like.
var secretKey = regexp.MustCompile(`(?i)password|passwd|secret|token|api[_-]?key|auth|cookie|signature|credential|session|dsn`)

// emailKey tells whether a name says its value is an e-mail address.
var emailKey = regexp.MustCompile(`(?i)e-?mail`)

// scrubValue scrubs the value of a named field.
func scrubValue(key, v string) string {
	switch {
	case v == "":
		return v
	case secretKey.MatchString(key):
		return redacted
	case emailKey.MatchString(key):
		return emailMark
	}
	return scrub(v)
}

// scrubAny scrubs every string in v, a JSON-like value of a context or breadcrumb.
func scrubAny(key string, v any) any {
	switch v := v.(type) {
	case string:
		return scrubValue(key, v)
	case map[string]any:
		for k, e := range v {
			v[k] = scrubAny(k, e)
		}
		return v
	case map[string]string:
		for k, e := range v {
			v[k] = scrubValue(k, e)
		}
		return v
	case []any:
		for i, e := range v {
			v[i] = scrubAny(key, e)
		}
		return v
	case []string:
		for i, e := range v {
			v[i] = scrubValue(key, e)
		}
		return v
	}
	return v
}

// scrubEvent is the client's BeforeSend: it scrubs, in place, every field of ev that
// can hold text from a report or a request. Stack frames (function names, file paths
// and lines) are code and are kept.
func scrubEvent(ev *sentrygo.Event) *sentrygo.Event {
	ev.Message = scrub(ev.Message)
	ev.Transaction = scrub(ev.Transaction)
	for i := range ev.Fingerprint {
		ev.Fingerprint[i] = scrub(ev.Fingerprint[i])
	}
	for i := range ev.Exception {
		ev.Exception[i].Value = scrub(ev.Exception[i].Value)
	}
	for k, v := range ev.Tags {
		ev.Tags[k] = scrubValue(k, v)
	}
	for name, c := range ev.Contexts {
		for k, v := range c {
			c[k] = scrubAny(k, v)
		}
		ev.Contexts[name] = c
	}
	for _, b := range ev.Breadcrumbs {
		b.Message = scrub(b.Message)
		for k, v := range b.Data {
			b.Data[k] = scrubAny(k, v)
		}
	}
	// Only the user's id may identify a customer; e-mail, name and address never.
	ev.User = sentrygo.User{ID: scrub(ev.User.ID)}
	if r := ev.Request; r != nil {
		r.URL = scrubURL(r.URL)
		r.QueryString = ""
		r.Cookies = ""
		r.Env = nil
		if r.Data != "" {
			r.Data = redacted // a body holds customers' details
		}
		for k, v := range r.Headers {
			r.Headers[k] = scrubValue(k, v)
		}
	}
	return ev
}

// scrubURL drops a URL's query string, fragment and password, then scrubs the rest.
func scrubURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.IndexAny(raw, "?#"); i >= 0 {
			raw = raw[:i]
		}
		return scrub(raw)
	}
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = "", false, "", ""
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	return scrub(u.String())
}
