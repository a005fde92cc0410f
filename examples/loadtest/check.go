package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// checks are what the checks after the load found.
type checks struct {
	Via      string   // "SQL" or "API"
	Bookings int      // the 201s checked
	Stored   int      // of them, found stored
	Missing  []string // the IDs of those not found
	Active   int      // active bookings looked at for overlaps
	Overlaps []string // pairs of overlapping active bookings, "id1 id2 (court)"
	Note     string   // what the checks could not see
}

func (c checks) ok() bool { return len(c.Missing) == 0 && len(c.Overlaps) == 0 }

// activeStates are the states of a booking that holds its slot (the exclusion
// constraint of the bookings table, adapters/postgres/migrations).
var activeStates = []string{"pending", "confirmed"}

// checkSQL checks in the database that no two active bookings of a court overlap (of
// all the bookings, not only the load's) and that every booking answered 201 is stored.
func checkSQL(ctx context.Context, dbURL string, created []createdBooking) (checks, error) {
	c := checks{Via: "SQL", Bookings: len(created)}
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		return c, err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	// active is the condition of the exclusion constraint, on the bookings named t.
	active := func(t string) string {
		return fmt.Sprintf("%[1]s.status IN ('pending', 'confirmed') AND NOT %[1]s.slot_released", t)
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM bookings b WHERE `+active("b")).Scan(&c.Active); err != nil {
		return c, fmt.Errorf("count the active bookings: %w", err)
	}
	rows, err := db.QueryContext(ctx, `
		SELECT a.id, b.id, a.court_id FROM bookings a
		JOIN bookings b ON a.court_id = b.court_id AND a.id < b.id AND a.during && b.during
		WHERE `+active("a")+` AND `+active("b")+`
		ORDER BY a.id, b.id LIMIT 100`)
	if err != nil {
		return c, fmt.Errorf("look for overlapping bookings: %w", err)
	}
	for rows.Next() {
		var a, b, court string
		if err := rows.Scan(&a, &b, &court); err != nil {
			rows.Close()
			return c, err
		}
		c.Overlaps = append(c.Overlaps, fmt.Sprintf("%s %s (court %s)", a, b, court))
	}
	if err := rows.Err(); err != nil {
		return c, err
	}
	rows.Close()
	ids := make([]string, len(created))
	for i, b := range created {
		ids[i] = b.ID
	}
	found := map[string]bool{}
	for chunk := range slices.Chunk(ids, 5000) {
		rows, err := db.QueryContext(ctx, `SELECT id FROM bookings WHERE id = ANY($1)`, chunk)
		if err != nil {
			return c, fmt.Errorf("look up the bookings answered 201: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return c, err
			}
			found[id] = true
		}
		if err := rows.Err(); err != nil {
			return c, err
		}
		rows.Close()
	}
	for _, id := range ids {
		if found[id] {
			c.Stored++
		} else {
			c.Missing = append(c.Missing, id)
		}
	}
	return c, nil
}

// checkAPI checks through the API, with each booking's access token, that every
// booking answered 201 is stored, and that no two of them that are active overlap on a
// court. It sees only the load's bookings: the check of them all is in SQL, on Postgres.
func checkAPI(ctx context.Context, client *http.Client, base string, created []createdBooking) (checks, error) {
	c := checks{Via: "API", Bookings: len(created),
		Note: "through the API, among the load's own bookings; the check in SQL of every booking needs Postgres (-start postgres, or -postgres with -target)"}
	type got struct {
		ID, Status, Start, End string
		CourtID                string `json:"court_id"`
	}
	results := make([]*got, len(created))
	errs := make([]error, len(created))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, b := range created {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/bookings/"+url.PathEscape(b.ID), nil)
			if err != nil {
				errs[i] = err
				return
			}
			req.Header.Set("Authorization", "Bearer "+b.Token)
			resp, err := client.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				errs[i] = err
				return
			}
			if resp.StatusCode == http.StatusNotFound {
				return // missing
			}
			if resp.StatusCode != http.StatusOK {
				errs[i] = fmt.Errorf("GET /v1/bookings/%s: %s: %s", b.ID, resp.Status, body)
				return
			}
			var v struct{ Booking got }
			if err := json.Unmarshal(body, &v); err != nil {
				errs[i] = fmt.Errorf("GET /v1/bookings/%s: %w", b.ID, err)
				return
			}
			results[i] = &v.Booking
		}()
	}
	wg.Wait()
	type span struct {
		id         string
		start, end time.Time
	}
	byCourt := map[string][]span{}
	for i, r := range results {
		if errs[i] != nil {
			return c, errs[i]
		}
		if r == nil {
			c.Missing = append(c.Missing, created[i].ID)
			continue
		}
		c.Stored++
		if !slices.Contains(activeStates, r.Status) {
			continue
		}
		start, err1 := time.Parse(time.RFC3339, r.Start)
		end, err2 := time.Parse(time.RFC3339, r.End)
		if err1 != nil || err2 != nil {
			return c, fmt.Errorf("booking %s: start %q, end %q: not RFC 3339", r.ID, r.Start, r.End)
		}
		c.Active++
		byCourt[r.CourtID] = append(byCourt[r.CourtID], span{r.ID, start, end})
	}
	for court, spans := range byCourt {
		slices.SortFunc(spans, func(a, b span) int { return a.start.Compare(b.start) })
		for i := 1; i < len(spans); i++ {
			for j := i - 1; j >= 0; j-- { // every earlier span still open at spans[i]'s start
				if spans[j].end.After(spans[i].start) {
					c.Overlaps = append(c.Overlaps, fmt.Sprintf("%s %s (court %s)", spans[j].id, spans[i].id, court))
				}
			}
		}
	}
	slices.Sort(c.Overlaps)
	return c, nil
}
