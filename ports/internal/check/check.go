// Package check holds the few assertions the contract suites of ports make, on the
// standard library alone: ports imports domain and nothing else outside it, so its
// suites do too. Assert reports a failure and lets the case go on; Require stops it.
// Messages follow the last arguments as fmt.Sprint of one value, or fmt.Sprintf of a
// format and its arguments.
package check

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// Checker makes assertions; its failures are fatal or not.
type Checker struct{ fatal bool }

var (
	// Assert reports a failure and goes on.
	Assert = Checker{}
	// Require reports a failure and stops the test.
	Require = Checker{fatal: true}
)

func (c Checker) fail(t testing.TB, what string, msgAndArgs []any) bool {
	t.Helper()
	if msg := message(msgAndArgs); msg != "" {
		what += "\n\t" + msg
	}
	if c.fatal {
		t.Fatal(what)
	}
	t.Error(what)
	return false
}

func message(msgAndArgs []any) string {
	switch {
	case len(msgAndArgs) == 0:
		return ""
	case len(msgAndArgs) == 1:
		return fmt.Sprint(msgAndArgs[0])
	}
	if format, ok := msgAndArgs[0].(string); ok {
		return fmt.Sprintf(format, msgAndArgs[1:]...)
	}
	return fmt.Sprint(msgAndArgs...)
}

// equal reports whether two values are equal: byte slices by content, anything else
// by reflect.DeepEqual.
func equal(expected, actual any) bool {
	if e, ok := expected.([]byte); ok {
		a, ok := actual.([]byte)
		return ok && bytes.Equal(e, a)
	}
	return reflect.DeepEqual(expected, actual)
}

// NoError checks that err is nil.
func (c Checker) NoError(t testing.TB, err error, msgAndArgs ...any) bool {
	t.Helper()
	if err != nil {
		return c.fail(t, fmt.Sprintf("unexpected error: %v", err), msgAndArgs)
	}
	return true
}

// Error checks that err is not nil.
func (c Checker) Error(t testing.TB, err error, msgAndArgs ...any) bool {
	t.Helper()
	if err == nil {
		return c.fail(t, "an error was expected", msgAndArgs)
	}
	return true
}

// ErrorIs checks that errors.Is(err, target).
func (c Checker) ErrorIs(t testing.TB, err, target error, msgAndArgs ...any) bool {
	t.Helper()
	if !errors.Is(err, target) {
		return c.fail(t, fmt.Sprintf("error %v is not %v", err, target), msgAndArgs)
	}
	return true
}

// True checks that v holds.
func (c Checker) True(t testing.TB, v bool, msgAndArgs ...any) bool {
	t.Helper()
	if !v {
		return c.fail(t, "should be true", msgAndArgs)
	}
	return true
}

// False checks that v does not hold.
func (c Checker) False(t testing.TB, v bool, msgAndArgs ...any) bool {
	t.Helper()
	if v {
		return c.fail(t, "should be false", msgAndArgs)
	}
	return true
}

// Equal checks that actual equals expected.
func (c Checker) Equal(t testing.TB, expected, actual any, msgAndArgs ...any) bool {
	t.Helper()
	if !equal(expected, actual) {
		return c.fail(t, fmt.Sprintf("not equal:\n\texpected: %#v\n\tactual:   %#v", expected, actual), msgAndArgs)
	}
	return true
}

// NotEqual checks that actual differs from expected.
func (c Checker) NotEqual(t testing.TB, expected, actual any, msgAndArgs ...any) bool {
	t.Helper()
	if equal(expected, actual) {
		return c.fail(t, fmt.Sprintf("should not be %#v", actual), msgAndArgs)
	}
	return true
}

// isEmpty reports whether v is nil, a zero value, or a collection of no elements.
func isEmpty(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Array, reflect.Chan, reflect.Map, reflect.Slice, reflect.String:
		return rv.Len() == 0
	case reflect.Pointer:
		return rv.IsNil() || isEmpty(rv.Elem().Interface())
	}
	return rv.IsZero()
}

