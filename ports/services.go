package ports

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/matchpoint/matchpoint/domain"
)

// Clock tells the time. Production uses the system clock; tests move a fake one.
type Clock interface {
	Now() time.Time
}

// IDs makes unique, roughly time-ordered identifiers.
type IDs interface {
	NewID() string
}

// ErrorReporter reports failures that no caller will see, such as a payment that did
// not match its booking. It must not block for long and never fails.
type ErrorReporter interface {
	Report(ctx context.Context, err error, attrs map[string]string)
}

// Cache stores byte values under string keys for a time. It is a cache: a miss is
// always allowed, and an error means "treat as a miss". Once Delete or DeletePrefix
// returns, no Get (on any process sharing the cache) returns the deleted values.
type Cache interface {
	// Get returns the value of key and true, or false on a miss.
	Get(ctx context.Context, key string) ([]byte, bool, error)
	// Set stores value under key for ttl; a ttl <= 0 is an invalid error.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Delete removes keys; a missing key is not an error.
	Delete(ctx context.Context, keys ...string) error
	// DeletePrefix removes every key that starts with prefix.
	DeletePrefix(ctx context.Context, prefix string) error
}

// CheckoutRequest asks a gateway for a checkout of one booking.
type CheckoutRequest struct {
	BookingID     string
	ClubID        string
	Description   string
	Amount        domain.Money
	CustomerEmail string
	ExpiresAt     time.Time // when the hold ends; the checkout should not outlive it
}

// Checkout is where the customer pays.
type Checkout struct {
	Ref string // the gateway's reference (session, preference or payment id)
	URL string // the page the customer opens
}

// PaymentStatus is the provider-neutral state of a payment.
type PaymentStatus string

// Payment states.
const (
	PaymentPending  PaymentStatus = "pending"
	PaymentPaid     PaymentStatus = "paid"
	PaymentFailed   PaymentStatus = "failed"
	PaymentExpired  PaymentStatus = "expired"
	PaymentRefunded PaymentStatus = "refunded"
)

// Payment is what a gateway knows of a booking's payment.
type Payment struct {
	Ref       string
	BookingID string
	Status    PaymentStatus
	Amount    domain.Money
}

// PaymentEventType is the provider-neutral kind of a webhook event.
type PaymentEventType string

// Payment event types.
const (
	EventPaid     PaymentEventType = "paid"
	EventFailed   PaymentEventType = "failed"
	EventExpired  PaymentEventType = "expired"
	EventRefunded PaymentEventType = "refunded"
	// EventPending says a payment exists but is not decided yet (cash to be paid, a
	// review): nothing to do until the provider reports its outcome.
	EventPending PaymentEventType = "pending"
	// EventUnrelated is a genuine event that concerns no booking's payment (an event
	// type Match Point does not use, a sale made elsewhere on the account): it is
	// acknowledged, so that the provider stops sending it, and changes nothing.
	EventUnrelated PaymentEventType = "unrelated"
)

// PaymentEvent is a verified webhook event, provider-neutral.
type PaymentEvent struct {
	Provider   string
	EventID    string // unique per provider; replays carry the same id
	Type       PaymentEventType
	BookingID  string
	PaymentRef string
	Amount     domain.Money // what was paid; for EventRefunded, all that has been refunded of the payment so far
	At         time.Time
}

// RefundRequest asks a gateway to refund part or all of a payment.
type RefundRequest struct {
	BookingID      string
	PaymentRef     string
	Amount         domain.Money
	IdempotencyKey string // the same key never refunds twice
}

// Refund is a refund the gateway accepted.
type Refund struct {
	ID     string
	Amount domain.Money
}

