package storetest

import (
	"testing"
	"time"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/internal/check"
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
	check.Require.NoError(t, err)

	// The booking stays active and overlaps itself only: no conflict.
	f.update(t, b.ID(), now, func(nb *domain.Booking) error {
		check.Assert.Equal(t, 1, nb.Version(), "fn gets the stored booking")
		return nb.SetCheckout("gateway-1", "checkout-1")
	})
	check.Require.NoError(t, expect.SetCheckout("gateway-1", "checkout-1"))
	check.Assert.Equal(t, want(expect, 2), f.get(t, b.ID()))

	paidAt := now.Add(5 * time.Minute)
	f.update(t, b.ID(), paidAt, func(nb *domain.Booking) error {
		check.Assert.Equal(t, 2, nb.Version(), "fn gets the stored booking")
		return confirm(paidAt)(nb)
	})
	check.Require.NoError(t, confirm(paidAt)(expect))
	got := f.get(t, b.ID())
	check.Assert.Equal(t, want(expect, 3), got)
	check.Assert.Equal(t, domain.StatusConfirmed, got.Status)
	check.Assert.Equal(t, b.Quote().Total, got.Paid)
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
	check.Assert.ErrorIs(t, err, errBoom)
	check.Assert.Equal(t, want(b, 1), f.get(t, b.ID()))

	// A domain error comes back as it is.
	err = f.store.UpdateBooking(f.ctx, b.ID(), now, expire(now))
	assertError(t, err, domain.KindConflict, domain.CodeInvalidTransition)
	check.Assert.Equal(t, want(b, 1), f.get(t, b.ID()))
}

func testUpdateNotFound(t *testing.T, f *fixture) {
	f.create(t, spec{})
	called := false
	err := f.store.UpdateBooking(f.ctx, newID(), now, func(*domain.Booking) error {
		called = true
		return nil
	})
	assertNotFound(t, err)
	check.Assert.False(t, called, "fn runs only on a booking that exists")
}

func testUpdateTakenSlot(t *testing.T, f *fixture) {
	later := now.Add(time.Hour)

	// Expired, and its slot held by another customer since.
	expired := f.create(t, spec{court: f.court})
	f.update(t, expired.ID(), later, expire(later))
	f.create(t, spec{court: f.court, made: later})
	assertError(t, f.store.UpdateBooking(f.ctx, expired.ID(), later, confirm(later)), domain.KindConflict, domain.CodeSlotUnavailable)
	got := f.get(t, expired.ID())
	check.Assert.Equal(t, domain.StatusExpired, got.Status, "nothing is stored")
	check.Assert.Equal(t, 2, got.Version)

	// Still pending but its hold has passed, and its slot confirmed for someone else.
	lapsed := f.create(t, spec{court: f.other})
	taker := f.create(t, spec{court: f.other, start: at(11, 0), dur: time.Hour, made: later})
	f.update(t, taker.ID(), later, confirm(later))
	assertError(t, f.store.UpdateBooking(f.ctx, lapsed.ID(), later, confirm(later)), domain.KindConflict, domain.CodeSlotUnavailable)
	check.Assert.Equal(t, want(lapsed, 1), f.get(t, lapsed.ID()), "nothing is stored")
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
	check.Assert.Equal(t, domain.StatusConfirmed, got.Status)
	check.Assert.Equal(t, 3, got.Version)

	assertError(t, f.store.CreateBooking(f.ctx, f.booking(t, spec{made: later}), ports.CreateBookingOptions{Now: later}),
		domain.KindConflict, domain.CodeSlotUnavailable, "the confirmed booking holds its slot")
}
