// Package httpapi is the driving HTTP adapter of Match Point: a JSON API over the use
// cases of package app, served with net/http and its pattern-matching ServeMux.
//
// Every error leaves through one place (problem.go), which maps domain error kinds to
// HTTP statuses and writes RFC 9457 application/problem+json bodies whose "code" is the
// domain's stable code. Request bodies and query strings are turned into commands by
// small pure decoders (decode.go and its neighbours) that report malformed input as
// domain invalid errors, so bad input is a 400 and never a 500. Before any endpoint
// runs, the Handler refuses text no field may hold — NUL, other control characters and
// bytes that are not UTF-8 — in the path and the query (text.go), and decodeJSON does
// the same for every string and member name of a body, with members given twice or in
// another case than the API's (strict.go): a 400 invalid_request, so that no store sees
// such text. Header fields over Config.MaxHeaderBytes are a 431 problem. The API is
// described by openapi.yaml, embedded and served at /openapi.yaml; a test keeps it in
// step with the routes the Handler registers.
//
// Requests are rate limited when Config.RateLimit has a Limiter (ratelimit.go): per
// client address on the public routes (the address taken from Forwarded or
// X-Forwarded-For only behind Config.RateLimit.TrustedProxies, clientip.go), per API key
// on the admin routes, per payment provider on webhooks, and per client address on
// failed credential checks. A request over its budget is a 429 rate_limited problem
// with Retry-After; every limited answer carries RateLimit-Limit, -Remaining, -Reset
// and -Policy. A limiter that fails lets requests through.
//
// Availability answers (answers.go) are kept encoded, with a strong ETag made from
// their bytes and their gzip and brotli forms, under the use case's version of their
// inputs (app.AvailabilityVersion), which any write changes on every instance sharing
// the cache, and only until time could change them; If-None-Match is answered 304, and
// Cache-Control lets a CDN hold an answer for seconds.
//
// Club reports (reports.go) are the one answer that is not JSON: a ready report is
// downloaded as its CSV, text/csv with Content-Disposition: attachment.
//
// The package imports domain, ports, app, the standard library, Wire, golang-lru (the
// addresses refused for their failed checks, the kept availability answers) and
// andybalholm/brotli only — never another adapter. Pages of other adapters (the sandbox payment checkout) are mounted
// through Config.Extra by the composition root. Metrics likewise: Config.Observe hears
// of every request answered — its route pattern, method, status and duration — and the
// composition root counts them with the metrics library of its choice.
package httpapi
