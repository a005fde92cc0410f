package storetest

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/internal/check"
)

var paymentEventCases = []contract{
	{"FirstRecordIsNew", testPaymentEventReplay},
	{"RolledBackWithTx", testPaymentEventRollback},
	{"CommittedWithTx", testPaymentEventCommit},
}

func (f *fixture) record(t *testing.T, ctx context.Context, provider, id string) bool {
	t.Helper()
	fresh, err := f.store.RecordPaymentEvent(ctx, provider, id, now)
	check.Require.NoError(t, err)
	return fresh
}

func testPaymentEventReplay(t *testing.T, f *fixture) {
	check.Assert.True(t, f.record(t, f.ctx, "sandbox", "evt-1"))
	check.Assert.False(t, f.record(t, f.ctx, "sandbox", "evt-1"), "a replay")
	check.Assert.True(t, f.record(t, f.ctx, "stripe", "evt-1"), "the same id from another provider")
	check.Assert.True(t, f.record(t, f.ctx, "sandbox", "evt-2"))
}

func testPaymentEventRollback(t *testing.T, f *fixture) {
	err := f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		check.Assert.True(t, f.record(t, ctx, "sandbox", "evt-1"))
		check.Assert.False(t, f.record(t, ctx, "sandbox", "evt-1"), "the transaction sees its own record")
		return errBoom
	})
	check.Require.ErrorIs(t, err, errBoom)
	check.Assert.True(t, f.record(t, f.ctx, "sandbox", "evt-1"), "the record was rolled back")
}

func testPaymentEventCommit(t *testing.T, f *fixture) {
	check.Require.NoError(t, f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		check.Assert.True(t, f.record(t, ctx, "sandbox", "evt-1"))
		return nil
	}))
	check.Assert.False(t, f.record(t, f.ctx, "sandbox", "evt-1"))
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
	check.Require.NoError(t, f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		var err error
		court, err = domain.NewCourt(newID(), f.club.ID, "Charlie", domain.Padel, false, "")
		check.Require.NoError(t, err)
		check.Require.NoError(t, f.store.SaveCourt(ctx, court))
		check.Require.NoError(t, f.store.SaveSeason(ctx, spring))
		check.Require.NoError(t, f.store.SavePriceRule(ctx, rule))
		check.Require.NoError(t, f.store.SaveAPIKey(ctx, key))
		b = f.booking(t, spec{court: court, key: "checkout-1"})
		check.Require.NoError(t, f.store.CreateBooking(ctx, b, ports.CreateBookingOptions{Now: now}))
		check.Require.NoError(t, f.store.UpdateBooking(ctx, pending.ID(), now, confirm(now)))
		check.Assert.True(t, f.record(t, ctx, "sandbox", "evt-1"))
		return nil
	}))

	got, err := f.store.GetCourt(f.ctx, f.club.ID, court.ID)
	check.Require.NoError(t, err)
	check.Assert.Equal(t, court, got)
	check.Assert.Equal(t, []domain.Season{spring}, f.listSeasons(t))
	check.Assert.Equal(t, []domain.PriceRule{rule}, f.listRules(t))
	_, err = f.store.FindAPIKey(f.ctx, key.Hash)
	check.Assert.NoError(t, err)
	check.Assert.Equal(t, want(b, 1), f.get(t, b.ID()))
	check.Assert.Equal(t, domain.StatusConfirmed, f.get(t, pending.ID()).Status)
	check.Assert.False(t, f.record(t, f.ctx, "sandbox", "evt-1"))
}

