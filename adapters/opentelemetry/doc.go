// Package opentelemetry traces Match Point with OpenTelemetry
// (go.opentelemetry.io/otel): decorators of the ports the use cases call start a span
// around each call, and a log handler puts the trace's id on every line logged inside
// one.
//
// New takes the TracerProvider the spans go to (the composition root builds it, with
// its exporter and sampler). Its methods wrap what the use cases are given:
//
//   - Store: a span per call of a ports.Store, "store.CreateBooking", with
//     "store.WithinTx" around a transaction and the calls made in it as its children;
//   - Cache: "cache.Get" (with matchpoint.cache.hit), "cache.Set", "cache.Delete",
//     "cache.DeletePrefix";
//   - Gateways: the payment gateways they return, "gateway.stripe.CreateCheckout",
//     "gateway.stripe.Refund" and so on (ParseWebhook, which has no context, is not
//     traced: the HTTP request that carries the webhook is);
//   - Queue: "queue.Enqueue" (with the job's kind) and "queue.Cancel", in the trace
//     of whoever schedules the job;
//   - Workers: a span per run of a job, "job booking.expire_hold", with its kind, id
//     and attempt: a trace of its own, as a job runs later, maybe in another process.
//
// A span records an error, and ends with the status Error, only for a failure: an
// error that is not a domain.Error, or one of kind internal or unavailable. The
// answers the callers expect and act on — not_found, a conflict, a policy refusal —
// are outcomes, carried by the attribute matchpoint.error.code alone.
//
// LogHandler adds trace_id and span_id to every record logged with a context inside a
// sampled or unsampled valid span, so that the log lines of a request and its trace
// can be found from each other.
//
// The package imports domain, ports and OpenTelemetry's API (otel/trace,
// otel/attribute, otel/codes); it must not import another adapter, nor the SDK, which
// belongs to the composition root.
package opentelemetry
