package ports

import (
	"context"
	"fmt"
	"time"

	"github.com/matchpoint/matchpoint/domain"
)

// RateLimiter decides whether one more request of a client may go ahead, by the
// generic cell rate algorithm (GCRA), which behaves as a bucket of Limit.Burst tokens
// that refills at Limit.Events per Limit.Per:
//
//   - A key that has not been seen (or has been idle long enough to refill) allows
//     Burst requests at once, then one request every Per/Events.
//   - Each allowed request takes one token; a denied request takes nothing, so a
//     client that keeps retrying while denied is allowed again as soon as a token
//     has come back, no later.
//   - The state belongs to the pair (key, limit): keys never share a budget, and the
//     same key under another Limit is another, independent budget. A caller may so
//     change the limit of a key from one call to the next (a new configuration, a
//     route with its own limit); the new pair starts full. Callers that want two
//     budgets for one client under equal limits name them in the key ("login:" + ip).
//   - An adapter may forget a key that is full again (its state has expired), and an
//     in-process adapter may forget its least recently used keys when it holds too
//     many; a forgotten key starts full.
//
// Allow returns an invalid domain error for an empty key or a Limit that Validate
// refuses, and wraps any failure of its backing service (a server that cannot be
// reached) in a plain error, so a caller can tell a refusal of its input from an
// outage. Implementations are safe for concurrent use, and under concurrent calls on
// one key allow no more than Burst + elapsed×Events/Per requests (within the tolerance
// the contract suite ports/ratelimittest states: one request).
type RateLimiter interface {
	Allow(ctx context.Context, key string, limit Limit) (Decision, error)
}

// Limit is a rate limit: Events requests per Per on average, with bursts of up to
// Burst requests at once. All three must be positive; Burst is usually Events (a
// client may spend a whole period's budget at once) or less (to smooth bursts).
type Limit struct {
	Events int           // requests allowed per Per, on average
	Per    time.Duration // the period Events are counted over
	Burst  int           // requests allowed at once, from a full budget
}

// Validate returns an invalid domain error unless Events, Per and Burst are all
// positive.
func (l Limit) Validate() error {
	if l.Events <= 0 || l.Per <= 0 || l.Burst <= 0 {
		return domain.Errorf(domain.CodeInvalid, "rate limit %s: events, period and burst must be positive", l)
	}
	return nil
}

// Interval is the time one request's token takes to come back: Per/Events.
func (l Limit) Interval() time.Duration { return l.Per / time.Duration(max(l.Events, 1)) }

// String formats the limit as "10/1s burst 10".
func (l Limit) String() string {
	return fmt.Sprintf("%d/%s burst %d", l.Events, l.Per, l.Burst)
}

// Decision is a RateLimiter's answer to one request. It carries what the HTTP
// headers of a rate-limited answer need: RateLimit-Limit (Limit.Events, with the
// window Limit.Per), RateLimit-Remaining (Remaining), RateLimit-Reset (ResetAfter,
// rounded up to whole seconds) and, on a refusal, Retry-After (RetryAfter, rounded
// up to whole seconds).
type Decision struct {
	// Allowed tells whether the request may go ahead; it has then taken one token.
	Allowed bool
	// Limit is the limit the decision was made under.
	Limit Limit
	// Remaining is how many more requests the key could make at once now, after
	// this one: from Burst-1 on a full budget down to 0. It is 0 when denied.
	Remaining int
	// RetryAfter is how long until the next request of the key would be allowed: 0
	// when this one was allowed, positive and at most Limit.Interval() when denied.
	RetryAfter time.Duration
	// ResetAfter is how long until the key's budget is full again (Remaining would
	// be Burst) if it makes no request meanwhile: positive after an allowed request,
	// at most Burst×Limit.Interval().
	ResetAfter time.Duration
}

// CheckRateLimit returns the invalid domain error Allow answers for key and limit,
// or nil when both are acceptable; every RateLimiter calls it first.
func CheckRateLimit(key string, limit Limit) error {
	if key == "" {
		return domain.Errorf(domain.CodeInvalid, "rate limit: the key is empty")
	}
	return limit.Validate()
}
