package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/httpapi"
)

const (
	tomorrowsPadel = "/v1/clubs/club-one/availability?date=2026-03-11&sport=padel&duration=90"
	todaysPadel    = "/v1/clubs/club-one/availability?date=2026-03-10&sport=padel&duration=90"
)

var strongTag = regexp.MustCompile(`^"[A-Za-z0-9_-]{22}"$`)

func TestAvailabilityCarriesAStrongETagAndItsCachePolicy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	first := e.get(tomorrowsPadel, nil)
	require.Equal(t, http.StatusOK, first.Code, first.Body.String())
	tag := first.Header().Get("ETag")
	assert.Regexp(t, strongTag, tag)
	assert.Equal(t, "public, max-age=0, s-maxage=5, stale-while-revalidate=10", first.Header().Get("Cache-Control"))
	assert.Equal(t, "Accept-Encoding", first.Header().Get("Vary"))
	assert.Equal(t, "application/json", first.Header().Get("Content-Type"))
	assert.Empty(t, first.Header().Get("Content-Encoding"))
	assert.Equal(t, first.Body.Len(), atoi(t, first.Header().Get("Content-Length")))

	second := e.get(tomorrowsPadel, nil)
	assert.Equal(t, tag, second.Header().Get("ETag"), "the same answer, the same tag")
	assert.Equal(t, first.Body.String(), second.Body.String())
	assert.Equal(t, tag, e.get("/v1/clubs/club-one/availability?duration=90&sport=padel&date=2026-03-11", nil).Header().Get("ETag"),
		"the order of the query's parameters changes nothing")

	sixty := e.get("/v1/clubs/club-one/availability?date=2026-03-11&sport=padel&duration=60", nil)
	assert.NotEqual(t, tag, sixty.Header().Get("ETag"), "another duration is another answer")

	// Another instance computing the same answer tags it alike: the tag is made from
	// the bytes, not from this process.
	other := httpapi.New(e.app, httpapi.Config{Logger: slog.New(slog.DiscardHandler), AvailabilityCache: httpapi.AvailabilityCache{Entries: -1}})
	rec := httptest.NewRecorder()
	other.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tomorrowsPadel, nil))
	assert.Equal(t, tag, rec.Header().Get("ETag"))
	assert.True(t, bytes.Equal(first.Body.Bytes(), rec.Body.Bytes()), "the same bytes")
}

func TestAvailabilityCachePolicyIsConfigurable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *httpapi.Config) {
		o.AvailabilityCache = httpapi.AvailabilityCache{SharedMaxAge: 2 * time.Second, StaleWhileRevalidate: time.Minute}
	})
	res := e.get(tomorrowsPadel, nil)
	assert.Equal(t, "public, max-age=0, s-maxage=2, stale-while-revalidate=60", res.Header().Get("Cache-Control"))
}

func TestAvailabilityIfNoneMatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tag := e.get(tomorrowsPadel, nil).Header().Get("ETag")
	require.NotEmpty(t, tag)

	for _, inm := range []string{tag, `"nope", ` + tag, "W/" + tag, "*"} {
		res := e.get(tomorrowsPadel, map[string]string{"If-None-Match": inm})
		assert.Equal(t, http.StatusNotModified, res.Code, "If-None-Match: %s", inm)
		assert.Empty(t, res.Body.String(), "a 304 has no body")
		assert.Equal(t, tag, res.Header().Get("ETag"))
		assert.Equal(t, "public, max-age=0, s-maxage=5, stale-while-revalidate=10", res.Header().Get("Cache-Control"))
		assert.Equal(t, "Accept-Encoding", res.Header().Get("Vary"))
	}
	res := e.get(tomorrowsPadel, map[string]string{"If-None-Match": `"nope", "neither"`})
	assert.Equal(t, http.StatusOK, res.Code)
	assert.Equal(t, tag, res.Header().Get("ETag"))
	assert.NotEmpty(t, res.Body.String())
}

