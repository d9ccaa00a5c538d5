package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
)

// Prepared statements. Given query text, database/sql prepares, runs and closes a statement on every
// call, and a driver that does not cache statements itself (modernc's SQLite) parses and plans the
// SQL each time — a large share of a short query. A stmtCache keeps the hot statements, those the
// token endpoint runs on every request, prepared on one pool: database/sql prepares each once per
// connection, the first time it runs there, and reuses it; inside a transaction Tx.StmtContext
// picks the one already prepared on the transaction's connection. Every other statement runs as
// text. A driver that caches statements per connection itself (pgx) needs none of this, and its
// Dialect leaves CacheStatements off.
//
// A statement prepared this way must not be run again on the same transaction while rows it
// returned are still open; the hot statements are single-row reads, writes, or reads scanned to the
// end before anything else runs.

// hotStatements returns the statements worth keeping prepared: on the read pool (reads outside a
// transaction) and on the write pool (everything run inside a transaction).
func hotStatements(q *statements) (reads, writes []string) {
	reads = []string{
		q[ClientGet], q[ResourceServerGetByIdentifier], q[ClientGrantFind], q[UserGet], q[UserPermissionNames],
		q[RefreshGet], q[KeyList], q[KeysVersion], q[TenantGet],
		// A sign-in with post-login Actions reads the user's roles (event.authorization.roles).
		q[UserRoleCount], q[UserRoleList],
	}
	writes = append([]string{
		q[CodeRedeem], q[CodeGet], q[CodeSetFamily],
		q[RefreshInsert], q[RefreshLock], q[RefreshMaxGeneration], q[RefreshMarkRotated], q[RefreshSupersede], q[RefreshTouch],
		q[RefreshRevokeFamily],
		q[LogInsert], q[LogInsert4], q[LogInsert16],
		// Rate limits count on every token request.
		q[CounterHit], q[CounterGet],
	}, reads...)
	return reads, writes
}

// stmtCache holds statements prepared on one pool.
type stmtCache struct {
	db    *sql.DB
	hot   []string
	ready atomic.Bool // stmts is complete; set once
	mu    sync.Mutex  // serialises prepare and close
	// stmts maps query text to its statement. Written under mu before ready is set, only read after.
	stmts  map[string]*sql.Stmt
	closed bool
}

func newStmtCache(db *sql.DB, hot []string) *stmtCache {
	return &stmtCache{db: db, hot: hot}
}

// prepare prepares every hot statement, once. The caller must hold no connection of the pool: with
// a pool of one (SQLite's writer) preparing would wait for itself. When a statement cannot be
// prepared yet (a database not migrated, whose tables do not exist) nothing is kept and the next
// call tries again; until then the statements run as text.
func (c *stmtCache) prepare(ctx context.Context) {
	if c == nil || c.ready.Load() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ready.Load() || c.closed {
		return
	}
	stmts := make(map[string]*sql.Stmt, len(c.hot))
	for _, query := range c.hot {
		if stmts[query] != nil {
			continue // two names for one text (a *Lock that is a plain read)
		}
		st, err := c.db.PrepareContext(ctx, query)
		if err != nil {
			for _, st := range stmts {
				_ = st.Close()
			}
			return
		}
		stmts[query] = st
	}
	c.stmts = stmts
	c.ready.Store(true)
}

// lookup returns the statement prepared for query, or nil.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	if c == nil || !c.ready.Load() {
		return nil
	}
	return c.stmts[query]
}

func (c *stmtCache) close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	var err error
	for _, st := range c.stmts {
		err = errors.Join(err, st.Close())
	}
	return err
}

// cachedQuerier runs the statements its cache holds prepared, on q: the pool the cache prepared
// them on, or a transaction of that pool.
type cachedQuerier struct {
	q     querier
	tx    *sql.Tx // q as a transaction, or nil
	cache *stmtCache
}

// stmt returns the prepared statement for query, bound to the transaction if there is one, or nil.
func (c *cachedQuerier) stmt(ctx context.Context, query string) *sql.Stmt {
	st := c.cache.lookup(query)
	if st != nil && c.tx != nil {
		st = c.tx.StmtContext(ctx, st)
	}
	return st
}

func (c *cachedQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := c.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.q.ExecContext(ctx, query, args...)
}

func (c *cachedQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.q.QueryContext(ctx, query, args...)
}

func (c *cachedQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.q.QueryRowContext(ctx, query, args...)
}

// PreparedStatements reports how many hot statements the Store holds prepared, on the write pool
// and on the read pool: zero before the first transaction (or read) on a migrated database, and
// always zero for a Dialect without CacheStatements. For tests and diagnostics.
func (s *Store) PreparedStatements() (write, read int) {
	count := func(c *stmtCache) int {
		if c == nil || !c.ready.Load() {
			return 0
		}
		return len(c.stmts)
	}
	return count(s.wstmts), count(s.rstmts)
}
