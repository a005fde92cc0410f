package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// JSON bodies are built as ordered objects so that a probe can repeat a key, rename one
// or put bytes that are not JSON-encodable (invalid UTF-8) inside a string.

// kv is one member of a JSON object.
type kv struct {
	K string
	V any
}

// jsonObj is a JSON object whose members keep their order; keys may repeat.
type jsonObj []kv

// rawJSON is written into a body as is.
type rawJSON string

func (o jsonObj) get(key string) (any, bool) {
	for _, m := range o {
		if m.K == key {
			return m.V, true
		}
	}
	return nil, false
}

// clone copies o deeply (nested objects and arrays).
func (o jsonObj) clone() jsonObj {
	out := make(jsonObj, len(o))
	for i, m := range o {
		out[i] = kv{m.K, cloneValue(m.V)}
	}
	return out
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case jsonObj:
		return x.clone()
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = cloneValue(x[i])
		}
		return out
	}
	return v
}

// set replaces (or adds) the member at path; a missing parent object is created.
func (o jsonObj) set(path []string, v any) jsonObj {
	for i, m := range o {
		if m.K != path[0] {
			continue
		}
		if len(path) == 1 {
			o[i].V = v
			return o
		}
		child, _ := m.V.(jsonObj)
		o[i].V = child.set(path[1:], v)
		return o
	}
	if len(path) == 1 {
		return append(o, kv{path[0], v})
	}
	return append(o, kv{path[0], jsonObj(nil).set(path[1:], v)})
}

// remove drops the member at path.
func (o jsonObj) remove(path []string) jsonObj {
	for i, m := range o {
		if m.K != path[0] {
			continue
		}
		if len(path) == 1 {
			return slices.Delete(o, i, i+1)
		}
		if child, ok := m.V.(jsonObj); ok {
			o[i].V = child.remove(path[1:])
		}
		return o
	}
	return o
}

// encodeJSON writes v as JSON: jsonObj members in order, rawJSON verbatim, anything
// else as encoding/json writes it.
func encodeJSON(v any) []byte {
	var b bytes.Buffer
	writeJSON(&b, v)
	return b.Bytes()
}

func writeJSON(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case jsonObj:
		b.WriteByte('{')
		for i, m := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(m.K)
			b.Write(k)
			b.WriteByte(':')
			writeJSON(b, m.V)
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, e)
		}
		b.WriteByte(']')
	case rawJSON:
		b.WriteString(string(x))
	default:
		enc, err := json.Marshal(x)
		if err != nil {
			panic(fmt.Sprintf("probe: value %T does not encode: %v", v, err))
		}
		b.Write(enc)
	}
}

// expectation is what a probe demands of a hostile request besides never a 5xx, a
// panic or a change when refused.
type expectation int

const (
	// mustRefuse: the value is invalid; the request must be refused with a 4xx problem.
	mustRefuse expectation = iota
	// mayAccept: the value is valid, or valid enough to be taken (a reason says which);
	// a 2xx is fine, and what it stored must not break the reads that follow.
	mayAccept
)

// hostile is one hostile value of a field, parameter or header.
type hostile struct {
	label string
	value any // a JSON value for a body field; a string (already escaped) for a path or query parameter
	exp   expectation
}

// Limits of the probe's large values: a 10 KB string anywhere, and a 10 MB string in
// a few bodies (the server reads at most 64 KiB of a body).
const (
	tenKB = 10 << 10
	tenMB = 10 << 20
)

// Numbers that break arithmetic: the int64 bounds, a float beyond every integer, and
// 2^62+2^60-ish, which overflows int64 when doubled or tripled.
const (
	maxInt64   = "9223372036854775807"
	minInt64   = "-9223372036854775808"
	hugeFloat  = "1e308"
	nearHalfMx = "4611686018427389154"
)

// stringBasics are the hostile values every string field gets: NUL, invalid UTF-8, a
// lone surrogate, values of every other JSON type, and 10 KB.
func stringBasics() []hostile {
	return []hostile{
		{"nul", "a\x00b", mustRefuse},
		{"invalid-utf8", rawJSON("\"a\xffb\xc3\x28\""), mustRefuse},
		{"number", rawJSON("123"), mustRefuse},
		{"bool", true, mustRefuse},
		{"array", []any{"a"}, mustRefuse},
		{"object", jsonObj{{"a", "b"}}, mustRefuse},
	}
}

// intValues are the hostile values of an integer field.
func intValues() []hostile {
	return []hostile{
		{"max-int64", rawJSON(maxInt64), mustRefuse},
		{"min-int64", rawJSON(minInt64), mustRefuse},
		{"1e308", rawJSON(hugeFloat), mustRefuse},
		{"2^62-ish", rawJSON(nearHalfMx), mustRefuse},
		{"beyond-int64", rawJSON("99999999999999999999999"), mustRefuse},
		{"negative", rawJSON("-1"), mustRefuse},
		{"zero", rawJSON("0"), mustRefuse},
		{"fraction", rawJSON("1.5"), mustRefuse},
		{"exponent", rawJSON("1e2"), mustRefuse},
		{"string", "90", mustRefuse},
		{"bool", true, mustRefuse},
		{"array", []any{rawJSON("1")}, mustRefuse},
	}
}

// queryBasics are the hostile values of every path or query parameter, escaped.
func queryBasics() []hostile {
	return []hostile{
		{"nul", "%00", mustRefuse},
		{"invalid-utf8", "%ff", mustRefuse},
		{"10kb", strings.Repeat("x", tenKB), mustRefuse},
	}
}

// intQuery are the hostile values of an integer query parameter.
func intQuery() []hostile {
	return []hostile{
		{"max-int64", maxInt64, mustRefuse},
		{"min-int64", minInt64, mustRefuse},
		{"1e308", hugeFloat, mustRefuse},
		{"2^62-ish", nearHalfMx, mustRefuse},
		{"beyond-int64", "99999999999999999999999", mustRefuse},
		{"negative", "-1", mustRefuse},
		{"zero", "0", mustRefuse},
		{"fraction", "1.5", mustRefuse},
		{"word", "ninety", mustRefuse},
	}
}

// tenMBString is a JSON string of 10 MB, encoded once.
var tenMBString = rawJSON(`"` + strings.Repeat("x", tenMB) + `"`)
