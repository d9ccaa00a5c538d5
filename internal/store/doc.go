// Package store defines how Gatehouse keeps its data: one interface per area, the sentinel errors
// every backend returns, and the transaction boundary. It holds no SQL: the sqlite and postgres
// packages implement these interfaces with their own dialect, and storetest holds the one
// conformance suite both must pass.
//
// Single-use things (authorization codes, rotating refresh tokens) are consumed atomically in the
// database, so that two nodes — or twenty goroutines — racing for the same one get exactly one winner.
package store
