package httpapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
)

// AvailabilityCache configures how availability answers are kept and how long others
// may keep them. Its zero value keeps 1 024 answers in the process and lets shared
// caches (a CDN) hold an answer 5 seconds and serve it up to 10 seconds more while they
// revalidate it.
type AvailabilityCache struct {
	// Entries bounds the answers kept in the process, each with its compressed forms:
	// one per club, date, sport, duration and category asked for. Zero means 1 024; a
	// negative value keeps none, computing every answer afresh.
	Entries int
	// SharedMaxAge is the s-maxage of the answers' Cache-Control: how long a shared
	// cache may serve an answer without asking again. Zero means 5 seconds; it is
	// rounded down to whole seconds.
	SharedMaxAge time.Duration
	// StaleWhileRevalidate is how long past SharedMaxAge a shared cache may serve an
	// answer while it revalidates it in the background. Zero means 10 seconds.
	StaleWhileRevalidate time.Duration
}

// answers keeps the encoded availability answers of the process. An answer is kept
// with the Version and ValidUntil of the use case's answer it encodes: a request is
// served a kept answer only while Availability.Version says it holds, so a write
// anywhere (whose invalidation changes the version through the shared cache) or the
// passing of time (a start coming within the lead time) makes the next request compute
// it afresh.
type answers struct {
	kept         *lru.Cache[answerKey, *answer] // nil: nothing is kept
	cacheControl []string
}

// answerKey is what an availability answer depends on besides the version.
type answerKey struct {
	club     string
	date     domain.LocalDate
	sport    domain.Sport
	duration time.Duration
	category domain.CustomerCategory
}

func newAnswers(cfg AvailabilityCache) *answers {
	if cfg.Entries == 0 {
		cfg.Entries = 1024
	}
	if cfg.SharedMaxAge <= 0 {
		cfg.SharedMaxAge = 5 * time.Second
	}
	if cfg.StaleWhileRevalidate <= 0 {
		cfg.StaleWhileRevalidate = 10 * time.Second
	}
	a := &answers{cacheControl: []string{fmt.Sprintf("public, max-age=0, s-maxage=%d, stale-while-revalidate=%d",
		int(cfg.SharedMaxAge/time.Second), int(cfg.StaleWhileRevalidate/time.Second))}}
	if cfg.Entries > 0 {
		a.kept, _ = lru.New[answerKey, *answer](cfg.Entries) // fails only for a size below 1
	}
	return a
}

// get returns the answer kept for k, if any.
func (a *answers) get(k answerKey) (*answer, bool) {
	if a.kept == nil {
		return nil, false
	}
	return a.kept.Get(k)
}

// holds reports whether the answer is still the use case's answer at v.
func (e *answer) holds(v app.AvailabilityVersion) bool {
	return v.Holds(app.DayAvailability{Version: e.version, ValidUntil: e.validUntil})
}

// add keeps e under k, unless the use case said its answer must not be kept.
func (a *answers) add(k answerKey, e *answer) {
	if a.kept != nil && e.version != "" {
		a.kept.Add(k, e)
	}
}

// answer is one encoded availability answer: its JSON, an entity tag made from it, and
// its compressed forms, each made the first time a client accepts it.
type answer struct {
	version    string
	validUntil time.Time
	reps       [encodings]representation
	once       [encodings]sync.Once
}

// representation is an answer's body in one content coding, with its entity tag.
type representation struct {
	body []byte
	etag []string // the quoted tag, as a header value
}

// The content codings an answer is served in, from the least preferred.
const (
	identity = iota
	gzipped
	brotlied
	encodings
)

// codingNames are the Content-Encoding of each coding.
var codingNames = [encodings]string{"", "gzip", "br"}

