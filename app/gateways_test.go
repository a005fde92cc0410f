package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// movable is a GatewaySet whose club assignment a test can change, as a deployment's
// configuration changes between two runs.
type movable struct {
	*ports.GatewaySet
	next *ports.GatewaySet
}

func (m *movable) ForClub(ctx context.Context, club domain.Club) (string, ports.PaymentGateway, error) {
	if m.next != nil {
		return m.next.ForClub(ctx, club)
	}
	return m.GatewaySet.ForClub(ctx, club)
}

// TestClubsTakePaymentsThroughTheirOwnGateway gives club-one a gateway of its own: its
// checkouts open there, its webhooks are verified there, and once the club has moved to
// the shared gateway, a payment taken by its old gateway is still refunded through it.
func TestClubsTakePaymentsThroughTheirOwnGateway(t *testing.T) {
	t.Parallel()
	var own *sandbox.Gateway
	var set *movable
	e := newEnvWith(t, envOptions{gateways: func(e *env) ports.Gateways {
		var err error
		own, err = sandbox.New(sandbox.Config{BaseURL: "http://own.test", Secret: "whsec_club_one_own_account", Client: &http.Client{Transport: e.hooks},
			Clock: e.clock, Logger: discard})
		require.NoError(t, err)
		named := map[string]ports.PaymentGateway{"shared": e.gateway, "club-one-own": own}
		s, err := ports.NewGatewaySet(named, "shared", map[string]string{clubSlug: "club-one-own"})
		require.NoError(t, err)
		set = &movable{GatewaySet: s}
		return set
	}})
	ctx := context.Background()

	res := e.book(t, e.bookingCmd())
	b := e.stored(t, res.Booking.ID())
	assert.Equal(t, "club-one-own", b.PaymentGateway())
	assert.Contains(t, res.CheckoutURL, "http://own.test/")
	assert.Empty(t, e.gateway.refundCalls(b.ID()), "the shared gateway was not asked")

	// The club's own gateway pays and signs; the webhook goes to its name.
	rec := httptest.NewRecorder()
	own.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/sandbox/checkout/"+url.PathEscape(b.PaymentRef())+"/pay", nil))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	wh := e.hooks.last(t)
	_, err := e.app.Payments.HandleWebhook(ctx, "shared", wh.header, wh.body)
	requireCode(t, err, domain.KindUnauthorized, domain.CodeBadSignature) // signed with the club's secret, not the shared one
	got, err := e.app.Payments.HandleWebhook(ctx, "club-one-own", wh.header, wh.body)
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeConfirmed, got.Outcome)
	_, err = e.app.Payments.HandleWebhook(ctx, "no-such-gateway", wh.header, wh.body)
	requireCode(t, err, domain.KindNotFound, domain.CodeNotFound)
	e.drain(t)

	// The club moves to the shared gateway; the booking made before is cancelled and
	// refunded through the gateway that took its payment.
	shared, err := ports.NewGatewaySet(map[string]ports.PaymentGateway{"shared": e.gateway, "club-one-own": own}, "shared", nil)
	require.NoError(t, err)
	set.next = shared
	_, err = e.app.Bookings.Cancel(ctx, b.ID(), res.AccessToken)
	require.NoError(t, err)
	e.drain(t)
	assert.Empty(t, e.gateway.refundCalls(b.ID()), "nothing refunded through the shared gateway")
	p, err := own.GetPayment(ctx, e.stored(t, b.ID()).PaymentRef())
	require.NoError(t, err)
	assert.Equal(t, ports.PaymentRefunded, p.Status, "refunded by the gateway that took the payment")

	next := e.book(t, e.brunoCmd())
	assert.Equal(t, "shared", e.stored(t, next.Booking.ID()).PaymentGateway(), "new checkouts open on the club's new gateway")
}

// unrelatedGateway verifies every webhook as an event about no booking.
type unrelatedGateway struct{ ports.PaymentGateway }

func (unrelatedGateway) ParseWebhook(http.Header, []byte) (ports.PaymentEvent, error) {
	return ports.PaymentEvent{Provider: "other", EventID: "evt_customer_created", Type: ports.EventUnrelated}, nil
}

// A genuine event about no booking is acknowledged: nothing changes, nothing is reported.
func TestAWebhookAboutNoBookingIsAcknowledged(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, envOptions{gateways: func(e *env) ports.Gateways {
		return ports.OneGateway(unrelatedGateway{e.gateway})
	}})
	got, err := e.app.Payments.HandleWebhook(context.Background(), "sandbox", http.Header{}, []byte(`{}`))
	require.NoError(t, err)
	assert.Equal(t, app.OutcomeIgnored, got.Outcome)
	assert.Empty(t, e.reporter.all())
	again, err := e.app.Payments.HandleWebhook(context.Background(), "sandbox", http.Header{}, []byte(`{}`))
	require.NoError(t, err)
	assert.True(t, again.Duplicate, "recorded like any event")
}

