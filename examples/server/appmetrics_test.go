package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/cache/redis/redistest"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// value returns the value of the counter, or the sample count of the histogram, of
// family name with exactly these labels in families; zero when there is none.
func value(families map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	m := sample(families[name], labels)
	switch {
	case m == nil:
		return 0
	case m.GetHistogram() != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return m.GetCounter().GetValue()
}

// grew returns how much each series named in want grew from before to after.
func grew(before, after map[string]*dto.MetricFamily, want map[string]map[string]string) map[string]float64 {
	out := map[string]float64{}
	for key, labels := range want {
		name, _, _ := strings.Cut(key, "{")
		out[key] = value(after, name, labels) - value(before, name, labels)
	}
	return out
}

// TestMetricsCountABookingsLife: a booking taken through the example server (memory
// store, in-process queue) — held, paid through the sandbox, its webhook delivered
// twice, a forged webhook refused, a clash, the cancellation and its refund — shows in
// the use cases' counts at /metrics, and so do its jobs and the cache's hits.
func TestMetricsCountABookingsLife(t *testing.T) {
	s := startServer(t)
	loc := s.demo.Club.Location
	day := domain.DateOf(time.Now(), loc).AddDays(3)
	start, ok := day.At(domain.MustClock("17:30"), loc)
	require.True(t, ok)
	padel1 := s.demo.Courts[0]
	availability := "/v1/clubs/demo/availability?date=" + day.String() + "&sport=padel&duration=90"
	before := scrape(t, s.base+"/metrics")

	r := s.do(t, "POST", "/v1/clubs/demo/bookings", bookingJSON(padel1.ID, start, 90, "Ana Pérez", "ana@example.com"), nil)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	id, token, checkout := obj(t, r.body, "booking")["id"].(string), r.body["access_token"].(string), r.body["checkout_url"].(string)
	clash := s.do(t, "POST", "/v1/clubs/demo/bookings", bookingJSON(padel1.ID, start, 60, "Bruno", "bruno@example.com"), nil)
	require.Equal(t, http.StatusConflict, clash.status, clash.raw)

	paid := s.do(t, "POST", checkout+"/pay", "", nil)
	require.Equal(t, http.StatusOK, paid.status, paid.raw)
	require.Equal(t, float64(200), paid.body["webhook_status"])
	dup := s.do(t, "POST", "/sandbox/events/"+paid.body["event_id"].(string)+"/resend", "", nil)
	require.Equal(t, float64(200), dup.body["webhook_status"], dup.raw)
	forged := s.do(t, "POST", "/v1/webhooks/sandbox", `{"id":"evt_forged","type":"paid"}`, map[string]string{"Sandbox-Signature": "t=1,v1=00"})
	require.Equal(t, http.StatusUnauthorized, forged.status, forged.raw)

	r = s.do(t, "POST", "/v1/bookings/"+id+"/cancel", "", map[string]string{"Authorization": "Bearer " + token})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	s.drain(t)
	require.Equal(t, 1, s.messages(ports.MessageConfirmation, id))
	require.Equal(t, 1, s.messages(ports.MessageCancellation, id))

	after := scrape(t, s.base+"/metrics")
	assert.Equal(t, map[string]float64{
		"bookings_total{held}":                      1,
		"bookings_total{confirmed}":                 1,
		"bookings_total{cancelled}":                 1,
		"bookings_total{conflict}":                  1,
		"bookings_total{expired}":                   0,
		"webhooks_total{sandbox,confirmed}":         1,
		"webhooks_total{sandbox,duplicate}":         1,
		"webhooks_total{sandbox,rejected}":          1,
		"refunds_total{owed}":                       1,
		"refunds_total{issued}":                     1,
		"jobs_total{payment.refund,succeeded}":      1,
		"jobs_total{notify.booking,succeeded}":      2, // the confirmation and the cancellation
		"job_queue_lag_seconds{payment.refund}":     1,
		"job_duration_seconds{notify.booking}":      2,
		"holds_expired_total{job}":                  0,
		"jobs_total{booking.expire_hold,succeeded}": 0, // its hold runs for minutes more
	}, grew(before, after, map[string]map[string]string{
		"bookings_total{held}":                      {"outcome": "held"},
		"bookings_total{confirmed}":                 {"outcome": "confirmed"},
		"bookings_total{cancelled}":                 {"outcome": "cancelled"},
		"bookings_total{conflict}":                  {"outcome": "conflict"},
		"bookings_total{expired}":                   {"outcome": "expired"},
		"webhooks_total{sandbox,confirmed}":         {"provider": "sandbox", "outcome": "confirmed"},
		"webhooks_total{sandbox,duplicate}":         {"provider": "sandbox", "outcome": "duplicate"},
		"webhooks_total{sandbox,rejected}":          {"provider": "sandbox", "outcome": "rejected"},
		"refunds_total{owed}":                       {"outcome": "owed"},
		"refunds_total{issued}":                     {"outcome": "issued"},
		"jobs_total{payment.refund,succeeded}":      {"kind": "payment.refund", "outcome": "succeeded"},
		"jobs_total{notify.booking,succeeded}":      {"kind": "notify.booking", "outcome": "succeeded"},
		"job_queue_lag_seconds{payment.refund}":     {"kind": "payment.refund"},
		"job_duration_seconds{notify.booking}":      {"kind": "notify.booking"},
		"holds_expired_total{job}":                  {"via": "job"},
		"jobs_total{booking.expire_hold,succeeded}": {"kind": "booking.expire_hold", "outcome": "succeeded"},
	}))
	for _, name := range []string{"bookings_total", "webhooks_total", "refunds_total", "jobs_total", "cache_lookups_total"} {
		require.Contains(t, after, name)
		assert.Equal(t, dto.MetricType_COUNTER, after[name].GetType(), name)
	}
	for _, name := range []string{"job_duration_seconds", "job_queue_lag_seconds"} {
		require.Contains(t, after, name)
		assert.Equal(t, dto.MetricType_HISTOGRAM, after[name].GetType(), name)
	}
	assert.NotContains(t, after, "cache_tier_events_total", "the in-process cache has no tiers of its own")

	// The second of two reads of availability is served from the answer the server
	// keeps: it reads the club's record (decoded) and the generation of every family
	// the answer was computed from, and no other value.
	require.Equal(t, http.StatusOK, s.do(t, "GET", availability, "", nil).status)
	before = scrape(t, s.base+"/metrics")
	require.Equal(t, http.StatusOK, s.do(t, "GET", availability, "", nil).status)
	after = scrape(t, s.base+"/metrics")
	delta := func(labels map[string]string) float64 {
		return value(after, "cache_lookups_total", labels) - value(before, "cache_lookups_total", labels)
	}
	for _, family := range []string{"slug", "courts", "seasons", "rules", "day"} {
		hits := 0.0
		if family == "slug" {
			hits = 1
		}
		assert.Equal(t, hits, delta(map[string]string{"tier": "decoded", "family": family, "result": "hit"}), family)
		assert.Equal(t, 0.0, delta(map[string]string{"tier": "decoded", "family": family, "result": "miss"}), family)
		assert.Equal(t, 1.0, delta(map[string]string{"tier": "cache", "family": family + ".gen", "result": "hit"}), family+".gen")
	}
}

// TestMetricsShowTheCacheTiersOverRedis: with MATCHPOINT_REDIS_URL the tiered cache's
// own counts of its tiers are exposed too.
func TestMetricsShowTheCacheTiersOverRedis(t *testing.T) {
	s := startServerWith(t, map[string]string{"MATCHPOINT_REDIS_URL": redistest.Start(t).URL()})
	day := domain.DateOf(time.Now(), s.demo.Club.Location).AddDays(3)
	for range 2 {
		require.Equal(t, http.StatusOK, s.do(t, "GET", "/v1/clubs/demo/availability?date="+day.String()+"&sport=padel&duration=90", "", nil).status)
	}
	families := scrape(t, s.base+"/metrics")
	tiers := families["cache_tier_events_total"]
	require.NotNil(t, tiers, "the tiered cache's counts are exposed")
	assert.Equal(t, dto.MetricType_COUNTER, tiers.GetType())
	assert.Positive(t, value(families, "cache_tier_events_total", map[string]string{"tier": "l1", "family": "day.gen", "event": "hit"}),
		"the second read finds the day's generation in L1")
}
