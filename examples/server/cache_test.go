package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/cache/redis/redistest"
	"github.com/matchpoint/matchpoint/adapters/cache/tiered"
	"github.com/matchpoint/matchpoint/domain"
)

// TestTwoServersShareOneCache runs two servers on one Postgres database and one Redis,
// each with its own in-process L1. With B's cache warm, a price rule saved through A and
// a booking made on A show in B's next answer; with Redis gone, both keep serving and
// booking, and once it is back an invalidation reaches the other server again.
func TestTwoServersShareOneCache(t *testing.T) {
	r := redistest.Start(t)
	env := map[string]string{
		"MATCHPOINT_DATABASE_URL": testDatabase(t), "MATCHPOINT_MIGRATE": "auto",
		"MATCHPOINT_REDIS_URL": r.URL(), "MATCHPOINT_TOKEN_SECRET": strings.Repeat("s", 32),
	}
	a := startServerWith(t, env)
	b := startServerWith(t, env)
	require.IsType(t, &tiered.Cache{}, a.Cache, "MATCHPOINT_REDIS_URL selects the tiered cache")

	loc := a.demo.Club.Location
	day := domain.DateOf(time.Now(), loc).AddDays(3)
	at := func(clock string) time.Time { s, _ := day.At(domain.MustClock(clock), loc); return s }
	court := a.demo.Courts[0].ID
	availability := "/v1/clubs/demo/availability?date=" + day.String() + "&sport=padel&duration=90"
	price := func(s *testServer, start time.Time) any {
		r := s.do(t, "GET", availability, "", nil)
		require.Equal(t, http.StatusOK, r.status, r.raw)
		for _, c := range r.body["courts"].([]any) {
			if obj(t, c)["court_id"] != court {
				continue
			}
			for _, sl := range obj(t, c)["slots"].([]any) {
				if ts, err := time.Parse(time.RFC3339, obj(t, sl)["start"].(string)); err == nil && ts.Equal(start) {
					return obj(t, sl, "price")["amount"]
				}
			}
		}
		return nil // not offered
	}

	// Warm B's cache (twice: the second answer comes from its L1).
	require.Equal(t, float64(1600000), price(b, at("17:30")))
	require.Equal(t, float64(1600000), price(b, at("17:30")))
	hits := b.Cache.(*tiered.Cache).Snapshot()[tiered.Counter{Tier: "l1", Family: "rules.gen", Event: "hit"}]
	require.Positive(t, hits, "B checked the rules' generation in its L1")

	etag := func(s *testServer) string {
		r, h := s.doWithHeader(t, "GET", availability, "", nil)
		require.Equal(t, http.StatusOK, r.status, r.raw)
		require.NotEmpty(t, h.Get("ETag"))
		return h.Get("ETag")
	}
	tag := etag(b)
	require.Equal(t, tag, etag(a), "both servers compute the same answer, tagged alike")
	notModified, _ := b.doWithHeader(t, "GET", availability, "", map[string]string{"If-None-Match": tag})
	require.Equal(t, http.StatusNotModified, notModified.status)

	admin := map[string]string{"Authorization": "Bearer " + a.demo.APIKey}
	rule := `{"name":"Padel promo","sport":"padel","weekdays":["sun","mon","tue","wed","thu","fri","sat"],"from":"08:00","to":"23:00","priority":90,"rate":{"amount":100000}}`
	w := a.do(t, "POST", "/v1/admin/clubs/demo/price-rules", rule, admin)
	require.Equal(t, http.StatusCreated, w.status, w.raw)
	assert.Equal(t, float64(300000), price(b, at("17:30")), "B prices with A's new rule at once")

	booked := a.do(t, "POST", "/v1/clubs/demo/bookings", bookingJSON(court, at("17:30"), 90, "Ana", "ana@example.com"), nil)
	require.Equal(t, http.StatusCreated, booked.status, booked.raw)
	assert.Nil(t, price(b, at("17:30")), "B stops offering the slot A booked at once")
	assert.NotEqual(t, tag, etag(b), "B's tag changed with the writes on A")
	changed, _ := b.doWithHeader(t, "GET", availability, "", map[string]string{"If-None-Match": tag})
	assert.Equal(t, http.StatusOK, changed.status, "B no longer answers 304 to the old tag")
	tag = etag(b)
	booked = a.do(t, "POST", "/v1/clubs/demo/bookings", bookingJSON(court, at("20:00"), 90, "Eva", "eva@example.com"), nil)
	require.Equal(t, http.StatusCreated, booked.status, booked.raw)
	assert.NotEqual(t, tag, etag(b), "a booking on A changes B's tag at once")

	// Redis goes away: both servers go on answering and booking.
	r.Stop()
	assert.NotNil(t, price(b, at("10:00")))
	bk := b.do(t, "POST", "/v1/clubs/demo/bookings", bookingJSON(court, at("10:00"), 90, "Bruno", "bruno@example.com"), nil)
	require.Equal(t, http.StatusCreated, bk.status, bk.raw)
	assert.Nil(t, price(b, at("10:00")), "B's own booking shows on B")
	clash := a.do(t, "POST", "/v1/clubs/demo/bookings", bookingJSON(court, at("10:30"), 60, "Carla", "carla@example.com"), nil)
	assert.Equal(t, "slot_unavailable", clash.body["code"], clash.raw)

	// Redis is back: the servers subscribe again and share invalidations again.
	r.Restart(t)
	require.Eventually(t, func() bool {
		return a.Cache.(*tiered.Cache).Subscribed() && b.Cache.(*tiered.Cache).Subscribed()
	}, 15*time.Second, 20*time.Millisecond)
	require.NotNil(t, price(b, at("13:00")))
	require.NotNil(t, price(b, at("13:00")))
	booked = a.do(t, "POST", "/v1/clubs/demo/bookings", bookingJSON(court, at("13:00"), 90, "Dani", "dani@example.com"), nil)
	require.Equal(t, http.StatusCreated, booked.status, booked.raw)
	assert.Nil(t, price(b, at("13:00")), "after Redis's return an invalidation reaches B at once")
}
