package app_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// recordingMetrics counts what the use cases tell their ports.Metrics, each call under
// a name made of its method and labels: "booking/held", "holds/job",
// "webhook/sandbox/confirmed", "refund/owed", "job/payment.refund/succeeded",
// "cache/decoded/slug/hit". Holds add n; the others count calls.
type recordingMetrics struct {
	mu     sync.Mutex
	counts map[string]int
	lags   map[string][]time.Duration // by job kind
}

func newRecordingMetrics() *recordingMetrics {
	return &recordingMetrics{counts: map[string]int{}, lags: map[string][]time.Duration{}}
}

func (m *recordingMetrics) add(n int, parts ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.counts[strings.Join(parts, "/")] += n
}

func (m *recordingMetrics) Booking(o ports.BookingOutcome) { m.add(1, "booking", string(o)) }
func (m *recordingMetrics) HoldsExpired(via ports.HoldExpiry, n int) {
	m.add(n, "holds", string(via))
}
func (m *recordingMetrics) Webhook(provider, outcome string) { m.add(1, "webhook", provider, outcome) }
func (m *recordingMetrics) Refund(o ports.RefundOutcome)     { m.add(1, "refund", string(o)) }
func (m *recordingMetrics) Job(kind string, o ports.JobOutcome, lag, _ time.Duration) {
	m.add(1, "job", kind, string(o))
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lags[kind] = append(m.lags[kind], lag)
}
func (m *recordingMetrics) CacheLookup(tier, family string, hit bool) {
	result := "miss"
	if hit {
		result = "hit"
	}
	m.add(1, "cache", tier, family, result)
}

// only returns the counts whose names start with prefix.
func (m *recordingMetrics) only(prefix string) map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for k, v := range m.counts {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out
}

func (m *recordingMetrics) count(name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[name]
}

func (m *recordingMetrics) jobLags(kind string) []time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]time.Duration(nil), m.lags[kind]...)
}

func TestMetricsFollowABookingFromHoldToRefund(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.book(t, e.bookingCmd())
	assert.Equal(t, map[string]int{"booking/held": 1}, e.metrics.only("booking/"))

	wh := e.payAndConfirm(t, res.Booking)
	_, err := e.deliver(wh)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"webhook/sandbox/confirmed": 1, "webhook/sandbox/duplicate": 1}, e.metrics.only("webhook/"))

	e.cancel(t, res)
	e.cancel(t, res) // a repeat changes nothing, and is not counted
	e.drain(t)
	assert.Equal(t, map[string]int{"booking/held": 1, "booking/confirmed": 1, "booking/cancelled": 1}, e.metrics.only("booking/"))
	assert.Equal(t, map[string]int{"refund/owed": 1, "refund/issued": 1}, e.metrics.only("refund/"))
	assert.Equal(t, 1, e.metrics.count("job/payment.refund/succeeded"))
	// The confirmation and the cancellation, each a job of its own.
	assert.Equal(t, []ports.MessageKind{ports.MessageConfirmation, ports.MessageCancellation}, e.messages(res.Booking.ID()))
	assert.Equal(t, 2, e.metrics.count("job/notify.booking/succeeded"))
	assert.Empty(t, e.metrics.only("holds/"))
}

func TestMetricsCountRequestsRefusedByOutcome(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	cmd := e.bookingCmd()
	cmd.IdempotencyKey = "ana-1"
	e.book(t, cmd)
	_, err := e.app.Bookings.Create(ctx, cmd)
	require.NoError(t, err, "a replay")

	_, err = e.app.Bookings.Create(ctx, e.brunoCmd())
	requireCode(t, err, domain.KindConflict, domain.CodeSlotUnavailable)

	far := e.bookingCmd()
	far.Start = far.Start.AddDate(0, 2, 0)
	_, err = e.app.Bookings.Create(ctx, far)
	require.Equal(t, domain.KindPolicy, domain.ErrorKind(err), "%v", err)

	unknown := e.bookingCmd()
	unknown.CourtID = "no-such-court"
	_, err = e.app.Bookings.Create(ctx, unknown)
	require.Equal(t, domain.KindNotFound, domain.ErrorKind(err), "%v", err)

	e.gateway.failCheckouts(domain.Errorf(domain.CodeUnavailable, "the provider is down"))
	other := e.bookingCmd()
	other.CourtID = e.padel2.ID
	_, err = e.app.Bookings.Create(ctx, other)
	require.Equal(t, domain.KindUnavailable, domain.ErrorKind(err), "%v", err)

	assert.Equal(t, map[string]int{
		"booking/held": 1, "booking/conflict": 1, "booking/refused": 1, "booking/invalid": 1, "booking/failed": 1,
	}, e.metrics.only("booking/"), "a replay is not a new booking")
}

func TestMetricsCountAFreeBookingConfirmed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.app.Admin.SavePriceRule(context.Background(), e.club, domain.PriceRule{
		Name: "Free tennis", Sport: domain.Tennis, Window: window("08:00", "01:00"), Priority: 99,
		Rate: domain.NewMoney(0, ars), Weekdays: domain.EveryDay,
	})
	require.NoError(t, err)
	cmd := e.bookingCmd()
	cmd.CourtID = e.tennis.ID
	e.book(t, cmd)
	assert.Equal(t, map[string]int{"booking/confirmed": 1}, e.metrics.only("booking/"))
}