// newAnswer encodes an answer of the use case. Its entity tag is made from the bytes
// themselves, so that every instance computing the same answer tags it alike and a
// client revalidating after the answer was recomputed (a minute later, or after a write
// elsewhere that left this day as it was) still gets a 304.
func newAnswer(day app.DayAvailability) (*answer, error) {
	buf := bufferPool.Get().(*bytes.Buffer)
	defer putBuffer(buf)
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(availabilityOf(day)); err != nil {
		return nil, err
	}
	body := bytes.Clone(buf.Bytes())
	sum := sha256.Sum256(body)
	tag := base64.RawURLEncoding.EncodeToString(sum[:16])
	e := &answer{version: day.Version, validUntil: day.ValidUntil}
	for c := range encodings {
		suffix := ""
		if c != identity {
			suffix = "-" + codingNames[c] // another coding is another representation
		}
		e.reps[c].etag = []string{`"` + tag + suffix + `"`}
	}
	e.reps[identity].body = body
	e.once[identity].Do(func() {})
	return e, nil
}

// representation returns the answer in coding c, compressing it the first time.
func (e *answer) representation(c int) representation {
	e.once[c].Do(func() {
		var buf bytes.Buffer
		switch c {
		case gzipped:
			zw := gzip.NewWriter(&buf)
			_, _ = zw.Write(e.reps[identity].body) // a bytes.Buffer does not fail
			_ = zw.Close()
		case brotlied:
			bw := brotli.NewWriterLevel(&buf, brotliLevel)
			_, _ = bw.Write(e.reps[identity].body)
			_ = bw.Close()
		}
		e.reps[c].body = buf.Bytes()
	})
	return e.reps[c]
}

// brotliLevel compresses a day's answer (16 KB) in about a millisecond, once per
// answer, to nearly what the best level reaches.
const brotliLevel = 6

// serve writes the answer, in the coding the client prefers among those it accepts,
// or 304 Not Modified when the client holds it already.
func (a *answers) serve(w http.ResponseWriter, r *http.Request, e *answer) {
	c := acceptedCoding(r.Header["Accept-Encoding"])
	rep := e.representation(c)
	hdr := w.Header()
	hdr["Etag"] = rep.etag
	hdr["Cache-Control"] = a.cacheControl
	hdr["Vary"] = varyAcceptEncoding
	if noneMatch := r.Header["If-None-Match"]; len(noneMatch) > 0 && matchesAny(noneMatch, rep.etag[0]) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr["Content-Type"] = jsonContentTypeValue
	if c != identity {
		hdr["Content-Encoding"] = codingValues[c]
	}
	hdr["Content-Length"] = []string{strconv.Itoa(len(rep.body))}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(rep.body)
	}
}

// Header values shared by every answer; net/http only reads them.
var (
	varyAcceptEncoding   = []string{"Accept-Encoding"}
	jsonContentTypeValue = []string{jsonContentType}
	codingValues         = [encodings][]string{nil, {"gzip"}, {"br"}}
)

// acceptedCoding returns the coding to answer in, given the request's Accept-Encoding
// fields (RFC 9110, section 12.5.3): br over gzip over none, among the codings the
// client accepts with a non-zero weight; "*" accepts any coding not named.
func acceptedCoding(fields []string) int {
	var weight [encodings]int // 0: not named; 1: refused (q=0); 2: accepted
	star := 0
	for _, f := range fields {
		for part := range strings.SplitSeq(f, ",") {
			name, params, _ := strings.Cut(part, ";")
			name = strings.ToLower(strings.TrimSpace(name))
			accepted := 2
			if refused(params) {
				accepted = 1
			}
			switch name {
			case "gzip", "x-gzip":
				weight[gzipped] = accepted
			case "br":
				weight[brotlied] = accepted
			case "*":
				star = accepted
			}
		}
	}
	for c := encodings - 1; c > identity; c-- {
		if weight[c] == 2 || (weight[c] == 0 && star == 2) {
			return c
		}
	}
	return identity
}

// refused reports whether the parameters of a coding give it the weight 0.
func refused(params string) bool {
	for p := range strings.SplitSeq(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return err == nil && q == 0
		}
	}
	return false
}

// matchesAny reports whether an If-None-Match list names etag or is "*", comparing
// weakly (RFC 9110, section 13.1.2): a W/ prefix is ignored.
func matchesAny(fields []string, etag string) bool {
	for _, f := range fields {
		for tag := range strings.SplitSeq(f, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
				return true
			}
		}
	}
	return false
}
