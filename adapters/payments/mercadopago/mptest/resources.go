package mptest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/matchpoint/matchpoint/domain"
)

// The API's resources, in the JSON of the SDK's types.

// buenosAires is the offset MercadoPago Argentina dates its resources in.
var buenosAires = time.FixedZone("ART", -3*60*60)

// mpTime formats t as the API does: "2030-01-05T16:00:00.000-03:00".
func mpTime(t time.Time) string { return t.In(buenosAires).Format("2006-01-02T15:04:05.000-07:00") }

func mpTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := mpTime(*t)
	return &s
}

// decimalOf renders m as the API's decimal in major units: 16000, 16000.5, 0.01.
func decimalOf(m domain.Money) json.Number {
	s := strconv.FormatInt(m.Amount(), 10)
	if exp := m.Currency().Exponent(); exp > 0 {
		s = strings.Repeat("0", max(0, exp+1-len(s))) + s
		s = s[:len(s)-exp] + "." + s[len(s)-exp:]
		s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	}
	return json.Number(s)
}

// moneyOf reads a decimal in major units of c exactly: "12345.67" ARS is 1234567
// centavos. A decimal finer than c's minor unit, negative or in exponent form is
// refused, not rounded.
func moneyOf(n json.Number, c domain.Currency) (domain.Money, error) {
	s := n.String()
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > c.Exponent() || strings.ContainsAny(s, "eE+-") {
		return domain.Money{}, fmt.Errorf("amount %s is not a decimal of %s", n, c)
	}
	minor, err := strconv.ParseInt(whole+frac+strings.Repeat("0", c.Exponent()-len(frac)), 10, 64)
	if err != nil {
		return domain.Money{}, fmt.Errorf("amount %s of %s: %w", n, c, err)
	}
	return domain.NewMoney(minor, c), nil
}

type itemJSON struct {
	ID          string      `json:"id"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	CurrencyID  string      `json:"currency_id"`
	UnitPrice   json.Number `json:"unit_price"`
	Quantity    int         `json:"quantity"`
}

type backURLsJSON struct {
	Success string `json:"success"`
	Pending string `json:"pending"`
	Failure string `json:"failure"`
}

// prefRequest is the body of POST /checkout/preferences (preference.Request).
type prefRequest struct {
	ExternalReference string     `json:"external_reference"`
	NotificationURL   string     `json:"notification_url"`
	Items             []itemJSON `json:"items"`
	Payer             *struct {
		Email string `json:"email"`
	} `json:"payer"`
	BackURLs           *backURLsJSON  `json:"back_urls"`
	AutoReturn         string         `json:"auto_return"`
	Expires            bool           `json:"expires"`
	ExpirationDateFrom *time.Time     `json:"expiration_date_from"`
	ExpirationDateTo   *time.Time     `json:"expiration_date_to"`
	DateOfExpiration   *time.Time     `json:"date_of_expiration"`
	Metadata           map[string]any `json:"metadata"`
}

// prefJSON is a preference (preference.Response).
type prefJSON struct {
	ID                string     `json:"id"`
	CollectorID       int64      `json:"collector_id"`
	ClientID          string     `json:"client_id"`
	SiteID            string     `json:"site_id"`
	OperationType     string     `json:"operation_type"`
	ExternalReference string     `json:"external_reference"`
	NotificationURL   string     `json:"notification_url"`
	InitPoint         string     `json:"init_point"`
	SandboxInitPoint  string     `json:"sandbox_init_point"`
	Items             []itemJSON `json:"items"`
	Payer             struct {
		Email string `json:"email"`
	} `json:"payer"`
	BackURLs           backURLsJSON   `json:"back_urls"`
	AutoReturn         string         `json:"auto_return"`
	Expires            bool           `json:"expires"`
	ExpirationDateFrom *string        `json:"expiration_date_from"`
	ExpirationDateTo   *string        `json:"expiration_date_to"`
	DateOfExpiration   *string        `json:"date_of_expiration"`
	DateCreated        string         `json:"date_created"`
	Metadata           map[string]any `json:"metadata"`

	closed bool // the club made it lapse through the API: it takes no payment
}

// asked is what a preference asks: the sum of its items. Preferences are checked to
// be in ARS, with positive prices and quantities, when they are created.
func (p *prefJSON) asked() domain.Money {
	ars := domain.MustCurrency("ARS")
	var total int64
	for _, it := range p.Items {
		unit, _ := moneyOf(it.UnitPrice, ars)
		total += unit.Amount() * int64(it.Quantity)
	}
	return domain.NewMoney(total, ars)
}

// prefSummary is an element of a preference search (preference.SearchResponse).
type prefSummary struct {
	ID                string   `json:"id"`
	ExternalReference string   `json:"external_reference"`
	DateCreated       string   `json:"date_created"`
	CollectorID       int64    `json:"collector_id"`
	SiteID            string   `json:"site_id"`
	Items             []string `json:"items"`
	Expires           bool     `json:"expires"`
	LiveMode          bool     `json:"live_mode"`
}

// paymentJSON is a payment (payment.Response).
type paymentJSON struct {
	ID                        int64          `json:"id"`
	Status                    string         `json:"status"`
	StatusDetail              string         `json:"status_detail"`
	ExternalReference         string         `json:"external_reference"`
	Description               string         `json:"description"`
	CurrencyID                string         `json:"currency_id"`
	TransactionAmount         json.Number    `json:"transaction_amount"`
	TransactionAmountRefunded json.Number    `json:"transaction_amount_refunded"`
	PaymentMethodID           string         `json:"payment_method_id"`
	PaymentTypeID             string         `json:"payment_type_id"`
	OperationType             string         `json:"operation_type"`
	CollectorID               int64          `json:"collector_id"`
	LiveMode                  bool           `json:"live_mode"`
	Captured                  bool           `json:"captured"`
	DateCreated               string         `json:"date_created"`
	DateApproved              *string        `json:"date_approved"`
	DateLastUpdated           string         `json:"date_last_updated"`
	Order                     map[string]any `json:"order"`
	Metadata                  map[string]any `json:"metadata"`
	Refunds                   []refundJSON   `json:"refunds"`
}

// refundJSON is a refund (refund.Response).
type refundJSON struct {
	ID                   int64       `json:"id"`
	PaymentID            int64       `json:"payment_id"`
	Amount               json.Number `json:"amount"`
	Status               string      `json:"status"`
	RefundMode           string      `json:"refund_mode"`
	UniqueSequenceNumber *string     `json:"unique_sequence_number"`
	AdjustmentAmount     json.Number `json:"adjustment_amount"`
	DateCreated          string      `json:"date_created"`
	Source               struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"source"`
}

// payment is a payment the account received. Its amounts are kept as Money, in the
// payment's currency, and rendered as decimals.
type payment struct {
	json     paymentJSON // without its amounts and refunds
	pref     string      // the preference it paid, if any
	amount   domain.Money
	refunded int64 // minor units of amount's currency
	refunds  []refundJSON
}

func (p *payment) render() paymentJSON {
	j := p.json
	j.CurrencyID = p.amount.Currency().Code()
	j.TransactionAmount = decimalOf(p.amount)
	j.TransactionAmountRefunded = decimalOf(domain.NewMoney(p.refunded, p.amount.Currency()))
	j.Refunds = append([]refundJSON{}, p.refunds...)
	return j
}
