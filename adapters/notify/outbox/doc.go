// Package outbox is the embedded default ports.Notifier: instead of delivering
// messages it keeps the most recent ones in memory and logs one line per message, so
// that the demo, the quickstart and end-to-end tests can see what customers would
// have received. Production composition roots use the SMTP notifier instead.
//
// The package imports ports, domain, Wire (for its ProviderSet) and the standard
// library; it must not import another adapter.
package outbox
