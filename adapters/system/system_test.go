package system_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/system"
	"github.com/matchpoint/matchpoint/ports"
)

var (
	_ ports.Clock         = system.Clock{}
	_ ports.IDs           = system.IDs{}
	_ ports.ErrorReporter = (*system.Reporter)(nil)
)

func TestClockIsUTCAndCurrent(t *testing.T) {
	t.Parallel()
	before := time.Now()
	now := system.NewClock().Now()
	after := time.Now()

	assert.Equal(t, time.UTC, now.Location())
	assert.False(t, now.Before(before.Round(0)), "clock is behind the system clock")
	assert.False(t, now.After(after.Round(0)), "clock is ahead of the system clock")
	assert.Equal(t, now, now.Round(0), "the monotonic reading is dropped")
}

func TestIDsAreUUIDv7InOrder(t *testing.T) {
	t.Parallel()
	ids := system.NewIDs()
	made := make([]string, 1000)
	for i := range made {
		made[i] = ids.NewID()
	}

	for _, id := range made {
		u, err := uuid.Parse(id)
		require.NoError(t, err)
		assert.Equal(t, uuid.Version(7), u.Version())
		assert.Equal(t, u.String(), id, "ids are canonical lowercase strings")
	}
	assert.True(t, slices.IsSorted(made), "ids sort in the order they were made")
	assert.Len(t, slices.Compact(slices.Clone(made)), len(made), "ids are unique")
}

func TestReporterLogsAtErrorLevel(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	r := system.NewReporter(slog.New(slog.NewJSONHandler(&buf, nil)))

	r.Report(context.Background(), errors.New("payment of 100.00 ARS does not match"), map[string]string{
		"booking_id": "b1",
		"provider":   "sandbox",
	})

	var line map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line))
	assert.Equal(t, "ERROR", line["level"])
	assert.Equal(t, "payment of 100.00 ARS does not match", line["error"])
	assert.Equal(t, "b1", line["booking_id"])
	assert.Equal(t, "sandbox", line["provider"])
}

func TestReporterWithoutLoggerUsesDefault(t *testing.T) {
	// Not parallel: it swaps the process's default logger.
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	system.NewReporter(nil).Report(context.Background(), errors.New("boom"), nil)

	assert.Contains(t, buf.String(), `"error":"boom"`)
	assert.Contains(t, buf.String(), `"level":"ERROR"`)
}
