package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

var bookingUpdateCases = []contract{
	{"StoresChangesOneVersionUp", testUpdateStoresChanges},
	{"FnErrorStoresNothing", testUpdateFnError},
	{"NotFound", testUpdateNotFound},
	{"ConfirmingOverATakenSlotConflicts", testUpdateTakenSlot},
	{"ConfirmingOverAFreeSlot", testUpdateFreeSlot},
}

func testUpdateStoresChanges(t *testing.T, f *fixture) {
	b := f.create(t, spec{})
	expect, err := domain.RestoreBooking(b.Record())
	require.NoError(t, err)

	// The booking stays active and overlaps itself only: no conflict.
	f.update(t, b.ID(), now, func(nb *domain.Booking) error {
		assert.Equal(t, 1, nb.Version(), "fn gets the stored booking")
		return nb.SetCheckout("gateway-1", "checkout-1")
	})
	require.NoError(t, expect.SetCheckout("gateway-1", "checkout-1"))
	assert.Equal(t, want(expect, 2), f.get(t, b.ID()))

	paidAt := now.Add(5 * time.Minute)
	f.update(t, b.ID(), paidAt, func(nb *domain.Booking) error {
		assert.Equal(t, 2, nb.Version(), "fn gets the stored booking")
		return confirm(paidAt)(nb)
	})
	require.NoError(t, confirm(paidAt)(expect))
	got := f.get(t, b.ID())
	assert.Equal(t, want(expect, 3), got)
	assert.Equal(t, domain.StatusConfirmed, got.Status)
	assert.Equal(t, b.Quote().Total, got.Paid)
}

func testUpdateFnError(t *testing.T, f *fixture) {
	b := f.create(t, spec{})

	err := f.store.UpdateBooking(f.ctx, b.ID(), now, func(nb *domain.Booking) error {
		if err := nb.SetCheckout("gateway-1", "checkout-1"); err != nil {
			return err
		}
		if _, err := nb.Cancel(domain.DefaultPolicy(), now); err != nil {
			return err
		}
		return errBoom
	})
	assert.ErrorIs(t, err, errBoom)
	assert.Equal(t, want(b, 1), f.get(t, b.ID()))

	// A domain error comes back as it is.
	err = f.store.UpdateBooking(f.ctx, b.ID(), now, expire(now))
	assertError(t, err, domain.KindConflict, domain.CodeInvalidTransition)
	assert.Equal(t, want(b, 1), f.get(t, b.ID()))
}

func testUpdateNotFound(t *testing.T, f *fixture) {
	f.create(t, spec{})
	called := false
	err := f.store.UpdateBooking(f.ctx, newID(), now, func(*domain.Booking) error {
		called = true
		return nil
	})
	assertNotFound(t, err)
	assert.False(t, called, "fn runs only on a booking that exists")
}

func testUpdateTakenSlot(t *testing.T, f *fixture) {
	later := now.Add(time.Hour)

	// Expired, and its slot held by another customer since.
	expired := f.create(t, spec{court: f.court})
	f.update(t, expired.ID(), later, expire(later))
	f.create(t, spec{court: f.court, made: later})
	assertError(t, f.store.UpdateBooking(f.ctx, expired.ID(), later, confirm(later)), domain.KindConflict, domain.CodeSlotUnavailable)
	got := f.get(t, expired.ID())
	assert.Equal(t, domain.StatusExpired, got.Status, "nothing is stored")
	assert.Equal(t, 2, got.Version)

	// Still pending but its hold has passed, and its slot confirmed for someone else.
	lapsed := f.create(t, spec{court: f.other})
	taker := f.create(t, spec{court: f.other, start: at(11, 0), dur: time.Hour, made: later})
	f.update(t, taker.ID(), later, confirm(later))
	assertError(t, f.store.UpdateBooking(f.ctx, lapsed.ID(), later, confirm(later)), domain.KindConflict, domain.CodeSlotUnavailable)
	assert.Equal(t, want(lapsed, 1), f.get(t, lapsed.ID()), "nothing is stored")
}

func testUpdateFreeSlot(t *testing.T, f *fixture) {
	later := now.Add(time.Hour)
	b := f.create(t, spec{})
	f.update(t, b.ID(), later, expire(later))
	// Someone held the slot meanwhile and cancelled.
	gone := f.create(t, spec{made: later})
	f.update(t, gone.ID(), later, cancel(later))

	f.update(t, b.ID(), later, confirm(later))
	got := f.get(t, b.ID())
	assert.Equal(t, domain.StatusConfirmed, got.Status)
	assert.Equal(t, 3, got.Version)

	assertError(t, f.store.CreateBooking(f.ctx, f.booking(t, spec{made: later}), ports.CreateBookingOptions{Now: later}),
		domain.KindConflict, domain.CodeSlotUnavailable, "the confirmed booking holds its slot")
}
