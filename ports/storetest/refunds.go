package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

var refundCases = []contract{
	{"SaveAndGet", testRefundSaveAndGet},
	{"IdempotencyKeyIsUniquePerClub", testRefundKeyUnique},
	{"UpdateStoresWhatFnLeft", testRefundUpdate},
	{"UpdateFnErrorStoresNothing", testRefundUpdateFnError},
	{"ListFiltersByStateAndDue", testRefundListDue},
	{"ListNewestFirstByClub", testRefundListNewestFirst},
	{"RollsBackWithTheTransaction", testRefundRollback},
	{"DuplicateLeavesTxUsable", testRefundDuplicateInTx},
}

// newRefund builds an owed refund of a new booking of club (f.club when zero), made
// at when with the idempotency key given (a new one when empty); it is not stored.
func (f *fixture) newRefund(t *testing.T, club domain.Club, key string, when time.Time) *domain.Refund {
	t.Helper()
	if club.ID == "" {
		club = f.club
	}
	// A court of its own, so that the bookings of a case never overlap.
	court := f.saveCourt(t, club, "Court "+newID()[:8])
	b := f.create(t, spec{club: club, court: court})
	if key == "" {
		key = "cancel:" + b.ID()
	}
	r, err := domain.NewRefund(domain.NewRefundParams{
		ID: newID(), ClubID: club.ID, BookingID: b.ID(), Gateway: "sandbox", PaymentRef: "pay-" + b.ID()[:8],
		Amount: domain.NewMoney(1200, club.Currency), Reason: "cancellation", IdempotencyKey: key, Now: when,
	})
	require.NoError(t, err)
	return r
}

// saveRefund builds and stores a refund.
func (f *fixture) saveRefund(t *testing.T, club domain.Club, when time.Time) *domain.Refund {
	t.Helper()
	r := f.newRefund(t, club, "", when)
	require.NoError(t, f.store.SaveRefund(f.ctx, r))
	return r
}

// getRefund returns the stored record of a refund, its instants in UTC.
func (f *fixture) getRefund(t *testing.T, id string) domain.RefundRecord {
	t.Helper()
	r, err := f.store.GetRefund(f.ctx, id)
	require.NoError(t, err)
	return normalRefund(r.Record())
}

func normalRefund(r domain.RefundRecord) domain.RefundRecord {
	r.NextAttemptAt, r.CreatedAt, r.UpdatedAt = r.NextAttemptAt.UTC(), r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return r
}

func refundIDs(rs []*domain.Refund) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID()
	}
	return out
}

func testRefundSaveAndGet(t *testing.T, f *fixture) {
	r := f.saveRefund(t, domain.Club{}, now)
	assert.Equal(t, normalRefund(r.Record()), f.getRefund(t, r.ID()))
	_, err := f.store.GetRefund(f.ctx, newID())
	assertNotFound(t, err)
	assertError(t, f.store.SaveRefund(f.ctx, r), domain.KindConflict, domain.CodeDuplicate, "the same id again")
}

func testRefundKeyUnique(t *testing.T, f *fixture) {
	first := f.newRefund(t, domain.Club{}, "cancel:same", now)
	require.NoError(t, f.store.SaveRefund(f.ctx, first))
	again := f.newRefund(t, domain.Club{}, "cancel:same", now.Add(time.Minute))
	assertError(t, f.store.SaveRefund(f.ctx, again), domain.KindConflict, domain.CodeDuplicate, "the same key in the club")
	_, err := f.store.GetRefund(f.ctx, again.ID())
	assertNotFound(t, err, "a duplicate stores nothing")
	all, err := f.store.ListRefunds(f.ctx, ports.RefundFilter{ClubID: f.club.ID})
	require.NoError(t, err)
	assert.Equal(t, []string{first.ID()}, refundIDs(all))

	other := f.newRefund(t, f.saveClub(t), "cancel:same", now)
	require.NoError(t, f.store.SaveRefund(f.ctx, other), "another club may use the key")
}

func testRefundUpdate(t *testing.T, f *fixture) {
	r := f.saveRefund(t, domain.Club{}, now)
	expect, err := domain.RestoreRefund(r.Record())
	require.NoError(t, err)
	failAt := now.Add(time.Minute)
	require.NoError(t, f.store.UpdateRefund(f.ctx, r.ID(), func(sr *domain.Refund) error {
		assert.Equal(t, normalRefund(r.Record()), normalRefund(sr.Record()), "fn gets the stored refund")
		_, err := sr.Fail("provider down", failAt)
		return err
	}))
	_, err = expect.Fail("provider down", failAt)
	require.NoError(t, err)
	got := f.getRefund(t, r.ID())
	assert.Equal(t, normalRefund(expect.Record()), got)
	assert.Equal(t, 1, got.Attempts)
	assert.Equal(t, failAt.Add(domain.RefundBackoff(1)), got.NextAttemptAt)

	require.NoError(t, f.store.UpdateRefund(f.ctx, r.ID(), func(sr *domain.Refund) error { return sr.Issue("re_1", failAt.Add(time.Minute)) }))
	got = f.getRefund(t, r.ID())
	assert.Equal(t, domain.RefundIssued, got.State)
	assert.Equal(t, "re_1", got.ProviderID)
	assert.True(t, got.NextAttemptAt.IsZero(), "an issued refund is due no more")

	assertNotFound(t, f.store.UpdateRefund(f.ctx, newID(), func(*domain.Refund) error { return nil }))
}