// PaymentGateway is a payment provider.
type PaymentGateway interface {
	// Provider names the gateway as it appears in webhook URLs ("sandbox", "stripe").
	Provider() string
	// CreateCheckout opens a checkout for a booking. Creating one twice for the same
	// booking returns the same checkout.
	CreateCheckout(ctx context.Context, req CheckoutRequest) (Checkout, error)
	// GetPayment returns the state of a payment by its checkout reference or by the
	// payment reference its events carry, or not_found.
	GetPayment(ctx context.Context, ref string) (Payment, error)
	// Refund refunds an amount of a payment; the same idempotency key refunds once.
	// Refunding more than was paid, or an unpaid payment, is an invalid error and will
	// never succeed; a provider failure is unavailable and may be retried.
	Refund(ctx context.Context, req RefundRequest) (Refund, error)
	// ExpireCheckout closes the checkout ref names (the Ref CreateCheckout returned),
	// so that it can no longer be paid: GetPayment of it then reports it expired (or
	// failed), and the provider refuses to take a payment through it. Closing a
	// checkout that is closed or expired already is not an error. A ref the provider
	// does not know is not_found; a checkout paid already (a payment completed, even if
	// refunded since) is a conflict with code checkout_paid, and its payment reaches
	// the caller as any payment does; a provider failure is unavailable and may be
	// retried.
	ExpireCheckout(ctx context.Context, ref string) error
	// ParseWebhook verifies a webhook's signature and returns its event. A bad or
	// missing signature is an unauthorized error with code bad_signature; a body that
	// cannot be read is an invalid error.
	ParseWebhook(header http.Header, body []byte) (PaymentEvent, error)
}

// MessageKind says what a notification is about.
type MessageKind string

// Message kinds.
const (
	MessageConfirmation MessageKind = "confirmation"
	MessageCancellation MessageKind = "cancellation"
	MessageExpiry       MessageKind = "expiry"
	MessageReminder     MessageKind = "reminder"
	MessageRefund       MessageKind = "refund"
	// MessageRefundFailed tells the customer that a refund owed to them could not be
	// made and that the club will be in touch.
	MessageRefundFailed MessageKind = "refund_failed"
)

// Attachment is a file sent with a message.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Message is a notification to a customer. A notifier sends every part it can carry:
// Text and HTML are the same message as plain text and as HTML, sent together as
// alternatives so that the customer's mail program shows the one it prefers.
type Message struct {
	Kind      MessageKind
	BookingID string
	// Seq tells apart the messages of one kind about one booking, for a kind that a
	// booking may get more than once: each refund's message names its refund. It is
	// empty for the kinds a booking gets at most once.
	Seq     string
	To      string
	Subject string
	// Text is the message as plain text; it is required, and is what a notifier that
	// carries one part only sends.
	Text string
	// HTML is the message as an HTML document, optional: empty means text only. It is
	// complete and escaped: a notifier sends it as it is.
	HTML        string
	Attachments []Attachment
}

// Key is the message's identity: MessageKey of its kind, booking and Seq.
func (m Message) Key() string { return MessageKey(m.BookingID, m.Kind, m.Seq) }

// MessageKey is the identity of a message about a booking: the same for every attempt
// to send one message, and different for any two messages. It is the kind, the booking
// id and, when not empty, seq (see Message.Seq), each path-escaped and joined by "/":
// "confirmation/0b6f…", "refund/0b6f…/payment:pi_1". A notifier that gives messages an
// id of their own makes it from the same parts in the same order (the SMTP adapter's
// Message-ID: "confirmation.0b6f…@club.example"), and SentMessages records sent
// messages by it.
func MessageKey(bookingID string, kind MessageKind, seq string) string {
	key := url.PathEscape(string(kind)) + "/" + url.PathEscape(bookingID)
	if seq != "" {
		key += "/" + url.PathEscape(seq)
	}
	return key
}

// Notifier delivers messages to customers. Send may be called again for a message it
// delivered: the use cases record each message they sent (SentMessages) and do not send
// it again, but a crash between a Send that succeeded and that record repeats it.
// Delivering a message twice is tolerated by callers, losing one is not; a notifier
// that gives messages an id makes it from Message.Key's parts, so that a repeat can be
// recognised.
type Notifier interface {
	Send(ctx context.Context, m Message) error
}
