package httpapi

import (
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zone below must not depend on the host

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
)

// The decoders' contract: whatever they are given, they return a value or a domain
// invalid error, and never panic. The fuzz targets check it; their seeds hold valid
// requests and hostile ones.

// checkInvalid fails unless err is nil or a domain invalid error.
func checkInvalid(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind() != domain.KindInvalid {
		t.Fatalf("error %v (%T) is not a domain invalid error", err, err)
	}
	if de.Message == "" {
		t.Fatalf("error %v has no message", err)
	}
}

// hostileBodies are bodies every JSON decoder must refuse calmly.
var hostileBodies = []string{
	``, ` `, `null`, `true`, `0`, `"a"`, `[]`, `[{}]`, `{`, `}`, `{"a"}`, `{"court_id":}`, `{} {}`, `{}x`,
	`{"court_id":"c"}garbage`, "{\"court_id\":\"\xff\xfe\"}", `{"duration_minutes":1e309}`,
	`{"duration_minutes":-9223372036854775809}`, `{"duration_minutes":9223372036854775807}`,
	`{"customer":[]}`, `{"customer":"x"}`, `{"customer":{"name":{"first":"A"}}}`, `{"hours":[]}`,
	`{"hours":{"monday":"08:00"}}`, `{"weekdays":"mon"}`, `{"weekdays":[1,2]}`, `{"rate":1}`,
	`{"rate":{"amount":"1"}}`, `{"active":null}`, `{"id":null,"name":null}`,
	strings.Repeat(`{"a":`, 10000) + strings.Repeat(`}`, 10000), strings.Repeat("[", 20000),
	`{"start":"2026-03-11T10:00:00+25:00"}`, `{"start":"0000-01-01T00:00:00Z"}`, `{"start":"9999-12-31T23:59:59-23:59"}`,
	`{"from":"0000-00-00","to":"2026-02-29"}`, `{"from":"24:00","to":"-1:00"}`,
}

func addSeeds(f *testing.F, valid ...string) {
	for _, s := range append(valid, hostileBodies...) {
		f.Add([]byte(s))
	}
}

func FuzzDecodeBooking(f *testing.F) {
	addSeeds(f,
		`{"court_id":"c1","start":"2026-03-11T19:30:00-03:00","duration_minutes":90,"customer":{"name":"Ana","email":"ana@example.com","phone":"+54 11","category":"guest"}}`,
		`{"court_id":"c1","start":"2026-03-11T22:30:00Z","duration_minutes":1440,"customer":{"name":"Ana","email":"ana@example.com"}}`,
		`{"court_id":"c1","start":"2026-03-11T19:30:00.123456789+05:45","duration_minutes":60,"customer":{}}`,
		`{"court_id":"c1","start":"2026-03-11T19:30:00-03:00","duration_minutes":1441,"customer":{}}`,
		`{"court_id":"c1","start":"2026-03-11 19:30","duration_minutes":60,"customer":{}}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeBooking(body)
		checkInvalid(t, err)
		if err != nil {
			return
		}
		if req.CourtID == "" || req.Start.IsZero() || req.Start.Location() != time.UTC || req.Duration <= 0 || req.Duration > 24*time.Hour {
			t.Fatalf("decoded an unusable booking %+v from %q", req, body)
		}
		if c := req.Customer.Category; c != domain.CategoryMember && c != domain.CategoryGuest {
			t.Fatalf("decoded category %q from %q", c, body)
		}
	})
}

func FuzzDecodeQuote(f *testing.F) {
	addSeeds(f,
		`{"court_id":"c1","start":"2026-03-11T19:30:00-03:00","duration_minutes":90}`,
		`{"court_id":"c1","start":"2026-03-11T19:30:00-03:00","duration_minutes":90,"customer":{"category":"guest"}}`,
		`{"court_id":"c1","start":"2026-03-11T19:30:00-03:00","duration_minutes":90,"customer":null}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeQuote(body)
		checkInvalid(t, err)
		if err == nil && (req.CourtID == "" || req.Start.IsZero() || req.Duration <= 0 || req.Category == domain.CategoryAny) {
			t.Fatalf("decoded an unusable quote %+v from %q", req, body)
		}
	})
}