// Empty checks that v is nil, zero, or of no elements.
func (c Checker) Empty(t testing.TB, v any, msgAndArgs ...any) bool {
	t.Helper()
	if !isEmpty(v) {
		return c.fail(t, fmt.Sprintf("should be empty: %#v", v), msgAndArgs)
	}
	return true
}

// NotEmpty checks that v is not empty.
func (c Checker) NotEmpty(t testing.TB, v any, msgAndArgs ...any) bool {
	t.Helper()
	if isEmpty(v) {
		return c.fail(t, fmt.Sprintf("should not be empty: %#v", v), msgAndArgs)
	}
	return true
}

// Zero checks that v is its type's zero value.
func (c Checker) Zero(t testing.TB, v any, msgAndArgs ...any) bool {
	t.Helper()
	if v != nil && !reflect.ValueOf(v).IsZero() {
		return c.fail(t, fmt.Sprintf("should be zero: %#v", v), msgAndArgs)
	}
	return true
}

// NotNil checks that v is neither nil nor a nil pointer, map, slice, channel or func.
func (c Checker) NotNil(t testing.TB, v any, msgAndArgs ...any) bool {
	t.Helper()
	if v == nil {
		return c.fail(t, "should not be nil", msgAndArgs)
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Chan, reflect.Func, reflect.Interface:
		if rv.IsNil() {
			return c.fail(t, "should not be nil", msgAndArgs)
		}
	}
	return true
}

// Len checks that v (an array, slice, map, string or channel) has n elements.
func (c Checker) Len(t testing.TB, v any, n int, msgAndArgs ...any) bool {
	t.Helper()
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Array, reflect.Chan, reflect.Map, reflect.Slice, reflect.String:
		if rv.Len() != n {
			return c.fail(t, fmt.Sprintf("should have %d elements, has %d: %#v", n, rv.Len(), v), msgAndArgs)
		}
		return true
	}
	return c.fail(t, fmt.Sprintf("%#v has no length", v), msgAndArgs)
}

// ElementsMatch checks that two slices hold the same elements, in any order.
func (c Checker) ElementsMatch(t testing.TB, expected, actual any, msgAndArgs ...any) bool {
	t.Helper()
	e, a := reflect.ValueOf(expected), reflect.ValueOf(actual)
	if e.Kind() != reflect.Slice || a.Kind() != reflect.Slice {
		return c.fail(t, "ElementsMatch compares slices", msgAndArgs)
	}
	used := make([]bool, a.Len())
	matched := e.Len() == a.Len()
	for i := 0; matched && i < e.Len(); i++ {
		found := false
		for j := 0; j < a.Len() && !found; j++ {
			if !used[j] && equal(e.Index(i).Interface(), a.Index(j).Interface()) {
				used[j], found = true, true
			}
		}
		matched = found
	}
	if !matched {
		return c.fail(t, fmt.Sprintf("elements differ:\n\texpected: %#v\n\tactual:   %#v", expected, actual), msgAndArgs)
	}
	return true
}

// GreaterOrEqual checks that a duration is at least another.
func (c Checker) GreaterOrEqual(t testing.TB, v, least time.Duration, msgAndArgs ...any) bool {
	t.Helper()
	if v < least {
		return c.fail(t, fmt.Sprintf("%s is less than %s", v, least), msgAndArgs)
	}
	return true
}

// WithinDuration checks that two instants are at most delta apart.
func (c Checker) WithinDuration(t testing.TB, expected, actual time.Time, delta time.Duration, msgAndArgs ...any) bool {
	t.Helper()
	if d := actual.Sub(expected); d < -delta || d > delta {
		return c.fail(t, fmt.Sprintf("%s and %s are %s apart, more than %s", expected, actual, d, delta), msgAndArgs)
	}
	return true
}

// Eventually checks that cond holds within waitFor, asking every tick.
func (c Checker) Eventually(t testing.TB, cond func() bool, waitFor, tick time.Duration, msgAndArgs ...any) bool {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return c.fail(t, fmt.Sprintf("the condition did not hold within %s", waitFor), msgAndArgs)
		}
		time.Sleep(tick)
	}
}