func testTxRollback(t *testing.T, f *fixture) {
	pending := f.create(t, spec{start: at(8, 0)})
	spring := season(f.club, "Spring", "2030-03-01", "2030-05-31")
	check.Require.NoError(t, f.store.SaveSeason(f.ctx, spring))
	shut := closure(f.club, "", at(20, 0), at(22, 0), "cleaning")
	check.Require.NoError(t, f.store.SaveClosure(f.ctx, shut))
	rule := priceRule(f.club, "Peak", 10, 1200)
	check.Require.NoError(t, f.store.SavePriceRule(f.ctx, rule))

	club := newClub(t)
	renamed := f.club
	renamed.Slug, renamed.Name = "renamed-"+f.club.Slug, "Renamed"
	var court domain.Court
	key := newAPIKey(f.club, "front desk")
	b := f.booking(t, spec{key: "checkout-1"})
	err := f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		var err error
		check.Require.NoError(t, f.store.SaveClub(ctx, club))
		check.Require.NoError(t, f.store.SaveClub(ctx, renamed))
		court, err = domain.NewCourt(newID(), f.club.ID, "Charlie", domain.Padel, false, "")
		check.Require.NoError(t, err)
		check.Require.NoError(t, f.store.SaveCourt(ctx, court))
		closed := f.court
		closed.Active = false
		check.Require.NoError(t, f.store.SaveCourt(ctx, closed))
		check.Require.NoError(t, f.store.DeleteSeason(ctx, f.club.ID, spring.ID))
		check.Require.NoError(t, f.store.SaveSeason(ctx, season(f.club, "Summer", "2030-06-01", "2030-08-31")))
		check.Require.NoError(t, f.store.DeleteClosure(ctx, f.club.ID, shut.ID))
		check.Require.NoError(t, f.store.SaveClosure(ctx, closure(f.club, f.court.ID, at(8, 0), at(9, 0), "lights")))
		check.Require.NoError(t, f.store.DeletePriceRule(ctx, f.club.ID, rule.ID))
		check.Require.NoError(t, f.store.SavePriceRule(ctx, priceRule(f.club, "Off-peak", 0, 800)))
		check.Require.NoError(t, f.store.SaveAPIKey(ctx, key))
		check.Require.NoError(t, f.store.CreateBooking(ctx, b, ports.CreateBookingOptions{Now: now}))
		check.Require.NoError(t, f.store.UpdateBooking(ctx, b.ID(), now, func(nb *domain.Booking) error {
			return nb.SetCheckout("gateway-1", "checkout-1")
		}))
		check.Require.NoError(t, f.store.UpdateBooking(ctx, pending.ID(), now, confirm(now)))
		check.Assert.True(t, f.record(t, ctx, "sandbox", "evt-1"))
		return errBoom
	})
	check.Require.ErrorIs(t, err, errBoom, "WithinTx returns fn's error")

	_, err = f.store.GetClub(f.ctx, club.ID)
	assertNotFound(t, err, "a new club")
	got, err := f.store.GetClubBySlug(f.ctx, f.club.Slug)
	check.Require.NoError(t, err, "a renamed club")
	assertClub(t, f.club, got)
	_, err = f.store.GetClubBySlug(f.ctx, renamed.Slug)
	assertNotFound(t, err, "a renamed club's new slug")
	_, err = f.store.GetCourt(f.ctx, f.club.ID, court.ID)
	assertNotFound(t, err, "a new court")
	courts, err := f.store.ListCourts(f.ctx, f.club.ID)
	check.Require.NoError(t, err)
	check.Assert.Equal(t, []domain.Court{f.court, f.other}, courts, "a replaced court")
	check.Assert.Equal(t, []domain.Season{spring}, f.listSeasons(t), "seasons")
	check.Assert.Equal(t, []domain.Closure{shut}, f.listClosures(t, at(0, 0), at(23, 59)), "closures")
	check.Assert.Equal(t, []domain.PriceRule{rule}, f.listRules(t), "price rules")
	_, err = f.store.FindAPIKey(f.ctx, key.Hash)
	assertNotFound(t, err, "an API key")
	_, err = f.store.GetBooking(f.ctx, b.ID())
	assertNotFound(t, err, "a new booking")
	_, err = f.store.FindBookingByIdempotencyKey(f.ctx, f.club.ID, "checkout-1")
	assertNotFound(t, err, "a new booking's idempotency key")
	check.Assert.Equal(t, want(pending, 1), f.get(t, pending.ID()), "an updated booking")
	check.Assert.True(t, f.record(t, f.ctx, "sandbox", "evt-1"), "a payment event")

	// The rolled-back booking left its slot and its key free.
	f.create(t, spec{key: "checkout-1"})
}

