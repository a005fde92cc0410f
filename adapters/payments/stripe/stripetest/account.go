package stripetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/matchpoint/matchpoint/adapters/payments/stripe"
)

// Account is a Stripe account of the test's own: a stand-in server in front of the
// shared stripe-mock, keeping the state stripe-mock does not, and the account's keys.
// It is safe for concurrent use.
type Account struct {
	srv           *httptest.Server
	mockURL       string
	secretKey     string
	webhookSecret string

	mu       sync.Mutex
	outage   int // when non-zero, every request is answered with this status
	seen     []Request
	sessions map[string]*session
	intents  map[string]*intent
	idem     map[string]idempotent
}

// Request is a request an Account's stand-in received.
type Request struct {
	Method, Path   string
	APIKey         string // the key it carried, as basic auth or bearer token
	IdempotencyKey string
	Form           url.Values // the form of a POST, the query of a GET
	MockStatus     int        // stripe-mock's answer; 0 if it was not asked
}

// idempotent is the first answer to an idempotency key.
type idempotent struct {
	path   string
	form   url.Values
	status int
	body   []byte
}

// lastID numbers the accounts and objects of the test binary, so that ids are unique,
// as Stripe's are, and an id of one account is unknown to every other.
var lastID atomic.Int64

func nextID() int64 { return lastID.Add(1) }

// Start starts an account's stand-in on a loopback port (and stripe-mock, on first
// use); the stand-in stops when t ends. It fails t if stripe-mock is not installed.
func Start(t testing.TB) *Account {
	t.Helper()
	n := nextID()
	a := &Account{
		mockURL:       mockURL(t),
		secretKey:     fmt.Sprintf("sk_test_standin%d", n),
		webhookSecret: fmt.Sprintf("whsec_standin%d", n),
		sessions:      map[string]*session{},
		intents:       map[string]*intent{},
		idem:          map[string]idempotent{},
	}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

// Config returns a stripe.Config for a gateway of this account: its secret key and
// webhook secret, the stand-in as BackendURL, success and cancel URLs of a club, no
// retries (a failure shows at once, without stripe-go's backoff) and a logger that
// discards. Callers may change fields before stripe.New.
func (a *Account) Config() stripe.Config {
	return stripe.Config{
		SecretKey:     a.secretKey,
		WebhookSecret: a.webhookSecret,
		SuccessURL:    "https://club.example/paid?session={CHECKOUT_SESSION_ID}",
		CancelURL:     "https://club.example/cancelled",
		BackendURL:    a.srv.URL,
		Retries:       -1,
		Logger:        slog.New(slog.DiscardHandler),
	}
}

// Gateway returns stripe.New(a.Config()), failing t on error.
func (a *Account) Gateway(t testing.TB) *stripe.Gateway {
	t.Helper()
	gw, err := stripe.New(a.Config())
	if err != nil {
		t.Fatalf("stripetest: %v", err)
	}
	return gw
}

// Requests returns the requests the stand-in has received so far, oldest first.
func (a *Account) Requests() []Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Request(nil), a.seen...)
}

// FailWith answers every request from now on with status and a Stripe api_error, as
// Stripe having trouble would (or, with 401, as Stripe refusing the key would); 0
// restores service.
func (a *Account) FailWith(status int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.outage = status
}

// serve is the stand-in: it asks stripe-mock, then lays the account's state over its
// answer.
func (a *Account) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form := r.URL.Query()
	if r.Method == http.MethodPost {
		form, _ = url.ParseQuery(string(body))
	}
	key, _, _ := r.BasicAuth()
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		key = bearer
	}
	seen := Request{Method: r.Method, Path: r.URL.Path, APIKey: key, IdempotencyKey: r.Header.Get("Idempotency-Key"), Form: form}

	a.mu.Lock()
	outage := a.outage
	a.mu.Unlock()
	if outage != 0 {
		a.record(seen)
		writeJSON(w, outage, stripeError("api_error", "", "", "the stand-in plays an outage"))
		return
	}

	status, raw, err := a.forward(r.Method, r.URL.RequestURI(), r.Header, body)
	if err != nil {
		a.record(seen)
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	seen.MockStatus = status
	a.record(seen)
	if status != http.StatusOK {
		// stripe-mock refused the request: Stripe would have too.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(raw)
		return
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	if r.Method == http.MethodPost && seen.IdempotencyKey != "" {
		if first, ok := a.idem[seen.IdempotencyKey]; ok {
			if first.path != r.URL.Path || !reflect.DeepEqual(first.form, form) {
				writeJSON(w, http.StatusBadRequest, stripeError("idempotency_error", "", "", fmt.Sprintf(
					"Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '%s' if you meant to execute a different request.", seen.IdempotencyKey)))
				return
			}
			w.Header().Set("Idempotent-Replayed", "true")
			writeRaw(w, first.status, first.body)
			return
		}
	}
	fixture, err := decode(raw)
	if err != nil {
		http.Error(w, "stripe-mock answered "+err.Error(), http.StatusBadGateway)
		return
	}
	status, answer := a.route(r.Method, r.URL.Path, form, fixture)
	out, _ := json.Marshal(answer)
	if r.Method == http.MethodPost && seen.IdempotencyKey != "" {
		a.idem[seen.IdempotencyKey] = idempotent{path: r.URL.Path, form: form, status: status, body: out}
	}
	writeRaw(w, status, out)
}

func (a *Account) record(r Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen = append(a.seen, r)
}

// forward asks stripe-mock.
func (a *Account) forward(method, uri string, header http.Header, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(method, a.mockURL+uri, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header = header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

func decode(raw []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	return m, d.Decode(&m)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", "req_standin")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
