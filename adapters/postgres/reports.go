package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// reportRow is a row of reports; CSV is read only by GetReport.
type reportRow struct {
	ID         string       `bun:"id"`
	ClubID     string       `bun:"club_id"`
	Kind       string       `bun:"kind"`
	FirstMonth time.Time    `bun:"first_month"`
	LastMonth  time.Time    `bun:"last_month"`
	State      string       `bun:"state"`
	CreatedAt  time.Time    `bun:"created_at"`
	FinishedAt sql.NullTime `bun:"finished_at"`
	CSV        []byte       `bun:"csv"`
	Error      string       `bun:"error"`
}

// reportColumns are the columns of a listing: all but the CSV.
const reportColumns = `id, club_id, kind, first_month, last_month, state, created_at, finished_at, error`

func (r reportRow) report() ports.Report {
	out := ports.Report{
		ID: r.ID, ClubID: r.ClubID, Kind: ports.ReportKind(r.Kind),
		From: domain.MonthOf(dateOf(r.FirstMonth)), To: domain.MonthOf(dateOf(r.LastMonth)),
		State: ports.ReportState(r.State), CreatedAt: r.CreatedAt.UTC(), Error: r.Error,
	}
	if r.FinishedAt.Valid {
		out.FinishedAt = r.FinishedAt.Time.UTC()
	}
	if len(r.CSV) > 0 {
		out.CSV = r.CSV
	}
	return out
}

// SaveReport creates or replaces a report.
func (s *Store) SaveReport(ctx context.Context, r ports.Report) error {
	if r.From.IsZero() || r.To.IsZero() {
		return fmt.Errorf("postgres: report %s has no months", r.ID)
	}
	csv := r.CSV
	if csv == nil {
		csv = []byte{}
	}
	return s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewRaw(`INSERT INTO reports (id, club_id, kind, first_month, last_month, state, created_at, finished_at, csv, error)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET club_id = excluded.club_id, kind = excluded.kind, first_month = excluded.first_month,
				last_month = excluded.last_month, state = excluded.state, created_at = excluded.created_at,
				finished_at = excluded.finished_at, csv = excluded.csv, error = excluded.error`,
			r.ID, r.ClubID, string(r.Kind), r.From.First().String(), r.To.First().String(), string(r.State),
			r.CreatedAt.UTC(), nullTime(r.FinishedAt), csv, r.Error).Exec(ctx)
		return err
	})
}

// GetReport returns one of the club's reports with its CSV.
func (s *Store) GetReport(ctx context.Context, clubID, id string) (ports.Report, error) {
	var out ports.Report
	err := s.read(ctx, func(ctx context.Context, db bun.IDB) error {
		var rows []reportRow
		if err := db.NewRaw(`SELECT `+reportColumns+`, csv FROM reports WHERE club_id = ? AND id = ?`, clubID, id).Scan(ctx, &rows); err != nil {
			return err
		}
		if len(rows) == 0 {
			return notFound("report %q not found", id)
		}
		out = rows[0].report()
		return nil
	})
	return out, err
}

// ListReports returns the club's reports without their CSV, newest first.
func (s *Store) ListReports(ctx context.Context, clubID string) ([]ports.Report, error) {
	var out []ports.Report
	err := s.read(ctx, func(ctx context.Context, db bun.IDB) error {
		var rows []reportRow
		if err := db.NewRaw(`SELECT `+reportColumns+` FROM reports WHERE club_id = ?
			ORDER BY created_at DESC, id COLLATE "C" DESC`, clubID).Scan(ctx, &rows); err != nil {
			return err
		}
		for _, r := range rows {
			out = append(out, r.report())
		}
		return nil
	})
	return nonNil(out), err
}
