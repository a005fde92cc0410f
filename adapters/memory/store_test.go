package memory_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/memory"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/storetest"
)

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) ports.Store { return memory.New() })
}

var (
	now  = time.Date(2030, time.March, 4, 9, 0, 0, 0, time.UTC)
	club = mustClub("c1", "club-one")
)

func mustClub(id, slug string) domain.Club {
	c, err := domain.NewClub(id, slug, "Club "+id, "Europe/Madrid", "EUR", domain.DefaultPolicy())
	if err != nil {
		panic(err)
	}
	return c
}

func booking(t testing.TB, c domain.Club, id, courtID string, start time.Time) *domain.Booking {
	t.Helper()
	court, err := domain.NewCourt(courtID, c.ID, "Court "+courtID, domain.Padel, true, "")
	require.NoError(t, err)
	customer, err := domain.NewCustomer("Ana", "ana@example.com", "", domain.CategoryGuest)
	require.NoError(t, err)
	iv := domain.Interval{Start: start, End: start.Add(time.Hour)}
	rate := domain.NewMoney(1600, c.Currency)
	b, err := domain.NewBooking(domain.NewBookingParams{
		ID: id, Club: c, Court: court, Customer: customer, Interval: iv, Now: now,
		Quote: domain.Quote{Lines: []domain.QuoteLine{{Start: iv.Start, End: iv.End, RuleID: "r1", Amount: rate}}, Total: rate},
	})
	require.NoError(t, err)
	return b
}

func TestWithinTxRollsBackOnPanic(t *testing.T) {
	t.Parallel()
	s := memory.New()
	ctx := t.Context()
	ran := false
	assert.PanicsWithValue(t, "boom", func() {
		_ = s.WithinTx(ctx, func(ctx context.Context) error {
			require.NoError(t, s.SaveClub(ctx, club))
			ports.AfterCommit(ctx, func() { ran = true })
			panic("boom")
		})
	})
	_, err := s.GetClub(ctx, club.ID)
	assert.Equal(t, domain.KindNotFound, domain.ErrorKind(err), "the panic rolled back the write and released the store")
	assert.False(t, ran)
}

func TestEndedTransactionContextIsRefused(t *testing.T) {
	t.Parallel()
	s := memory.New()
	var leaked context.Context
	require.NoError(t, s.WithinTx(t.Context(), func(ctx context.Context) error {
		leaked = ctx
		return nil
	}))
	// Used after its transaction, the context would write without the store's lock.
	assert.Error(t, s.SaveClub(leaked, club))
	_, err := s.GetClub(leaked, club.ID)
	assert.Error(t, err)
	assert.Error(t, s.WithinTx(leaked, func(context.Context) error { return nil }))
	_, err = s.GetClub(t.Context(), club.ID)
	assert.Equal(t, domain.KindNotFound, domain.ErrorKind(err))
}

func TestCancelledTransactionDoesNotCommit(t *testing.T) {
	t.Parallel()
	s := memory.New()
	ctx, cancel := context.WithCancel(t.Context())
	err := s.WithinTx(ctx, func(ctx context.Context) error {
		require.NoError(t, s.SaveClub(ctx, club))
		cancel()
		return nil
	})
	assert.ErrorIs(t, err, context.Canceled)
	_, err = s.GetClub(t.Context(), club.ID)
	assert.Equal(t, domain.KindNotFound, domain.ErrorKind(err))
}

func TestGoroutinesShareATransaction(t *testing.T) {
	t.Parallel()
	s := memory.New()
	ctx := t.Context()
	require.NoError(t, s.SaveClub(ctx, club))
	const n = 20
	err := s.WithinTx(ctx, func(ctx context.Context) error {
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				c, err := domain.NewCourt(fmt.Sprintf("court-%02d", i), club.ID, fmt.Sprintf("Court %02d", i), domain.Padel, true, "")
				if err == nil {
					err = s.SaveCourt(ctx, c)
				}
				errs[i] = err
			})
		}
		wg.Wait()
		return errors.Join(errs...)
	})
	require.NoError(t, err)
	courts, err := s.ListCourts(ctx, club.ID)
	require.NoError(t, err)
	assert.Len(t, courts, n)
}

