package ports

import (
	"context"
	"fmt"

	"github.com/matchpoint/matchpoint/domain"
)

// Gateways are the payment gateways of a deployment, each under a name: its webhooks
// arrive at /v1/webhooks/{name}, and a booking records the name of the gateway that
// holds its checkout. Each club takes new payments through one of them; a booking's
// payment is refunded and asked about through the gateway that took it, even after
// the club has moved to another.
type Gateways interface {
	// ForClub returns the name and the gateway through which the club takes new
	// payments.
	ForClub(ctx context.Context, club domain.Club) (string, PaymentGateway, error)
	// Named returns the gateway of a name, or a not_found error.
	Named(name string) (PaymentGateway, error)
}

// GatewaySet is a Gateways configured once: named gateways, the one clubs use by
// default, and the clubs (by slug) that use another.
type GatewaySet struct {
	byName map[string]PaymentGateway
	def    string
	clubs  map[string]string
}

var _ Gateways = (*GatewaySet)(nil)

// NewGatewaySet returns a set of the named gateways in which clubs take payments
// through the gateway named def, except those of clubs, which maps a club's slug to a
// gateway's name. Every name used must be a gateway of named.
func NewGatewaySet(named map[string]PaymentGateway, def string, clubs map[string]string) (*GatewaySet, error) {
	s := &GatewaySet{byName: map[string]PaymentGateway{}, def: def, clubs: map[string]string{}}
	for name, gw := range named {
		if name == "" || gw == nil {
			return nil, fmt.Errorf("ports: gateway %q: a gateway needs a name", name)
		}
		s.byName[name] = gw
	}
	if _, ok := s.byName[def]; !ok {
		return nil, fmt.Errorf("ports: the default gateway %q is not one of the gateways", def)
	}
	for slug, name := range clubs {
		if _, ok := s.byName[name]; !ok {
			return nil, fmt.Errorf("ports: club %q uses gateway %q, which is not one of the gateways", slug, name)
		}
		s.clubs[slug] = name
	}
	return s, nil
}

// OneGateway is the set of a single gateway, named by its provider, that every club
// uses.
func OneGateway(gw PaymentGateway) *GatewaySet {
	return &GatewaySet{byName: map[string]PaymentGateway{gw.Provider(): gw}, def: gw.Provider(), clubs: map[string]string{}}
}

// ForClub returns the club's gateway.
func (s *GatewaySet) ForClub(_ context.Context, club domain.Club) (string, PaymentGateway, error) {
	name := s.def
	if n, ok := s.clubs[club.Slug]; ok {
		name = n
	}
	return name, s.byName[name], nil
}

// Named returns the gateway of a name.
func (s *GatewaySet) Named(name string) (PaymentGateway, error) {
	if gw, ok := s.byName[name]; ok {
		return gw, nil
	}
	return nil, domain.Errorf(domain.CodeNotFound, "no payment gateway %q", name)
}
