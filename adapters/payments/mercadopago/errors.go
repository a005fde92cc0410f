package mercadopago

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/mercadopago/sdk-go/pkg/mperror"

	"github.com/matchpoint/matchpoint/domain"
)

// apiError maps a failed API call to a domain error. what says what the call was
// about ("payment 123"); lookup marks a read by id, where a 400 (an id the API cannot
// parse) is as good as a 404.
//
//	404 (400 on a lookup)        not_found
//	other 4xx                    invalid: the request will never succeed as it is
//	401, 403                     unavailable: the credentials were refused; an operator must act, then retries succeed
//	409, 429, 5xx, no response   unavailable: retry later
func apiError(err error, what string, lookup bool) error {
	var re *mperror.ResponseError
	if !errors.As(err, &re) {
		// The SDK reports a transport failure, a cancelled context or an
		// unreadable response as plain errors.
		return domain.Errorf(domain.CodeUnavailable, "mercadopago: %s: %w", what, err)
	}
	status, msg := re.StatusCode, apiMessage(re.Message)
	switch {
	case status == http.StatusNotFound || (lookup && status == http.StatusBadRequest):
		return domain.Errorf(domain.CodeNotFound, "mercadopago: %s not found", what)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return domain.Errorf(domain.CodeUnavailable, "mercadopago: %s: the access token was refused (%d): %s", what, status, msg)
	case status == http.StatusConflict || status == http.StatusTooManyRequests || status >= 500:
		return domain.Errorf(domain.CodeUnavailable, "mercadopago: %s: %d: %s", what, status, msg)
	default:
		return domain.Errorf(domain.CodeInvalid, "mercadopago: %s: refused (%d): %s", what, status, msg)
	}
}

// apiMessage returns the message of an API error body
// ({"message":"…","error":"bad_request","status":400,"cause":[…]}), or the start of
// a body that is not one.
func apiMessage(body string) string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal([]byte(body), &e) == nil && e.Message != "" {
		return e.Message
	}
	body = strings.TrimSpace(body)
	if len(body) > 200 {
		body = body[:200] + "…"
	}
	return body
}