func FuzzParseAvailabilityQuery(f *testing.F) {
	for _, s := range []string{
		"date=2026-03-11&sport=padel&duration=90",
		"date=2026-03-11&sport=padel&duration=90&category=guest",
		"date=2026-03-11&sport=padel&duration=90&category=",
		"date=2026-03-11&date=2026-03-12&sport=padel&duration=90",
		"date=2026-02-29&sport=padel&duration=90", "date=0000-01-01&sport=padel&duration=90",
		"date=2026-03-11&sport=padel&duration=0x5a", "date=2026-03-11&sport=padel&duration=+90",
		"date=2026-03-11&sport=padel&duration=9223372036854775807", "date=2026-03-11&sport=PADEL&duration=90",
		"date=%ZZ&sport=padel", "sport=" + strings.Repeat("a", 100) + "&date=2026-03-11&duration=60", "", "&&&=", ";",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(raw) // what a server makes of any query string
		got, err := parseAvailabilityQuery(q)
		checkInvalid(t, err)
		if err == nil && (got.Date.IsZero() || got.Sport == "" || got.Duration <= 0 || got.Duration > 24*time.Hour || got.Category == domain.CategoryAny) {
			t.Fatalf("parsed an unusable query %+v from %q", got, raw)
		}
	})
}

func FuzzDecodeCourt(f *testing.F) {
	addSeeds(f,
		`{"name":"Padel 1","sport":"padel","indoor":true,"surface":"synthetic","active":false}`,
		`{"id":"c1","name":"Padel 1","sport":"padel"}`, `{"name":" ","sport":"padel"}`, `{"name":"X","sport":"-padel"}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := decodeCourt(body)
		checkInvalid(t, err)
		if err == nil && (strings.TrimSpace(c.Name) == "" || c.Sport == "") {
			t.Fatalf("decoded an unusable court %+v from %q", c, body)
		}
	})
}

func FuzzDecodeSeason(f *testing.F) {
	addSeeds(f,
		`{"name":"2026","from":"2026-01-01","to":"2026-12-31","hours":{"monday":{"open":"08:00","close":"01:00"},"sun":{"open":"10:00","close":"24:00"},"tue":null}}`,
		`{"name":"S","from":"2026-01-01","to":"2026-12-31","hours":{"Monday":{"open":"08:00","close":"23:00"},"mon":{"open":"08:00","close":"23:00"}}}`,
		`{"name":"S","from":"2026-01-01","to":"2026-12-31","hours":{"monday":{"open":"08:00"}}}`,
		`{"name":"S","from":"2026-01-01","to":"2026-12-31","hours":{"":{"open":"08:00","close":"09:00"}}}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := decodeSeason(body)
		checkInvalid(t, err)
		if err == nil && (s.From.IsZero() || s.To.IsZero()) {
			t.Fatalf("decoded an unusable season %+v from %q", s, body)
		}
	})
}

