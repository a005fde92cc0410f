package httpapi

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestEveryAPIRouteIsRateLimited: every /v1 route of the table takes from a budget, and
// the operations routes from none, so that a route added later cannot slip past the
// limits unnoticed.
func TestEveryAPIRouteIsRateLimited(t *testing.T) {
	t.Parallel()
	h := &Handler{}
	for _, rt := range h.table() {
		c := classOf(rt.pattern)
		if strings.Contains(rt.pattern, " /v1/") {
			assert.NotEqual(t, classNone, c, "%s is not rate limited", rt.pattern)
		} else {
			assert.Equal(t, classNone, c, "%s is an operations route", rt.pattern)
		}
	}
	for pattern, want := range map[string]routeClass{
		"GET /v1/clubs/{club}/availability":              classPublic,
		"POST /v1/clubs/{club}/quotes":                   classPublic,
		"POST /v1/clubs/{club}/bookings":                 classBooking,
		"GET /v1/bookings/{id}":                          classToken,
		"POST /v1/bookings/{id}/cancel":                  classToken,
		"POST /v1/webhooks/{gateway}":                    classWebhook,
		"GET /v1/admin/clubs/{club}/courts":              classAdmin,
		"POST /v1/admin/clubs/{club}/refunds/{id}/retry": classAdmin,
	} {
		assert.Equal(t, want, classOf(pattern), pattern)
	}
}
