package mercadopago

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/mercadopago/sdk-go/pkg/payment"
	"github.com/mercadopago/sdk-go/pkg/preference"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// CreateCheckout returns the booking's Checkout Pro preference, creating it when the
// booking has none. The preference's external_reference is the booking id, which
// is how payments and checkouts are found again.
//
// A second call for the same booking, from this instance or another, returns the
// same checkout: the preference is first looked up by external_reference, and it
// is created with the idempotency key "checkout:<booking id>", so that two
// instances creating at once (before either preference is searchable) get one
// preference when the API honours the key. Should it not, and a booking end up with
// two preferences, every later call returns the oldest, and a payment through
// either is found by GetPayment and its events.
//
// A booking whose preference asks another amount is a conflict: the checkout would
// collect the wrong price.
func (g *Gateway) CreateCheckout(ctx context.Context, req ports.CheckoutRequest) (ports.Checkout, error) {
	switch {
	case req.BookingID == "":
		return ports.Checkout{}, invalidf("mercadopago: a checkout needs a booking id")
	case req.Amount.Currency().IsZero() || req.Amount.Amount() <= 0:
		return ports.Checkout{}, invalidf("mercadopago: checkout amount %s must be positive", req.Amount)
	}
	now := g.clock.Now().UTC()
	if !req.ExpiresAt.IsZero() && !req.ExpiresAt.After(now) {
		return ports.Checkout{}, invalidf("mercadopago: the hold of booking %q ended at %s", req.BookingID, req.ExpiresAt.UTC().Format(time.RFC3339))
	}
	found, err := g.findPreference(ctx, req.BookingID)
	if err != nil {
		return ports.Checkout{}, err
	}
	if found != nil {
		asked, err := askedAmount(found)
		if err != nil {
			return ports.Checkout{}, err
		}
		if !asked.Equal(req.Amount) {
			return ports.Checkout{}, domain.Errorf(domain.CodeIdempotencyKeyReused,
				"mercadopago: booking %q already has checkout %q for %s, not %s", req.BookingID, found.ID, asked, req.Amount)
		}
		return checkoutOf(found), nil
	}
	body, err := g.preferenceRequest(req, now)
	if err != nil {
		return ports.Checkout{}, err
	}
	created, err := g.preferences.Create(withIdempotencyKey(ctx, "checkout:"+req.BookingID), body)
	if err != nil {
		return ports.Checkout{}, apiError(err, "checkout of booking "+req.BookingID, false)
	}
	return checkoutOf(created), nil
}

// findPreference returns the oldest preference of a booking, or nil.
func (g *Gateway) findPreference(ctx context.Context, bookingID string) (*preference.Response, error) {
	page, err := g.preferences.Search(ctx, preference.SearchRequest{
		Filters: map[string]string{"external_reference": bookingID},
	})
	if err != nil {
		return nil, apiError(err, "checkouts of booking "+bookingID, false)
	}
	found := slices.DeleteFunc(page.Elements, func(p preference.SearchResponse) bool {
		return p.ExternalReference != bookingID // a search that ignored its filter must not hand out another booking's checkout
	})
	if len(found) == 0 {
		return nil, nil
	}
	oldest := slices.MinFunc(found, func(a, b preference.SearchResponse) int {
		return cmp.Or(a.DateCreated.Compare(b.DateCreated), cmp.Compare(a.ID, b.ID))
	})
	// The search leaves out the checkout URL and the amounts.
	p, err := g.preferences.Get(ctx, oldest.ID)
	if err != nil {
		return nil, apiError(err, "checkout "+oldest.ID, true)
	}
	return p, nil
}

