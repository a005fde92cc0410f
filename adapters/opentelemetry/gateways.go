package opentelemetry

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// gatewayName is the attribute of the name a gateway has in the deployment.
const gatewayName = attribute.Key("matchpoint.gateway")

// Gateways returns next whose gateways trace their calls (see Gateway), under the
// names next gives them.
func (t *Tracing) Gateways(next ports.Gateways) ports.Gateways { return &gateways{t: t, next: next} }

// gateways is a ports.Gateways whose gateways are traced.
type gateways struct {
	t    *Tracing
	next ports.Gateways
}

var _ ports.Gateways = (*gateways)(nil)

func (g *gateways) ForClub(ctx context.Context, club domain.Club) (string, ports.PaymentGateway, error) {
	name, gw, err := g.next.ForClub(ctx, club)
	if err != nil || gw == nil {
		return name, gw, err
	}
	return name, g.t.Gateway(name, gw), nil
}

func (g *gateways) Named(name string) (ports.PaymentGateway, error) {
	gw, err := g.next.Named(name)
	if err != nil || gw == nil {
		return gw, err
	}
	return g.t.Gateway(name, gw), nil
}

// Gateway returns next with a span around each call that takes a context, named
// "gateway.", name (the gateway's name in the deployment, as ports.Gateways gives it)
// and the method: "gateway.stripe.CreateCheckout". ParseWebhook and Provider are not
// traced.
func (t *Tracing) Gateway(name string, next ports.PaymentGateway) ports.PaymentGateway {
	return &gateway{t: t, name: name, prefix: "gateway." + name + ".", next: next}
}

// gateway is a ports.PaymentGateway that traces the calls of next.
type gateway struct {
	t      *Tracing
	name   string
	prefix string
	next   ports.PaymentGateway
}

var _ ports.PaymentGateway = (*gateway)(nil)

func (g *gateway) Provider() string { return g.next.Provider() }

func (g *gateway) CreateCheckout(ctx context.Context, req ports.CheckoutRequest) (ports.Checkout, error) {
	return traced(g.t, ctx, g.prefix+"CreateCheckout", func(ctx context.Context) (ports.Checkout, error) { return g.next.CreateCheckout(ctx, req) },
		gatewayName.String(g.name), clubID.String(req.ClubID), bookingID.String(req.BookingID))
}

func (g *gateway) GetPayment(ctx context.Context, ref string) (ports.Payment, error) {
	return traced(g.t, ctx, g.prefix+"GetPayment", func(ctx context.Context) (ports.Payment, error) { return g.next.GetPayment(ctx, ref) },
		gatewayName.String(g.name))
}

func (g *gateway) Refund(ctx context.Context, req ports.RefundRequest) (ports.Refund, error) {
	return traced(g.t, ctx, g.prefix+"Refund", func(ctx context.Context) (ports.Refund, error) { return g.next.Refund(ctx, req) },
		gatewayName.String(g.name), bookingID.String(req.BookingID))
}

func (g *gateway) ExpireCheckout(ctx context.Context, ref string) error {
	return tracedErr(g.t, ctx, g.prefix+"ExpireCheckout", func(ctx context.Context) error { return g.next.ExpireCheckout(ctx, ref) },
		gatewayName.String(g.name))
}

func (g *gateway) ParseWebhook(header http.Header, body []byte) (ports.PaymentEvent, error) {
	return g.next.ParseWebhook(header, body)
}
