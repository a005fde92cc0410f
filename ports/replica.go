package ports

import "context"

type replicaReadsKey struct{}

// ReplicaReadsOK marks ctx for reads that decide no write: showing availability or
// prices, listing for a report. A Store with read replicas may serve the reads made
// with it from a replica rather than the primary; every other read goes to the
// primary. A Store that does so must still return everything committed before the
// read began, so that a value read with ctx may be cached under a cache generation
// taken before the read.
func ReplicaReadsOK(ctx context.Context) context.Context {
	return context.WithValue(ctx, replicaReadsKey{}, true)
}

// ReplicaReadsAllowed reports whether ctx was marked by ReplicaReadsOK.
func ReplicaReadsAllowed(ctx context.Context) bool {
	ok, _ := ctx.Value(replicaReadsKey{}).(bool)
	return ok
}
