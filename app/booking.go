package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// Bookings are the customers' use cases: book, read and cancel.
type Bookings struct{ *core }

// CustomerInput is who a booking is for, as the customer gave it.
type CustomerInput struct {
	Name     string
	Email    string
	Phone    string
	Category domain.CustomerCategory
}

// CreateBookingCommand asks to hold a court while the customer pays.
type CreateBookingCommand struct {
	ClubSlug       string
	CourtID        string
	Start          time.Time
	Duration       time.Duration
	Customer       CustomerInput
	IdempotencyKey string // optional; the same key and request return the same booking
}

// CreatedBooking is a held booking with what the customer needs next.
type CreatedBooking struct {
	Club        domain.Club
	Booking     *domain.Booking
	AccessToken string // the customer's secret for reading and cancelling the booking
	CheckoutURL string // where the customer pays
	Replayed    bool   // true when an idempotency key returned an earlier booking
}

// Create validates the request against the club's policy, prices it, holds the slot
// and opens a checkout; a booking that costs nothing is confirmed at once instead. Within one transaction it stores the booking and schedules the
// hold's expiry. With an idempotency key, repeating the same request returns the same
// booking and token; the same key with a different request is a conflict.
func (u *Bookings) Create(ctx context.Context, cmd CreateBookingCommand) (CreatedBooking, error) {
	res, err := u.create(ctx, cmd)
	if !res.Replayed {
		u.Metrics.Booking(createOutcome(res, err))
	}
	return res, err
}

// createOutcome is the outcome of a request for a booking that was not a replay.
func createOutcome(res CreatedBooking, err error) ports.BookingOutcome {
	switch domain.ErrorKind(err) {
	case "":
		if res.Booking != nil && res.Booking.Status() == domain.StatusConfirmed {
			return ports.BookingConfirmed // it cost nothing
		}
		return ports.BookingHeld
	case domain.KindConflict:
		return ports.BookingConflict
	case domain.KindPolicy:
		return ports.BookingRefused
	case domain.KindInvalid, domain.KindNotFound, domain.KindUnauthorized, domain.KindForbidden:
		return ports.BookingInvalid
	}
	return ports.BookingFailed
}

func (u *Bookings) create(ctx context.Context, cmd CreateBookingCommand) (CreatedBooking, error) {
	club, err := u.catalog.ClubBySlug(ctx, cmd.ClubSlug)
	if err != nil {
		return CreatedBooking{}, err
	}
	customer, err := domain.NewCustomer(cmd.Customer.Name, cmd.Customer.Email, cmd.Customer.Phone, cmd.Customer.Category)
	if err != nil {
		return CreatedBooking{}, err
	}
	fingerprint := requestHash(cmd, customer)
	if cmd.IdempotencyKey != "" {
		if res, ok, err := u.replay(ctx, club, cmd.IdempotencyKey, fingerprint); ok || err != nil {
			return res, err
		}
	}
	court, err := u.catalog.Court(ctx, club.ID, cmd.CourtID)
	if err != nil {
		return CreatedBooking{}, err
	}
	quote, err := u.quote(ctx, club, court, cmd.Start, cmd.Duration, customer.Category)
	if err != nil {
		return CreatedBooking{}, err
	}
	iv := domain.Interval{Start: cmd.Start.UTC(), End: cmd.Start.Add(cmd.Duration).UTC()}
	now := u.Clock.Now()
	id := u.IDs.NewID()
	token := u.token(id)
	b, err := domain.NewBooking(domain.NewBookingParams{
		ID: id, Club: club, Court: court, Customer: customer, Interval: iv, Quote: quote,
		TokenHash: hashToken(token), IdempotencyKey: cmd.IdempotencyKey, RequestHash: fingerprint, Now: now,
	})
	if err != nil {
		return CreatedBooking{}, err
	}
	if err := u.checkClosures(ctx, club, court, iv); err != nil {
		return CreatedBooking{}, err
	}
	// A game that costs nothing (a free hour for members, say) needs no payment.
	free := quote.Total.IsZero()
	if free {
		if err := b.ConfirmPayment(quote.Total, "", now); err != nil {
			return CreatedBooking{}, err
		}
	}
	err = u.Store.WithinTx(ctx, func(ctx context.Context) error {
		if err := u.Store.CreateBooking(ctx, b, ports.CreateBookingOptions{Now: now, MaxActivePerCustomer: club.Policy.MaxActivePerCustomer}); err != nil {
			return err
		}
		if free {
			if err := u.scheduleConfirmed(ctx, club, b); err != nil {
				return err
			}
			return u.notify(ctx, id, ports.MessageConfirmation)
		}
		return u.Jobs.Enqueue(ctx, ExpireHoldArgs{BookingID: id}, ports.EnqueueOptions{RunAt: b.HoldExpiresAt(), UniqueKey: "expire:" + id})
	})
	if err != nil {
		if cmd.IdempotencyKey != "" && errors.Is(err, domain.ErrDuplicate) {
			// A concurrent request with the same key won the race: answer as a replay.
			if res, ok, rerr := u.replay(ctx, club, cmd.IdempotencyKey, fingerprint); ok || rerr != nil {
				return res, rerr
			}
		}
		return CreatedBooking{}, err
	}
	return u.checkout(ctx, club, b, token, false)
}

