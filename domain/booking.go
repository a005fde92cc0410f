package domain

import (
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
)

// Status is the state of a booking.
type Status string

// Booking states. pending → confirmed → completed | no_show; pending → expired;
// pending | confirmed → cancelled. A payment that arrives for an expired hold may still
// confirm it (expired → confirmed) when the slot is free; the store enforces that.
const (
	StatusPending   Status = "pending"
	StatusConfirmed Status = "confirmed"
	StatusCompleted Status = "completed"
	StatusNoShow    Status = "no_show"
	StatusExpired   Status = "expired"
	StatusCancelled Status = "cancelled"
)

// Customer is who a booking is for.
type Customer struct {
	Name     string
	Email    string
	Phone    string
	Category CustomerCategory
}

// NewCustomer validates and normalises a customer: the email is lower-cased.
func NewCustomer(name, email, phone string, cat CustomerCategory) (Customer, error) {
	c := Customer{Name: strings.TrimSpace(name), Email: strings.ToLower(strings.TrimSpace(email)), Phone: strings.TrimSpace(phone), Category: cat.OrGuest()}
	switch {
	case c.Name == "" || len(c.Name) > 100:
		return Customer{}, invalidf("customer name must have 1 to 100 characters")
	case len(c.Email) > 254:
		return Customer{}, invalidf("customer email is too long")
	case len(c.Phone) > 32:
		return Customer{}, invalidf("customer phone is too long")
	case c.Category != CategoryMember && c.Category != CategoryGuest:
		return Customer{}, invalidf("customer category %q must be member or guest", c.Category)
	}
	if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email {
		return Customer{}, invalidf("customer email %q is not an address", email)
	}
	return c, nil
}

// BookingRecord is the stored form of a booking: what a repository saves and loads.
// Build bookings with NewBooking and change them with their methods; RestoreBooking
// turns a record back into a booking.
type BookingRecord struct {
	ID             string
	ClubID         string
	CourtID        string
	Sport          Sport
	Customer       Customer
	Interval       Interval
	Quote          Quote
	Status         Status
	HoldExpiresAt  time.Time
	PaymentRef     string    // the gateway's checkout or payment reference
	PaymentGateway string    // the name of the gateway that holds the checkout and the payment
	Paid           Money     // what the customer has paid (zero until confirmed)
	Refund         Money     // what has been or is due to be refunded
	TokenHash      string    // hash of the customer's access token
	IdempotencyKey string    // the client's key, unique per club, or empty
	RequestHash    string    // fingerprint of the request made with IdempotencyKey
	Version        int       // incremented by every stored change
	CreatedAt      time.Time //
	UpdatedAt      time.Time //
}

// Booking is a court booked for a customer over an interval.
type Booking struct {
	r BookingRecord
}

// NewBookingParams are the inputs of NewBooking.
type NewBookingParams struct {
	ID             string
	Club           Club
	Court          Court
	Customer       Customer
	Interval       Interval
	Quote          Quote
	TokenHash      string
	IdempotencyKey string
	RequestHash    string
	Now            time.Time
}

// NewBooking returns a pending booking that holds its slot for the club's hold time
// (never past the start). It checks the policy rules that need no store: duration,
// lead time, horizon and an active court.
func NewBooking(p NewBookingParams) (*Booking, error) {
	pol := p.Club.Policy
	switch {
	case p.ID == "":
		return nil, invalidf("booking id is empty")
	case p.Court.ClubID != p.Club.ID:
		return nil, Errorf(CodeNotFound, "court %q not found", p.Court.ID)
	case !p.Court.Active:
		return nil, Errorf(CodeCourtInactive, "court %q is not open for bookings", p.Court.Name)
	case !pol.AllowsDuration(p.Court.Sport, p.Interval.Duration()):
		return nil, Errorf(CodeDurationNotAllowed, "%s may not be booked for %d minutes", p.Court.Sport, int(p.Interval.Duration().Minutes()))
	case pol.CheckStart(p.Interval.Start, p.Now) != nil:
		return nil, pol.CheckStart(p.Interval.Start, p.Now)
	case len(p.Quote.Lines) == 0 || p.Quote.Total.Currency() != p.Club.Currency:
		return nil, invalidf("booking has no quote in %s", p.Club.Currency)
	case len(p.IdempotencyKey) > 255:
		return nil, invalidf("idempotency key must have at most 255 characters")
	}
	hold := p.Now.Add(pol.Hold)
	if hold.After(p.Interval.Start) {
		hold = p.Interval.Start
	}
	zero := NewMoney(0, p.Club.Currency)
	return &Booking{r: BookingRecord{
		ID: p.ID, ClubID: p.Club.ID, CourtID: p.Court.ID, Sport: p.Court.Sport, Customer: p.Customer,
		Interval: p.Interval, Quote: p.Quote, Status: StatusPending, HoldExpiresAt: hold.UTC(),
		Paid: zero, Refund: zero, TokenHash: p.TokenHash, IdempotencyKey: p.IdempotencyKey,
		RequestHash: p.RequestHash, CreatedAt: p.Now.UTC(), UpdatedAt: p.Now.UTC(),
	}}, nil
}

