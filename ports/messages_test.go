package ports_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/matchpoint/matchpoint/ports"
)

func TestMessageKey(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "confirmation/b1", ports.MessageKey("b1", ports.MessageConfirmation, ""))
	assert.Equal(t, "refund/b1/payment:pi_1", ports.MessageKey("b1", ports.MessageRefund, "payment:pi_1"))
	m := ports.Message{Kind: ports.MessageRefund, BookingID: "b1", Seq: "payment:pi_1", To: "ana@example.com"}
	assert.Equal(t, ports.MessageKey("b1", ports.MessageRefund, "payment:pi_1"), m.Key())

	// Parts holding the separator cannot make two messages' keys equal.
	distinct := map[string]bool{}
	for _, k := range []string{
		ports.MessageKey("b1/refund", ports.MessageRefund, ""),
		ports.MessageKey("b1", ports.MessageRefund, "refund"),
		ports.MessageKey("b1", ports.MessageRefund, ""),
		ports.MessageKey("b1", ports.MessageRefund, "a/b"),
		ports.MessageKey("b1", ports.MessageRefund, "a%2Fb"),
		ports.MessageKey("b1/refund/a", ports.MessageRefund, "b"),
	} {
		assert.False(t, distinct[k], "key %q made twice", k)
		distinct[k] = true
	}
}
