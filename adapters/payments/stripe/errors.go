package stripe

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	stripego "github.com/stripe/stripe-go/v76"

	"github.com/matchpoint/matchpoint/domain"
)

// fromStripe maps an error of stripe-go to a domain error that says what the gateway
// was doing. The cause stays reachable with errors.As, as a *stripego.Error when Stripe
// answered.
//
//   - 404 (resource_missing) is not_found;
//   - an idempotency key reused with other parameters is a conflict
//     (idempotency_key_reused);
//   - any other 4xx, Stripe's refusal of the request as it stands (bad parameters, a
//     declined card, nothing left to refund), is invalid: retrying cannot help;
//   - a rejected API key (401, 403), a concurrent request on one key or a lock (409),
//     a rate limit (429), an error on Stripe's side (5xx) and any failure to reach
//     Stripe at all are unavailable and may be retried.
func fromStripe(err error, format string, args ...any) error {
	what := "stripe: " + fmt.Sprintf(format, args...)
	var se *stripego.Error
	if !errors.As(err, &se) {
		return wrap(domain.CodeUnavailable, err, "%s: Stripe did not answer: %v", what, err)
	}
	msg := se.Msg
	if se.RequestID != "" {
		msg += " (request " + se.RequestID + ")"
	}
	switch status := se.HTTPStatusCode; {
	case status == http.StatusNotFound || se.Code == stripego.ErrorCodeResourceMissing:
		return wrap(domain.CodeNotFound, err, "%s: %s", what, msg)
	case se.Type == stripego.ErrorTypeIdempotency:
		return wrap(domain.CodeIdempotencyKeyReused, err, "%s: %s", what, msg)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return wrap(domain.CodeUnavailable, err, "%s: Stripe refused the API key: %s", what, msg)
	case status == http.StatusConflict || status == http.StatusTooManyRequests || status >= 500:
		return wrap(domain.CodeUnavailable, err, "%s: %s", what, msg)
	case status >= 400:
		return wrap(domain.CodeInvalid, err, "%s: %s", what, msg)
	}
	return wrap(domain.CodeUnavailable, err, "%s: unexpected answer %d: %s", what, se.HTTPStatusCode, msg)
}

// wrap returns a domain error whose message is made of format and args, and whose
// cause is err: Stripe's error reads as JSON, which has no place in a message.
func wrap(code string, err error, format string, args ...any) *domain.Error {
	return &domain.Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// stripeAmount returns m as Stripe's amount and lower-case currency code. Stripe counts
// every currency Match Point accepts in its ISO 4217 minor unit (ARS in cents, JPY in
// yen), so the amount passes unchanged; of a three-decimal currency (BHD, KWD) Stripe
// takes only amounts that end in 0, and the gateway refuses the others rather than round
// someone's money.
func stripeAmount(m domain.Money) (int64, string, error) {
	c := m.Currency()
	if c.IsZero() {
		return 0, "", domain.Errorf(domain.CodeInvalid, "stripe: amount %s has no currency", m)
	}
	if c.Exponent() == 3 && m.Amount()%10 != 0 {
		return 0, "", domain.Errorf(domain.CodeInvalid, "stripe: Stripe takes %s amounts in multiples of 0.010, not %s", c, m)
	}
	return m.Amount(), strings.ToLower(c.Code()), nil
}

// money returns a Stripe amount and currency as Money.
func money(amount int64, currency stripego.Currency) (domain.Money, error) {
	c, err := domain.ParseCurrency(strings.ToUpper(string(currency)))
	if err != nil {
		return domain.Money{}, err
	}
	return domain.NewMoney(amount, c), nil
}
