// Package outbox is the embedded default ports.Notifier: instead of delivering
// messages it keeps the most recent ones in memory and logs one line per message, so
// that the demo, the example server and end-to-end tests can see what customers would
// have received. A deployment that must reach customers uses adapters/notify/smtp, or
// implements ports.Notifier over its own messaging provider.
//
// The package imports ports, domain, Wire (for its ProviderSet) and the standard
// library; it must not import another adapter.
package outbox