// flakyGateway fails CreateCheckout with err while err is set.
type flakyGateway struct {
	ports.PaymentGateway
	mu  sync.Mutex
	err error
}

func (g *flakyGateway) fail(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.err = err
}

func (g *flakyGateway) CreateCheckout(ctx context.Context, req ports.CheckoutRequest) (ports.Checkout, error) {
	g.mu.Lock()
	err := g.err
	g.mu.Unlock()
	if err != nil {
		return ports.Checkout{}, err
	}
	return g.PaymentGateway.CreateCheckout(ctx, req)
}

// TestACheckoutThatFails: a provider that does not answer leaves a hold the client can
// retry with its key (or frees the slot without one); a provider that refuses the
// checkout frees the slot, answers an internal error and reports it.
func TestACheckoutThatFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	setup := func(t *testing.T) (*env, *flakyGateway) {
		var gw *flakyGateway
		e := newEnvWith(t, envOptions{gateways: func(e *env) ports.Gateways {
			gw = &flakyGateway{PaymentGateway: e.gateway}
			return ports.OneGateway(gw)
		}})
		return e, gw
	}
	down := domain.Errorf(domain.CodeUnavailable, "provider down")
	refused := domain.Errorf(domain.CodeInvalid, "expires_at too far ahead")

	t.Run("down, without a key: the slot is free again", func(t *testing.T) {
		e, gw := setup(t)
		gw.fail(down)
		_, err := e.app.Bookings.Create(ctx, e.bookingCmd())
		requireCode(t, err, domain.KindUnavailable, domain.CodeUnavailable)
		gw.fail(nil)
		e.book(t, e.brunoCmd()) // the slot is free
		assert.Empty(t, e.reporter.all())
	})
	t.Run("down, with a key: the hold stays and the retry opens the checkout", func(t *testing.T) {
		e, gw := setup(t)
		cmd := e.bookingCmd()
		cmd.IdempotencyKey = "ana-1"
		gw.fail(down)
		_, err := e.app.Bookings.Create(ctx, cmd)
		requireCode(t, err, domain.KindUnavailable, domain.CodeUnavailable)
		_, err = e.app.Bookings.Create(ctx, e.brunoCmd())
		requireCode(t, err, domain.KindConflict, domain.CodeSlotUnavailable)
		gw.fail(nil)
		again, err := e.app.Bookings.Create(ctx, cmd)
		require.NoError(t, err)
		assert.NotEmpty(t, again.CheckoutURL)
	})
	t.Run("refused: the slot is free again and the club is told", func(t *testing.T) {
		e, gw := setup(t)
		cmd := e.bookingCmd()
		cmd.IdempotencyKey = "ana-1"
		gw.fail(refused)
		_, err := e.app.Bookings.Create(ctx, cmd)
		requireCode(t, err, domain.KindInternal, domain.CodeInternal)
		require.Len(t, e.reporter.all(), 1)
		gw.fail(nil)
		e.book(t, e.brunoCmd()) // the slot is free
	})
}

// paidDuringCheckout is a gateway whose customer pays before the checkout it opens is
// recorded on the booking: the payment's webhook overtakes the checkout's answer.
type paidDuringCheckout struct {
	ports.PaymentGateway
	e *env
}

func (g *paidDuringCheckout) CreateCheckout(ctx context.Context, req ports.CheckoutRequest) (ports.Checkout, error) {
	co, err := g.PaymentGateway.CreateCheckout(ctx, req)
	if err != nil {
		return co, err
	}
	err = g.e.store.UpdateBooking(ctx, req.BookingID, g.e.clock.Now(), func(nb *domain.Booking) error {
		return nb.ConfirmPayment(nb.Quote().Total, "pay-early", g.e.clock.Now())
	})
	return co, err
}

// A booking paid before its checkout was recorded stays confirmed with its payment's
// reference: the checkout has nothing left to record, and the booking is not released.
func TestACheckoutOvertakenByItsPayment(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, envOptions{gateways: func(e *env) ports.Gateways {
		return ports.OneGateway(&paidDuringCheckout{PaymentGateway: e.gateway, e: e})
	}})

	res, err := e.app.Bookings.Create(context.Background(), e.bookingCmd())

	require.NoError(t, err)
	got := e.stored(t, res.Booking.ID())
	assert.Equal(t, domain.StatusConfirmed, got.Status())
	assert.Equal(t, "pay-early", got.PaymentRef())
	assert.Equal(t, domain.StatusConfirmed, res.Booking.Status())
	assert.Empty(t, e.reporter.all())
}
