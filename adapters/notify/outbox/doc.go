// Package outbox is the embedded default ports.Notifier: instead of delivering
// messages it keeps the most recent ones in memory and logs one line per message, so
// that the demo, the example server and end-to-end tests can see what customers would
// have received. It is the only notifier in this repository: a deployment that must
// reach customers implements ports.Notifier over its mail or messaging provider.
//
// The package imports ports, domain, Wire (for its ProviderSet) and the standard
// library; it must not import another adapter.
package outbox
