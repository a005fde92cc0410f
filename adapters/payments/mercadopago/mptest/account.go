package mptest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matchpoint/matchpoint/adapters/payments/mercadopago"
	"github.com/matchpoint/matchpoint/ports"
)

// collectorID is the account's user id, the collector of its preferences and payments.
const collectorID = 202809963

// notificationURL is where the gateways of Config have MercadoPago post notifications.
const notificationURL = "https://club.example/v1/webhooks/mercadopago"

// Account is a MercadoPago account of the test's own: a local API that keeps state,
// and its credentials. Every account has an access token and a webhook secret of its
// own, so that one account's notifications do not verify at another's gateway. It is
// safe for concurrent use.
type Account struct {
	server    *httptest.Server
	transport *onlyHost
	token     string
	secret    string
	clock     atomic.Pointer[ports.Clock]

	mu                 sync.Mutex
	seq                int64
	prefs              map[string]*prefJSON
	payments           map[int64]*payment
	replies            map[string]reply // by idempotency key
	requests           []Request
	lagSearch          bool          // preference search finds nothing
	ignoreCheckoutKeys bool          // preference creation ignores X-Idempotency-Key
	failWith           int           // every request fails with this status, when set
	hold               chan struct{} // requests wait for it to close, when set
	release            func()        // closes hold
}

// reply is the first response to an idempotency key.
type reply struct {
	path   string
	status int
	body   []byte
}

// Request is a request the account's API received.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// Start starts an account's API on a loopback port; it stops when t ends. Requests to
// any other host made through Client() are refused, and fail t when it ends: no test
// reaches api.mercadopago.com.
func Start(t testing.TB) *Account {
	t.Helper()
	a := &Account{
		token:    "TEST-6295877106812064-010512-" + random(16) + "-" + fmt.Sprint(collectorID),
		secret:   random(32),
		seq:      20_000_000_000,
		prefs:    map[string]*prefJSON{},
		payments: map[int64]*payment{},
		replies:  map[string]reply{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /checkout/preferences", a.createPreference)
	mux.HandleFunc("GET /checkout/preferences/search", a.searchPreferences)
	mux.HandleFunc("GET /checkout/preferences/{id}", a.getPreference)
	mux.HandleFunc("PUT /checkout/preferences/{id}", a.updatePreference)
	mux.HandleFunc("GET /v1/payments/search", a.searchPayments)
	mux.HandleFunc("GET /v1/payments/{id}", a.getPayment)
	mux.HandleFunc("POST /v1/payments/{id}/refunds", a.createRefund)
	a.server = httptest.NewServer(a.middleware(mux))
	u, err := url.Parse(a.server.URL)
	if err != nil {
		a.server.Close()
		t.Fatalf("mptest: the account's URL %q: %v", a.server.URL, err)
	}
	a.transport = &onlyHost{host: u.Host, next: a.server.Client().Transport}
	t.Cleanup(func() {
		a.Close()
		if others := a.transport.refused(); len(others) > 0 {
			t.Errorf("mptest: requests through the account's client left its API: %s", strings.Join(others, ", "))
		}
	})
	return a
}

// random returns n random bytes in hex.
func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail
	return hex.EncodeToString(b)
}

// URL returns the base URL of the account's API, the Config's BaseURL.
func (a *Account) URL() string { return a.server.URL }

// Client returns a client that reaches the account's API and no other host: a request
// to another one fails, and fails the test when it ends.
func (a *Account) Client() *http.Client {
	return &http.Client{Transport: a.transport, Timeout: 10 * time.Second}
}

// Config returns a mercadopago.Config for a gateway of this account: its access token
// and webhook secret, a notification URL at club.example, the account's API as
// BaseURL, Client() as HTTPClient, and the account's clock, if it was given one (see
// SetClock). Callers may change fields before mercadopago.New.
func (a *Account) Config() mercadopago.Config {
	return mercadopago.Config{
		AccessToken:     a.token,
		WebhookSecret:   a.secret,
		NotificationURL: notificationURL,
		BaseURL:         a.server.URL,
		HTTPClient:      a.Client(),
		Clock:           a.configClock(),
	}
}

// Gateway returns mercadopago.New(a.Config()), failing t on error. Every call returns
// another gateway on the same account, as another server instance.
func (a *Account) Gateway(t testing.TB) *mercadopago.Gateway {
	t.Helper()
	g, err := mercadopago.New(a.Config())
	if err != nil {
		t.Fatalf("mptest: a gateway of the account: %v", err)
	}
	return g
}

// SetClock has the account tell the time by c: the dates of what it creates and the
// timestamps of its signatures. Config then gives c to gateways as well, so that a
// test that moves c moves MercadoPago's time and the gateway's together, and a
// notification signed now verifies now. Nil is the system clock, the default.
func (a *Account) SetClock(c ports.Clock) {
	if c == nil {
		a.clock.Store(nil)
		return
	}
	a.clock.Store(&c)
}

func (a *Account) configClock() ports.Clock {
	if c := a.clock.Load(); c != nil {
		return *c
	}
	return nil
}

// now is the account's time.
func (a *Account) now() time.Time {
	if c := a.clock.Load(); c != nil {
		return (*c).Now()
	}
	return time.Now()
}

// LagPreferenceSearch makes the preference search find nothing while on is true, as
// a search index that has not caught up with new preferences: two gateways creating
// a booking's checkout at once both miss each other's.
func (a *Account) LagPreferenceSearch(on bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.lagSearch = on
}

// IgnoreCheckoutIdempotencyKeys makes preference creation ignore X-Idempotency-Key
// while on is true, so that every request creates a preference. MercadoPago does not
// document whether it honours the key on preferences; the account does by default.
// Keys are still required, and refunds still honour them.
func (a *Account) IgnoreCheckoutIdempotencyKeys(on bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ignoreCheckoutKeys = on
}

// FailWith makes every request fail with status and MercadoPago's error body, as an
// API in trouble (5xx, 429) or one that refuses the credentials (401) does, until it
// is called with 0. Nothing is changed by a failed request.
func (a *Account) FailWith(status int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failWith = status
}

// Hold makes requests wait, from now until release is called or the request is
// given up, as an API that does not answer. Calling release again does nothing;
// Close and the end of the test release it too.
func (a *Account) Hold() (release func()) {
	ch := make(chan struct{})
	var once sync.Once
	release = func() {
		once.Do(func() {
			a.mu.Lock()
			if a.hold == ch {
				a.hold, a.release = nil, nil
			}
			a.mu.Unlock()
			close(ch)
		})
	}
	a.mu.Lock()
	previous := a.release
	a.hold, a.release = ch, release
	a.mu.Unlock()
	if previous != nil {
		previous()
	}
	return release
}

// Close stops the API at once, as an outage: requests through Client fail to
// connect. The end of the test closes it too.
func (a *Account) Close() {
	a.mu.Lock()
	release := a.release
	a.mu.Unlock()
	if release != nil {
		release()
	}
	a.server.Close()
}

// Requests returns the requests the API has received whose "METHOD /path" starts
// with prefix ("" for all), oldest first, failed ones included.
func (a *Account) Requests(prefix string) []Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []Request
	for _, r := range a.requests {
		if strings.HasPrefix(r.Method+" "+r.Path, prefix) {
			out = append(out, Request{Method: r.Method, Path: r.Path, Header: r.Header.Clone(), Body: bytes.Clone(r.Body)})
		}
	}
	return out
}