func testTxReadsOwnWrites(t *testing.T, f *fixture) {
	err := f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		court, err := domain.NewCourt(newID(), f.club.ID, "Charlie", domain.Padel, false, "")
		check.Require.NoError(t, err)
		check.Require.NoError(t, f.store.SaveCourt(ctx, court))
		_, err = f.store.GetCourt(ctx, f.club.ID, court.ID)
		check.Assert.NoError(t, err, "a saved court")

		b := f.booking(t, spec{key: "checkout-1"})
		check.Require.NoError(t, f.store.CreateBooking(ctx, b, ports.CreateBookingOptions{Now: now}))
		check.Require.NoError(t, f.store.UpdateBooking(ctx, b.ID(), now, confirm(now)))
		got, err := f.store.GetBooking(ctx, b.ID())
		check.Require.NoError(t, err)
		check.Assert.Equal(t, 2, got.Version())
		check.Assert.Equal(t, domain.StatusConfirmed, got.Status())
		found, err := f.store.FindBookingByIdempotencyKey(ctx, f.club.ID, "checkout-1")
		check.Require.NoError(t, err)
		check.Assert.Equal(t, b.ID(), found.ID())
		listed, err := f.store.ListBookings(ctx, ports.BookingFilter{ClubID: f.club.ID})
		check.Require.NoError(t, err)
		check.Assert.Equal(t, []string{b.ID()}, ids(listed))
		occupied, err := f.store.ListOccupancy(ctx, f.club.ID, b.Interval())
		check.Require.NoError(t, err)
		if check.Assert.Len(t, occupied, 1) {
			check.Assert.Equal(t, domain.StatusConfirmed, occupied[0].Status)
		}

		spring := season(f.club, "Spring", "2030-03-01", "2030-05-31")
		check.Require.NoError(t, f.store.SaveSeason(ctx, spring))
		seasons, err := f.store.ListSeasons(ctx, f.club.ID)
		check.Require.NoError(t, err)
		check.Assert.Equal(t, []domain.Season{spring}, seasons)
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
	check.Require.NoError(t, f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		assertError(t, f.store.UpdateBooking(ctx, lapsed.ID(), later, confirm(later)), domain.KindConflict, domain.CodeSlotUnavailable)
		assertError(t, f.store.CreateBooking(ctx, f.booking(t, spec{made: later}), ports.CreateBookingOptions{Now: later}), domain.KindConflict, domain.CodeSlotUnavailable)
		check.Require.ErrorIs(t, f.store.UpdateBooking(ctx, lapsed.ID(), later, func(*domain.Booking) error { return errBoom }), errBoom)
		assertError(t, f.store.SaveClub(ctx, sameSlug), domain.KindConflict, domain.CodeDuplicate)

		check.Require.NoError(t, f.store.UpdateBooking(ctx, lapsed.ID(), later, expire(later)))
		b = f.booking(t, spec{start: at(14, 0), made: later})
		return f.store.CreateBooking(ctx, b, ports.CreateBookingOptions{Now: later})
	}))
	check.Assert.Equal(t, domain.StatusExpired, f.get(t, lapsed.ID()).Status)
	check.Assert.Equal(t, 2, f.get(t, lapsed.ID()).Version, "the refused update stored nothing")
	check.Assert.Equal(t, want(b, 1), f.get(t, b.ID()))
}

