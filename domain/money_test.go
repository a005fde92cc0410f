package domain_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
)

func TestParseCurrency(t *testing.T) {
	t.Parallel()

	tests := []struct {
		code     string
		exponent int
	}{
		{"ARS", 2},
		{"EUR", 2},
		{"JPY", 0},
		{"CLP", 0},
		{"KWD", 3},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			t.Parallel()
			c, err := domain.ParseCurrency(tt.code)
			require.NoError(t, err)
			assert.Equal(t, tt.code, c.Code())
			assert.Equal(t, tt.exponent, c.Exponent())
			assert.False(t, c.IsZero())
		})
	}
}

func TestParseCurrencyRejectsUnknownCodes(t *testing.T) {
	t.Parallel()

	for _, code := range []string{"", "ars", "XXX", "PESO", "EU", "BTC"} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			c, err := domain.ParseCurrency(code)
			assertCode(t, err, domain.CodeInvalid)
			assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err))
			assert.True(t, c.IsZero())
		})
	}
	assert.Panics(t, func() { domain.MustCurrency("XXX") })
}

func TestMoneyAdd(t *testing.T) {
	t.Parallel()

	sum, err := pesos(400000).Add(pesos(600000))
	require.NoError(t, err)
	assert.Equal(t, pesos(1000000), sum)
	assert.True(t, sum.Equal(pesos(1000000)))
}

func TestMoneyAddRefusesToOverflow(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		a, b int64
		ok   bool
	}{
		{"up to the largest amount", math.MaxInt64 - 1, 1, true},
		{"one past the largest amount", math.MaxInt64, 1, false},
		{"two large amounts", 4_611_686_018_427_389_154, 4_611_686_018_427_389_154, false},
		{"down to the smallest amount", math.MinInt64 + 1, -1, true},
		{"one below the smallest amount", math.MinInt64, -1, false},
		{"opposite signs never overflow", math.MaxInt64, math.MinInt64, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sum, err := pesos(tt.a).Add(pesos(tt.b))
			if tt.ok {
				require.NoError(t, err)
				assert.Equal(t, tt.a+tt.b, sum.Amount())
				return
			}
			assertCode(t, err, domain.CodeInvalid)
			assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err))
			assert.Contains(t, err.Error(), "largest amount")
		})
	}
}

func TestMaxRate(t *testing.T) {
	t.Parallel()

	tests := []struct {
		currency string
		want     int64
	}{
		{"ARS", 1_000_000_000_000},
		{"JPY", 10_000_000_000},
		{"KWD", 10_000_000_000_000},
	}
	for _, tt := range tests {
		c := domain.MustCurrency(tt.currency)
		max := domain.MaxRate(c)
		assert.Equal(t, domain.NewMoney(tt.want, c), max, tt.currency)
		// A quote spans at most two days of 5-minute slots: that many slots at the
		// highest rate must still add up.
		total := domain.NewMoney(0, c)
		for range 2 * 24 * 12 {
			var err error
			total, err = total.Add(max)
			require.NoError(t, err, tt.currency)
		}
		assert.Less(t, total.Amount(), int64(math.MaxInt64/1000), "far from the largest amount")
	}
}

func TestMoneyAddRefusesToMixCurrencies(t *testing.T) {
	t.Parallel()

	_, err := pesos(400000).Add(domain.NewMoney(100, domain.MustCurrency("EUR")))

	assertCode(t, err, domain.CodeCurrencyMismatch)
	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err))
}

func TestMoneyEqualComparesAmountAndCurrency(t *testing.T) {
	t.Parallel()

	usd := domain.MustCurrency("USD")
	assert.True(t, pesos(100).Equal(pesos(100)))
	assert.False(t, pesos(100).Equal(pesos(101)))
	assert.False(t, pesos(100).Equal(domain.NewMoney(100, usd)), "the same number of another currency is not the same money")
}

func TestMoneyShareRoundsDown(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name        string
		amount      int64
		basisPoints int
		want        int64
	}{
		{"all of it", 1600000, 10000, 1600000},
		{"half", 1600000, 5000, 800000},
		{"none", 1600000, 0, 0},
		{"half of an odd amount drops the half centavo", 1001, 5000, 500},
		{"a third rounds down", 1000, 3333, 333},
		{"two thirds rounds down, never up", 1000, 6667, 666},
		{"one basis point of a small amount is nothing", 99, 1, 0},
		{"half of the largest amount does not overflow", math.MaxInt64, 5000, math.MaxInt64 / 2},
		{"all of the largest amount", math.MaxInt64, 10000, math.MaxInt64},
		{"a share of an amount beyond any product", 4_611_686_018_427_389_154, 3333, 1_537_074_949_941_848_805},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			share := pesos(tt.amount).Share(tt.basisPoints)
			assert.Equal(t, tt.want, share.Amount())
			assert.Equal(t, ars, share.Currency())
			assert.LessOrEqual(t, share.Amount(), tt.amount)
		})
	}
}

func TestMoneyString(t *testing.T) {
	t.Parallel()

	tests := []struct {
		money domain.Money
		want  string
	}{
		{pesos(1600000), "16000.00 ARS"},
		{pesos(0), "0.00 ARS"},
		{pesos(5), "0.05 ARS"},
		{pesos(-150), "-1.50 ARS"},
		{pesos(-5), "-0.05 ARS"},
		{domain.NewMoney(1500, domain.MustCurrency("JPY")), "1500 JPY"},
		{domain.NewMoney(-7, domain.MustCurrency("CLP")), "-7 CLP"},
		{domain.NewMoney(1234, domain.MustCurrency("KWD")), "1.234 KWD"},
		{domain.NewMoney(1005, domain.MustCurrency("EUR")), "10.05 EUR"},
		{pesos(math.MinInt64), "-92233720368547758.08 ARS"},
		{pesos(math.MaxInt64), "92233720368547758.07 ARS"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, tt.money.String())
		})
	}
}