// RestoreBooking returns the booking a repository stored as r; it shares nothing with r.
// It checks what it loads, so that a row no booking could have reached (a write that
// bypassed the store, a bad migration) is an internal error naming the fault rather
// than a booking whose transitions would run on nonsense.
func RestoreBooking(r BookingRecord) (*Booking, error) {
	if err := r.check(); err != nil {
		return nil, Errorf(CodeInternal, "stored booking %q: %s", r.ID, err)
	}
	r.Quote.Lines = slices.Clone(r.Quote.Lines)
	return &Booking{r: r}, nil
}

// check reports the first rule of a stored booking that r breaks.
func (r BookingRecord) check() error {
	cur := r.Quote.Total.Currency()
	switch {
	case r.ID == "":
		return errors.New("the id is empty")
	case r.ClubID == "":
		return errors.New("the club id is empty")
	case r.CourtID == "":
		return errors.New("the court id is empty")
	case !r.Status.known():
		return fmt.Errorf("the status %q is unknown", r.Status)
	case r.Interval.Start.IsZero() || !r.Interval.End.After(r.Interval.Start):
		return fmt.Errorf("the interval %s to %s does not end after it starts", r.Interval.Start.Format(time.RFC3339), r.Interval.End.Format(time.RFC3339))
	case r.Status == StatusPending && r.HoldExpiresAt.IsZero():
		return errors.New("a pending booking has no hold expiry")
	case cur.IsZero():
		return errors.New("the quote has no currency")
	case r.Quote.Total.Amount() < 0:
		return fmt.Errorf("the quote of %s is negative", r.Quote.Total)
	case r.Version < 1:
		return fmt.Errorf("the version %d is not a stored one (at least 1)", r.Version)
	}
	for _, m := range []struct {
		what string
		m    Money
	}{{"paid", r.Paid}, {"refunded", r.Refund}} {
		switch {
		case m.m.Amount() < 0:
			return fmt.Errorf("the amount %s is negative: %s", m.what, m.m)
		case m.m.Currency() != cur && !(m.m.Currency().IsZero() && m.m.IsZero()):
			return fmt.Errorf("the amount %s, %s, is not in the quote's currency %s", m.what, m.m, cur)
		}
	}
	for _, l := range r.Quote.Lines {
		if l.Amount.Currency() != cur || l.Amount.Amount() < 0 {
			return fmt.Errorf("a quote line of %s is negative or not in the quote's currency %s", l.Amount, cur)
		}
	}
	return nil
}

// known reports whether s is one of the booking states.
func (s Status) known() bool {
	switch s {
	case StatusPending, StatusConfirmed, StatusCompleted, StatusNoShow, StatusExpired, StatusCancelled:
		return true
	}
	return false
}

// Record returns the stored form of b; it shares nothing with b.
func (b *Booking) Record() BookingRecord {
	r := b.r
	r.Quote = b.Quote()
	return r
}

// ID returns the booking's id.
func (b *Booking) ID() string { return b.r.ID }

// ClubID returns the id of the booking's club.
func (b *Booking) ClubID() string { return b.r.ClubID }

// CourtID returns the id of the booked court.
func (b *Booking) CourtID() string { return b.r.CourtID }

// Customer returns who the booking is for.
func (b *Booking) Customer() Customer { return b.r.Customer }

// Interval returns when the court is booked.
func (b *Booking) Interval() Interval { return b.r.Interval }

// Quote returns the price of the booking.
func (b *Booking) Quote() Quote {
	q := b.r.Quote
	q.Lines = slices.Clone(q.Lines)
	return q
}

// Status returns the booking's state.
func (b *Booking) Status() Status { return b.r.Status }

// HoldExpiresAt returns when a pending booking stops holding its slot.
func (b *Booking) HoldExpiresAt() time.Time { return b.r.HoldExpiresAt }

// PaymentRef returns the gateway's reference for the booking's payment.
func (b *Booking) PaymentRef() string { return b.r.PaymentRef }

