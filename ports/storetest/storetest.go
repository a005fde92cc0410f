package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// Run runs the contract suite of ports.Store. newStore returns a fresh, empty store
// isolated from every other it returns; it may be called from parallel subtests.
func Run(t *testing.T, newStore func(t *testing.T) ports.Store) {
	groups := []struct {
		name  string
		cases []contract
	}{
		{"Clubs", clubCases},
		{"Courts", courtCases},
		{"Seasons", seasonCases},
		{"Closures", closureCases},
		{"PriceRules", priceRuleCases},
		{"APIKeys", apiKeyCases},
		{"Reports", reportCases},
		{"PaymentEvents", paymentEventCases},
		{"Refunds", refundCases},
		{"SentMessages", sentMessageCases},
		{"Bookings", bookingCases},
		{"BookingUpdates", bookingUpdateCases},
		{"BookingLists", bookingListCases},
		{"Transactions", txCases},
		{"Concurrency", concurrencyCases},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.test(t, newFixture(t, newStore(t)))
				})
			}
		})
	}
}

// contract is one case of the suite, run on a fresh fixture.
type contract struct {
	name string
	test func(t *testing.T, f *fixture)
}

// now is the instant the suite works at; bookings are made for the next day (see at).
var now = time.Date(2030, time.March, 4, 9, 0, 0, 0, time.UTC)

// at returns hh:mm UTC on the day after now.
func at(hh, mm int) time.Time { return time.Date(2030, time.March, 5, hh, mm, 0, 0, time.UTC) }

// errBoom is the failure the suite's functions return to roll things back.
var errBoom = errors.New("boom")

// fixture is a fresh store holding one club with two padel courts.
type fixture struct {
	store ports.Store
	ctx   context.Context
	club  domain.Club
	court domain.Court // "Alpha"
	other domain.Court // "Bravo"
}

func newFixture(t *testing.T, s ports.Store) *fixture {
	t.Helper()
	require.NotNil(t, s, "newStore returned nil")
	f := &fixture{store: s, ctx: t.Context()}
	f.club = f.saveClub(t)
	f.court = f.saveCourt(t, f.club, "Alpha")
	f.other = f.saveCourt(t, f.club, "Bravo")
	return f
}

// newClub returns a valid club with a new id and slug; it is not stored.
func newClub(t *testing.T) domain.Club {
	t.Helper()
	id := newID()
	c, err := domain.NewClub(id, "club-"+id[:8], "Club "+id[:8], "Europe/Madrid", "EUR", domain.DefaultPolicy())
	require.NoError(t, err)
	return c
}

// saveClub stores and returns a new club.
func (f *fixture) saveClub(t *testing.T) domain.Club {
	t.Helper()
	c := newClub(t)
	require.NoError(t, f.store.SaveClub(f.ctx, c))
	return c
}

// saveCourt stores and returns a new padel court of club.
func (f *fixture) saveCourt(t *testing.T, club domain.Club, name string) domain.Court {
	t.Helper()
	c, err := domain.NewCourt(newID(), club.ID, name, domain.Padel, true, "glass")
	require.NoError(t, err)
	require.NoError(t, f.store.SaveCourt(f.ctx, c))
	return c
}

// spec describes a booking; zero fields take the defaults in brackets.
type spec struct {
	club  domain.Club   // [f.club]
	court domain.Court  // [f.court]
	start time.Time     // [at(10, 0)]
	dur   time.Duration // [90 minutes]
	email string        // [a customer of its own]
	key   string        // idempotency key [none]
	made  time.Time     // when it is made, which starts its hold [now]
}

// booking returns a new pending booking built by the domain; it is not stored.
func (f *fixture) booking(t *testing.T, s spec) *domain.Booking {
	t.Helper()
	if s.club.ID == "" {
		s.club = f.club
	}
	if s.court.ID == "" {
		s.court = f.court
	}
	if s.start.IsZero() {
		s.start = at(10, 0)
	}
	if s.dur == 0 {
		s.dur = 90 * time.Minute
	}
	if s.email == "" {
		s.email = "player-" + newID()[:8] + "@example.com"
	}
	if s.made.IsZero() {
		s.made = now
	}
	customer, err := domain.NewCustomer("Player One", s.email, "+34 600 000 000", domain.CategoryGuest)
	require.NoError(t, err)
	iv, err := domain.NewInterval(s.start, s.start.Add(s.dur))
	require.NoError(t, err)
	id := newID()
	b, err := domain.NewBooking(domain.NewBookingParams{
		ID: id, Club: s.club, Court: s.court, Customer: customer, Interval: iv,
		Quote: quote(s.club, iv), TokenHash: hash("token " + id), IdempotencyKey: s.key,
		RequestHash: hash("request " + id), Now: s.made,
	})
	require.NoError(t, err)
	return b
}

