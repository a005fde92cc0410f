package memory

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/matchpoint/matchpoint/ports"
)

// SaveReport creates or replaces a report; the store keeps its own copy of the CSV.
func (s *Store) SaveReport(ctx context.Context, r ports.Report) error {
	r.CSV = slices.Clone(r.CSV)
	return s.write(ctx, func(u *undoLog) error {
		put(u, s.reports, r.ID, r)
		return nil
	})
}

// GetReport returns one of the club's reports with a copy of its CSV.
func (s *Store) GetReport(ctx context.Context, clubID, id string) (ports.Report, error) {
	var out ports.Report
	err := s.read(ctx, func() error {
		r, ok := s.reports[id]
		if !ok || r.ClubID != clubID {
			return notFound("report %q not found", id)
		}
		r.CSV = slices.Clone(r.CSV)
		out = r
		return nil
	})
	return out, err
}

// ListReports returns the club's reports without their CSV, newest first, then by id
// descending.
func (s *Store) ListReports(ctx context.Context, clubID string) ([]ports.Report, error) {
	var out []ports.Report
	err := s.read(ctx, func() error {
		for _, r := range s.reports {
			if r.ClubID == clubID {
				r.CSV = nil
				out = append(out, r)
			}
		}
		slices.SortFunc(out, func(a, b ports.Report) int {
			return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), strings.Compare(b.ID, a.ID))
		})
		return nil
	})
	return nonNil(out), err
}
