// Package sqlstore implements store.Store once, on database/sql, for both SQL engines Gatehouse
// supports. Each engine's package (sqlite, postgres) supplies a Dialect: its driver error
// classification, its migrations, and overrides for the few statements its engine must say
// otherwise.
//
// Statements are written once: a table indexed by Stmt (the names in statements.go, the SQL by area
// in sql_*.go), in SQL both engines
// accept ($1, $2, … placeholders, integer times, truth-valued booleans). A Dialect's Overrides
// replace single entries, each with a comment saying why; today only PostgreSQL has any, its row
// and advisory locks. Nothing rewrites SQL at run time; filtered lists only append fixed column
// conditions with bound parameters (where).
//
// Layout of the data: most entities are a few columns — keys, unique and foreign-key fields,
// expiry, the mutable state of single-use records, and the fields the JSON form does not carry
// (secret hashes, password hashes, timestamps) — plus a JSON document with the rest of the entity
// as the Management API shows it. The SQL stays small, a new Auth0 field needs no migration, and
// every uniqueness, cascade and atomic single-use rule is still enforced by the database. Times are
// integer microseconds since the Unix epoch in both engines, so comparisons are exact and a value
// reads back as written.
//
// Transactions follow one pattern: an exported method opens one transaction (or joins the one the
// Store is bound to) and calls unexported helpers that take a querier, so helpers compose; WithTx
// hands its function a Store bound to the transaction, and a nested WithTx reuses it.
//
// Errors are mapped in one place: statements run through exec (a write), execFound (a write to
// one existing row, none changed is store.ErrNotFound) or getOne (a one-row read, no row is
// store.ErrNotFound), which turn constraint violations into domain errors (mapErr) and name what
// was not found ("client abc"); lists run through listWhere (filtered) or listOf (what belongs to
// one parent), which count and read one page.
//
// Single-use records are decided by the database: a code is redeemed by one conditional UPDATE
// (used_at IS NULL), and a refresh token's row is locked (SELECT … FOR UPDATE in PostgreSQL; the
// writer lock in SQLite) before it is rotated, so racing requests are serialised and exactly one
// wins.
//
// For a driver that re-prepares text on every call, a Dialect sets CacheStatements and the hot
// statements (the token endpoint's) are prepared once per connection and reused, in transactions
// through Tx.StmtContext; see stmts.go.
//
// This package must not import a driver, nor know which engine it runs on.
package sqlstore