// create builds a booking and stores it as made at s.made, with no customer limit.
func (f *fixture) create(t *testing.T, s spec) *domain.Booking {
	t.Helper()
	b := f.booking(t, s)
	require.NoError(t, f.store.CreateBooking(f.ctx, b, ports.CreateBookingOptions{Now: b.Record().CreatedAt}))
	return b
}

// update applies fn to a stored booking at when and requires it to succeed.
func (f *fixture) update(t *testing.T, id string, when time.Time, fn func(b *domain.Booking) error) {
	t.Helper()
	require.NoError(t, f.store.UpdateBooking(f.ctx, id, when, fn))
}

// get returns the stored record of a booking.
func (f *fixture) get(t *testing.T, id string) domain.BookingRecord {
	t.Helper()
	b, err := f.store.GetBooking(f.ctx, id)
	require.NoError(t, err)
	return normal(b.Record())
}

// confirm pays a booking in full.
func confirm(when time.Time) func(b *domain.Booking) error {
	return func(b *domain.Booking) error { return b.ConfirmPayment(b.Quote().Total, "pay-"+b.ID()[:8], when) }
}

// cancel cancels a booking under the default policy.
func cancel(when time.Time) func(b *domain.Booking) error {
	return func(b *domain.Booking) error {
		_, err := b.Cancel(domain.DefaultPolicy(), when)
		return err
	}
}

// expire ends a booking's hold.
func expire(when time.Time) func(b *domain.Booking) error {
	return func(b *domain.Booking) error { return b.Expire(when) }
}

// quote prices iv at 8.00 per 30-minute slot, one line a slot.
func quote(club domain.Club, iv domain.Interval) domain.Quote {
	q := domain.Quote{Total: domain.NewMoney(0, club.Currency)}
	for t := iv.Start; t.Before(iv.End); t = t.Add(30 * time.Minute) {
		rate := domain.NewMoney(800, club.Currency)
		q.Lines = append(q.Lines, domain.QuoteLine{Start: t, End: t.Add(30 * time.Minute), RuleID: "standard", Amount: rate})
		q.Total = domain.NewMoney(q.Total.Amount()+rate.Amount(), club.Currency)
	}
	return q
}

// want is the record a store should hold for b at version.
func want(b *domain.Booking, version int) domain.BookingRecord {
	r := normal(b.Record())
	r.Version = version
	return r
}

// normal returns r with every instant in UTC and without a monotonic reading, so that
// records compare equal whatever zone a store returns instants in.
func normal(r domain.BookingRecord) domain.BookingRecord {
	r.Interval = domain.Interval{Start: r.Interval.Start.UTC(), End: r.Interval.End.UTC()}
	r.HoldExpiresAt, r.CreatedAt, r.UpdatedAt = r.HoldExpiresAt.UTC(), r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	lines := make([]domain.QuoteLine, len(r.Quote.Lines))
	for i, l := range r.Quote.Lines {
		l.Start, l.End = l.Start.UTC(), l.End.UTC()
		lines[i] = l
	}
	r.Quote.Lines = lines
	return r
}

// ids returns the ids of bookings, in order.
func ids(bs []*domain.Booking) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.ID()
	}
	return out
}

// assertError checks that err is a domain error of kind and code.
func assertError(t *testing.T, err error, kind domain.Kind, code string, msgAndArgs ...any) bool {
	t.Helper()
	if !assert.Error(t, err, msgAndArgs...) {
		return false
	}
	return assert.Equal(t, kind, domain.ErrorKind(err), "kind of %v", err) &&
		assert.Equal(t, code, domain.ErrorCode(err), "code of %v", err)
}

// assertNotFound checks that err is a not_found error.
func assertNotFound(t *testing.T, err error, msgAndArgs ...any) bool {
	t.Helper()
	return assertError(t, err, domain.KindNotFound, domain.CodeNotFound, msgAndArgs...)
}

// newID returns a random UUID (version 4) string.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// hash returns the hex SHA-256 of s.
func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
