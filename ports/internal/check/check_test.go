package check_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/matchpoint/matchpoint/ports/internal/check"
)

// recorder is a testing.TB that records failures instead of reporting them.
type recorder struct {
	testing.TB
	failed, fatal bool
	msg           string
}

func (r *recorder) Helper()           {}
func (r *recorder) Error(args ...any) { r.failed, r.msg = true, fmt.Sprint(args...) }
func (r *recorder) Fatal(args ...any) { r.failed, r.fatal, r.msg = true, true, fmt.Sprint(args...) }

func TestChecks(t *testing.T) {
	boom := errors.New("boom")
	var nilPtr *int
	for _, c := range []struct {
		name string
		ok   func(c check.Checker, r *recorder) bool
		want bool
	}{
		{"NoError nil", func(c check.Checker, r *recorder) bool { return c.NoError(r, nil) }, true},
		{"NoError error", func(c check.Checker, r *recorder) bool { return c.NoError(r, boom) }, false},
		{"Error", func(c check.Checker, r *recorder) bool { return c.Error(r, nil) }, false},
		{"ErrorIs wrapped", func(c check.Checker, r *recorder) bool { return c.ErrorIs(r, fmt.Errorf("x: %w", boom), boom) }, true},
		{"ErrorIs other", func(c check.Checker, r *recorder) bool { return c.ErrorIs(r, errors.New("boom"), boom) }, false},
		{"Equal structs", func(c check.Checker, r *recorder) bool { return c.Equal(r, []int{1, 2}, []int{1, 2}) }, true},
		{"Equal differ", func(c check.Checker, r *recorder) bool { return c.Equal(r, 1, int64(1)) }, false},
		{"Equal bytes", func(c check.Checker, r *recorder) bool { return c.Equal(r, []byte{}, []byte(nil)) }, true},
		{"NotEqual", func(c check.Checker, r *recorder) bool { return c.NotEqual(r, "a", "a") }, false},
		{"Empty nil slice", func(c check.Checker, r *recorder) bool { return c.Empty(r, []string(nil)) }, true},
		{"Empty string", func(c check.Checker, r *recorder) bool { return c.Empty(r, "x") }, false},
		{"NotEmpty zero struct", func(c check.Checker, r *recorder) bool { return c.NotEmpty(r, struct{ A int }{}) }, false},
		{"Zero", func(c check.Checker, r *recorder) bool { return c.Zero(r, time.Duration(0)) }, true},
		{"Zero not", func(c check.Checker, r *recorder) bool { return c.Zero(r, 3) }, false},
		{"NotNil nil pointer", func(c check.Checker, r *recorder) bool { return c.NotNil(r, nilPtr) }, false},
		{"Len", func(c check.Checker, r *recorder) bool { return c.Len(r, map[int]int{1: 1}, 1) }, true},
		{"Len wrong", func(c check.Checker, r *recorder) bool { return c.Len(r, []int{1}, 2) }, false},
		{"ElementsMatch any order", func(c check.Checker, r *recorder) bool { return c.ElementsMatch(r, []int{1, 2, 2}, []int{2, 1, 2}) }, true},
		{"ElementsMatch counts", func(c check.Checker, r *recorder) bool { return c.ElementsMatch(r, []int{1, 2, 2}, []int{1, 1, 2}) }, false},
		{"GreaterOrEqual", func(c check.Checker, r *recorder) bool { return c.GreaterOrEqual(r, time.Second, 2*time.Second) }, false},
		{"WithinDuration", func(c check.Checker, r *recorder) bool {
			return c.WithinDuration(r, time.Unix(0, 0), time.Unix(10, 0), 5*time.Second)
		}, false},
		{"Eventually", func(c check.Checker, r *recorder) bool {
			n := 0
			return c.Eventually(r, func() bool { n++; return n == 3 }, time.Second, time.Millisecond)
		}, true},
		{"Eventually never", func(c check.Checker, r *recorder) bool {
			return c.Eventually(r, func() bool { return false }, 20*time.Millisecond, time.Millisecond)
		}, false},
	} {
		for _, checker := range []check.Checker{check.Assert, check.Require} {
			r := &recorder{}
			if got := c.ok(checker, r); got != c.want || r.failed == c.want {
				t.Errorf("%s: returned %v, failed %v; want %v", c.name, got, r.failed, c.want)
			}
			if r.fatal != (r.failed && checker == check.Require) {
				t.Errorf("%s: fatal %v with %+v", c.name, r.fatal, checker)
			}
		}
	}
	r := &recorder{}
	check.Assert.Equal(r, 1, 2, "the %s answer", "second")
	if want := "the second answer"; !strings.Contains(r.msg, want) {
		t.Errorf("message %q lacks %q", r.msg, want)
	}
}
