package storetest

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

var paymentEventCases = []contract{
	{"FirstRecordIsNew", testPaymentEventReplay},
	{"RolledBackWithTx", testPaymentEventRollback},
	{"CommittedWithTx", testPaymentEventCommit},
}

func (f *fixture) record(t *testing.T, ctx context.Context, provider, id string) bool {
	t.Helper()
	fresh, err := f.store.RecordPaymentEvent(ctx, provider, id, now)
	require.NoError(t, err)
	return fresh
}

func testPaymentEventReplay(t *testing.T, f *fixture) {
	assert.True(t, f.record(t, f.ctx, "sandbox", "evt-1"))
	assert.False(t, f.record(t, f.ctx, "sandbox", "evt-1"), "a replay")
	assert.True(t, f.record(t, f.ctx, "stripe", "evt-1"), "the same id from another provider")
	assert.True(t, f.record(t, f.ctx, "sandbox", "evt-2"))
}

func testPaymentEventRollback(t *testing.T, f *fixture) {
	err := f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		assert.True(t, f.record(t, ctx, "sandbox", "evt-1"))
		assert.False(t, f.record(t, ctx, "sandbox", "evt-1"), "the transaction sees its own record")
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	assert.True(t, f.record(t, f.ctx, "sandbox", "evt-1"), "the record was rolled back")
}

func testPaymentEventCommit(t *testing.T, f *fixture) {
	require.NoError(t, f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		assert.True(t, f.record(t, ctx, "sandbox", "evt-1"))
		return nil
	}))
	assert.False(t, f.record(t, f.ctx, "sandbox", "evt-1"))
}

var txCases = []contract{
	{"CommitKeepsEveryWrite", testTxCommit},
	{"ErrorUndoesEveryWrite", testTxRollback},
	{"ReadsSeeOwnWrites", testTxReadsOwnWrites},
	{"FailedCallLeavesTxUsable", testTxFailedCallLeavesTxUsable},
	{"ConflictInsideRollsBack", testTxConflictRollsBack},
	{"HooksRunAfterCommit", testTxHooksAfterCommit},
	{"HooksDroppedOnRollback", testTxHooksDroppedOnRollback},
	{"NestedJoinsOuter", testTxNested},
}

func testTxCommit(t *testing.T, f *fixture) {
	pending := f.create(t, spec{start: at(8, 0)})
	var court domain.Court
	var b *domain.Booking
	rule := priceRule(f.club, "Peak", 10, 1200)
	spring := season(f.club, "Spring", "2030-03-01", "2030-05-31")
	key := newAPIKey(f.club, "front desk")
	require.NoError(t, f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		var err error
		court, err = domain.NewCourt(newID(), f.club.ID, "Charlie", domain.Padel, false, "")
		require.NoError(t, err)
		require.NoError(t, f.store.SaveCourt(ctx, court))
		require.NoError(t, f.store.SaveSeason(ctx, spring))
		require.NoError(t, f.store.SavePriceRule(ctx, rule))
		require.NoError(t, f.store.SaveAPIKey(ctx, key))
		b = f.booking(t, spec{court: court, key: "checkout-1"})
		require.NoError(t, f.store.CreateBooking(ctx, b, ports.CreateBookingOptions{Now: now}))
		require.NoError(t, f.store.UpdateBooking(ctx, pending.ID(), now, confirm(now)))
		assert.True(t, f.record(t, ctx, "sandbox", "evt-1"))
		return nil
	}))

	got, err := f.store.GetCourt(f.ctx, f.club.ID, court.ID)
	require.NoError(t, err)
	assert.Equal(t, court, got)
	assert.Equal(t, []domain.Season{spring}, f.listSeasons(t))
	assert.Equal(t, []domain.PriceRule{rule}, f.listRules(t))
	_, err = f.store.FindAPIKey(f.ctx, key.Hash)
	assert.NoError(t, err)
	assert.Equal(t, want(b, 1), f.get(t, b.ID()))
	assert.Equal(t, domain.StatusConfirmed, f.get(t, pending.ID()).Status)
	assert.False(t, f.record(t, f.ctx, "sandbox", "evt-1"))
}