// preferenceRequest is the preference of a checkout: one item priced at the
// booking's amount, valid from now until the hold ends.
func (g *Gateway) preferenceRequest(req ports.CheckoutRequest, now time.Time) (preference.Request, error) {
	price, err := decimal(req.Amount)
	if err != nil {
		return preference.Request{}, err
	}
	title := req.Description
	if title == "" {
		title = "Court booking " + req.BookingID
	}
	body := preference.Request{
		ExternalReference: req.BookingID,
		NotificationURL:   g.notificationURL,
		Items: []preference.ItemRequest{{
			ID:         req.BookingID,
			Title:      title,
			Quantity:   1,
			CurrencyID: req.Amount.Currency().Code(),
			UnitPrice:  price,
		}},
		Metadata: map[string]any{"booking_id": req.BookingID, "club_id": req.ClubID},
	}
	if req.CustomerEmail != "" {
		body.Payer = &preference.PayerRequest{Email: req.CustomerEmail}
	}
	if b := g.backURLs; b != (BackURLs{}) {
		body.BackURLs = &preference.BackURLsRequest{Success: b.Success, Pending: b.Pending, Failure: b.Failure}
		if b.Success != "" {
			body.AutoReturn = "approved"
		}
	}
	if !req.ExpiresAt.IsZero() {
		// The API dates to the millisecond. date_of_expiration bounds the cash
		// methods (a ticket paid at a store days later would pay a lapsed hold).
		from, to := now.Truncate(time.Millisecond), req.ExpiresAt.UTC().Truncate(time.Millisecond)
		body.Expires = true
		body.ExpirationDateFrom, body.ExpirationDateTo, body.DateOfExpiration = &from, &to, &to
	}
	return body, nil
}

func checkoutOf(p *preference.Response) ports.Checkout {
	return ports.Checkout{Ref: p.ID, URL: p.InitPoint}
}

// askedAmount is what a preference asks: the sum of its items.
func askedAmount(p *preference.Response) (domain.Money, error) {
	if len(p.Items) == 0 {
		return domain.Money{}, domain.Errorf(domain.CodeInternal, "mercadopago: checkout %q has no items", p.ID)
	}
	var total domain.Money
	for i, it := range p.Items {
		cur, err := currency(it.CurrencyID)
		if err != nil {
			return domain.Money{}, err
		}
		unit, err := money(it.UnitPrice, cur)
		if err != nil {
			return domain.Money{}, err
		}
		line := domain.NewMoney(unit.Amount()*int64(it.Quantity), cur)
		if i == 0 {
			total = line
		} else if total, err = total.Add(line); err != nil {
			return domain.Money{}, err
		}
	}
	return total, nil
}

// ExpireCheckout closes a booking's Checkout Pro preference, by its preference id,
// so that it can no longer be paid: the preference is updated to expire now
// (expires, expiration_date_to and date_of_expiration, which bounds the cash
// methods), and GetPayment then reports it expired. MercadoPago has no other way to
// close a preference. A payment already begun at it (a card under review, a cash
// ticket issued) may still complete, and is reported as any late payment.
//
// A preference that has lapsed already is left as it is. One whose booking has a
// payment approved (refunded since or not) is a conflict (checkout_paid). A
// payment id stands for its booking's preference. An unknown reference is
// not_found.
func (g *Gateway) ExpireCheckout(ctx context.Context, ref string) error {
	pref, best, err := g.checkoutOf(ctx, ref)
	if err != nil {
		return err
	}
	if best != nil {
		if s := statusOf(best); s == ports.PaymentPaid || s == ports.PaymentRefunded {
			return domain.Errorf(domain.CodeCheckoutPaid, "mercadopago: checkout %q was paid (payment %d)", pref.ID, best.ID)
		}
	}
	now := g.clock.Now().UTC().Truncate(time.Millisecond)
	if pref.Expires && !pref.ExpirationDateTo.IsZero() && !now.Before(pref.ExpirationDateTo) {
		return nil
	}
	body := preference.Request{Expires: true, ExpirationDateTo: &now, DateOfExpiration: &now}
	if pref.ExpirationDateFrom.After(now) {
		body.ExpirationDateFrom = &now
	}
	if _, err := g.preferences.Update(ctx, pref.ID, body); err != nil {
		return apiError(err, "closing checkout "+pref.ID, false)
	}
	return nil
}

// checkoutOf returns the preference a reference names (a preference id, or a payment
// id for its booking's preference) and the booking's best payment, nil if none.
func (g *Gateway) checkoutOf(ctx context.Context, ref string) (*preference.Response, *payment.Response, error) {
	pay, pref, err := g.lookup(ctx, ref)
	if err != nil || pref != nil {
		return pref, pay, err
	}
	var found *preference.Response
	if pay.ExternalReference != "" {
		if found, err = g.findPreference(ctx, pay.ExternalReference); err != nil {
			return nil, nil, err
		}
	}
	if found == nil {
		return nil, nil, domain.Errorf(domain.CodeNotFound, "mercadopago: payment %s was made through no checkout", ref)
	}
	best, err := g.bestPayment(ctx, pay.ExternalReference)
	return found, best, err
}