// PaymentGateway returns the name of the gateway that holds the booking's checkout and
// payment, or "" before a checkout is opened.
func (b *Booking) PaymentGateway() string { return b.r.PaymentGateway }

// Paid returns what the customer has paid.
func (b *Booking) Paid() Money { return b.r.Paid }

// Refund returns what has been refunded or is due.
func (b *Booking) Refund() Money { return b.r.Refund }

// TokenHash returns the hash of the customer's access token.
func (b *Booking) TokenHash() string { return b.r.TokenHash }

// IdempotencyKey returns the client's idempotency key, if any.
func (b *Booking) IdempotencyKey() string { return b.r.IdempotencyKey }

// RequestHash returns the fingerprint of the request that created the booking.
func (b *Booking) RequestHash() string { return b.r.RequestHash }

// Version returns the number of stored changes.
func (b *Booking) Version() int { return b.r.Version }

// IsActive reports whether the booking holds its court at now: it is confirmed, or
// pending with a hold that has not run out.
func (b *Booking) IsActive(now time.Time) bool {
	return IsActive(b.r.Status, b.r.HoldExpiresAt, now)
}

// IsActive reports whether a booking in status with the given hold holds its court at now.
func IsActive(s Status, holdExpiresAt, now time.Time) bool {
	return s == StatusConfirmed || (s == StatusPending && now.Before(holdExpiresAt))
}

func (b *Booking) transition(to Status, now time.Time) {
	b.r.Status = to
	b.r.UpdatedAt = now.UTC()
}

func (b *Booking) invalidTransition(to Status) error {
	return Errorf(CodeInvalidTransition, "a %s booking cannot become %s", b.r.Status, to)
}

// SetCheckout records the gateway (by name) and its reference for the booking's
// checkout. Only a pending booking takes one: once a payment has confirmed it, the
// payment's own reference stays (refunds and duplicate events are matched against it,
// and go through the gateway that took it), and an ended booking has nothing to pay.
// A pending booking may take a new checkout over an old one: a client that retries
// with its idempotency key reopens it, possibly at another gateway.
func (b *Booking) SetCheckout(gateway, ref string) error {
	switch {
	case b.r.Status != StatusPending:
		return Errorf(CodeInvalidTransition, "a %s booking takes no checkout", b.r.Status)
	case gateway == "" || ref == "":
		return invalidf("a checkout needs its gateway and its reference")
	}
	b.r.PaymentGateway, b.r.PaymentRef = gateway, ref
	return nil
}

// PaidThrough records the name of the gateway that took the payment which confirmed
// the booking, when it is not the one that opened the checkout (the club moved to
// another gateway between two checkouts of the booking): refunds go through it. Only a
// confirmed booking has such a payment; later states keep the gateway they had.
func (b *Booking) PaidThrough(gateway string) error {
	switch {
	case b.r.Status != StatusConfirmed:
		return Errorf(CodeInvalidTransition, "a %s booking has no payment to record the gateway of", b.r.Status)
	case gateway == "":
		return invalidf("the gateway of a payment has a name")
	}
	b.r.PaymentGateway = gateway
	return nil
}

// ConfirmPayment confirms the booking for a payment of paid. A pending booking is
// confirmed even if its hold has passed, and an expired one is confirmed again: the
// store refuses the change with slot_unavailable if the slot has been taken since.
// The payment must match the quote and arrive before the booking starts.
func (b *Booking) ConfirmPayment(paid Money, ref string, now time.Time) error {
	if b.r.Status != StatusPending && b.r.Status != StatusExpired {
		return b.invalidTransition(StatusConfirmed)
	}
	if !now.Before(b.r.Interval.Start) {
		return Errorf(CodeBookingStarted, "the payment arrived after the booking's start at %s", b.r.Interval.Start.Format(time.RFC3339))
	}
	if !paid.Equal(b.r.Quote.Total) {
		return Errorf(CodeAmountMismatch, "payment of %s does not match the quote of %s", paid, b.r.Quote.Total)
	}
	if ref != "" {
		b.r.PaymentRef = ref
	}
	b.r.Paid = paid
	b.transition(StatusConfirmed, now)
	return nil
}

// Expire ends a pending booking whose hold has run out.
func (b *Booking) Expire(now time.Time) error {
	if b.r.Status != StatusPending {
		return b.invalidTransition(StatusExpired)
	}
	if now.Before(b.r.HoldExpiresAt) {
		return Errorf(CodeInvalidTransition, "the hold lasts until %s", b.r.HoldExpiresAt.Format(time.RFC3339))
	}
	b.transition(StatusExpired, now)
	return nil
}

