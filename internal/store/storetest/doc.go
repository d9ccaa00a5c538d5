// Package storetest is the one conformance suite every store backend passes: CRUD and unique
// constraints of every entity, paging and filters, RBAC merging, cascades, expiry and garbage
// collection, transactions, and the single-use races (authorization codes, refresh token
// rotation) run with real concurrency.
//
// A backend's test calls Run with a factory returning a fresh, empty, migrated store per test, and
// UpgradeKeepsSigningKeys with a store on a database built by the first migration only
// (MigrationsUpTo), to check an upgrade keeps what an older Gatehouse stored. A backend built on
// sqlstore also calls Statements, which prepares every statement of its Dialect. The suite tests
// only through the store.Store interface and the Dialect; it must not know which engine it runs on.
package storetest
