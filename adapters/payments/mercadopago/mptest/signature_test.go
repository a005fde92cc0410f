package mptest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/matchpoint/matchpoint/adapters/payments/mercadopago/mptest"
)

// TestSignedHeaderFollowsMercadoPagosScheme checks SignedHeader against HMAC-SHA256
// digests computed outside Go (openssl dgst -sha256 -hmac a-webhook-secret) over the
// manifests MercadoPago documents, so that the fake and the gateway it tests cannot
// share a mistake in the scheme.
func TestSignedHeaderFollowsMercadoPagosScheme(t *testing.T) {
	t.Parallel()
	const secret = "a-webhook-secret"
	for _, tc := range []struct {
		name, body, ts, requestID string
		signature                 string
	}{
		{
			// id:abc123;request-id:bb56a2f1-6aae-46ac-982e-9dcd3581d08e;ts:1704908010;
			name: "every part, the id lower-cased", body: `{"data":{"id":"ABC123"}}`,
			ts: "1704908010", requestID: "bb56a2f1-6aae-46ac-982e-9dcd3581d08e",
			signature: "ts=1704908010,v1=e4266114a5bd9b3eb2ba3a6fc472cd293265b13cd68ace7ff9ec1058a6f079e3",
		},
		{
			// id:12345;ts:1704908010123;
			name: "a numeric id and no request id", body: `{"data":{"id":12345}}`,
			ts:        "1704908010123",
			signature: "ts=1704908010123,v1=b72d57cfaae68512946eb9a153dc60716014f1b2a60c5d6061fd4fdd094576ed",
		},
		{
			// request-id:r-1;ts:1704908010;
			name: "no data.id", body: `{"type":"payment"}`,
			ts: "1704908010", requestID: "r-1",
			signature: "ts=1704908010,v1=b895958b1e233f74eb07410a426512d026944e95afb4d039d76525d9af5e2389",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := mptest.SignedHeader(secret, []byte(tc.body), tc.ts, tc.requestID)
			assert.Equal(t, tc.signature, h.Get("x-signature"))
			assert.Equal(t, tc.requestID, h.Get("x-request-id"))
			_, sent := h[http.CanonicalHeaderKey("x-request-id")]
			assert.Equal(t, tc.requestID != "", sent, "x-request-id is sent only when there is one")
		})
	}
}
