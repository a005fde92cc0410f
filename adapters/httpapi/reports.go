package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// Club reports: requested with a POST, generated in the background, listed, and
// downloaded as CSV once ready.

// reportRequest is the body of POST /v1/admin/clubs/{club}/reports.
type reportRequest struct {
	Kind string `json:"kind"`
	From string `json:"from"`
	To   string `json:"to"`
}

// reportView is a report as a response shows it, without its CSV.
type reportView struct {
	ID         string `json:"id"`
	Kind       string `json:"kind"`
	From       string `json:"from"`
	To         string `json:"to"`
	State      string `json:"state"`
	CreatedAt  string `json:"created_at"`
	FinishedAt string `json:"finished_at,omitempty"`
	Error      string `json:"error,omitempty"`
}

type reportsResponse struct {
	Reports []reportView `json:"reports"`
}

func reportOf(r ports.Report, club domain.Club) reportView {
	v := reportView{ID: r.ID, Kind: string(r.Kind), From: r.From.String(), To: r.To.String(), State: string(r.State),
		CreatedAt: clubTime(r.CreatedAt, club), Error: r.Error}
	if !r.FinishedAt.IsZero() {
		v.FinishedAt = clubTime(r.FinishedAt, club)
	}
	return v
}

// decodeReportRequest decodes {"kind","from","to"}; the months are YYYY-MM.
func decodeReportRequest(body []byte) (ports.ReportKind, domain.Month, domain.Month, error) {
	var in reportRequest
	if err := decodeJSON(body, &in); err != nil {
		return "", domain.Month{}, domain.Month{}, err
	}
	if in.Kind == "" {
		return "", domain.Month{}, domain.Month{}, invalidf("kind is required: revenue or occupancy")
	}
	from, err := parseMonth("from", in.From)
	if err != nil {
		return "", domain.Month{}, domain.Month{}, err
	}
	to, err := parseMonth("to", in.To)
	if err != nil {
		return "", domain.Month{}, domain.Month{}, err
	}
	return ports.ReportKind(in.Kind), from, to, nil
}

// parseMonth parses a required YYYY-MM field.
func parseMonth(field, s string) (domain.Month, error) {
	if s == "" {
		return domain.Month{}, invalidf("%s is required: a month such as 2026-03", field)
	}
	m, err := domain.ParseMonth(s)
	if err != nil {
		return domain.Month{}, invalidf("%s %q is not a month in the form YYYY-MM", field, s)
	}
	return m, nil
}

func (h *Handler) requestReport(w http.ResponseWriter, r *http.Request, club domain.Club) error {
	body, err := h.readBody(w, r)
	if err != nil {
		return err
	}
	kind, from, to, err := decodeReportRequest(body)
	if err != nil {
		return err
	}
	rep, err := h.app.Admin.RequestReport(r.Context(), club, kind, from, to)
	if err != nil {
		return err
	}
	w.Header().Set("Location", r.URL.Path+"/"+url.PathEscape(rep.ID))
	h.writeJSON(w, r, http.StatusAccepted, reportOf(rep, club))
	return nil
}

func (h *Handler) listReports(w http.ResponseWriter, r *http.Request, club domain.Club) error {
	rs, err := h.app.Admin.ListReports(r.Context(), club)
	if err != nil {
		return err
	}
	out := reportsResponse{Reports: make([]reportView, 0, len(rs))}
	for _, rep := range rs {
		out.Reports = append(out.Reports, reportOf(rep, club))
	}
	h.writeJSON(w, r, http.StatusOK, out)
	return nil
}

// reportRetryAfter is how long a client is asked to wait before asking again for a
// pending report.
const reportRetryAfter = 5 * time.Second

// getReport answers a ready report's CSV as an attachment, a pending one's JSON with
// 202 and Retry-After, and for a failed one a 409 invalid_transition problem that
// says why it failed (the listing shows the same).
func (h *Handler) getReport(w http.ResponseWriter, r *http.Request, club domain.Club) error {
	rep, err := h.app.Admin.Report(r.Context(), club, r.PathValue("id"))
	if err != nil {
		return err
	}
	switch rep.State {
	case ports.ReportReady:
		name := club.Slug + "-" + string(rep.Kind) + "-" + rep.From.String() + "-" + rep.To.String() + ".csv"
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		w.Header().Set("Content-Length", strconv.Itoa(len(rep.CSV)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(rep.CSV)
	case ports.ReportFailed:
		return domain.Errorf(domain.CodeInvalidTransition, "report %s failed and has no CSV: %s; request it again", rep.ID, rep.Error)
	default:
		w.Header().Set("Retry-After", strconv.Itoa(int(reportRetryAfter/time.Second)))
		h.writeJSON(w, r, http.StatusAccepted, reportOf(rep, club))
	}
	return nil
}
