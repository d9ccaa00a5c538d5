// Package store defines how Gatehouse keeps its data: one interface per area (clients, users,
// refresh tokens, …) gathered in Store, the sentinel errors every backend returns (ErrNotFound,
// ErrConflict, …), paging, and the transaction boundary (WithTx). It holds no SQL.
//
// Below it: sqlstore implements Store once, on database/sql, with one table of statements for
// both engines; the sqlite and postgres packages each open their engine and give sqlstore a
// Dialect (migrations, error classification, and the few statements their engine must say
// otherwise); storetest is the one conformance suite every backend passes.
//
// Single-use things (authorization codes, rotating refresh tokens) are consumed atomically in the
// database, so that two nodes — or twenty goroutines — racing for the same one get exactly one winner.
package store