// replay answers a request whose idempotency key the club has seen.
func (u *Bookings) replay(ctx context.Context, club domain.Club, key, fingerprint string) (CreatedBooking, bool, error) {
	b, err := u.Store.FindBookingByIdempotencyKey(ctx, club.ID, key)
	if domain.ErrorKind(err) == domain.KindNotFound {
		return CreatedBooking{}, false, nil
	}
	if err != nil {
		return CreatedBooking{}, false, err
	}
	if b.RequestHash() != fingerprint {
		return CreatedBooking{}, true, domain.Errorf(domain.CodeIdempotencyKeyReused, "idempotency key %q was used for a different request", key)
	}
	res, err := u.checkout(ctx, club, b, u.token(b.ID()), true)
	return res, true, err
}

// checkout opens (or finds again) the booking's checkout and records its reference.
func (u *Bookings) checkout(ctx context.Context, club domain.Club, b *domain.Booking, token string, replayed bool) (CreatedBooking, error) {
	res := CreatedBooking{Club: club, Booking: b, AccessToken: token, Replayed: replayed}
	if b.Status() != domain.StatusPending {
		return res, nil
	}
	gatewayName, gateway, err := u.Gateways.ForClub(ctx, club)
	if err != nil {
		return res, err
	}
	co, err := gateway.CreateCheckout(ctx, ports.CheckoutRequest{
		BookingID: b.ID(), ClubID: club.ID, Amount: b.Quote().Total, CustomerEmail: b.Customer().Email,
		Description: club.Name + " " + b.Interval().Start.In(club.Location).Format("2006-01-02 15:04"),
		ExpiresAt:   b.HoldExpiresAt(),
	})
	if err != nil {
		u.Logger.ErrorContext(ctx, "checkout failed", "booking", b.ID(), "gateway", gatewayName, "err", err)
		// A provider that refuses the checkout itself (not a failure to answer) will
		// refuse a retry too: the club's configuration needs a look.
		kind := domain.ErrorKind(err)
		refused := (kind == domain.KindInvalid || kind == domain.KindConflict) && ctx.Err() == nil
		if refused {
			u.Reporter.Report(ctx, err, map[string]string{"booking": b.ID(), "gateway": gatewayName, "problem": "checkout refused"})
		}
		if b.IdempotencyKey() != "" && !refused {
			// The client can retry with its key: the retry reopens the checkout.
			return res, domain.Errorf(domain.CodeUnavailable, "the payment provider is not answering; the slot is held until %s, retry with the same Idempotency-Key", b.HoldExpiresAt().Format(time.RFC3339))
		}
		// Without a key the client cannot find this booking again, and a refused checkout
		// will not open on a retry: free the slot.
		u.release(ctx, club, b)
		if refused {
			return CreatedBooking{}, domain.Errorf(domain.CodeInternal, "the payment provider refused the checkout; nothing was booked, and the club has been told")
		}
		return CreatedBooking{}, domain.Errorf(domain.CodeUnavailable, "the payment provider is not answering; nothing was booked, try again")
	}
	res.CheckoutURL = co.URL
	if b.PaymentRef() == co.Ref && b.PaymentGateway() == gatewayName {
		return res, nil
	}
	err = u.Store.UpdateBooking(ctx, b.ID(), u.Clock.Now(), func(nb *domain.Booking) error {
		b = nb
		if nb.Status() != domain.StatusPending {
			// Paid, cancelled or expired while the checkout opened: there is no
			// checkout to record and no hold to release.
			return errUnchanged
		}
		return nb.SetCheckout(gatewayName, co.Ref)
	})
	if errors.Is(err, errUnchanged) {
		res.Booking = b
		return res, nil
	}
	if err != nil {
		// The checkout is open but the booking does not know it: no webhook or
		// reconciliation could tie a payment to it, and the customer has no link to
		// pay. The same care as for a checkout that did not open: a client with a key
		// may retry (the retry records the checkout), anyone else gets the slot freed.
		u.Logger.ErrorContext(ctx, "recording the checkout failed", "booking", b.ID(), "gateway", gatewayName, "err", err)
		if b.IdempotencyKey() != "" {
			return res, domain.Errorf(domain.CodeUnavailable, "the booking could not be completed; the slot is held until %s, retry with the same Idempotency-Key", b.HoldExpiresAt().Format(time.RFC3339))
		}
		u.release(ctx, club, b)
		return CreatedBooking{}, domain.Errorf(domain.CodeUnavailable, "the booking could not be completed; nothing was booked, try again")
	}
	res.Booking = b
	return res, nil
}

