package app_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/memory"
	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// The adapters around the app under test are the real ones; these wrap them to see
// what the use cases asked of them, or to hold a read until a test lets it go on.

// spyStore is the memory store that counts the reads availability makes, to tell an
// answer from the cache from one loaded from the store, and that lets a test hold
// bookings reads to force an interleaving.
type spyStore struct {
	*memory.Store

	mu         sync.Mutex
	calls      map[string]int
	getBooking func(ctx context.Context, id string) // runs after each GetBooking, if set
	findByKey  func()                               // runs after each FindBookingByIdempotencyKey, if set
	listRules  func()                               // runs after each ListPriceRules, if set
	listHolds  func()                               // runs after each ListExpiredHolds, if set
	updates    []error                              // what the next UpdateBooking calls fail with, in order
	afterSave  []error                              // what the next SaveRefund calls fail with, in order, after the refund is saved
	records    []error                              // what the next RecordMessageSent calls fail with, in order
}

func (s *spyStore) count(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[name]++
}

// loads returns how many times each counted read has run.
func (s *spyStore) loads() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

func (s *spyStore) onGetBooking(fn func(ctx context.Context, id string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.getBooking = fn
}

func (s *spyStore) onFindByKey(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.findByKey = fn
}

func (s *spyStore) FindBookingByIdempotencyKey(ctx context.Context, clubID, key string) (*domain.Booking, error) {
	b, err := s.Store.FindBookingByIdempotencyKey(ctx, clubID, key)
	s.mu.Lock()
	hook := s.findByKey
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return b, err
}

func (s *spyStore) GetClubBySlug(ctx context.Context, slug string) (domain.Club, error) {
	s.count("GetClubBySlug")
	return s.Store.GetClubBySlug(ctx, slug)
}

func (s *spyStore) ListCourts(ctx context.Context, clubID string) ([]domain.Court, error) {
	s.count("ListCourts")
	return s.Store.ListCourts(ctx, clubID)
}

func (s *spyStore) ListSeasons(ctx context.Context, clubID string) ([]domain.Season, error) {
	s.count("ListSeasons")
	return s.Store.ListSeasons(ctx, clubID)
}

func (s *spyStore) ListPriceRules(ctx context.Context, clubID string) ([]domain.PriceRule, error) {
	s.count("ListPriceRules")
	rs, err := s.Store.ListPriceRules(ctx, clubID)
	s.mu.Lock()
	hook := s.listRules
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return rs, err
}

func (s *spyStore) onListPriceRules(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listRules = fn
}

func (s *spyStore) ListClosures(ctx context.Context, clubID string, iv domain.Interval) ([]domain.Closure, error) {
	s.count("ListClosures")
	return s.Store.ListClosures(ctx, clubID, iv)
}

func (s *spyStore) ListOccupancy(ctx context.Context, clubID string, iv domain.Interval) ([]domain.Occupancy, error) {
	s.count("ListOccupancy")
	return s.Store.ListOccupancy(ctx, clubID, iv)
}

func (s *spyStore) GetBooking(ctx context.Context, id string) (*domain.Booking, error) {
	b, err := s.Store.GetBooking(ctx, id)
	s.mu.Lock()
	hook := s.getBooking
	s.mu.Unlock()
	if hook != nil {
		hook(ctx, id)
	}
	return b, err
}

func (s *spyStore) onListExpiredHolds(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listHolds = fn
}

func (s *spyStore) ListExpiredHolds(ctx context.Context, now time.Time, limit int) ([]string, error) {
	ids, err := s.Store.ListExpiredHolds(ctx, now, limit)
	s.mu.Lock()
	hook := s.listHolds
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return ids, err
}

// failUpdates makes the next UpdateBooking calls fail with errs, one each, before
// they reach the store.
func (s *spyStore) failUpdates(errs ...error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.updates = append(s.updates, errs...)
}

func (s *spyStore) UpdateBooking(ctx context.Context, id string, now time.Time, fn func(b *domain.Booking) error) error {
	s.mu.Lock()
	var fail error
	if len(s.updates) > 0 {
		fail, s.updates = s.updates[0], s.updates[1:]
	}
	s.mu.Unlock()
	if fail != nil {
		return fail
	}
	return s.Store.UpdateBooking(ctx, id, now, fn)
}

// failAfterSavingRefunds makes the next SaveRefund calls save the refund, then fail
// with errs, one each, as a later step of the caller's transaction might.
func (s *spyStore) failAfterSavingRefunds(errs ...error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.afterSave = append(s.afterSave, errs...)
}

func (s *spyStore) SaveRefund(ctx context.Context, r *domain.Refund) error {
	if err := s.Store.SaveRefund(ctx, r); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var fail error
	if len(s.afterSave) > 0 {
		fail, s.afterSave = s.afterSave[0], s.afterSave[1:]
	}
	return fail
}

// failRecords makes the next RecordMessageSent calls fail with errs, one each, before
// they reach the store.
func (s *spyStore) failRecords(errs ...error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = append(s.records, errs...)
}

func (s *spyStore) RecordMessageSent(ctx context.Context, key string, at time.Time) (bool, error) {
	s.mu.Lock()
	var fail error
	if len(s.records) > 0 {
		fail, s.records = s.records[0], s.records[1:]
	}
	s.mu.Unlock()
	if fail != nil {
		return false, fail
	}
	return s.Store.RecordMessageSent(ctx, key, at)
}

// recordingGateway is the sandbox gateway with a record of the checkouts and refunds
// the use cases asked of it.
type recordingGateway struct {
	*sandbox.Gateway

	mu        sync.Mutex
	checkouts []ports.CheckoutRequest
	refunds   []refundCall
	expiries  []expireCall
	expireErr []error // what the next ExpireCheckout calls fail with, in order, before they reach the sandbox
	refundErr []error // what the next Refund calls fail with, in order, before they reach the sandbox
	openErr   []error // what the next CreateCheckout calls fail with, in order, before they reach the sandbox
}

// expireCall is one ExpireCheckout call and what the gateway answered.
type expireCall struct {
	ref string
	err error
}

func (g *recordingGateway) ExpireCheckout(ctx context.Context, ref string) error {
	g.mu.Lock()
	var err error
	if len(g.expireErr) > 0 {
		err, g.expireErr = g.expireErr[0], g.expireErr[1:]
	}
	g.mu.Unlock()
	if err == nil {
		err = g.Gateway.ExpireCheckout(ctx, ref)
	}
	g.mu.Lock()
	g.expiries = append(g.expiries, expireCall{ref: ref, err: err})
	g.mu.Unlock()
	return err
}

// failExpiries makes the next ExpireCheckout calls fail with errs, one each.
func (g *recordingGateway) failExpiries(errs ...error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.expireErr = append(g.expireErr, errs...)
}

// expireCalls returns the ExpireCheckout calls made of a checkout.
func (g *recordingGateway) expireCalls(ref string) []expireCall {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []expireCall
	for _, c := range g.expiries {
		if c.ref == ref {
			out = append(out, c)
		}
	}
	return out
}

// refundCall is one Refund call and what the gateway answered.
type refundCall struct {
	req ports.RefundRequest
	err error
}

func (g *recordingGateway) CreateCheckout(ctx context.Context, req ports.CheckoutRequest) (ports.Checkout, error) {
	g.mu.Lock()
	g.checkouts = append(g.checkouts, req)
	var err error
	if len(g.openErr) > 0 {
		err, g.openErr = g.openErr[0], g.openErr[1:]
	}
	g.mu.Unlock()
	if err != nil {
		return ports.Checkout{}, err
	}
	return g.Gateway.CreateCheckout(ctx, req)
}

// failCheckouts makes the next CreateCheckout calls fail with errs, one each.
func (g *recordingGateway) failCheckouts(errs ...error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.openErr = append(g.openErr, errs...)
}

// failRefunds makes the next Refund calls fail with errs, one each.
func (g *recordingGateway) failRefunds(errs ...error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refundErr = append(g.refundErr, errs...)
}

func (g *recordingGateway) Refund(ctx context.Context, req ports.RefundRequest) (ports.Refund, error) {
	g.mu.Lock()
	var err error
	if len(g.refundErr) > 0 {
		err, g.refundErr = g.refundErr[0], g.refundErr[1:]
	}
	g.mu.Unlock()
	var r ports.Refund
	if err == nil {
		r, err = g.Gateway.Refund(ctx, req)
	}
	g.mu.Lock()
	g.refunds = append(g.refunds, refundCall{req: req, err: err})
	g.mu.Unlock()
	return r, err
}

// refundCalls returns the Refund calls made for a booking.
func (g *recordingGateway) refundCalls(bookingID string) []refundCall {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []refundCall
	for _, c := range g.refunds {
		if c.req.BookingID == bookingID {
			out = append(out, c)
		}
	}
	return out
}

// recordingReporter is a ports.ErrorReporter that keeps what it is told.
type recordingReporter struct {
	mu      sync.Mutex
	reports []report
}

type report struct {
	err   error
	attrs map[string]string
}

func (r *recordingReporter) Report(_ context.Context, err error, attrs map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reports = append(r.reports, report{err: err, attrs: attrs})
}

func (r *recordingReporter) all() []report {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]report(nil), r.reports...)
}