func FuzzDecodeClosure(f *testing.F) {
	addSeeds(f,
		`{"court_id":"c1","start":"2026-03-11T08:00:00-03:00","end":"2026-03-11T12:00:00-03:00","reason":"maintenance"}`,
		`{"start":"2026-03-11T08:00:00-03:00","end":"2026-03-11T08:00:00-03:00"}`,
		`{"start":"2026-03-11T08:00:00-03:00","end":"2026-03-11T11:00:00Z"}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := decodeClosure(body)
		checkInvalid(t, err)
		if err == nil && !c.Interval.End.After(c.Interval.Start) {
			t.Fatalf("decoded an empty closure %+v from %q", c, body)
		}
	})
}

func FuzzDecodePriceRule(f *testing.F) {
	addSeeds(f,
		`{"name":"Peak","sport":"padel","court_id":"","season_id":"s1","weekdays":["mon","tuesday","SAT"],"from":"18:00","to":"24:00","category":"member","priority":10,"rate":{"amount":600000,"currency":"ARS"}}`,
		`{"weekdays":["sun"],"from":"22:00","to":"02:00","rate":{"amount":0}}`,
		`{"weekdays":["sun"],"from":"22:00","to":"02:00","rate":{"amount":1,"currency":"EUR"}}`,
		`{"weekdays":["sun"],"from":"22:00","to":"02:00","rate":{"amount":1,"currency":"ars"}}`,
		`{"weekdays":[],"from":"22:00","to":"02:00","rate":{"amount":1}}`,
		`{"weekdays":["sun"],"from":"22:00","to":"02:00","priority":1e3,"rate":{"amount":1}}`,
	)
	ars := domain.MustCurrency("ARS")
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := decodePriceRule(body, ars)
		checkInvalid(t, err)
		if err == nil && (r.Weekdays == 0 || r.Weekdays > domain.EveryDay || r.Rate.Currency() != ars) {
			t.Fatalf("decoded an unusable rule %+v from %q", r, body)
		}
	})
}

func FuzzParseBookingFilter(f *testing.F) {
	for _, s := range []string{
		"from=2026-03-11&to=2026-03-12&status=confirmed&court_id=c1&limit=50",
		"from=2026-03-11T00:00:00-03:00", "to=2026-03-11", "status=", "limit=1000", "limit=1001", "limit=-1",
		"from=2026-03-12&to=2026-03-11", "from=2026-03-11&from=2026-03-12", "status=Confirmed", "from=0001-01-01",
		"from=9999-12-31&to=9999-12-31T23:59:59Z",
	} {
		f.Add(s)
	}
	loc, err := time.LoadLocation("America/Argentina/Buenos_Aires")
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(raw)
		got, err := parseBookingFilter(q, loc)
		checkInvalid(t, err)
		if err == nil && (got.Limit < 0 || got.Limit > maxListLimit || !got.From.IsZero() && !got.To.IsZero() && !got.To.After(got.From)) {
			t.Fatalf("parsed an unusable filter %+v from %q", got, raw)
		}
	})
}

func FuzzParseIdempotencyKey(f *testing.F) {
	for _, s := range []string{"", "3f1d7c2e-8b0a-4c55-9a6e-3c1b2f6b2d10", " padded ", strings.Repeat("k", 255), strings.Repeat("k", 256), "tab\there", "ñ", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		got, err := parseIdempotencyKey([]string{key})
		checkInvalid(t, err)
		if err == nil && len(got) > maxIdempotencyKey {
			t.Fatalf("accepted a key of %d bytes", len(got))
		}
	})
}

func TestDecodeBooking(t *testing.T) {
	t.Parallel()
	req, err := decodeBooking([]byte(` {"court_id":"c1","start":"2026-03-11T19:30:00-03:00","duration_minutes":90,
		"customer":{"name":"Ana","email":"ana@example.com","phone":"+54","category":""}} `))
	require.NoError(t, err)
	assert.Equal(t, bookingRequest{
		slotRequest: slotRequest{CourtID: "c1", Start: time.Date(2026, 3, 11, 22, 30, 0, 0, time.UTC), Duration: 90 * time.Minute},
		Customer:    app.CustomerInput{Name: "Ana", Email: "ana@example.com", Phone: "+54", Category: domain.CategoryGuest},
	}, req)
}

func TestDecodeQuoteDefaultsToGuest(t *testing.T) {
	t.Parallel()
	q, err := decodeQuote([]byte(`{"court_id":"c1","start":"2026-03-11T19:30:00Z","duration_minutes":60}`))
	require.NoError(t, err)
	assert.Equal(t, domain.CategoryGuest, q.Category)
}

func TestParseAvailabilityQuery(t *testing.T) {
	t.Parallel()
	q, err := parseAvailabilityQuery(url.Values{"date": {"2026-03-11"}, "sport": {"padel"}, "duration": {"90"}, "category": {"guest"}, "utm_source": {"x"}})
	require.NoError(t, err)
	assert.Equal(t, availabilityQuery{Date: domain.MustDate("2026-03-11"), Sport: domain.Padel, Duration: 90 * time.Minute, Category: domain.CategoryGuest}, q)

	_, err = parseAvailabilityQuery(url.Values{"date": {"2026-03-11"}, "sport": {"padel"}, "duration": {"90"}, "category": {"member"}})
	assert.Equal(t, domain.KindForbidden, domain.ErrorKind(err), "the public API cannot verify a membership")
}

func TestDecodePriceRule(t *testing.T) {
	t.Parallel()
	ars := domain.MustCurrency("ARS")
	r, err := decodePriceRule([]byte(`{"name":"Late","sport":"padel","weekdays":["fri","Saturday"],"from":"22:00","to":"02:00","category":"guest","priority":3,"rate":{"amount":700000}}`), ars)
	require.NoError(t, err)
	assert.Equal(t, domain.PriceRule{
		Name: "Late", Sport: domain.Padel, Weekdays: domain.WeekdaysOf(time.Friday, time.Saturday),
		Window:   domain.Window{From: domain.MustClock("22:00"), To: domain.MustClock("02:00")},
		Category: domain.CategoryGuest, Priority: 3, Rate: domain.NewMoney(700000, ars),
	}, r)
}

func TestDecodeSeason(t *testing.T) {
	t.Parallel()
	s, err := decodeSeason([]byte(`{"name":"Winter","from":"2026-06-01","to":"2026-08-31","hours":{"friday":{"open":"09:00","close":"01:30"}}}`))
	require.NoError(t, err)
	assert.Equal(t, "Winter", s.Name)
	assert.Equal(t, &domain.Hours{Open: domain.MustClock("09:00"), Close: domain.MustClock("01:30")}, s.Week[time.Friday])
	for d, h := range s.Week {
		if time.Weekday(d) != time.Friday {
			assert.Nil(t, h, "%s is closed", time.Weekday(d))
		}
	}
}

func TestParseRangeDatesAreTheClubs(t *testing.T) {
	t.Parallel()
	loc, err := time.LoadLocation("Europe/Madrid")
	require.NoError(t, err)
	from, to, err := parseRange(url.Values{"from": {"2026-03-29"}, "to": {"2026-03-30T00:00:00+02:00"}}, loc)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC), from, "midnight in Madrid, still winter time")
	assert.Equal(t, time.Date(2026, 3, 29, 22, 0, 0, 0, time.UTC), to)
}

func TestParseRangeRefusesTheZeroTime(t *testing.T) {
	t.Parallel()
	for _, q := range []url.Values{
		{"from": {"0001-01-01T00:00:00Z"}},
		{"to": {"0001-01-01T00:00:00Z"}},
		{"from": {"0001-01-01T01:00:00+01:00"}}, // the same instant in another offset
	} {
		_, _, err := parseRange(q, time.UTC)
		assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), "%v is a bound, not the absence of one", q)
	}
}

func TestBearerToken(t *testing.T) {
	t.Parallel()
	for header, want := range map[string]string{
		"Bearer abc": "abc", "bearer abc": "abc", "BEARER  abc ": "abc", "Basic abc": "", "Bearer": "", "": "", "abc": "",
	} {
		h := make(map[string][]string)
		if header != "" {
			h["Authorization"] = []string{header}
		}
		assert.Equal(t, want, bearerToken(h), "Authorization: %q", header)
	}
}

func TestDecodeJSONStrict(t *testing.T) {
	t.Parallel()
	type inner struct {
		Name string `json:"name"`
	}
	type Embedded struct {
		Note string `json:"note"`
	}
	type target struct {
		Embedded
		ID    string          `json:"id"`
		Items []inner         `json:"items"`
		Tags  map[string]int  `json:"tags"`
		Any   any             `json:"any"`
		Raw   json.RawMessage `json:"raw"`
		Skip  string          `json:"-"`
	}
	ok := []string{
		`{"id":"a","note":"n","items":[{"name":"x"},{"name":"y"}],"tags":{"A":1,"a":2},"any":{"K":1,"k":2},"raw":{"X":1,"x":2}}`,
		`{"id":"tab\tand\nlines\r","note":"\u00e9\ud83d\ude00 😀"}`,
		`{"id":"\"\\\/"}`,
	}
	for _, body := range ok {
		var v target
		assert.NoError(t, decodeJSON([]byte(body), &v), body)
	}
	refused := map[string]string{
		`{"id":"a","id":"b"}`:                      `"id" is given twice`,
		`{"ID":"a"}`:                               `did you mean "id"`,
		`{"Note":"a"}`:                             `did you mean "note"`,
		`{"items":[{"name":"x"},{"Name":"y"}]}`:    `"items[1].Name"`,
		`{"items":[{"name":"x","name":"y"}]}`:      `"items[0].name" is given twice`,
		`{"tags":{"a":1,"a":2}}`:                   `"tags.a" is given twice`,
		`{"any":{"k":{"x":1,"x":2}}}`:              `"any.k.x" is given twice`,
		`{"raw":{"x":"\u0000"}}`:                   `"raw.x" holds a NUL character`,
		`{"any":["ok","\u001f"]}`:                  `"any[1]" holds a control character (U+001F)`,
		`{"id":"\b"}`:                              `control character (U+0008)`,
		"{\"id\":\"\x7f\"}":                        `control character (U+007F)`,
		`{"id":"\u007F"}`:                          `control character (U+007F)`,
		`{"id":"\udc00"}`:                          `unpaired UTF-16 surrogate`,
		`{"id":"\ud800\u0041"}`:                    `unpaired UTF-16 surrogate`,
		`{"tags":{"\u0000":1}}`:                    `member name in "tags" holds a NUL character`,
		"{\"id\":\"\xed\xa0\x80\"}":                `not valid UTF-8 (at byte 7)`,
		"{\"id\":\"a\x00\"}":                       `NUL character (U+0000) at byte 8`,
		`{"a":1,"a":2,"b":3,"c":4,"d":5,"e":6}`:    `"a" is given twice`,
		manyMembers(40, "m17"):                     `"m17" is given twice`,
		`{"id":"a","unknown":1}`:                   `unknown field "unknown"`,
		`{"id":"a\u0000",`:                         `NUL character`,
		`{"items":[{"name":"a"}],"items":[]}`:      `"items" is given twice`,
		`{"any":{"a":1},"any":{"a":1}}`:            `"any" is given twice`,
		`{"id":"ok"} {"id":"a","id":"b"}`:          `data after`,
		`{"id":"a"`:                                `ends before`,
		`{"skip":"a"}`:                             `unknown field "skip"`,
		`{"Skip":"a"}`:                             `unknown field "Skip"`,
		`{"id":"x","items":[1,{"name":"\u0000"}]}`: `"items[1].name" holds a NUL character`,
	}
	for body, detail := range refused {
		var v target
		err := decodeJSON([]byte(body), &v)
		require.Error(t, err, body)
		checkInvalid(t, err)
		assert.Contains(t, err.Error(), detail, body)
	}
}

// manyMembers is an object of n members m0, m1, … with extra given again at the end.
func manyMembers(n int, extra string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		b.WriteString(`"m` + strconv.Itoa(i) + `":1,`)
	}
	b.WriteString(`"` + extra + `":2}`)
	return b.String()
}

// FuzzCheckJSONMembers feeds the walk any bytes: it must end, never panic, and refuse
// only with a domain invalid error.
func FuzzCheckJSONMembers(f *testing.F) {
	addSeeds(f, `{"a":{"b":[1,{"c":"\u0000"}]}}`, `{"a":"\ud800"}`, `{"a":1,"a":1}`, `{"A":"x"}`, `[`, `{"a":"\u12`, `{"a"`, `{"a":`, `"\`)
	type target struct {
		A map[string][]struct {
			C string `json:"c"`
		} `json:"a"`
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkInvalid(t, checkJSONMembers(body, reflect.TypeFor[target]()))
		checkInvalid(t, checkJSONMembers(body, nil))
	})
}

// BenchmarkDecodeBooking decodes a booking request: encoding/json with the checks
// around it.
func BenchmarkDecodeBooking(b *testing.B) {
	body := []byte(`{"court_id":"01a23535-5c9d-7019-a0f8-cc0920d2eb6d","start":"2026-03-11T19:30:00-03:00","duration_minutes":90,"customer":{"name":"Ana Pérez","email":"ana@example.com","phone":"+54 11 5555 0000","category":"guest"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeBooking(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONChecks is the part of BenchmarkDecodeBooking that checks the body's
// text and members.
func BenchmarkJSONChecks(b *testing.B) {
	body := []byte(`{"court_id":"01a23535-5c9d-7019-a0f8-cc0920d2eb6d","start":"2026-03-11T19:30:00-03:00","duration_minutes":90,"customer":{"name":"Ana Pérez","email":"ana@example.com","phone":"+54 11 5555 0000","category":"guest"}}`)
	t := reflect.TypeFor[*bookingJSON]()
	b.ReportAllocs()
	for b.Loop() {
		if err := checkJSONBytes(body); err != nil {
			b.Fatal(err)
		}
		if err := checkJSONMembers(body, t); err != nil {
			b.Fatal(err)
		}
	}
}
