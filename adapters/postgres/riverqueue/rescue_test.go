package riverqueue_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
)

func TestNewRescueAfterMustExceedJobTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct {
		name        string
		cfg         riverqueue.Config
		errContains string // empty: accepted
	}{
		{"zero is River's default", riverqueue.Config{}, ""},
		{"zero with a long JobTimeout", riverqueue.Config{JobTimeout: 2 * time.Hour}, ""},
		{"beyond JobTimeout", riverqueue.Config{JobTimeout: time.Second, RescueAfter: 2 * time.Second}, ""},
		{"beyond River's default JobTimeout", riverqueue.Config{RescueAfter: 61 * time.Second}, ""},
		{"any with unbounded jobs", riverqueue.Config{JobTimeout: -1, RescueAfter: time.Second}, ""},
		{"negative", riverqueue.Config{RescueAfter: -time.Second}, "must not be negative"},
		{"equal to JobTimeout", riverqueue.Config{JobTimeout: time.Second, RescueAfter: time.Second}, "must exceed JobTimeout 1s"},
		{"under JobTimeout", riverqueue.Config{JobTimeout: time.Minute, RescueAfter: time.Second}, "must exceed JobTimeout 1m0s"},
		{"under River's default JobTimeout", riverqueue.Config{RescueAfter: 30 * time.Second}, "must exceed JobTimeout 1m0s"},
	}
	for _, c := range cases {
		_, err := riverqueue.New(e.store, e.db.DB, c.cfg)
		if c.errContains == "" {
			assert.NoError(t, err, c.name)
		} else {
			assert.ErrorContains(t, err, c.errContains, c.name)
		}
	}
}