func TestTransactionsOfTwoStores(t *testing.T) {
	t.Parallel()
	a, b := memory.New(), memory.New()
	ctx := t.Context()
	ran := 0
	err := a.WithinTx(ctx, func(ctx context.Context) error {
		require.NoError(t, a.SaveClub(ctx, club))
		// The context carries a's transaction, not b's: b runs its own, and its hooks
		// wait for a's commit.
		err := b.WithinTx(ctx, func(ctx context.Context) error {
			ports.AfterCommit(ctx, func() { ran++ })
			return b.SaveClub(ctx, club)
		})
		assert.Zero(t, ran, "b's hooks wait for the outer transaction")
		return err
	})
	require.NoError(t, err)
	assert.Equal(t, 1, ran)
	for _, s := range []*memory.Store{a, b} {
		_, err := s.GetClub(ctx, club.ID)
		assert.NoError(t, err)
	}
}

func TestUpdateBookingKeepsIdentity(t *testing.T) {
	t.Parallel()
	s := memory.New()
	ctx := t.Context()
	b := booking(t, club, "b1", "court-1", now.Add(24*time.Hour))
	require.NoError(t, s.CreateBooking(ctx, b, ports.CreateBookingOptions{Now: now}))
	assert.Equal(t, 1, b.Version(), "the created booking is at the stored version")

	other := booking(t, club, "b2", "court-1", now.Add(48*time.Hour))
	err := s.UpdateBooking(ctx, "b1", now, func(nb *domain.Booking) error {
		*nb = *other
		return nil
	})
	assert.Error(t, err, "an update may not turn one booking into another")

	var seen *domain.Booking
	require.NoError(t, s.UpdateBooking(ctx, "b1", now, func(nb *domain.Booking) error {
		seen = nb
		return nb.SetCheckout("gateway-1", "ref-1")
	}))
	assert.Equal(t, 2, seen.Version(), "the booking fn changed is at the stored version")
}

func TestListOccupancyLooksAtOneClub(t *testing.T) {
	t.Parallel()
	s := memory.New()
	ctx := t.Context()
	day := now.Add(24 * time.Hour)
	busy := mustClub("c2", "club-two")
	for i := range 500 {
		b := booking(t, busy, fmt.Sprintf("busy-%03d", i), fmt.Sprintf("court-%d", i%5), day.Add(time.Duration(i/5)*time.Hour))
		require.NoError(t, s.CreateBooking(ctx, b, ports.CreateBookingOptions{Now: now}))
	}
	mine := booking(t, club, "mine", "court-1", day)
	require.NoError(t, s.CreateBooking(ctx, mine, ports.CreateBookingOptions{Now: now}))

	got, err := s.ListOccupancy(ctx, club.ID, domain.Interval{Start: day.Add(-time.Hour), End: day.Add(time.Hour)})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "mine", got[0].BookingID)

	got, err = s.ListOccupancy(ctx, busy.ID, domain.Interval{Start: day.Add(10 * time.Hour), End: day.Add(12 * time.Hour)})
	require.NoError(t, err)
	assert.Len(t, got, 10, "two hours of five courts")
}

func BenchmarkListOccupancy(b *testing.B) {
	s := memory.New()
	ctx := b.Context()
	day := now.Add(24 * time.Hour)
	for c := range 50 {
		cl := mustClub(fmt.Sprintf("c%02d", c), fmt.Sprintf("club-%02d", c))
		for i := range 200 {
			bk := booking(b, cl, fmt.Sprintf("c%02d-%03d", c, i), fmt.Sprintf("court-%d", i%4), day.Add(time.Duration(i/4)*time.Hour))
			if err := s.CreateBooking(ctx, bk, ports.CreateBookingOptions{Now: now}); err != nil {
				b.Fatal(err)
			}
		}
	}
	iv := domain.Interval{Start: day.Add(20 * time.Hour), End: day.Add(36 * time.Hour)}
	for b.Loop() {
		if _, err := s.ListOccupancy(ctx, "c07", iv); err != nil {
			b.Fatal(err)
		}
	}
}
