package ports

import "time"

// SystemClock is the system clock: the Clock production uses, and the default of
// every adapter option that takes a Clock and is left nil. It lives here, beside the
// interface, because those adapters may not import one another (adapters/system
// included), and one implementation keeps them all telling the same time the same
// way. Its zero value is ready to use.
type SystemClock struct{}

// Now returns the current instant in UTC. The monotonic reading is dropped, so that
// instants compare and serialise the same way as those loaded from a store.
func (SystemClock) Now() time.Time { return time.Now().UTC() }
