package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// kindHeader carries a request's kind from the targeter to its result: the transport
// copies it from the request to the response, whose headers the result keeps.
const kindHeader = "X-Load-Kind"

// durations are the booking lengths the requests ask for, in minutes.
var durations = []int{60, 90, 120}

// slot is a court's free slot, as an availability answer offered it.
type slot struct {
	club, court, start string
	minutes            int
}

// clubInfo is what the tool learnt of a club before the load: its courts by sport.
type clubInfo struct {
	slug   string
	sports []string
	slots  map[string][]slot // by sport: the slots of the first day, for bookings made up when no recent answer offers one
}

// generator makes the requests of the mix and learns from their answers: the free
// slots bookings take and the ETags the revalidations send.
type generator struct {
	base  string
	clubs []clubInfo
	days  []string // YYYY-MM-DD
	mix   []string // kinds, each as many times as its weight

	mu    sync.Mutex
	rng   *rand.Rand
	etags map[string]string // by URL
	free  []slot            // recent free slots, at most maxFree
	n     uint64
}

// maxFree is how many recent free slots the generator keeps for bookings.
const maxFree = 4096

func newGenerator(base string, clubs []clubInfo, days int, mix map[string]int, seed uint64) *generator {
	g := &generator{base: base, clubs: clubs, etags: map[string]string{}, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	today := time.Now().UTC()
	for d := 1; d <= days; d++ {
		g.days = append(g.days, today.AddDate(0, 0, d).Format(time.DateOnly))
	}
	for _, k := range kinds {
		for range mix[k] {
			g.mix = append(g.mix, k)
		}
	}
	return g
}

// availabilityURL is the URL of a club's availability of a day, sport and duration.
func (g *generator) availabilityURL(club, day, sport string, minutes int) string {
	q := url.Values{"date": {day}, "sport": {sport}, "duration": {strconv.Itoa(minutes)}}
	return g.base + "/v1/clubs/" + url.PathEscape(club) + "/availability?" + q.Encode()
}

// targeter returns the vegeta targeter of the mix.
func (g *generator) targeter() vegeta.Targeter {
	return func(t *vegeta.Target) error {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.n++
		kind := g.mix[g.rng.IntN(len(g.mix))]
		club := g.clubs[g.rng.IntN(len(g.clubs))]
		t.Header = http.Header{kindHeader: {kind}}
		if kind == kindBooking {
			s, ok := g.takeSlot(club)
			if !ok {
				kind = kindAvailability // nothing to book yet: ask what is free
				t.Header.Set(kindHeader, kind)
			} else {
				t.Method = http.MethodPost
				t.URL = g.base + "/v1/clubs/" + url.PathEscape(s.club) + "/bookings"
				t.Header.Set("Content-Type", "application/json")
				t.Body, _ = json.Marshal(map[string]any{
					"court_id": s.court, "start": s.start, "duration_minutes": s.minutes,
					"customer": map[string]string{
						"name": fmt.Sprintf("Load %d", g.n), "email": fmt.Sprintf("load-%d@example.com", g.n), "category": "guest",
					},
				})
				return nil
			}
		}
		sport := club.sports[g.rng.IntN(len(club.sports))]
		t.Method = http.MethodGet
		t.URL = g.availabilityURL(club.slug, g.days[g.rng.IntN(len(g.days))], sport, durations[g.rng.IntN(len(durations))])
		t.Body = nil
		if kind == kindETag {
			if tag, ok := g.etags[t.URL]; ok {
				t.Header.Set("If-None-Match", tag)
			}
		}
		return nil
	}
}

// takeSlot takes a recent free slot, of any club, or makes one up from a slot of the
// club's first day (which a booking may hold already: the server answers 409).
// Called with g.mu held.
func (g *generator) takeSlot(club clubInfo) (slot, bool) {
	if n := len(g.free); n > 0 {
		i := g.rng.IntN(n)
		s := g.free[i]
		g.free[i] = g.free[n-1]
		g.free = g.free[:n-1]
		return s, true
	}
	sport := club.sports[g.rng.IntN(len(club.sports))]
	if slots := club.slots[sport]; len(slots) > 0 {
		return slots[g.rng.IntN(len(slots))], true
	}
	return slot{}, false
}

// availabilityAnswer is the part of an availability answer the tool reads.
type availabilityAnswer struct {
	Club            string `json:"club"`
	DurationMinutes int    `json:"duration_minutes"`
	Courts          []struct {
		CourtID string `json:"court_id"`
		Slots   []struct {
			Start string `json:"start"`
		} `json:"slots"`
	} `json:"courts"`
}

// slotsOf returns the slots of an availability answer.
func slotsOf(body []byte) ([]slot, error) {
	var a availabilityAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, err
	}
	var out []slot
	for _, c := range a.Courts {
		for _, s := range c.Slots {
			out = append(out, slot{club: a.Club, court: c.CourtID, start: s.Start, minutes: a.DurationMinutes})
		}
	}
	return out, nil
}

