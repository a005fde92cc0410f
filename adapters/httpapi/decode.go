package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/matchpoint/matchpoint/domain"
)

// The decoders in this file and beside the endpoints are pure functions from bytes,
// url.Values or header values to commands. Every error they return is a domain invalid
// error that names the bad field; they never panic, whatever they are given.

// decodeJSON decodes body, which must hold exactly one JSON object, into v (a pointer
// to a struct). Unknown fields, wrong types and trailing data are errors; so are, as
// invalid_request, text holding control characters or bytes that are not UTF-8, a
// member given twice and a member name in another case than the field's.
func decodeJSON(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return invalidf("the request body is empty; want a JSON object")
	}
	if err := checkJSONBytes(trimmed); err != nil {
		return err
	}
	if trimmed[0] != '{' {
		return invalidf("the request body must be a JSON object")
	}
	if err := checkJSONMembers(trimmed, reflect.TypeOf(v)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalidf("the request body has data after its JSON object")
	}
	return nil
}

// jsonError explains a decoding error in terms of the request.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return invalidf("the request body is not valid JSON: %s (at byte %d)", strings.TrimPrefix(syntax.Error(), "json: "), syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return invalidf("the request body must be a JSON object")
		}
		return invalidf("field %q must be %s, not %s", typ.Field, describeType(typ.Type), jsonKind(typ.Value))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalidf("the request body ends before its JSON is complete")
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return invalidf("unknown field %s", field)
	}
	return invalidf("the request body is not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// describeType names what a Go type expects, as a client sees it.
func describeType(t reflect.Type) string {
	if t == nil {
		return "a value of another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer in range"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Pointer:
		return describeType(t.Elem())
	}
	return "a value of another type"
}

// jsonKind names the JSON value a type error met ("number 1.5" is "the number 1.5").
func jsonKind(value string) string {
	kind, rest, _ := strings.Cut(value, " ")
	switch kind {
	case "number":
		if rest == "" {
			return "a number"
		}
		if len(rest) > 32 {
			rest = rest[:32] + "…"
		}
		return "the number " + rest
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "array":
		return "an array"
	case "object":
		return "an object"
	}
	return "another kind of value"
}

// instantExample shows the form of an instant in error messages.
const instantExample = "2026-03-14T19:30:00-03:00"

// parseInstant parses an RFC 3339 time with its offset, naming field in an error.
func parseInstant(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, invalidf("%s is required: an RFC 3339 time such as %s", field, instantExample)
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, invalidf("%s %q is not an RFC 3339 time with an offset, such as %s", field, s, instantExample)
	}
	return t.UTC(), nil
}

// maxMinutes is the longest duration, in minutes, a request may name: a day.
const maxMinutes = 24 * 60

// minutes checks a duration in whole minutes, naming field in an error.
func minutes(field string, n int) (time.Duration, error) {
	if n <= 0 || n > maxMinutes {
		return 0, invalidf("%s must be a whole number of minutes from 1 to %d", field, maxMinutes)
	}
	return time.Duration(n) * time.Minute, nil
}

// single returns the one value of a query parameter ("" when absent); a parameter
// given twice is an error, since which one counts would be a guess.
func single(q url.Values, name string) (string, error) {
	vs := q[name]
	switch len(vs) {
	case 0:
		return "", nil
	case 1:
		return vs[0], nil
	}
	return "", invalidf("query parameter %s is given %d times; give it once", name, len(vs))
}

// parseMinutesParam parses a query parameter holding whole minutes.
func parseMinutesParam(name, s string) (time.Duration, error) {
	if s == "" {
		return 0, invalidf("query parameter %s is required: a whole number of minutes such as 90", name)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, invalidf("query parameter %s=%q is not a whole number of minutes such as 90", name, s)
	}
	return minutes("query parameter "+name, n)
}

// parseBound parses a range bound of a query: an RFC 3339 instant, or a date that
// stands for the start of that day in loc. Empty is the zero time (no bound).
func parseBound(name, s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if len(s) == len(time.DateOnly) {
		d, err := domain.ParseLocalDate(s)
		if err != nil {
			return time.Time{}, invalidf("query parameter %s=%q is not a date (YYYY-MM-DD) or an RFC 3339 time", name, s)
		}
		return d.StartOfDay(loc), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, invalidf("query parameter %s=%q is not a date (YYYY-MM-DD) or an RFC 3339 time such as %s", name, s, instantExample)
	}
	if t.IsZero() {
		// The zero time stands for "no bound" below; a client who names it means a
		// bound, one before any time Match Point accepts.
		return time.Time{}, invalidf("query parameter %s=%q lies before any time Match Point accepts", name, s)
	}
	return t.UTC(), nil
}

// parseRange parses the from and to parameters of a listing: [from, to), either open.
func parseRange(q url.Values, loc *time.Location) (from, to time.Time, err error) {
	fs, err := single(q, "from")
	if err != nil {
		return from, to, err
	}
	ts, err := single(q, "to")
	if err != nil {
		return from, to, err
	}
	if from, err = parseBound("from", fs, loc); err != nil {
		return from, to, err
	}
	if to, err = parseBound("to", ts, loc); err != nil {
		return from, to, err
	}
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		return from, to, invalidf("query parameter to must be after from")
	}
	return from, to, nil
}

// maxIdempotencyKey is the longest Idempotency-Key the API accepts.
const maxIdempotencyKey = 255

// parseIdempotencyKey checks the values of an Idempotency-Key header: at most one, of
// at most 255 printable ASCII characters. No header is no key.
func parseIdempotencyKey(values []string) (string, error) {
	switch len(values) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", invalidf("the Idempotency-Key header is given %d times; give it once", len(values))
	}
	k := strings.TrimSpace(values[0])
	if len(k) > maxIdempotencyKey {
		return "", invalidf("the Idempotency-Key header must have at most %d characters", maxIdempotencyKey)
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return "", invalidf("the Idempotency-Key header must hold printable ASCII characters only")
		}
	}
	return k, nil
}

// bearerToken returns the credentials of an "Authorization: Bearer …" header, or "".
func bearerToken(h http.Header) string {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}
