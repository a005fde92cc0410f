package compose

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestRiverLoggerDropsRepeats: a warning River repeats with the same attributes is
// logged once a minute; lines about different jobs, and info lines, are all kept.
func TestRiverLoggerDropsRepeats(t *testing.T) {
	var buf bytes.Buffer
	log := RiverLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	for range 3 {
		log.Error("producer: error fetching jobs", "error", "connection refused")
		log.Info("River client started")
	}
	log.Warn("job attempt failed", "job_id", 1)
	log.Warn("job attempt failed", "job_id", 2)
	log.Error("producer: error fetching jobs", "error", "another cause")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	assert.Len(t, lines, 7, "%s", buf.String())
	assert.Equal(t, 2, strings.Count(buf.String(), "error fetching jobs"))
	assert.Equal(t, 3, strings.Count(buf.String(), "River client started"))
	assert.Equal(t, 7, strings.Count(buf.String(), "component=river"))
}