func testTxRollback(t *testing.T, f *fixture) {
	pending := f.create(t, spec{start: at(8, 0)})
	spring := season(f.club, "Spring", "2030-03-01", "2030-05-31")
	require.NoError(t, f.store.SaveSeason(f.ctx, spring))
	shut := closure(f.club, "", at(20, 0), at(22, 0), "cleaning")
	require.NoError(t, f.store.SaveClosure(f.ctx, shut))
	rule := priceRule(f.club, "Peak", 10, 1200)
	require.NoError(t, f.store.SavePriceRule(f.ctx, rule))

	club := newClub(t)
	renamed := f.club
	renamed.Slug, renamed.Name = "renamed-"+f.club.Slug, "Renamed"
	var court domain.Court
	key := newAPIKey(f.club, "front desk")
	b := f.booking(t, spec{key: "checkout-1"})
	err := f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		var err error
		require.NoError(t, f.store.SaveClub(ctx, club))
		require.NoError(t, f.store.SaveClub(ctx, renamed))
		court, err = domain.NewCourt(newID(), f.club.ID, "Charlie", domain.Padel, false, "")
		require.NoError(t, err)
		require.NoError(t, f.store.SaveCourt(ctx, court))
		closed := f.court
		closed.Active = false
		require.NoError(t, f.store.SaveCourt(ctx, closed))
		require.NoError(t, f.store.DeleteSeason(ctx, f.club.ID, spring.ID))
		require.NoError(t, f.store.SaveSeason(ctx, season(f.club, "Summer", "2030-06-01", "2030-08-31")))
		require.NoError(t, f.store.DeleteClosure(ctx, f.club.ID, shut.ID))
		require.NoError(t, f.store.SaveClosure(ctx, closure(f.club, f.court.ID, at(8, 0), at(9, 0), "lights")))
		require.NoError(t, f.store.DeletePriceRule(ctx, f.club.ID, rule.ID))
		require.NoError(t, f.store.SavePriceRule(ctx, priceRule(f.club, "Off-peak", 0, 800)))
		require.NoError(t, f.store.SaveAPIKey(ctx, key))
		require.NoError(t, f.store.CreateBooking(ctx, b, ports.CreateBookingOptions{Now: now}))
		require.NoError(t, f.store.UpdateBooking(ctx, b.ID(), now, func(nb *domain.Booking) error {
			return nb.SetCheckout("gateway-1", "checkout-1")
		}))
		require.NoError(t, f.store.UpdateBooking(ctx, pending.ID(), now, confirm(now)))
		assert.True(t, f.record(t, ctx, "sandbox", "evt-1"))
		return errBoom
	})
	require.ErrorIs(t, err, errBoom, "WithinTx returns fn's error")

	_, err = f.store.GetClub(f.ctx, club.ID)
	assertNotFound(t, err, "a new club")
	got, err := f.store.GetClubBySlug(f.ctx, f.club.Slug)
	require.NoError(t, err, "a renamed club")
	assertClub(t, f.club, got)
	_, err = f.store.GetClubBySlug(f.ctx, renamed.Slug)
	assertNotFound(t, err, "a renamed club's new slug")
	_, err = f.store.GetCourt(f.ctx, f.club.ID, court.ID)
	assertNotFound(t, err, "a new court")
	courts, err := f.store.ListCourts(f.ctx, f.club.ID)
	require.NoError(t, err)
	assert.Equal(t, []domain.Court{f.court, f.other}, courts, "a replaced court")
	assert.Equal(t, []domain.Season{spring}, f.listSeasons(t), "seasons")
	assert.Equal(t, []domain.Closure{shut}, f.listClosures(t, at(0, 0), at(23, 59)), "closures")
	assert.Equal(t, []domain.PriceRule{rule}, f.listRules(t), "price rules")
	_, err = f.store.FindAPIKey(f.ctx, key.Hash)
	assertNotFound(t, err, "an API key")
	_, err = f.store.GetBooking(f.ctx, b.ID())
	assertNotFound(t, err, "a new booking")
	_, err = f.store.FindBookingByIdempotencyKey(f.ctx, f.club.ID, "checkout-1")
	assertNotFound(t, err, "a new booking's idempotency key")
	assert.Equal(t, want(pending, 1), f.get(t, pending.ID()), "an updated booking")
	assert.True(t, f.record(t, f.ctx, "sandbox", "evt-1"), "a payment event")

	// The rolled-back booking left its slot and its key free.
	f.create(t, spec{key: "checkout-1"})
}

