package mptest

import (
	"encoding/json"
	"testing"

	"github.com/matchpoint/matchpoint/domain"
)

func TestAmountsAreDecimalsInMajorUnits(t *testing.T) {
	t.Parallel()
	ars, jpy, bhd := domain.MustCurrency("ARS"), domain.MustCurrency("JPY"), domain.MustCurrency("BHD")
	for _, tc := range []struct {
		money   domain.Money
		decimal json.Number
	}{
		{domain.NewMoney(0, ars), "0"},
		{domain.NewMoney(1, ars), "0.01"},
		{domain.NewMoney(10, ars), "0.1"},
		{domain.NewMoney(1_600_000, ars), "16000"},
		{domain.NewMoney(1_600_050, ars), "16000.5"},
		{domain.NewMoney(1_234_567, ars), "12345.67"},
		{domain.NewMoney(123_456_789_012_345, ars), "1234567890123.45"},
		{domain.NewMoney(1_500, jpy), "1500"},
		{domain.NewMoney(1, bhd), "0.001"},
	} {
		if got := decimalOf(tc.money); got != tc.decimal {
			t.Errorf("decimalOf(%s) = %s, want %s", tc.money, got, tc.decimal)
		}
		if got, err := moneyOf(tc.decimal, tc.money.Currency()); err != nil || got != tc.money {
			t.Errorf("moneyOf(%s, %s) = %s, %v; want %s", tc.decimal, tc.money.Currency(), got, err, tc.money)
		}
	}
	for _, tc := range []struct {
		decimal  json.Number
		currency domain.Currency
	}{
		{"16000.505", ars}, // finer than a centavo: refused, not rounded
		{"1.5", jpy},
		{"-1", ars},
		{"1e3", ars},
		{".5", ars},
		{"", ars},
		{"99999999999999999999", ars},
	} {
		if got, err := moneyOf(tc.decimal, tc.currency); err == nil {
			t.Errorf("moneyOf(%q, %s) = %s, want an error", tc.decimal, tc.currency, got)
		}
	}
}
