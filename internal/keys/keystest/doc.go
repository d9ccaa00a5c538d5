// Package keystest provides an in-memory store.KeyStore for tests of code that needs signing keys
// without a database. It follows the store contract, with rotation scoped to one algorithm.
package keystest
