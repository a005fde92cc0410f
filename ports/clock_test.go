package ports_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/matchpoint/matchpoint/ports"
)

var _ ports.Clock = ports.SystemClock{}

func TestSystemClockIsUTCAndCurrent(t *testing.T) {
	t.Parallel()
	before := time.Now()
	now := ports.SystemClock{}.Now()
	after := time.Now()

	assert.Equal(t, time.UTC, now.Location())
	assert.False(t, now.Before(before.Round(0)), "clock is behind the system clock")
	assert.False(t, now.After(after.Round(0)), "clock is ahead of the system clock")
	assert.Equal(t, now, now.Round(0), "the monotonic reading is dropped")
}