func testRefundUpdateFnError(t *testing.T, f *fixture) {
	r := f.saveRefund(t, domain.Club{}, now)
	err := f.store.UpdateRefund(f.ctx, r.ID(), func(sr *domain.Refund) error {
		require.NoError(t, sr.Refuse("no such payment", now))
		return errBoom
	})
	assert.ErrorIs(t, err, errBoom)
	assert.Equal(t, normalRefund(r.Record()), f.getRefund(t, r.ID()))
}

func testRefundListDue(t *testing.T, f *fixture) {
	// Owed refunds are due a minute after they are made.
	late := f.saveRefund(t, domain.Club{}, now.Add(2*time.Minute))
	early := f.saveRefund(t, domain.Club{}, now)
	notYet := f.saveRefund(t, domain.Club{}, now.Add(time.Hour))
	issued := f.saveRefund(t, domain.Club{}, now)
	require.NoError(t, f.store.UpdateRefund(f.ctx, issued.ID(), func(r *domain.Refund) error { return r.Issue("re_1", now) }))
	attention := f.saveRefund(t, domain.Club{}, now)
	require.NoError(t, f.store.UpdateRefund(f.ctx, attention.ID(), func(r *domain.Refund) error { return r.Refuse("no", now) }))
	elsewhere := f.saveRefund(t, f.saveClub(t), now.Add(time.Minute))

	due := now.Add(10 * time.Minute)
	got, err := f.store.ListRefunds(f.ctx, ports.RefundFilter{State: domain.RefundOwed, DueBefore: due})
	require.NoError(t, err)
	assert.Equal(t, []string{early.ID(), elsewhere.ID(), late.ID()}, refundIDs(got), "owed and due, of every club, the earliest due first")

	got, err = f.store.ListRefunds(f.ctx, ports.RefundFilter{State: domain.RefundOwed, DueBefore: now.Add(3 * time.Minute)})
	require.NoError(t, err)
	assert.Equal(t, []string{early.ID(), elsewhere.ID(), late.ID()}, refundIDs(got), "due at the instant counts")

	got, err = f.store.ListRefunds(f.ctx, ports.RefundFilter{State: domain.RefundOwed, DueBefore: due, Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, []string{early.ID(), elsewhere.ID()}, refundIDs(got))

	got, err = f.store.ListRefunds(f.ctx, ports.RefundFilter{ClubID: f.club.ID, State: domain.RefundOwed, DueBefore: due})
	require.NoError(t, err)
	assert.Equal(t, []string{early.ID(), late.ID()}, refundIDs(got))

	got, err = f.store.ListRefunds(f.ctx, ports.RefundFilter{ClubID: f.club.ID, State: domain.RefundAttention})
	require.NoError(t, err)
	assert.Equal(t, []string{attention.ID()}, refundIDs(got))
	got, err = f.store.ListRefunds(f.ctx, ports.RefundFilter{ClubID: f.club.ID, State: domain.RefundIssued})
	require.NoError(t, err)
	assert.Equal(t, []string{issued.ID()}, refundIDs(got))
	got, err = f.store.ListRefunds(f.ctx, ports.RefundFilter{ClubID: f.club.ID, State: domain.RefundOwed})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{early.ID(), late.ID(), notYet.ID()}, refundIDs(got))
}

func testRefundListNewestFirst(t *testing.T, f *fixture) {
	a := f.saveRefund(t, domain.Club{}, now)
	b := f.saveRefund(t, domain.Club{}, now.Add(time.Minute))
	c := f.saveRefund(t, domain.Club{}, now.Add(2*time.Minute))
	f.saveRefund(t, f.saveClub(t), now.Add(3*time.Minute))
	got, err := f.store.ListRefunds(f.ctx, ports.RefundFilter{ClubID: f.club.ID})
	require.NoError(t, err)
	assert.Equal(t, []string{c.ID(), b.ID(), a.ID()}, refundIDs(got))
	got, err = f.store.ListRefunds(f.ctx, ports.RefundFilter{ClubID: f.club.ID, Limit: 1})
	require.NoError(t, err)
	assert.Equal(t, []string{c.ID()}, refundIDs(got))
	got, err = f.store.ListRefunds(f.ctx, ports.RefundFilter{ClubID: newID()})
	require.NoError(t, err)
	assert.NotNil(t, got, "an empty list is not nil")
	assert.Empty(t, got)
}

func testRefundRollback(t *testing.T, f *fixture) {
	r := f.newRefund(t, domain.Club{}, "", now)
	err := f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		require.NoError(t, f.store.SaveRefund(ctx, r))
		got, err := f.store.GetRefund(ctx, r.ID())
		require.NoError(t, err, "the transaction reads its own refund")
		assert.Equal(t, r.ID(), got.ID())
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	_, err = f.store.GetRefund(f.ctx, r.ID())
	assertNotFound(t, err, "a rolled-back refund is not owed")
	require.NoError(t, f.store.SaveRefund(f.ctx, r), "its key is free again")
}

func testRefundDuplicateInTx(t *testing.T, f *fixture) {
	first := f.newRefund(t, domain.Club{}, "cancel:once", now)
	dup := f.newRefund(t, domain.Club{}, "cancel:once", now)
	next := f.newRefund(t, domain.Club{}, "", now)
	require.NoError(t, f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		require.NoError(t, f.store.SaveRefund(ctx, first))
		assertError(t, f.store.SaveRefund(ctx, dup), domain.KindConflict, domain.CodeDuplicate)
		return f.store.SaveRefund(ctx, next)
	}))
	for _, r := range []*domain.Refund{first, next} {
		assert.Equal(t, domain.RefundOwed, f.getRefund(t, r.ID()).State)
	}
}
