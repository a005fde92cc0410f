// Package sentry is a ports.ErrorReporter that sends the failures no caller will see
// (a payment that matches no booking, a refund refused, a job given up) to Sentry, with
// github.com/getsentry/sentry-go.
//
// New builds a Reporter from a Config: the project's DSN (required), the environment,
// the release, a sample rate, the timeout of each request to Sentry and the size of
// the queue of reports waiting to be sent. Each Reporter has its own sentry-go Client
// and Hub: it never touches sentry-go's global hub, so two reporters, or tests, never
// share state. Config.Also passes every report to another reporter as well, typically
// adapters/system's, so that failures stay in the process's log.
//
// # Events
//
// Report sends an error event: the error's type and message and those of each error it
// wraps, the stack of the call, the release and the environment. The attributes become
// tags (searchable in Sentry) when they fit Sentry's limits, otherwise entries of the
// event's "attrs" context. ReportPanic sends a value recovered from a panic as a fatal,
// unhandled event with the panicking goroutine's stack; an HTTP layer passes the
// request as the attributes "method", "route" and "path", which also make the event's
// request (method and path, never a query string) and its transaction (the route).
//
// Report returns once the event is queued: one goroutine per Reporter sends the queue,
// each request bounded by Config.Timeout, and a report that finds the queue full is
// dropped, so a slow or hanging Sentry never holds a use case. Flush waits for the
// queue to be sent, for shutdown; Close stops the goroutine.
//
// # What is scrubbed
//
// Nothing is sent before the client's BeforeSend hook has scrubbed it. The hook scrubs
// the event's message, the value of every exception in the chain, the transaction,
// the fingerprint, every tag, every string of every context (the attributes that are
// not tags are in one) and of the breadcrumbs (none are collected), and the request.
// In that text it replaces:
//
//   - the password of a URL: scheme://user:[redacted]@host;
//   - the query string and fragment of a URL, https://host/path?[redacted], and of a
//     bare path at the start of the text or after a space, quote, '=' or
//     parenthesis: /v1/bookings/b1?[redacted];
//   - the credentials after "Bearer" or "Basic": Bearer [redacted];
//   - the value after a name that says it is a secret, in the forms name=value,
//     name: value and "name": "value": a name ending in password, passwd, secret,
//     token, api_key (apikey, api-key), authorization, cookie, signature or
//     credential(s), such as access_token, webhook_secret or client_secret;
//   - Match Point admin API keys and Stripe's secret keys, restricted keys and webhook
//     secrets, all but their prefix: mpk_[redacted], sk_[redacted], rk_[redacted],
//     whsec_[redacted];
//   - Mercado Pago access tokens, all but their prefix: APP_USR-[redacted],
//     TEST-[redacted];
//   - e-mail addresses: [email];
//   - a run of 32 or more base64url characters (letters, digits, '_' and '-') holding
//     both letters and digits, such as a customer's access token (43 characters) or a
//     hash: [token]. UUIDs in such a run are kept (booking ids), and so is a run that
//     starts as a Stripe object id that is no secret (cs_, pi_, ch_, re_, evt_, cus_ and
//     the like);
//   - a run of 13 to 19 digits, which may be grouped by single spaces or dashes, as a
//     card number is: [card].
//
// Beyond the text, whatever its content:
//
//   - the value of a tag, context entry or header whose name contains password,
//     passwd, secret, token, api_key (apikey, api-key), auth (so Authorization and
//     Proxy-Authorization), cookie (so Cookie and Set-Cookie), signature, credential,
//     session or dsn becomes [redacted], and one whose name contains email or e-mail
//     becomes [email];
//   - the request's URL loses its query string, fragment and password; its query
//     string, cookies and environment (the client's address) are dropped, and a body
//     becomes [redacted];
//   - the user keeps only an id: e-mail, name, username, IP address and data are
//     dropped.
//
// Stack frames (function names, files and line numbers) are code and are kept; the
// frames' source lines are not collected. The envelope's header carries the DSN's
// public key, which Sentry does not hold secret.
//
// Amounts, booking, payment and event ids, providers and the reports' "problem" pass
// unchanged, as they are what a report is for. The scrubbing recognises secrets by
// their form or by the name they are given; a secret with neither (a bare password in
// an error's message) passes, so errors must still not carry secrets.
//
// The package imports ports, sentry-go and the standard library; it must not import
// another adapter.
package sentry
