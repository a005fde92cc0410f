package memory

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/matchpoint/matchpoint/domain"
)

// bookingTable holds the bookings with the indexes that keep lookups away from
// scanning every booking of every club: by club and court ordered by start, by
// idempotency key, by customer, and the set of pending bookings.
type bookingTable struct {
	byID    map[string]domain.BookingRecord
	byClub  map[string]map[string]*courtIndex // club id → court id → its bookings
	byKey   map[clubKey]string                // (club, idempotency key) → booking id
	byEmail map[clubKey]map[string]struct{}   // (club, customer email) → booking ids
	pending map[string]struct{}               // ids of pending bookings
}

type clubKey struct{ club, key string }

func newBookingTable() *bookingTable {
	return &bookingTable{
		byID:    make(map[string]domain.BookingRecord),
		byClub:  make(map[string]map[string]*courtIndex),
		byKey:   make(map[clubKey]string),
		byEmail: make(map[clubKey]map[string]struct{}),
		pending: make(map[string]struct{}),
	}
}

// put stores r, replacing the booking with its id, and logs how to undo it.
func (t *bookingTable) put(u *undoLog, r domain.BookingRecord) {
	old, had := t.byID[r.ID]
	if had {
		t.remove(old)
	}
	t.insert(r)
	u.add(func() {
		t.remove(r)
		if had {
			t.insert(old)
		}
	})
}

func (t *bookingTable) insert(r domain.BookingRecord) {
	t.byID[r.ID] = r
	courts, ok := t.byClub[r.ClubID]
	if !ok {
		courts = make(map[string]*courtIndex)
		t.byClub[r.ClubID] = courts
	}
	ci, ok := courts[r.CourtID]
	if !ok {
		ci = &courtIndex{}
		courts[r.CourtID] = ci
	}
	ci.insert(r)
	if r.IdempotencyKey != "" {
		t.byKey[clubKey{r.ClubID, r.IdempotencyKey}] = r.ID
	}
	ek := clubKey{r.ClubID, r.Customer.Email}
	if t.byEmail[ek] == nil {
		t.byEmail[ek] = make(map[string]struct{})
	}
	t.byEmail[ek][r.ID] = struct{}{}
	if r.Status == domain.StatusPending {
		t.pending[r.ID] = struct{}{}
	}
}

// remove takes r, as it is stored, out of the table and its indexes.
func (t *bookingTable) remove(r domain.BookingRecord) {
	delete(t.byID, r.ID)
	t.byClub[r.ClubID][r.CourtID].remove(r)
	if r.IdempotencyKey != "" {
		delete(t.byKey, clubKey{r.ClubID, r.IdempotencyKey})
	}
	ek := clubKey{r.ClubID, r.Customer.Email}
	delete(t.byEmail[ek], r.ID)
	if len(t.byEmail[ek]) == 0 {
		delete(t.byEmail, ek)
	}
	delete(t.pending, r.ID)
}

// overlapping calls fn with every booking of the court that overlaps iv, by start.
func (t *bookingTable) overlapping(clubID, courtID string, iv domain.Interval, fn func(r domain.BookingRecord)) {
	ci := t.byClub[clubID][courtID]
	if ci == nil {
		return
	}
	for _, e := range ci.between(iv.Start, iv.End) {
		if r := t.byID[e.id]; r.Interval.Overlaps(iv) {
			fn(r)
		}
	}
}

// activeOverlap returns a booking other than r, active at now, that overlaps r on its
// court.
func (t *bookingTable) activeOverlap(r domain.BookingRecord, now time.Time) (domain.BookingRecord, bool) {
	var found domain.BookingRecord
	ok := false
	t.overlapping(r.ClubID, r.CourtID, r.Interval, func(o domain.BookingRecord) {
		if !ok && o.ID != r.ID && domain.IsActive(o.Status, o.HoldExpiresAt, now) {
			found, ok = o, true
		}
	})
	return found, ok
}

// countActive counts the customer's bookings in the club that are active at now and
// have not ended.
func (t *bookingTable) countActive(clubID, email string, now time.Time) int {
	n := 0
	for id := range t.byEmail[clubKey{clubID, email}] {
		if r := t.byID[id]; domain.IsActive(r.Status, r.HoldExpiresAt, now) && now.Before(r.Interval.End) {
			n++
		}
	}
	return n
}

// courtIndex lists one court's bookings by start, then id.
type courtIndex struct {
	entries []entry
	// longest is the longest booking the court has held. Bookings that end after an
	// instant t start after t-longest, which bounds the search for overlaps; it never
	// shrinks, which only widens that bound.
	longest time.Duration
}

type entry struct {
	start time.Time
	id    string
}

func compareEntries(a, b entry) int {
	return cmp.Or(a.start.Compare(b.start), strings.Compare(a.id, b.id))
}

func (ci *courtIndex) insert(r domain.BookingRecord) {
	e := entry{r.Interval.Start, r.ID}
	i, _ := slices.BinarySearchFunc(ci.entries, e, compareEntries)
	ci.entries = slices.Insert(ci.entries, i, e)
	ci.longest = max(ci.longest, r.Interval.Duration())
}

func (ci *courtIndex) remove(r domain.BookingRecord) {
	if i, ok := slices.BinarySearchFunc(ci.entries, entry{r.Interval.Start, r.ID}, compareEntries); ok {
		ci.entries = slices.Delete(ci.entries, i, i+1)
	}
}

// between returns the entries of bookings that may end after from and start before
// to; a zero from or to leaves that side open.
func (ci *courtIndex) between(from, to time.Time) []entry {
	lo, hi := 0, len(ci.entries)
	if !from.IsZero() {
		lo, _ = slices.BinarySearchFunc(ci.entries, entry{start: from.Add(-ci.longest)}, compareEntries)
	}
	if !to.IsZero() {
		hi, _ = slices.BinarySearchFunc(ci.entries, entry{start: to}, compareEntries)
	}
	if hi < lo {
		return nil
	}
	return ci.entries[lo:hi]
}
