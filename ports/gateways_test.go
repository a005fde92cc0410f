package ports_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

type namedGateway struct {
	ports.PaymentGateway
	provider string
}

func (g namedGateway) Provider() string { return g.provider }
func (namedGateway) ParseWebhook(http.Header, []byte) (ports.PaymentEvent, error) {
	return ports.PaymentEvent{}, nil
}

func TestGatewaySet(t *testing.T) {
	ctx := context.Background()
	a, b := namedGateway{provider: "sandbox"}, namedGateway{provider: "stripe"}
	set, err := ports.NewGatewaySet(map[string]ports.PaymentGateway{"shared": a, "stripe-riverside": b}, "shared",
		map[string]string{"riverside": "stripe-riverside"})
	require.NoError(t, err)

	name, gw, err := set.ForClub(ctx, domain.Club{Slug: "riverside"})
	require.NoError(t, err)
	assert.Equal(t, "stripe-riverside", name)
	assert.Equal(t, "stripe", gw.Provider())
	name, gw, err = set.ForClub(ctx, domain.Club{Slug: "other"})
	require.NoError(t, err)
	assert.Equal(t, "shared", name)
	assert.Equal(t, "sandbox", gw.Provider())

	gw, err = set.Named("stripe-riverside")
	require.NoError(t, err)
	assert.Equal(t, "stripe", gw.Provider())
	_, err = set.Named("nope")
	assert.Equal(t, domain.CodeNotFound, domain.ErrorCode(err))

	_, err = ports.NewGatewaySet(map[string]ports.PaymentGateway{"shared": a}, "missing", nil)
	assert.ErrorContains(t, err, "default gateway")
	_, err = ports.NewGatewaySet(map[string]ports.PaymentGateway{"shared": a}, "shared", map[string]string{"riverside": "missing"})
	assert.ErrorContains(t, err, "riverside")

	one := ports.OneGateway(b)
	name, _, err = one.ForClub(ctx, domain.Club{Slug: "anyone"})
	require.NoError(t, err)
	assert.Equal(t, "stripe", name, "a single gateway goes by its provider's name")
}
