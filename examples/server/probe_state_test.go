package main

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// clubState is what the store holds for one club, read through the admin use cases,
// which read the store itself (no cache).
type clubState struct {
	Courts   []domain.Court
	Seasons  []domain.Season
	Closures []domain.Closure
	Rules    []domain.PriceRule
	Bookings []domain.BookingRecord
	KeyValid bool // the club's admin API key still authenticates
}

// storeState is every probed club's state.
type storeState map[string]clubState

// readState reads the state of each club with its admin key. The reads go one after
// the other: side by side they would open a connection each, past the pool's idle ones.
func readState(ctx context.Context, a *app.App, clubs map[string]probeClub) (storeState, error) {
	st := storeState{}
	for slug, c := range clubs {
		var s clubState
		var err error
		if s.Courts, err = a.Admin.ListCourts(ctx, c.Club); err != nil {
			return nil, err
		}
		if s.Seasons, err = a.Admin.ListSeasons(ctx, c.Club); err != nil {
			return nil, err
		}
		if s.Closures, err = a.Admin.ListClosures(ctx, c.Club, time.Time{}, time.Time{}); err != nil {
			return nil, err
		}
		if s.Rules, err = a.Admin.ListPriceRules(ctx, c.Club); err != nil {
			return nil, err
		}
		bs, err := a.Admin.ListBookings(ctx, c.Club, ports.BookingFilter{Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			s.Bookings = append(s.Bookings, b.Record())
		}
		_, kerr := a.Admin.Authenticate(ctx, slug, c.Key)
		s.KeyValid = kerr == nil
		st[slug] = s
	}
	return st, nil
}

// diff describes how after differs from st, briefly; "" when they are equal.
func (st storeState) diff(after storeState) string {
	if reflect.DeepEqual(st, after) {
		return ""
	}
	var out []string
	for slug, b := range st {
		a := after[slug]
		part := func(name string, x, y any) {
			if !reflect.DeepEqual(x, y) {
				out = append(out, fmt.Sprintf("%s %s: %s", slug, name, describeChange(x, y)))
			}
		}
		part("courts", b.Courts, a.Courts)
		part("seasons", b.Seasons, a.Seasons)
		part("closures", b.Closures, a.Closures)
		part("price rules", b.Rules, a.Rules)
		part("bookings", b.Bookings, a.Bookings)
		part("api key", b.KeyValid, a.KeyValid)
	}
	return strings.Join(out, "; ")
}

// describeChange names the elements of two slices that differ (by position).
func describeChange(x, y any) string {
	xv, yv := reflect.ValueOf(x), reflect.ValueOf(y)
	if xv.Kind() != reflect.Slice {
		return fmt.Sprintf("%v → %v", x, y)
	}
	if xv.Len() != yv.Len() {
		return fmt.Sprintf("%d → %d", xv.Len(), yv.Len())
	}
	for i := range xv.Len() {
		if !reflect.DeepEqual(xv.Index(i).Interface(), yv.Index(i).Interface()) {
			return fmt.Sprintf("#%d %+v → %+v", i, short(xv.Index(i).Interface()), short(yv.Index(i).Interface()))
		}
	}
	return "changed"
}

func short(v any) string {
	s := fmt.Sprintf("%+v", v)
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// shiftInstant moves an RFC 3339 instant by minutes, keeping its offset.
func shiftInstant(s string, minutes int) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.Add(time.Duration(minutes) * time.Minute).Format(time.RFC3339)
}
