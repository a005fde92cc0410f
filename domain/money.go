package domain

import (
	"fmt"
	"math"
	"strconv"
)

// Currency is an ISO 4217 currency with the exponent of its minor unit
// (2 for ARS and EUR: 1 peso = 100 centavos; 0 for JPY and CLP).
type Currency struct {
	code     string
	exponent int
}

// iso4217 lists the currencies Match Point accepts and their minor-unit exponents.
var iso4217 = map[string]int{
	"ARS": 2, "AUD": 2, "BHD": 3, "BOB": 2, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0,
	"CNY": 2, "COP": 2, "CZK": 2, "DKK": 2, "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2,
	"IDR": 2, "ILS": 2, "INR": 2, "JPY": 0, "KRW": 0, "KWD": 3, "MXN": 2, "NOK": 2,
	"NZD": 2, "PEN": 2, "PLN": 2, "PYG": 0, "SEK": 2, "SGD": 2, "TRY": 2, "USD": 2,
	"UYU": 2, "ZAR": 2,
}

// ParseCurrency returns the currency for an ISO 4217 code such as "ARS".
func ParseCurrency(code string) (Currency, error) {
	exp, ok := iso4217[code]
	if !ok {
		return Currency{}, invalidf("unknown currency %q (want an ISO 4217 code such as ARS or EUR)", code)
	}
	return Currency{code: code, exponent: exp}, nil
}

// MustCurrency is ParseCurrency for constants in tests and seeds; it panics on an unknown code.
func MustCurrency(code string) Currency {
	c, err := ParseCurrency(code)
	if err != nil {
		panic(err)
	}
	return c
}

// Code returns the ISO 4217 code, or "" for the zero Currency.
func (c Currency) Code() string { return c.code }

// Exponent returns the number of decimal digits of the minor unit.
func (c Currency) Exponent() int { return c.exponent }

// IsZero reports whether c is the zero Currency.
func (c Currency) IsZero() bool { return c.code == "" }

func (c Currency) String() string { return c.code }

// Money is an amount in integer minor units of a currency.
type Money struct {
	amount   int64
	currency Currency
}

// NewMoney returns amount minor units of currency c.
func NewMoney(amount int64, c Currency) Money { return Money{amount: amount, currency: c} }

// Amount returns the amount in minor units.
func (m Money) Amount() int64 { return m.amount }

// Currency returns the currency of m.
func (m Money) Currency() Currency { return m.currency }

// IsZero reports whether the amount is zero.
func (m Money) IsZero() bool { return m.amount == 0 }

// Add returns m+o; adding different currencies is an error, and so is a sum beyond
// what an int64 of minor units holds: it is refused, never wrapped around.
func (m Money) Add(o Money) (Money, error) {
	if m.currency != o.currency {
		return Money{}, Errorf(CodeCurrencyMismatch, "cannot add %s to %s", o.currency, m.currency)
	}
	if (o.amount > 0 && m.amount > math.MaxInt64-o.amount) || (o.amount < 0 && m.amount < math.MinInt64-o.amount) {
		return Money{}, invalidf("%s plus %s is beyond the largest amount Match Point can hold", m, o)
	}
	return Money{amount: m.amount + o.amount, currency: m.currency}, nil
}

// maxRateMajorUnits is the most one slot may cost, in major units of any currency.
const maxRateMajorUnits = 10_000_000_000

// MaxRate returns the most a price rule may charge per slot in currency c: ten billion
// major units (10 000 000 000.00 ARS, 10^12 centavos). The longest opening a quote can
// span is under two days of 5-minute slots (576 slots), so that even at this rate in
// the currency with the most decimals (3) a total stays below 6·10^15 minor units, far
// from the 9.2·10^18 an int64 holds: no set of valid rules can overflow a total.
func MaxRate(c Currency) Money {
	amount := int64(maxRateMajorUnits)
	for range c.exponent {
		amount *= 10
	}
	return Money{amount: amount, currency: c}
}

// Equal reports whether m and o are the same amount of the same currency.
func (m Money) Equal(o Money) bool { return m == o }

// Share returns the part of m given by basis points (10 000 = all of it), rounded down
// to the minor unit, so that a share never exceeds what it is a share of.
// The amount is split at 10 000 so that no product overflows, whatever the amount.
func (m Money) Share(basisPoints int) Money {
	bp := int64(basisPoints)
	whole, rest := m.amount/10000, m.amount%10000
	return Money{amount: whole*bp + rest*bp/10000, currency: m.currency}
}

// String formats m with its decimal point, such as "16000.00 ARS".
func (m Money) String() string {
	if m.currency.exponent == 0 {
		return strconv.FormatInt(m.amount, 10) + " " + m.currency.code
	}
	// The magnitude is unsigned so that the most negative amount has one too.
	sign, a := "", uint64(m.amount)
	if m.amount < 0 {
		sign, a = "-", -a
	}
	div := uint64(1)
	for range m.currency.exponent {
		div *= 10
	}
	return fmt.Sprintf("%s%d.%0*d %s", sign, a/div, m.currency.exponent, a%div, m.currency.code)
}