func testTxReadsOwnWrites(t *testing.T, f *fixture) {
	err := f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		court, err := domain.NewCourt(newID(), f.club.ID, "Charlie", domain.Padel, false, "")
		require.NoError(t, err)
		require.NoError(t, f.store.SaveCourt(ctx, court))
		_, err = f.store.GetCourt(ctx, f.club.ID, court.ID)
		assert.NoError(t, err, "a saved court")

		b := f.booking(t, spec{key: "checkout-1"})
		require.NoError(t, f.store.CreateBooking(ctx, b, ports.CreateBookingOptions{Now: now}))
		require.NoError(t, f.store.UpdateBooking(ctx, b.ID(), now, confirm(now)))
		got, err := f.store.GetBooking(ctx, b.ID())
		require.NoError(t, err)
		assert.Equal(t, 2, got.Version())
		assert.Equal(t, domain.StatusConfirmed, got.Status())
		found, err := f.store.FindBookingByIdempotencyKey(ctx, f.club.ID, "checkout-1")
		require.NoError(t, err)
		assert.Equal(t, b.ID(), found.ID())
		listed, err := f.store.ListBookings(ctx, ports.BookingFilter{ClubID: f.club.ID})
		require.NoError(t, err)
		assert.Equal(t, []string{b.ID()}, ids(listed))
		occupied, err := f.store.ListOccupancy(ctx, f.club.ID, b.Interval())
		require.NoError(t, err)
		if assert.Len(t, occupied, 1) {
			assert.Equal(t, domain.StatusConfirmed, occupied[0].Status)
		}

		spring := season(f.club, "Spring", "2030-03-01", "2030-05-31")
		require.NoError(t, f.store.SaveSeason(ctx, spring))
		seasons, err := f.store.ListSeasons(ctx, f.club.ID)
		require.NoError(t, err)
		assert.Equal(t, []domain.Season{spring}, seasons)
		return f.store.SaveSeason(ctx, season(f.club, "Overlap", "2030-05-01", "2030-06-30"))
	})
	assertError(t, err, domain.KindConflict, domain.CodeSeasonOverlap, "the overlap check sees the transaction's season")
}

// The use cases go on after a refused write inside a transaction (a payment for a
// taken slot is refunded in the same transaction), so a failed call must change
// nothing and leave the transaction usable.
func testTxFailedCallLeavesTxUsable(t *testing.T, f *fixture) {
	later := now.Add(time.Hour)
	lapsed := f.create(t, spec{})
	f.create(t, spec{made: later})
	sameSlug := newClub(t)
	sameSlug.Slug = f.club.Slug
	var b *domain.Booking
	require.NoError(t, f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		assertError(t, f.store.UpdateBooking(ctx, lapsed.ID(), later, confirm(later)), domain.KindConflict, domain.CodeSlotUnavailable)
		assertError(t, f.store.CreateBooking(ctx, f.booking(t, spec{made: later}), ports.CreateBookingOptions{Now: later}), domain.KindConflict, domain.CodeSlotUnavailable)
		require.ErrorIs(t, f.store.UpdateBooking(ctx, lapsed.ID(), later, func(*domain.Booking) error { return errBoom }), errBoom)
		assertError(t, f.store.SaveClub(ctx, sameSlug), domain.KindConflict, domain.CodeDuplicate)

		require.NoError(t, f.store.UpdateBooking(ctx, lapsed.ID(), later, expire(later)))
		b = f.booking(t, spec{start: at(14, 0), made: later})
		return f.store.CreateBooking(ctx, b, ports.CreateBookingOptions{Now: later})
	}))
	assert.Equal(t, domain.StatusExpired, f.get(t, lapsed.ID()).Status)
	assert.Equal(t, 2, f.get(t, lapsed.ID()).Version, "the refused update stored nothing")
	assert.Equal(t, want(b, 1), f.get(t, b.ID()))
}

