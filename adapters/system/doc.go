// Package system provides the process's own clock, identifiers and error reporter:
// Clock reads the system clock in UTC, IDs makes UUIDv7 strings, and Reporter logs
// failures no caller will see with slog.
//
// These are the adapters every composition root needs and none needs to configure.
// The package imports ports, github.com/google/uuid, Wire (for its ProviderSet) and
// the standard library; it must not import another adapter.
package system