func TestMetricsCountExpiredHoldsByWhatExpiredThem(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	byJob := e.book(t, e.bookingCmd()).Booking
	e.clock.Set(byJob.HoldExpiresAt().Add(90 * time.Second))
	e.drain(t)
	assert.Equal(t, domain.StatusExpired, e.stored(t, byJob.ID()).Status())
	assert.Equal(t, []time.Duration{90 * time.Second}, e.metrics.jobLags(app.KindExpireHold),
		"the job ran when the clock passed its time: 90 s after it was due")

	cmd := e.brunoCmd()
	cmd.CourtID = e.padel2.ID
	bySweep := e.book(t, cmd).Booking
	e.clock.Set(bySweep.HoldExpiresAt())
	n, err := e.app.Payments.ExpireHolds(context.Background(), 10)
	require.NoError(t, err)
	require.Equal(t, 1, n)

	assert.Equal(t, map[string]int{"holds/job": 1, "holds/sweep": 1}, e.metrics.only("holds/"))
	assert.Equal(t, 2, e.metrics.count("booking/expired"))
	assert.Equal(t, 1, e.metrics.count("job/booking.expire_hold/succeeded"))
}

func TestMetricsCountRejectedWebhooksUnderTheirGateway(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.book(t, e.bookingCmd())
	wh := e.pay(t, res.Booking, 0)
	tampered := webhook{header: http.Header{}, body: wh.body}
	tampered.header.Set("Sandbox-Signature", "t=1,v1=00")
	_, err := e.deliver(tampered)
	require.Error(t, err)
	_, err = e.app.Payments.HandleWebhook(context.Background(), "no-such-gateway", wh.header, wh.body)
	require.Error(t, err)

	assert.Equal(t, map[string]int{"webhook/sandbox/rejected": 1, "webhook/unknown/rejected": 1}, e.metrics.only("webhook/"),
		"a name the client made up is no label")
}

func TestMetricsCountRefundsThatFailOrNeedAttention(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.paidBooking(t)
	e.gateway.failRefunds(providerDown, domain.Errorf(domain.CodeInvalid, "the account cannot refund"))
	e.cancel(t, res)
	e.drain(t)
	assert.Equal(t, map[string]int{"refund/owed": 1, "refund/failed": 1}, e.metrics.only("refund/"))

	e.clock.Advance(time.Hour)
	_, err := e.app.Payments.RetryRefunds(context.Background(), 10)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"refund/owed": 1, "refund/failed": 1, "refund/attention": 1}, e.metrics.only("refund/"))
}

func TestMetricsCountPlayedAndMissedGames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	played := e.paidBooking(t).Booking
	cmd := e.brunoCmd()
	cmd.CourtID = e.padel2.ID
	missed := e.book(t, cmd).Booking
	e.payAndConfirm(t, missed)

	e.clock.Set(missed.Interval().Start.Add(10 * time.Minute))
	_, err := e.app.Admin.MarkNoShow(context.Background(), e.club, missed.ID())
	require.NoError(t, err)
	e.clock.Set(played.Interval().End)
	e.drain(t)

	assert.Equal(t, 1, e.metrics.count("booking/completed"))
	assert.Equal(t, 1, e.metrics.count("booking/no_show"))
	assert.Equal(t, 2, e.metrics.count("job/booking.complete/succeeded"), "the no-show's completion runs too, and changes nothing")
}

func TestMetricsCountCacheLookupsPerTierAndFamily(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	_, err := e.app.Availability.Get(ctx, padelDay(e.tomorrow))
	require.NoError(t, err)
	before := e.metrics.only("cache/")

	_, err = e.app.Availability.Get(ctx, padelDay(e.tomorrow))
	require.NoError(t, err)
	after := e.metrics.only("cache/")
	for _, family := range []string{"slug", "courts", "seasons", "rules", "day"} {
		assert.Equal(t, 1, after["cache/decoded/"+family+"/hit"]-before["cache/decoded/"+family+"/hit"],
			"the second read of %s is served decoded", family)
		// Get reads the generations first for the answer's Version, then again as it
		// reads each value (the club's record once: its generation is the version's).
		gens := 2
		if family == "slug" {
			gens = 1
		}
		assert.Equal(t, gens, after["cache/cache/"+family+".gen/hit"]-before["cache/cache/"+family+".gen/hit"],
			"after reading the generation of %s from the cache", family)
	}
	for k := range after {
		if strings.HasSuffix(k, "/miss") {
			assert.Equal(t, before[k], after[k], "%s: nothing misses the second time", k)
		}
	}

	// A booking invalidates its day: the next read misses it in every tier.
	e.book(t, e.bookingCmd())
	before = e.metrics.only("cache/")
	_, err = e.app.Availability.Get(ctx, padelDay(e.tomorrow))
	require.NoError(t, err)
	after = e.metrics.only("cache/")
	assert.Equal(t, 1, after["cache/cache/day.gen/miss"]-before["cache/cache/day.gen/miss"])
	assert.Equal(t, 1, after["cache/decoded/day/miss"]-before["cache/decoded/day/miss"])
	assert.Equal(t, 1, after["cache/cache/day/miss"]-before["cache/cache/day/miss"])
}