func testTxConflictRollsBack(t *testing.T, f *fixture) {
	first := f.booking(t, spec{start: at(14, 0)})
	err := f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		require.NoError(t, f.store.CreateBooking(ctx, first, ports.CreateBookingOptions{Now: now}))
		return f.store.CreateBooking(ctx, f.booking(t, spec{start: at(14, 30), dur: time.Hour}), ports.CreateBookingOptions{Now: now})
	})
	assertError(t, err, domain.KindConflict, domain.CodeSlotUnavailable, "the second booking overlaps the first in the same transaction")
	_, err = f.store.GetBooking(f.ctx, first.ID())
	assertNotFound(t, err, "the transaction rolled back")
}

func testTxHooksAfterCommit(t *testing.T, f *fixture) {
	var ran atomic.Int32
	var seen atomic.Bool
	b := f.booking(t, spec{})
	require.NoError(t, f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		require.NoError(t, f.store.CreateBooking(ctx, b, ports.CreateBookingOptions{Now: now}))
		ports.AfterCommit(ctx, func() {
			ran.Add(1)
			// Outside the transaction, after it: the booking is committed and the store free.
			_, err := f.store.GetBooking(f.ctx, b.ID())
			seen.Store(err == nil)
		})
		ports.AfterCommit(ctx, func() { ran.Add(1) })
		assert.Zero(t, ran.Load(), "hooks wait for the commit")
		return nil
	}))
	assert.Equal(t, int32(2), ran.Load(), "every hook ran once WithinTx returned")
	assert.True(t, seen.Load(), "a hook sees the committed booking")
}

func testTxHooksDroppedOnRollback(t *testing.T, f *fixture) {
	var ran atomic.Int32
	f.create(t, spec{start: at(10, 0)})
	err := f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		require.NoError(t, f.store.CreateBooking(ctx, f.booking(t, spec{start: at(14, 0)}), ports.CreateBookingOptions{Now: now}))
		ports.AfterCommit(ctx, func() { ran.Add(1) })
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	assert.Zero(t, ran.Load())

	err = f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		ports.AfterCommit(ctx, func() { ran.Add(1) })
		return f.store.CreateBooking(ctx, f.booking(t, spec{start: at(10, 0)}), ports.CreateBookingOptions{Now: now})
	})
	assertError(t, err, domain.KindConflict, domain.CodeSlotUnavailable)
	assert.Zero(t, ran.Load(), "a store error rolls back too")
}

func testTxNested(t *testing.T, f *fixture) {
	var ran atomic.Int32
	outer, inner := f.booking(t, spec{start: at(10, 0)}), f.booking(t, spec{start: at(14, 0)})
	err := f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		require.NoError(t, f.store.CreateBooking(ctx, outer, ports.CreateBookingOptions{Now: now}))
		require.NoError(t, f.store.WithinTx(ctx, func(ctx context.Context) error {
			_, err := f.store.GetBooking(ctx, outer.ID())
			assert.NoError(t, err, "the inner transaction sees the outer one's writes")
			ports.AfterCommit(ctx, func() { ran.Add(1) })
			return f.store.CreateBooking(ctx, inner, ports.CreateBookingOptions{Now: now})
		}))
		assert.Zero(t, ran.Load(), "the inner transaction does not commit on its own")
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	assert.Zero(t, ran.Load())
	for _, id := range []string{outer.ID(), inner.ID()} {
		_, err := f.store.GetBooking(f.ctx, id)
		assertNotFound(t, err, "the outer rollback undoes the inner transaction's writes")
	}

	require.NoError(t, f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		require.NoError(t, f.store.CreateBooking(ctx, outer, ports.CreateBookingOptions{Now: now}))
		require.NoError(t, f.store.WithinTx(ctx, func(ctx context.Context) error {
			ports.AfterCommit(ctx, func() { ran.Add(1) })
			return f.store.CreateBooking(ctx, inner, ports.CreateBookingOptions{Now: now})
		}))
		assert.Zero(t, ran.Load(), "the inner transaction's hooks wait for the outer commit")
		return nil
	}))
	assert.Equal(t, int32(1), ran.Load())
	for _, id := range []string{outer.ID(), inner.ID()} {
		_, err := f.store.GetBooking(f.ctx, id)
		assert.NoError(t, err)
	}
}
