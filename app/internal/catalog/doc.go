// Package catalog is the read cache of the use cases: a ports.Store whose writes
// invalidate what they change once they commit, with read-through methods for what
// availability reads on every request — a club, its courts, its schedule (seasons and
// price rules) and the bookings and closures around one local date.
//
// The use cases hold a Store in place of the store they were given and read the
// cached values through its methods (Club, ClubBySlug, Courts, Court, Schedule, Day);
// every other read passes through to the store unchanged. Because every write of the
// use cases passes through the Store too, none of them has to remember which cached
// values it changes: SaveClub, SaveCourt, SaveSeason, DeleteSeason, SaveClosure,
// DeleteClosure, SavePriceRule, DeletePriceRule, CreateBooking and UpdateBooking each
// invalidate exactly the families below.
//
// # The key scheme
//
// Cached values are grouped in families; every key of a club starts with
// "club:{id}:".
//
//	family                          holds                     invalidated by
//	slug:{slug}                  club record by slug       SaveClub (old and new slug)
//	club:{id}:club               club record by id         SaveClub
//	club:{id}:courts             the club's courts         SaveCourt
//	club:{id}:seasons            the club's seasons        SaveSeason, DeleteSeason
//	club:{id}:rules              the club's price rules    SavePriceRule, DeletePriceRule
//	club:{id}:day:{YYYY-MM-DD}   bookings and closures     CreateBooking; UpdateBooking
//	                                around one local date     when what the booking occupies
//	                                                          changes; SaveClosure and
//	                                                          DeleteClosure (old and new dates)
//
// A family's value lives under "{family}@{generation}", and its current generation
// under "{family}#gen". Invalidating a family deletes its generation key once the write
// has committed (ports.AfterCommit); the next reader starts a new random generation. A
// reader that loaded the old state before the commit can only store it under the old
// generation, which nobody reads any more: deleting the value key instead would let
// such a reader put the old value back after the write has returned. A generation is
// always set before the values stored under it are loaded, so a value under a live
// generation was loaded after the last invalidation of its family.
//
// Invalidation is a Delete, the one operation whose effect ports.Cache promises to
// every process sharing the cache at once (the tiered cache waits for every instance to
// drop the keys from its L1).
//
// Availability itself is computed from these (it depends on "now"), which costs
// microseconds; what the cache saves is the database round trips. DayVersion joins the
// generations of the families one day's availability reads into a version, so that a
// caller can keep a computed answer and know, with a few cache reads, whether it still
// is the answer: any invalidation of those families changes the version.
package catalog