// release cancels a pending booking the customer was never given a way to pay, so that
// its slot is free at once. It runs even if the request's context has ended (a client
// that went away is the usual cause of the failure that calls for it). If the release
// fails too, the hold ends on its own: the job scheduled with the booking expires it.
func (u *Bookings) release(ctx context.Context, club domain.Club, b *domain.Booking) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	now := u.Clock.Now()
	if err := u.Store.UpdateBooking(ctx, b.ID(), now, func(nb *domain.Booking) error { _, err := nb.Cancel(club.Policy, now); return err }); err != nil {
		u.Logger.ErrorContext(ctx, "releasing a booking without checkout failed; its hold expires on its own", "booking", b.ID(), "hold_expires_at", b.HoldExpiresAt(), "err", err)
	}
}

// releaseTimeout bounds a release that outlives its request.
const releaseTimeout = 10 * time.Second

func (u *Bookings) checkClosures(ctx context.Context, club domain.Club, court domain.Court, iv domain.Interval) error {
	closures, err := u.Store.ListClosures(ctx, club.ID, iv)
	if err != nil {
		return err
	}
	return domain.CheckClosures(closures, court, iv)
}

// BookingView is a booking and its club, whose zone and currency a caller needs to
// show the booking's times and amounts.
type BookingView struct {
	Club    domain.Club
	Booking *domain.Booking
}

// Get returns a booking to the holder of its access token. A wrong token and an
// unknown booking give the same not_found error, so a guess reveals nothing.
func (u *Bookings) Get(ctx context.Context, id, token string) (BookingView, error) {
	b, err := u.authorize(ctx, id, token)
	if err != nil {
		return BookingView{}, err
	}
	club, err := u.catalog.Club(ctx, b.ClubID())
	if err != nil {
		return BookingView{}, err
	}
	return BookingView{Club: club, Booking: b}, nil
}

func (u *Bookings) authorize(ctx context.Context, id, token string) (*domain.Booking, error) {
	if token == "" {
		return nil, domain.Errorf(domain.CodeUnauthorized, "an access token is required")
	}
	notFound := domain.Errorf(domain.CodeNotFound, "booking %q not found", id)
	b, err := u.Store.GetBooking(ctx, id)
	if domain.ErrorKind(err) == domain.KindNotFound {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(hashToken(token)), []byte(b.TokenHash())) != 1 {
		return nil, notFound
	}
	return b, nil
}

// Cancelled is a cancelled booking and the refund it gives.
type Cancelled struct {
	Club    domain.Club
	Booking *domain.Booking
	Refund  domain.Money
}

// Cancel cancels a booking for the holder of its access token and refunds what the
// policy gives on what was paid. The refund is owed (stored) in the cancellation's
// transaction and issued by a job. Cancelling again returns the same result and
// refunds nothing more: a booking owes one cancellation refund.
func (u *Bookings) Cancel(ctx context.Context, id, token string) (Cancelled, error) {
	b, err := u.authorize(ctx, id, token)
	if err != nil {
		return Cancelled{}, err
	}
	club, err := u.catalog.Club(ctx, b.ClubID())
	if err != nil {
		return Cancelled{}, err
	}
	if b.Status() == domain.StatusCancelled {
		return Cancelled{Club: club, Booking: b, Refund: b.Refund()}, nil
	}
	now := u.Clock.Now()
	var refund domain.Money
	err = u.Store.WithinTx(ctx, func(ctx context.Context) error {
		err := u.Store.UpdateBooking(ctx, id, now, func(nb *domain.Booking) error {
			if nb.Status() == domain.StatusCancelled {
				// Cancelled meanwhile: that cancellation scheduled the refund and the
				// message, which may have run already; scheduling them again would
				// repeat them.
				refund, b = nb.Refund(), nb
				return errUnchanged
			}
			r, err := nb.Cancel(club.Policy, now)
			refund, b = r, nb
			return err
		})
		if errors.Is(err, errUnchanged) {
			return nil
		}
		if err != nil {
			return err
		}
		ports.AfterCommit(ctx, func() { u.Metrics.Booking(ports.BookingCancelled) })
		if refund.Amount() > 0 {
			if err := u.oweRefund(ctx, b, RefundArgs{BookingID: id, Gateway: b.PaymentGateway(), PaymentRef: b.PaymentRef(), Amount: refund, Reason: "cancellation", IdempotencyKey: "cancel:" + id}); err != nil {
				return err
			}
		}
		if err := u.Jobs.Cancel(ctx, reminderKey(id)); err != nil {
			return err
		}
		return u.notify(ctx, id, ports.MessageCancellation)
	})
	if err != nil {
		return Cancelled{}, err
	}
	return Cancelled{Club: club, Booking: b, Refund: refund}, nil
}

// token derives the customer's access token of a booking. Only its hash is stored; the
// derivation lets an idempotent replay hand the same token back.
func (c *core) token(bookingID string) string {
	m := hmac.New(sha256.New, c.cfg.TokenSecret)
	m.Write([]byte("booking-access:" + bookingID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func hashToken(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}

// requestHash fingerprints what a booking request asks for, to recognise a replay.
func requestHash(cmd CreateBookingCommand, c domain.Customer) string {
	// Marshalling strings and integers cannot fail.
	b, _ := json.Marshal([]any{cmd.ClubSlug, cmd.CourtID, cmd.Start.UTC().Format(time.RFC3339Nano), int64(cmd.Duration), c.Name, c.Email, c.Phone, string(c.Category)})
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
