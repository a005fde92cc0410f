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

var reportCases = []contract{
	{"SaveAndGetPending", testReportPending},
	{"ReplaceWhenReady", testReportReady},
	{"ReplaceWhenFailed", testReportFailed},
	{"NotFoundInAnotherClub", testReportOtherClub},
	{"ListNewestFirstWithoutCSV", testReportList},
	{"RolledBackWithTheTransaction", testReportRollback},
}

// newReport returns a pending revenue report of club for January to March 2026, made at
// now; it is not stored.
func newReport(club domain.Club) ports.Report {
	return ports.Report{
		ID: newID(), ClubID: club.ID, Kind: ports.ReportRevenue,
		From: domain.MustMonth("2026-01"), To: domain.MustMonth("2026-03"),
		State: ports.ReportPending, CreatedAt: now,
	}
}

// utcReport returns r with its instants in UTC, as a store may return them in another zone.
func utcReport(r ports.Report) ports.Report {
	r.CreatedAt, r.FinishedAt = r.CreatedAt.UTC(), r.FinishedAt.UTC()
	if r.FinishedAt.IsZero() {
		r.FinishedAt = time.Time{}
	}
	return r
}

func (f *fixture) getReport(t *testing.T, id string) ports.Report {
	t.Helper()
	got, err := f.store.GetReport(f.ctx, f.club.ID, id)
	require.NoError(t, err)
	return utcReport(got)
}

func testReportPending(t *testing.T, f *fixture) {
	r := newReport(f.club)
	require.NoError(t, f.store.SaveReport(f.ctx, r))
	got := f.getReport(t, r.ID)
	assert.Empty(t, got.CSV)
	got.CSV = nil
	assert.Equal(t, r, got)
}

func testReportReady(t *testing.T, f *fixture) {
	r := newReport(f.club)
	r.Kind, r.From, r.To = ports.ReportOccupancy, domain.MustMonth("2025-12"), domain.MustMonth("2025-12")
	require.NoError(t, f.store.SaveReport(f.ctx, r))
	// Every byte comes back as it was: quotes, commas, line ends, a NUL and invalid UTF-8.
	r.State, r.FinishedAt = ports.ReportReady, now.Add(time.Minute)
	r.CSV = []byte("month,court\r\n2025-12,\"Court \"\"A\"\", north\"\r\n\x00\xff\n")
	require.NoError(t, f.store.SaveReport(f.ctx, r))
	assert.Equal(t, r, f.getReport(t, r.ID))
}

func testReportFailed(t *testing.T, f *fixture) {
	r := newReport(f.club)
	require.NoError(t, f.store.SaveReport(f.ctx, r))
	r.State, r.FinishedAt, r.Error = ports.ReportFailed, now.Add(2*time.Minute), "the club's zone is unknown"
	require.NoError(t, f.store.SaveReport(f.ctx, r))
	got := f.getReport(t, r.ID)
	assert.Empty(t, got.CSV)
	got.CSV = nil
	assert.Equal(t, r, got)
}

func testReportOtherClub(t *testing.T, f *fixture) {
	other := f.saveClub(t)
	r := newReport(other)
	require.NoError(t, f.store.SaveReport(f.ctx, r))
	_, err := f.store.GetReport(f.ctx, f.club.ID, r.ID)
	assertNotFound(t, err, "another club's report")
	_, err = f.store.GetReport(f.ctx, f.club.ID, newID())
	assertNotFound(t, err, "an unknown id")
	_, err = f.store.GetReport(f.ctx, other.ID, r.ID)
	assert.NoError(t, err)
}

func testReportList(t *testing.T, f *fixture) {
	empty, err := f.store.ListReports(f.ctx, f.club.ID)
	require.NoError(t, err)
	assert.NotNil(t, empty, "an empty list is not nil")
	assert.Empty(t, empty)

	old := newReport(f.club)
	old.CreatedAt = now.Add(-time.Hour)
	old.State, old.FinishedAt, old.CSV = ports.ReportReady, now.Add(-59*time.Minute), []byte("a,b\r\n")
	a, b := newReport(f.club), newReport(f.club) // made at the same instant: by id, descending
	if a.ID < b.ID {
		a, b = b, a
	}
	for _, r := range []ports.Report{b, old, a, newReport(f.saveClub(t))} {
		require.NoError(t, f.store.SaveReport(f.ctx, r))
	}
	got, err := f.store.ListReports(f.ctx, f.club.ID)
	require.NoError(t, err)
	old.CSV = nil
	want := []ports.Report{a, b, old}
	require.Len(t, got, len(want))
	for i := range got {
		assert.Nil(t, got[i].CSV, "a listing carries no CSV")
		assert.Equal(t, want[i], utcReport(got[i]))
	}
}

func testReportRollback(t *testing.T, f *fixture) {
	r := newReport(f.club)
	err := f.store.WithinTx(f.ctx, func(ctx context.Context) error {
		require.NoError(t, f.store.SaveReport(ctx, r))
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	_, err = f.store.GetReport(f.ctx, f.club.ID, r.ID)
	assertNotFound(t, err, "a report saved in a transaction rolled back")
}
