// Package ports declares the interfaces the core (package app) needs from the outside
// world: stores, cache, payment gateway, notifier, job queue, clock, ids and the
// counts of what it does (Metrics). Each interface documents its contract; the …test
// packages beside it hold the contract suites every adapter must pass. It imports
// domain and the standard library only.
package ports
