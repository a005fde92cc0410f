package ports_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

func TestLimit(t *testing.T) {
	l := ports.Limit{Events: 10, Per: time.Second, Burst: 5}
	assert.NoError(t, l.Validate())
	assert.Equal(t, 100*time.Millisecond, l.Interval())
	assert.Equal(t, "10/1s burst 5", l.String())

	for _, bad := range []ports.Limit{{}, {Events: -1, Per: time.Second, Burst: 1}, {Events: 1, Burst: 1}, {Events: 1, Per: time.Second}} {
		assert.Equal(t, domain.KindInvalid, domain.ErrorKind(bad.Validate()), "%s", bad)
		assert.Equal(t, domain.KindInvalid, domain.ErrorKind(ports.CheckRateLimit("k", bad)), "%s", bad)
	}
	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(ports.CheckRateLimit("", l)))
	assert.NoError(t, ports.CheckRateLimit("k", l))
	assert.Zero(t, ports.Limit{}.Interval(), "an invalid limit has no interval, and no panic")
}