// Cancel cancels a pending or confirmed booking and returns the refund the policy
// gives on what was paid: all of it at least CancelCutoff before the start, the
// policy's share later, nothing once the booking has started.
func (b *Booking) Cancel(pol Policy, now time.Time) (Money, error) {
	if b.r.Status != StatusPending && b.r.Status != StatusConfirmed {
		return Money{}, b.invalidTransition(StatusCancelled)
	}
	cur := b.r.Quote.Total.Currency()
	var due int64
	switch start := b.r.Interval.Start; {
	case !now.Before(start):
	case !now.After(start.Add(-pol.CancelCutoff)):
		due = b.r.Paid.Amount()
	default:
		due = b.r.Paid.Share(pol.LateRefundBasisPoints).Amount()
	}
	// What was refunded already (from the provider's dashboard) is not refunded again.
	left := max(b.r.Paid.Amount()-b.r.Refund.Amount(), 0)
	refund := NewMoney(min(due, left), cur)
	if err := b.AddRefund(refund); err != nil {
		return Money{}, err
	}
	b.transition(StatusCancelled, now)
	return refund, nil
}

// Complete marks a confirmed booking that has ended as played.
func (b *Booking) Complete(now time.Time) error {
	if b.r.Status != StatusConfirmed || now.Before(b.r.Interval.End) {
		return b.invalidTransition(StatusCompleted)
	}
	b.transition(StatusCompleted, now)
	return nil
}

// MarkNoShow marks a confirmed booking whose customer did not come.
func (b *Booking) MarkNoShow(now time.Time) error {
	if b.r.Status != StatusConfirmed || now.Before(b.r.Interval.Start) {
		return b.invalidTransition(StatusNoShow)
	}
	b.transition(StatusNoShow, now)
	return nil
}

// AddRefund records a refund of the payment that confirmed the booking, on top of
// those already recorded: a cancellation's, or one made at the provider's dashboard.
// The refund is in the booking's currency, not negative, and all refunds together
// never come to more than was paid: a pending or expired booking has taken no payment
// and has nothing to refund (a cancellation of one records a refund of zero). A
// refused refund changes nothing.
func (b *Booking) AddRefund(m Money) error {
	if err := b.checkRefund(m); err != nil {
		return err
	}
	if m.IsZero() {
		// Nothing to add, and nothing to bound: the refunds may already exceed what
		// was paid when they include payments given back (ReturnPayment).
		return nil
	}
	if b.r.Status == StatusPending || b.r.Status == StatusExpired {
		return Errorf(CodeInvalidTransition, "a %s booking has taken no payment to refund", b.r.Status)
	}
	total := b.r.Refund.Amount() + m.Amount()
	if m.Amount() > b.r.Paid.Amount()-b.r.Refund.Amount() {
		return invalidf("a refund of %s would bring the refunds to %s, more than the %s paid", m, NewMoney(total, m.Currency()), b.paid())
	}
	b.r.Refund = NewMoney(total, m.Currency())
	return nil
}

// ReturnPayment records the refund of a payment that did not confirm the booking (a
// wrong amount, a slot taken while the customer paid, a payment after the start or for
// a booking that could not take it): the whole payment is given back, in any state.
// It is not part of what was paid for the booking, so it is not bound by it; it is
// positive and in the booking's currency (a payment in another currency is no money
// of this booking, and its caller reports it).
func (b *Booking) ReturnPayment(m Money) error {
	if err := b.checkRefund(m); err != nil {
		return err
	}
	if m.IsZero() {
		return invalidf("a payment given back has an amount")
	}
	total, err := NewMoney(b.r.Refund.Amount(), m.Currency()).Add(m)
	if err != nil {
		return err
	}
	b.r.Refund = total
	return nil
}

// checkRefund checks what every refund must be: not negative, in the booking's currency.
func (b *Booking) checkRefund(m Money) error {
	switch cur := b.r.Quote.Total.Currency(); {
	case m.Currency() != cur:
		return Errorf(CodeCurrencyMismatch, "a refund in %s is not one of a booking in %s", m.Currency(), cur)
	case m.Amount() < 0:
		return invalidf("a refund of %s is negative", m)
	}
	return nil
}

// paid returns what was paid, in the booking's currency even when nothing was.
func (b *Booking) paid() Money {
	return NewMoney(b.r.Paid.Amount(), b.r.Quote.Total.Currency())
}
