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
// ("Style notes" in DEVELOPERS.md says why).
package domain
