// Package postgres is Gatehouse's backend for several stateless nodes sharing one PostgreSQL
// database, on jackc/pgx v5 (through its database/sql adapter, pgx/v5/stdlib).
//
// It owns the connection setup (a bounded connect timeout, so a wrong address fails at startup
// instead of hanging), PostgreSQL's migrations (embedded, versioned, recorded in schema_migrations)
// and the statements PostgreSQL must say otherwise than sqlstore's generic table (overrides.go:
// its locks); the Go logic and the rest of the SQL, shared with SQLite, live in sqlstore. Open a
// database with
//
//	st, err := postgres.Open(ctx, "postgres://gatehouse:…@db:5432/gatehouse?sslmode=verify-full", postgres.Options{})
//	if err == nil { _, err = st.Migrate(ctx) }
//
// Concurrency between nodes is decided by the database: Migrate holds a transaction-scoped advisory
// lock (keyed by schema) so two nodes starting at once do not both migrate; an authorization code is
// redeemed by one conditional UPDATE; a refresh token's and the current signing key's rows are read
// with SELECT … FOR UPDATE before they change, and a refresh-token exchange first takes an
// advisory lock on the token's family; a transaction that dies on a deadlock or serialization
// failure is retried from the start. Transactions run at READ COMMITTED.
//
// Listen (listen.go) holds one connection of its own on which it LISTENs to the notifications the
// configuration tables' triggers send at commit (migration 0012), and reconnects with backoff: that
// is how every node drops cached configuration and reloads keys within a second of a change.
//
// pgx prepares and caches every statement per connection by itself (its default query mode), so the
// Dialect leaves sqlstore's statement cache off.
//
// It must not hold Go logic or SQL that SQLite also needs, nor rewrite SQL at run time.
package postgres