func testTxConflictRollsBack(t *testing.T, f *fixture) {
	first := f.booking(t, spec{start: at(14, 0)})
	err := f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		check.Require.NoError(t, f.store.CreateBooking(ctx, first, ports.CreateBookingOptions{Now: now}))
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
	check.Require.NoError(t, f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		check.Require.NoError(t, f.store.CreateBooking(ctx, b, ports.CreateBookingOptions{Now: now}))
		ports.AfterCommit(ctx, func() {
			ran.Add(1)
			// Outside the transaction, after it: the booking is committed and the store free.
			_, err := f.store.GetBooking(f.ctx, b.ID())
			seen.Store(err == nil)
		})
		ports.AfterCommit(ctx, func() { ran.Add(1) })
		check.Assert.Zero(t, ran.Load(), "hooks wait for the commit")
		return nil
	}))
	check.Assert.Equal(t, int32(2), ran.Load(), "every hook ran once WithinTx returned")
	check.Assert.True(t, seen.Load(), "a hook sees the committed booking")
}

func testTxHooksDroppedOnRollback(t *testing.T, f *fixture) {
	var ran atomic.Int32
	f.create(t, spec{start: at(10, 0)})
	err := f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		check.Require.NoError(t, f.store.CreateBooking(ctx, f.booking(t, spec{start: at(14, 0)}), ports.CreateBookingOptions{Now: now}))
		ports.AfterCommit(ctx, func() { ran.Add(1) })
		return errBoom
	})
	check.Require.ErrorIs(t, err, errBoom)
	check.Assert.Zero(t, ran.Load())

	err = f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		ports.AfterCommit(ctx, func() { ran.Add(1) })
		return f.store.CreateBooking(ctx, f.booking(t, spec{start: at(10, 0)}), ports.CreateBookingOptions{Now: now})
	})
	assertError(t, err, domain.KindConflict, domain.CodeSlotUnavailable)
	check.Assert.Zero(t, ran.Load(), "a store error rolls back too")
}

func testTxNested(t *testing.T, f *fixture) {
	var ran atomic.Int32
	outer, inner := f.booking(t, spec{start: at(10, 0)}), f.booking(t, spec{start: at(14, 0)})
	err := f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		check.Require.NoError(t, f.store.CreateBooking(ctx, outer, ports.CreateBookingOptions{Now: now}))
		check.Require.NoError(t, f.store.WithinTx(ctx, func(ctx context.Context) error {
			_, err := f.store.GetBooking(ctx, outer.ID())
			check.Assert.NoError(t, err, "the inner transaction sees the outer one's writes")
			ports.AfterCommit(ctx, func() { ran.Add(1) })
			return f.store.CreateBooking(ctx, inner, ports.CreateBookingOptions{Now: now})
		}))
		check.Assert.Zero(t, ran.Load(), "the inner transaction does not commit on its own")
		return errBoom
	})
	check.Require.ErrorIs(t, err, errBoom)
	check.Assert.Zero(t, ran.Load())
	for _, id := range []string{outer.ID(), inner.ID()} {
		_, err := f.store.GetBooking(f.ctx, id)
		assertNotFound(t, err, "the outer rollback undoes the inner transaction's writes")
	}

	check.Require.NoError(t, f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		check.Require.NoError(t, f.store.CreateBooking(ctx, outer, ports.CreateBookingOptions{Now: now}))
		check.Require.NoError(t, f.store.WithinTx(ctx, func(ctx context.Context) error {
			ports.AfterCommit(ctx, func() { ran.Add(1) })
			return f.store.CreateBooking(ctx, inner, ports.CreateBookingOptions{Now: now})
		}))
		check.Assert.Zero(t, ran.Load(), "the inner transaction's hooks wait for the outer commit")
		return nil
	}))
	check.Assert.Equal(t, int32(1), ran.Load())
	for _, id := range []string{outer.ID(), inner.ID()} {
		_, err := f.store.GetBooking(f.ctx, id)
		check.Assert.NoError(t, err)
	}
}
