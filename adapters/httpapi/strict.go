package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// encoding/json is lenient where a request should not be: it takes the last of two
// members of the same name, matches member names regardless of case (and of Unicode
// folding: "ſport" is "sport" to it), turns invalid UTF-8 and unpaired surrogates into
// U+FFFD, and lets "\u0000" through. A body that means something other than it seems
// to is refused instead: checkJSONBytes looks at the raw bytes, and checkJSONMembers
// walks the body's text beside the Go type it is to be decoded into, both before
// encoding/json decodes it, so that these problems are reported the same way whatever
// else is wrong with the body.

// checkJSONBytes refuses a body that is not UTF-8 or holds a raw control character
// (JSON allows none in a string, and only tab and line breaks between tokens), before
// encoding/json would quietly repair the one or report the other as a syntax error.
func checkJSONBytes(body []byte) error {
	for i := 0; i < len(body); {
		c := body[i]
		if c < utf8.RuneSelf {
			if isControl(c, true) && c != 0x7f { // DEL is JSON; checkJSONMembers refuses it in strings
				return invalidRequestf("the request body holds %s at byte %d; fields may hold no control characters other than tab and line breaks", describeControl(rune(c)), i)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && size == 1 {
			return invalidRequestf("the request body is not valid UTF-8 (at byte %d)", i)
		}
		i += size
	}
	return nil
}

// checkJSONMembers walks the JSON value at the start of body, to be decoded into a
// value of type t, and refuses a member given twice in one object, a member name that
// matches one of t's fields only regardless of case, and a string or name that holds a
// control character (other than tab and line breaks) or an unpaired surrogate. A name
// that matches no field at all, a value of the wrong type and broken JSON are left to
// encoding/json, whose messages say more: the walk returns nil when it cannot follow
// the body.
func checkJSONMembers(body []byte, t reflect.Type) error {
	w := jsonWalker{data: body, path: make([]pathElem, 0, 8)}
	err := w.value(shapeOf(t))
	if errors.Is(err, errUnfollowable) {
		return nil
	}
	return err
}

// errUnfollowable stops a walk at JSON it cannot follow.
var errUnfollowable = errors.New("not valid JSON")

// maxDepth is how deep the walk follows nested values; encoding/json refuses deeper
// ones (its limit is the same).
const maxDepth = 10000

// shape is what the walk needs of a Go type: a struct's members by their exact JSON
// names, or the elements of a map, slice or array. A nil *shape is a value whose
// members are not checked against a type (an interface, or a type that unmarshals
// itself); its text and duplicates still are.
type shape struct {
	fields map[string]*shape // a struct's members; nil for a map, slice or array
	elem   *shape            // a map's, slice's or array's elements
}

var (
	shapes          sync.Map // reflect.Type → *shape
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// shapeOf returns the shape of t, built once per type.
func shapeOf(t reflect.Type) *shape {
	if t == nil {
		return nil
	}
	if s, ok := shapes.Load(t); ok {
		return s.(*shape)
	}
	s := buildShape(t, map[reflect.Type]*shape{})
	shapes.Store(t, s)
	return s
}

func buildShape(t reflect.Type, building map[reflect.Type]*shape) *shape {
	for t.Kind() == reflect.Pointer {
		if t.Implements(unmarshalerType) {
			return nil
		}
		t = t.Elem()
	}
	if t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil
	}
	if s, ok := building[t]; ok {
		return s // a recursive type
	}
	switch t.Kind() {
	case reflect.Struct:
		s := &shape{fields: map[string]*shape{}}
		building[t] = s
		addFields(s, t, building)
		return s
	case reflect.Map, reflect.Slice, reflect.Array:
		s := &shape{}
		building[t] = s
		s.elem = buildShape(t.Elem(), building)
		return s
	}
	return nil
}

// addFields adds the JSON members of struct t to s: its own fields first, then those
// promoted from untagged embedded structs, since a shallower field wins in
// encoding/json.
func addFields(s *shape, t reflect.Type, building map[reflect.Type]*shape) {
	var embedded []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				embedded = append(embedded, ft)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, ok := s.fields[name]; !ok {
			s.fields[name] = buildShape(f.Type, building)
		}
	}
	for _, et := range embedded {
		addFields(s, et, building)
	}
}

// jsonWalker walks a JSON text that may be broken: it never reads past the end, always
// moves forward and gives up (errUnfollowable) where the text is not JSON.
type jsonWalker struct {
	data  []byte
	i     int
	depth int
	path  []pathElem // where the walk is, for error messages
}

// pathElem is a member name, or an array index when name is nil.
type pathElem struct {
	name  []byte
	index int
}

// maxSmallObject is how many members an object may have before duplicates are found
// with a map rather than by comparing each name with those before it.
const maxSmallObject = 12

func (w *jsonWalker) peek() byte {
	for w.i < len(w.data) {
		switch c := w.data[w.i]; c {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return c
		}
	}
	return 0
}

func (w *jsonWalker) value(sh *shape) error {
	switch w.peek() {
	case '{', '[':
		if w.depth++; w.depth > maxDepth {
			return errUnfollowable
		}
		var err error
		if w.data[w.i] == '{' {
			err = w.object(sh)
		} else {
			err = w.array(sh)
		}
		w.depth--
		return err
	case '"':
		_, bad, err := w.str(false)
		if err != nil {
			return err
		}
		if bad != "" {
			return invalidRequestf("field %q holds %s; text may hold no control characters other than tab and line breaks", w.where(), bad)
		}
		return nil
	}
	// A number, true, false or null: nothing to check.
	for w.i < len(w.data) {
		switch w.data[w.i] {
		case ',', ']', '}', ' ', '\t', '\n', '\r':
			return nil
		}
		w.i++
	}
	return nil
}

func (w *jsonWalker) object(sh *shape) error {
	w.i++ // {
	var small [maxSmallObject][]byte
	seen := small[:0]
	var many map[string]struct{}
	if w.peek() == '}' {
		w.i++
		return nil
	}
	for w.i < len(w.data) {
		if w.peek() != '"' {
			return w.broken()
		}
		name, bad, err := w.str(true)
		if err != nil {
			return err
		}
		if bad != "" {
			return invalidRequestf("a member name%s holds %s; names may hold no control characters", w.in(), bad)
		}
		w.path = append(w.path, pathElem{name: name})
		if many == nil {
			for _, s := range seen {
				if bytes.Equal(s, name) {
					return w.twice()
				}
			}
			if len(seen) < maxSmallObject {
				seen = append(seen, name)
			} else {
				many = make(map[string]struct{}, 2*maxSmallObject)
				for _, s := range seen {
					many[string(s)] = struct{}{}
				}
			}
		}
		if many != nil {
			if _, ok := many[string(name)]; ok {
				return w.twice()
			}
			many[string(name)] = struct{}{}
		}
		var child *shape
		switch {
		case sh == nil:
		case sh.fields == nil:
			child = sh.elem
		default:
			c, ok := sh.fields[string(name)]
			if !ok {
				if err := w.miscased(sh); err != nil {
					return err
				}
			}
			child = c // nil for an unknown member, which encoding/json reports
		}
		if w.peek() != ':' {
			return w.broken()
		}
		w.i++
		if err := w.value(child); err != nil {
			return err
		}
		w.path = w.path[:len(w.path)-1]
		switch w.peek() {
		case ',':
			w.i++
		case '}':
			w.i++
			return nil
		default:
			return w.broken()
		}
	}
	return w.broken()
}

func (w *jsonWalker) array(sh *shape) error {
	w.i++ // [
	var elem *shape
	if sh != nil && sh.fields == nil {
		elem = sh.elem
	}
	if w.peek() == ']' {
		w.i++
		return nil
	}
	for n := 0; w.i < len(w.data); n++ {
		w.path = append(w.path, pathElem{index: n})
		if err := w.value(elem); err != nil {
			return err
		}
		w.path = w.path[:len(w.path)-1]
		switch w.peek() {
		case ',':
			w.i++
		case ']':
			w.i++
			return nil
		default:
			return w.broken()
		}
	}
	return w.broken()
}

// str reads the string at w.i. It returns its text when asked to (a member name, to
// compare with others; the bytes of the body itself when it has no escapes), and what
// is wrong with the text, if anything.
func (w *jsonWalker) str(wantText bool) (text []byte, bad string, err error) {
	w.i++ // "
	start := w.i
	for w.i < len(w.data) {
		switch c := w.data[w.i]; {
		case c == '"':
			text = w.data[start:w.i]
			w.i++
			return text, controlIn(text), nil
		case c == '\\':
			return w.escapedStr(start, wantText)
		default:
			w.i++
		}
	}
	return nil, "", w.broken()
}

// escapedStr reads the rest of a string that has escapes, from its start.
func (w *jsonWalker) escapedStr(start int, wantText bool) (text []byte, bad string, err error) {
	if wantText {
		text = make([]byte, 0, w.i-start+16)
		text = append(text, w.data[start:w.i]...)
	}
	if bad = controlIn(w.data[start:w.i]); bad != "" {
		return nil, bad, nil
	}
	for w.i < len(w.data) {
		c := w.data[w.i]
		switch {
		case c == '"':
			w.i++
			return text, "", nil
		case c != '\\':
			// Copy a run of plain bytes; checkJSONBytes has seen they are UTF-8.
			end := w.i
			for end < len(w.data) && w.data[end] != '"' && w.data[end] != '\\' {
				end++
			}
			if bad = controlIn(w.data[w.i:end]); bad != "" {
				return nil, bad, nil
			}
			text = appendIf(wantText, text, w.data[w.i:end]...)
			w.i = end
			continue
		}
		if w.i+1 >= len(w.data) {
			return nil, "", w.broken()
		}
		e := w.data[w.i+1]
		w.i += 2
		switch e {
		case '"', '\\', '/':
			text = appendIf(wantText, text, e)
		case 'n':
			text = appendIf(wantText, text, '\n')
		case 'r':
			text = appendIf(wantText, text, '\r')
		case 't':
			text = appendIf(wantText, text, '\t')
		case 'b':
			return nil, describeControl('\b'), nil
		case 'f':
			return nil, describeControl('\f'), nil
		case 'u':
			r, ok := w.hex4()
			if !ok {
				return nil, "", w.broken()
			}
			if utf16.IsSurrogate(r) {
				lo, ok := rune(-1), false
				if w.i+1 < len(w.data) && w.data[w.i] == '\\' && w.data[w.i+1] == 'u' {
					w.i += 2
					lo, ok = w.hex4()
				}
				if !ok || utf16.DecodeRune(r, lo) == utf8.RuneError {
					return nil, "an unpaired UTF-16 surrogate (\\u" + strconv.FormatInt(int64(r), 16) + ")", nil
				}
				r = utf16.DecodeRune(r, lo)
			}
			if r < utf8.RuneSelf && isControl(byte(r), true) {
				return nil, describeControl(r), nil
			}
			if wantText {
				text = utf8.AppendRune(text, r)
			}
		default:
			return nil, "", w.broken()
		}
	}
	return nil, "", w.broken()
}

// controlIn describes the first control character other than tab and line breaks in
// b, part of a body checkJSONBytes has found to be UTF-8; "" if there is none.
func controlIn(b []byte) string {
	for _, c := range b {
		if isControl(c, true) {
			return describeControl(rune(c))
		}
	}
	return ""
}

func appendIf(ok bool, b []byte, more ...byte) []byte {
	if !ok {
		return b
	}
	return append(b, more...)
}

// hex4 reads the four hex digits of a \u escape.
func (w *jsonWalker) hex4() (rune, bool) {
	if w.i+4 > len(w.data) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(w.data[w.i:w.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	w.i += 4
	return rune(n), true
}

// where names the member the walk is at, as "customer.name" or "weekdays[0]".
func (w *jsonWalker) where() string {
	var b strings.Builder
	for _, p := range w.path {
		if p.name == nil {
			b.WriteString("[" + strconv.Itoa(p.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.Write(p.name)
	}
	return b.String()
}

// in names the object the walk is in, for a message about one of its member names.
func (w *jsonWalker) in() string {
	if len(w.path) == 0 {
		return ""
	}
	return " in " + strconv.Quote(w.where())
}

func (w *jsonWalker) twice() error {
	return invalidRequestf("field %q is given twice; give it once", w.where())
}

// miscased refuses a member name that is not one of sh's fields but that encoding/json
// would take for one, matching it regardless of case (with Unicode's simple folding,
// as strings.EqualFold does). Other unknown names are left to encoding/json.
func (w *jsonWalker) miscased(sh *shape) error {
	name := string(w.path[len(w.path)-1].name)
	for f := range sh.fields {
		if strings.EqualFold(f, name) {
			return invalidRequestf("unknown field %q: member names are case-sensitive; did you mean %q?", w.where(), f)
		}
	}
	return nil
}

// broken gives up the walk where the text is not JSON.
func (w *jsonWalker) broken() error { return errUnfollowable }