// middleware records each request, checks its credentials and idempotency key, and
// answers a repeated key with the first response.
func (a *Account) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		a.mu.Lock()
		a.requests = append(a.requests, Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		failWith, hold := a.failWith, a.hold
		a.mu.Unlock()
		if hold != nil {
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		switch {
		case failWith != 0:
			apiError(w, failWith, "internal_error", "the account was told to fail")
			return
		case r.Header.Get("Authorization") != "Bearer "+a.token:
			apiError(w, http.StatusUnauthorized, "unauthorized", "invalid access token")
			return
		case r.Method != http.MethodPost:
			next.ServeHTTP(w, r)
			return
		}
		key := r.Header.Get("X-Idempotency-Key")
		if key == "" {
			apiError(w, http.StatusBadRequest, "bad_request", "header X-Idempotency-Key is required")
			return
		}
		a.mu.Lock()
		prev, seen := a.replies[key]
		honour := !(a.ignoreCheckoutKeys && r.URL.Path == "/checkout/preferences")
		a.mu.Unlock()
		if seen && honour {
			if prev.path != r.URL.Path {
				apiError(w, http.StatusConflict, "conflict", "idempotency key already used")
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(prev.status)
			_, _ = w.Write(prev.body)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		if rec.Code < 300 {
			a.mu.Lock()
			a.replies[key] = reply{path: r.URL.Path, status: rec.Code, body: rec.Body.Bytes()}
			a.mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// onlyHost is a transport that lets requests reach one host, and refuses and records
// any other.
type onlyHost struct {
	host string
	next http.RoundTripper

	mu     sync.Mutex
	others []string
}

func (o *onlyHost) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != o.host {
		if r.Body != nil {
			_ = r.Body.Close()
		}
		o.mu.Lock()
		o.others = append(o.others, r.Method+" "+r.URL.Host+r.URL.Path)
		o.mu.Unlock()
		return nil, fmt.Errorf("mptest: %s is not the account's API at %s", r.URL.Host, o.host)
	}
	return o.next.RoundTrip(r)
}

func (o *onlyHost) refused() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.others)
}
