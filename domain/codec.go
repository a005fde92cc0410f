package domain

import (
	"encoding/json"
)

// MarshalText encodes c as its ISO 4217 code.
func (c Currency) MarshalText() ([]byte, error) { return []byte(c.code), nil }

// UnmarshalText decodes an ISO 4217 code; an empty text is the zero Currency.
func (c *Currency) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*c = Currency{}
		return nil
	}
	v, err := ParseCurrency(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

type moneyJSON struct {
	Amount   int64    `json:"amount"`
	Currency Currency `json:"currency"`
}

// MarshalJSON encodes m as {"amount": minor units, "currency": "ARS"}.
func (m Money) MarshalJSON() ([]byte, error) {
	return json.Marshal(moneyJSON{Amount: m.amount, Currency: m.currency})
}

// UnmarshalJSON decodes {"amount": minor units, "currency": "ARS"}.
func (m *Money) UnmarshalJSON(b []byte) error {
	var v moneyJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return invalidf("money must be {\"amount\": minor units, \"currency\": code}")
	}
	*m = Money{amount: v.Amount, currency: v.Currency}
	return nil
}
