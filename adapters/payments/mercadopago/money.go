package mercadopago

import (
	"math"
	"strconv"
	"strings"

	"github.com/matchpoint/matchpoint/domain"
)

// MercadoPago's API states amounts as JSON decimals in major units (16000.5 for
// 16 000.50 ARS) and the SDK carries them as float64. No arithmetic is done on
// those floats: an amount crosses the boundary as its decimal text.
//
// Going out, the minor units are written as a decimal string ("16000.50") and parsed
// to the nearest float64. encoding/json writes a float64 as the shortest decimal
// that parses back to it, and a decimal of at most 15 significant digits is the
// shortest such decimal of its own nearest float64 (float64 keeps 15 decimal digits
// exactly), so the request carries exactly 16000.5. Coming back, a float64 is
// formatted the same shortest way and its digits are read as minor units; a value
// with more decimals than the currency has is refused rather than rounded.
//
// maxMinor is the largest amount with 15 digits, 9 999 999 999 999.99 ARS.
const maxMinor = 999_999_999_999_999

// decimal returns m in major units, exactly as a JSON number will state it.
func decimal(m domain.Money) (float64, error) {
	a := m.Amount()
	if a < 0 || a > maxMinor {
		return 0, invalidf("mercadopago: amount %s is out of range", m)
	}
	s := strconv.FormatInt(a, 10)
	if exp := m.Currency().Exponent(); exp > 0 {
		if len(s) <= exp {
			s = strings.Repeat("0", exp-len(s)+1) + s
		}
		s = s[:len(s)-exp] + "." + s[len(s)-exp:]
	}
	return strconv.ParseFloat(s, 64)
}

// money returns the amount f in major units as minor units of c. It fails when f is
// negative, too large or finer than c's minor unit.
func money(f float64, c domain.Currency) (domain.Money, error) {
	if math.IsNaN(f) || f < 0 || f > maxMinor/math.Pow10(c.Exponent()) {
		return domain.Money{}, domain.Errorf(domain.CodeInternal, "mercadopago: amount %v %s is out of range", f, c)
	}
	whole, frac, _ := strings.Cut(strconv.FormatFloat(f, 'f', -1, 64), ".")
	if len(frac) > c.Exponent() {
		return domain.Money{}, domain.Errorf(domain.CodeInternal, "mercadopago: amount %v %s is finer than the currency's minor unit", f, c)
	}
	frac += strings.Repeat("0", c.Exponent()-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return domain.Money{}, domain.Errorf(domain.CodeInternal, "mercadopago: amount %v %s: %w", f, c, err)
	}
	return domain.NewMoney(n, c), nil
}

// currency parses a currency_id of the API.
func currency(id string) (domain.Currency, error) {
	c, err := domain.ParseCurrency(id)
	if err != nil {
		return domain.Currency{}, domain.Errorf(domain.CodeInternal, "mercadopago: currency %q: %w", id, err)
	}
	return c, nil
}
