// Package sqlite is Gatehouse's embedded storage backend, on modernc.org/sqlite (pure Go, no cgo).
//
// It owns the driver setup (WAL, foreign keys, synchronous=FULL, busy timeout) and SQLite's
// migrations (embedded, versioned, recorded in schema_migrations); the Go logic and every
// statement, shared with PostgreSQL, live in sqlstore, and SQLite overrides none. Open a database
// with
//
//	st, err := sqlite.Open(ctx, "/var/lib/gatehouse/gatehouse.db", sqlite.Options{})
//	if err == nil { _, err = st.Migrate(ctx) }
//
// Writes go through a single connection whose transactions begin IMMEDIATE: concurrent writers of
// one process queue in database/sql rather than meet SQLITE_BUSY, and a single-use record (a code,
// a refresh token) is decided by whichever transaction holds the write lock first. Reads use a
// separate pool of query_only connections. Callers must not call the outer Store from inside a
// WithTx function: the one writer connection is held by the transaction.
//
// The driver prepares a statement afresh whenever it is given query text, so the Dialect asks
// sqlstore to keep the token endpoint's statements prepared on each connection (CacheStatements).
//
// It must not hold Go logic or SQL that PostgreSQL also needs, nor rewrite SQL at run time.
package sqlite
