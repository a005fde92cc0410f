package main

import (
	"context"
	"errors"
	"sync/atomic"
)

// Drain is the server's shutdown state. Once it drains, GET /readyz answers 503, so
// that load balancers and Kubernetes stop sending it new requests while its listener
// is still open and the requests already sent are still served (see Server.Run).
type Drain struct{ draining atomic.Bool }

func newDrain() *Drain { return &Drain{} }

// errDraining is why a draining server is not ready.
var errDraining = errors.New("the server is shutting down")

// Start turns the server unready for good.
func (d *Drain) Start() { d.draining.Store(true) }

// Draining says whether Start was called.
func (d *Drain) Draining() bool { return d.draining.Load() }

// ready is the readiness of a server that answers ready while ready does (nil means
// always) and it is not draining.
func (d *Drain) ready(ready Readiness) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		if d.Draining() {
			return errDraining
		}
		if ready == nil {
			return nil
		}
		return ready(ctx)
	}
}
