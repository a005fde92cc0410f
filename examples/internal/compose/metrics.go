package compose

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/matchpoint/matchpoint/adapters/cache/tiered"
	"github.com/matchpoint/matchpoint/adapters/prommetrics"
	"github.com/matchpoint/matchpoint/ports"
)

// Metrics registers on reg the counts of the use cases and their jobs
// (prommetrics), and, when cache is the tiered cache (MATCHPOINT_REDIS_URL), the
// counts it keeps of its own tiers (cache_tier_events_total).
func Metrics(reg prometheus.Registerer, cache ports.Cache) (ports.Metrics, error) {
	m, err := prommetrics.New(reg)
	if err != nil {
		return nil, err
	}
	if t, ok := cache.(*tiered.Cache); ok {
		if err := reg.Register(prommetrics.NewTierCollector(tierCounts(t))); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// tierCounts reads the tiered cache's counts as the collector takes them.
func tierCounts(c *tiered.Cache) func() []prommetrics.TierCount {
	return func() []prommetrics.TierCount {
		snap := c.Snapshot()
		out := make([]prommetrics.TierCount, 0, len(snap))
		for k, n := range snap {
			out = append(out, prommetrics.TierCount{Tier: k.Tier, Family: k.Family, Event: k.Event, N: n})
		}
		return out
	}
}
