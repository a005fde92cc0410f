// Package app holds Match Point's use cases: the library's main API. It orchestrates
// the domain and the ports — reads through the cache, writes in one transaction with
// the jobs they schedule, payments through the gateway — and keeps every rule in
// package domain. It imports domain, ports and the standard library (plus small pure
// helpers), never an adapter.
package app
