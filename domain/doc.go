// Package domain is the model of Match Point: clubs, courts, seasons, closures,
// price rules, quotes, availability and bookings, with the rules that govern them.
//
// It is plain Go: values, rules and errors. It imports the standard library only,
// takes no context.Context, does no I/O, starts no goroutines and never reads a
// clock — callers pass "now". Instants are UTC time.Time values; civil dates and
// clock times (LocalDate, ClockTime) belong to a club's IANA time zone. Money is
// integer minor units with its currency; there is no float anywhere.
//
// Values an administrator writes whole (Club, Court, Season, Closure, PriceRule) are
// open structs checked where they come in (NewClub, the Validate methods); Booking
// hides its fields and changes only through transitions that guard its state machine
// ("Style notes" in DEVELOPERS.md says why), and so does Refund, money owed back to a
// customer (owed → issued | attention), with the backoff of its failed attempts.
//
// # Errors
//
// Every error Match Point returns on purpose is an *Error: a stable Code that clients
// may switch on, and a human Message. The code decides the Kind (CodeKind holds the one
// table), and the kind decides the HTTP status, so a call site names only the code:
//
//	return domain.Errorf(domain.CodeLeadTime, "bookings open %d minutes ahead", n)
//
// A %w verb in the format keeps a cause reachable through errors.Is and errors.As.
// To inspect an error, wrapped or not:
//
//	errors.Is(err, domain.ErrSlotUnavailable) // one sentinel per code; matches by code
//	domain.ErrorKind(err)                     // the kind; KindInternal for any other error
//	domain.ErrorCode(err)                     // the code; CodeInternal for any other error
//	domain.ErrorMessage(err)                  // the message; a generic one for any other error
//
// An error that is not an *Error, or carries a code outside the table, is internal: a
// bug whose detail never reaches a client.
package domain