func TestAvailabilityETagFollowsWrites(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tag := func() string {
		t.Helper()
		res := e.get(tomorrowsPadel, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		return res.Header().Get("ETag")
	}
	changed := func(before, what string) string {
		t.Helper()
		after := tag()
		assert.NotEqual(t, before, after, "after %s", what)
		res := e.get(tomorrowsPadel, map[string]string{"If-None-Match": before})
		assert.Equal(t, http.StatusOK, res.Code, "the tag held from before %s no longer matches", what)
		return after
	}
	v := tag()

	id, token := e.book(e.padel[0].ID, "2026-03-11T19:30", 90, "ana@example.com")
	v = changed(v, "a booking")

	e.book(e.padel[1].ID, "2026-03-11T10:00", 90, "bruno@example.com")
	v = changed(v, "another booking")

	res := e.post("/v1/bookings/"+id+"/cancel", "", bearer(token))
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	v = changed(v, "a cancellation")

	res = e.post("/v1/admin/clubs/club-one/closures", `{"court_id":"`+e.padel[2].ID+`","start":"2026-03-11T12:00:00-03:00","end":"2026-03-11T14:00:00-03:00","reason":"repairs"}`, e.admin())
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	v = changed(v, "a closure")

	res = e.post("/v1/admin/clubs/club-one/price-rules", `{"name":"promo","sport":"padel","weekdays":["sun","mon","tue","wed","thu","fri","sat"],"from":"08:00","to":"12:00","priority":90,"rate":{"amount":100000}}`, e.admin())
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	v = changed(v, "a price rule")

	assert.Equal(t, v, tag(), "no write: the same tag")
}

func TestAvailabilityChangesAsTimePasses(t *testing.T) {
	t.Parallel()
	e := newEnv(t) // 09:00 at the club: today's first start, 09:30, is offered until 09:15

	first := e.get(todaysPadel, nil)
	require.Equal(t, http.StatusOK, first.Code, first.Body.String())
	assert.Contains(t, first.Body.String(), `"start":"2026-03-10T09:30:00-03:00"`)
	tag := first.Header().Get("ETag")

	e.clock.Advance(14 * time.Minute) // 09:14: 09:30 is still 16 minutes ahead
	res := e.get(todaysPadel, map[string]string{"If-None-Match": tag})
	assert.Equal(t, http.StatusNotModified, res.Code, "the same answer, computed again a few minutes on")

	e.clock.Advance(time.Minute + time.Second) // 09:15:01: 09:30 is within the lead time
	res = e.get(todaysPadel, map[string]string{"If-None-Match": tag})
	require.Equal(t, http.StatusOK, res.Code)
	assert.NotEqual(t, tag, res.Header().Get("ETag"))
	assert.NotContains(t, res.Body.String(), `"start":"2026-03-10T09:30:00-03:00"`)
	assert.Contains(t, res.Body.String(), `"start":"2026-03-10T10:00:00-03:00"`)
}

func TestAvailabilityIsCompressedAsTheClientAccepts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	plain := e.get(tomorrowsPadel, nil)
	require.Equal(t, http.StatusOK, plain.Code)

	tests := []struct {
		accept, coding string
	}{
		{"gzip", "gzip"},
		{"gzip, deflate, br", "br"},
		{"br;q=1.0, gzip;q=0.8", "br"},
		{"br;q=0, gzip", "gzip"},
		{"*", "br"},
		{"br;q=0, *", "gzip"},
		{"gzip;q=0", ""},
		{"deflate", ""},
		{"identity", ""},
	}
	for _, tt := range tests {
		res := e.raw(http.MethodGet, tomorrowsPadel, map[string]string{"Accept-Encoding": tt.accept})
		require.Equal(t, http.StatusOK, res.Code)
		assert.Equal(t, tt.coding, res.Header().Get("Content-Encoding"), "Accept-Encoding: %s", tt.accept)
		assert.Equal(t, "Accept-Encoding", res.Header().Get("Vary"))
		assert.Equal(t, res.Body.Len(), atoi(t, res.Header().Get("Content-Length")))
		var body []byte
		switch tt.coding {
		case "gzip":
			zr, err := gzip.NewReader(bytes.NewReader(res.Body.Bytes()))
			require.NoError(t, err)
			body, err = io.ReadAll(zr)
			require.NoError(t, err)
		case "br":
			var err error
			body, err = io.ReadAll(brotli.NewReader(bytes.NewReader(res.Body.Bytes())))
			require.NoError(t, err)
		default:
			body = res.Body.Bytes()
		}
		assert.True(t, bytes.Equal(plain.Body.Bytes(), body), "Accept-Encoding: %s: the body decompresses to the plain one", tt.accept)
		if tt.coding != "" {
			assert.Less(t, res.Body.Len(), plain.Body.Len()/3, "compressed")
			assert.Equal(t, strings.TrimSuffix(plain.Header().Get("ETag"), `"`)+"-"+tt.coding+`"`, res.Header().Get("ETag"),
				"each coding is its own representation")
			notModified := e.raw(http.MethodGet, tomorrowsPadel, map[string]string{"Accept-Encoding": tt.accept, "If-None-Match": res.Header().Get("ETag")})
			assert.Equal(t, http.StatusNotModified, notModified.Code)
		}
	}
}

func TestAvailabilityHead(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	get := e.get(tomorrowsPadel, nil)
	head := e.raw(http.MethodHead, tomorrowsPadel, nil)
	require.Equal(t, http.StatusOK, head.Code)
	assert.Empty(t, head.Body.String())
	assert.Equal(t, get.Header().Get("ETag"), head.Header().Get("ETag"))
	assert.Equal(t, get.Header().Get("Content-Length"), head.Header().Get("Content-Length"))
	notModified := e.raw(http.MethodHead, tomorrowsPadel, map[string]string{"If-None-Match": get.Header().Get("ETag")})
	assert.Equal(t, http.StatusNotModified, notModified.Code)
}

func TestAvailabilityKeptAnswersCanBeTurnedOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *httpapi.Config) { o.AvailabilityCache.Entries = -1 })
	first := e.get(tomorrowsPadel, nil)
	tag := first.Header().Get("ETag")
	assert.Regexp(t, strongTag, tag)
	assert.Equal(t, http.StatusNotModified, e.get(tomorrowsPadel, map[string]string{"If-None-Match": tag}).Code)
	e.book(e.padel[0].ID, "2026-03-11T19:30", 90, "ana@example.com")
	assert.NotEqual(t, tag, e.get(tomorrowsPadel, nil).Header().Get("ETag"))
}

// raw sends a request and returns the response as recorded, its body undecoded.
func (e *env) raw(method, path string, header map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, r)
	return rec
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		require.True(t, c >= '0' && c <= '9', "not a number: %q", s)
		n = n*10 + int(c-'0')
	}
	return n
}