// learn takes from an availability answer its ETag and a few of its free slots.
func (g *generator) learn(r *vegeta.Result) {
	if r.Code != http.StatusOK {
		return
	}
	slots, err := slotsOf(r.Body)
	g.mu.Lock()
	defer g.mu.Unlock()
	if tag := r.Headers.Get("ETag"); tag != "" {
		g.etags[r.URL] = tag
	}
	if err != nil {
		return
	}
	for range min(4, len(slots)) {
		s := slots[g.rng.IntN(len(slots))]
		if len(g.free) < maxFree {
			g.free = append(g.free, s)
		} else {
			g.free[g.rng.IntN(maxFree)] = s
		}
	}
}

// discoverClubs asks each club's availability of the first day for each sport, to learn
// which sports it has courts of, and their slots.
func discoverClubs(ctx context.Context, client *http.Client, g *generator, slugs []string) ([]clubInfo, error) {
	var out []clubInfo
	for _, slug := range slugs {
		info := clubInfo{slug: slug, slots: map[string][]slot{}}
		for _, sport := range []string{"padel", "tennis"} {
			u := g.availabilityURL(slug, g.days[0], sport, 90)
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err != nil {
				return nil, err
			}
			resp, err := client.Do(req)
			if err != nil {
				return nil, err
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return nil, err
			}
			if resp.StatusCode != http.StatusOK {
				return nil, fmt.Errorf("GET %s: %s: %s", u, resp.Status, bytes.TrimSpace(body))
			}
			slots, err := slotsOf(body)
			if err != nil {
				return nil, fmt.Errorf("GET %s: %w", u, err)
			}
			var a availabilityAnswer
			_ = json.Unmarshal(body, &a)
			if len(a.Courts) > 0 {
				info.sports = append(info.sports, sport)
				info.slots[sport] = slots
			}
		}
		if len(info.sports) == 0 {
			return nil, fmt.Errorf("club %s has no padel or tennis courts", slug)
		}
		out = append(out, info)
	}
	return out, nil
}

// kindTransport copies the kind header of each request into its response's headers,
// which vegeta keeps in the result.
type kindTransport struct{ next http.RoundTripper }

func (t kindTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	kind := req.Header.Get(kindHeader)
	req = req.Clone(req.Context())
	req.Header.Del(kindHeader)
	req.Header.Del("X-Vegeta-Seq")
	resp, err := t.next.RoundTrip(req)
	if err == nil && kind != "" {
		resp.Header.Set(kindHeader, kind)
	}
	return resp, err
}

// newClient returns the HTTP client of the load.
func newClient(o options) *http.Client {
	tr := &http.Transport{
		Proxy:               nil, // the target is reached directly
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        0,
		MaxIdleConnsPerHost: int(min(o.MaxWorkers, 10000)),
		IdleConnTimeout:     90 * time.Second,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: o.Insecure}, //nolint:gosec // asked for with -insecure
	}
	return &http.Client{Transport: kindTransport{tr}, Timeout: o.Timeout}
}

// kindOf is the kind of request a result answers; a request that failed before an
// answer is told by its method.
func kindOf(r *vegeta.Result) string {
	if k := r.Headers.Get(kindHeader); k != "" {
		return k
	}
	if r.Method == http.MethodPost {
		return kindBooking
	}
	return kindAvailability
}

// problemCode returns the code of a problem answer (RFC 9457, with Match Point's code
// member), or "" when the answer is not a problem.
func problemCode(r *vegeta.Result) string {
	if !strings.HasPrefix(r.Headers.Get("Content-Type"), "application/problem+json") {
		return ""
	}
	var p struct {
		Code string `json:"code"`
	}
	if json.Unmarshal(r.Body, &p) != nil || p.Code == "" {
		return "(no code)"
	}
	return p.Code
}
