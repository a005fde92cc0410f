package mercadopago

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
)

// major is the decimal text of minor units, written without floats: 1234567 with two
// decimals is "12345.67", trailing zeros dropped as encoding/json drops them.
func major(minor int64, exp int) string {
	s := strconv.FormatInt(minor, 10)
	if exp == 0 {
		return s
	}
	s = strings.Repeat("0", max(0, exp+1-len(s))) + s
	s = s[:len(s)-exp] + "." + s[len(s)-exp:]
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

func TestAmountsCrossAsExactDecimals(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	amounts := []int64{0, 1, 5, 10, 99, 100, 101, 110, 1_600_000, 1_234_567, 33_333_33, 99_999_999_999_999, maxMinor}
	for range 20_000 {
		amounts = append(amounts, rng.Int64N(maxMinor+1), rng.Int64N(100_000_000))
	}
	for _, code := range []string{"ARS", "CLP", "BHD"} {
		cur := domain.MustCurrency(code)
		for _, a := range amounts {
			m := domain.NewMoney(a, cur)
			f, err := decimal(m)
			require.NoError(t, err, m)
			wire, err := json.Marshal(f)
			require.NoError(t, err)
			require.Equal(t, major(a, cur.Exponent()), string(wire), "%s on the wire", m)

			var back float64
			require.NoError(t, json.Unmarshal(wire, &back))
			got, err := money(back, cur)
			require.NoError(t, err, m)
			require.Equal(t, m, got)
		}
	}
}

func TestAmountsOutOfRange(t *testing.T) {
	t.Parallel()
	_, err := decimal(domain.NewMoney(maxMinor+1, domain.MustCurrency("ARS")))
	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err))
	_, err = decimal(domain.NewMoney(-1, domain.MustCurrency("ARS")))
	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err))

	for _, f := range []float64{0.001, 12.345, -1, 1e16} {
		_, err := money(f, domain.MustCurrency("ARS"))
		assert.Error(t, err, "%v ARS", f)
	}
	_, err = money(0.5, domain.MustCurrency("CLP"))
	assert.Error(t, err, "half a peso where pesos have no cents")
}

func TestManifest(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "id:abc123;request-id:r-1;ts:1704908010;", manifest("ABC123", "r-1", "1704908010"))
	assert.Equal(t, "request-id:r-1;ts:1;", manifest("", "r-1", "1"))
	assert.Equal(t, "id:5;ts:1;", manifest("5", "", "1"))
}

func TestSignedAt(t *testing.T) {
	t.Parallel()
	at, ok := signedAt("1704908010")
	require.True(t, ok)
	assert.Equal(t, int64(1704908010), at.Unix(), "seconds, as documented")
	at, ok = signedAt("1704908010123")
	require.True(t, ok)
	assert.Equal(t, int64(1704908010123), at.UnixMilli(), "milliseconds, as sent")
	for _, ts := range []string{"", "0", "-5", "soon", "1.5"} {
		_, ok := signedAt(ts)
		assert.False(t, ok, ts)
	}
}