// webhook is a webhook request as a provider sends it.
type webhook struct {
	header http.Header
	body   []byte
}

// webhookCatcher is the sandbox's HTTP transport: it keeps every webhook the sandbox
// delivers and answers 200, so that a test decides when (and how often) each reaches
// the use cases.
type webhookCatcher struct {
	mu  sync.Mutex
	got []webhook
}

func (c *webhookCatcher) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.got = append(c.got, webhook{header: req.Header.Clone(), body: body})
	c.mu.Unlock()
	return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(bytes.NewReader(nil)), Header: http.Header{}, Request: req}, nil
}

func (c *webhookCatcher) last(t *testing.T) webhook {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	require.NotEmpty(t, c.got, "the sandbox delivered no webhook")
	return c.got[len(c.got)-1]
}

// failingNotifier is a notifier that fails the next sends with the errors a test gives,
// one each, before they reach the notifier it wraps.
type failingNotifier struct {
	ports.Notifier

	mu   sync.Mutex
	errs []error
}

func (n *failingNotifier) failSends(errs ...error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.errs = append(n.errs, errs...)
}

func (n *failingNotifier) Send(ctx context.Context, m ports.Message) error {
	n.mu.Lock()
	var fail error
	if len(n.errs) > 0 {
		fail, n.errs = n.errs[0], n.errs[1:]
	}
	n.mu.Unlock()
	if fail != nil {
		return fail
	}
	return n.Notifier.Send(ctx, m)
}
