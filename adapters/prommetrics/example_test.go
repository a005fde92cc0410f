package prommetrics_test

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/matchpoint/matchpoint/adapters/prommetrics"
	"github.com/matchpoint/matchpoint/ports"
)

// The metrics are registered on the registry the program serves at /metrics, and
// given to the use cases as their app.Deps.Metrics.
func ExampleNew() {
	reg := prometheus.NewRegistry()
	m, err := prommetrics.New(reg)
	if err != nil {
		panic(err)
	}
	var metrics ports.Metrics = m // app.Deps{…, Metrics: m}
	metrics.Booking(ports.BookingHeld)
	metrics.Webhook("sandbox", "confirmed")

	n, err := testutil.GatherAndCount(reg, "bookings_total", "webhooks_total")
	fmt.Println(n, err)
	// Output: 2 <nil>
}
