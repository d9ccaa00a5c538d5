package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// querier is what the unexported helpers run statements on: the database or one transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Store implements store.Store on database/sql with one Dialect's SQL.
type Store struct {
	d    *Dialect
	q    *statements // the Dialect's statement table
	db   *sql.DB     // writes and transactions
	read *sql.DB     // reads outside a transaction; may be db
	tx   *sql.Tx     // set on the Store WithTx hands to fn
	now  func() time.Time

	observe func(kind string, d time.Duration)

	// Hot statements kept prepared (see stmtCache); nil when the Dialect does not ask for it.
	wstmts, rstmts *stmtCache
	readQ          querier // runs reads outside a transaction: read, through rstmts when set
	txq            querier // runs statements in tx, through wstmts when set
}

var _ store.Store = (*Store)(nil)

// Config assembles a Store.
type Config struct {
	Dialect *Dialect
	// DB runs writes and transactions. SQLite callers give it a single connection, so writers queue
	// in Go instead of meeting SQLITE_BUSY.
	DB *sql.DB
	// ReadDB runs reads outside transactions; nil means DB.
	ReadDB *sql.DB
	// Now is the clock for timestamps the store fills in (CreatedAt, UpdatedAt); nil means time.Now.
	Now func() time.Time
	// Observe, when set, is told how long each statement run outside a transaction ("read") and
	// each transaction, from begin to commit or rollback, waiting for a connection included
	// ("transaction"), took: the store's latency, for metrics.
	Observe func(kind string, d time.Duration)
}

// New returns a Store over open databases. It does not migrate: call Migrate.
func New(c Config) *Store {
	s := &Store{d: c.Dialect, q: c.Dialect.statements(), db: c.DB, read: c.ReadDB, now: c.Now, observe: c.Observe}
	if s.read == nil {
		s.read = s.db
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.readQ = s.read
	if c.Dialect.CacheStatements {
		reads, writes := hotStatements(s.q)
		s.wstmts = newStmtCache(s.db, writes)
		s.rstmts = s.wstmts // one pool (SQLite in memory): writes includes the reads
		if s.read != s.db {
			s.rstmts = newStmtCache(s.read, reads)
		}
		s.readQ = &cachedQuerier{q: s.read, cache: s.rstmts}
	}
	if s.observe != nil {
		s.readQ = timedQuerier{q: s.readQ, observe: s.observe}
	}
	return s
}

// timedQuerier reports how long each statement takes to run, up to its first row.
type timedQuerier struct {
	q       querier
	observe func(kind string, d time.Duration)
}

func (t timedQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	start := time.Now()
	defer func() { t.observe("read", time.Since(start)) }()
	return t.q.ExecContext(ctx, query, args...)
}

func (t timedQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	start := time.Now()
	defer func() { t.observe("read", time.Since(start)) }()
	return t.q.QueryContext(ctx, query, args...)
}

func (t timedQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	start := time.Now()
	defer func() { t.observe("read", time.Since(start)) }()
	return t.q.QueryRowContext(ctx, query, args...)
}

// reader is where a read runs: the bound transaction, or the read pool.
func (s *Store) reader(ctx context.Context) querier {
	if s.tx != nil {
		return s.txq
	}
	s.rstmts.prepare(ctx) // no connection of the read pool is held here
	return s.readQ
}

// inTxQuerier returns what runs statements in tx.
func (s *Store) inTxQuerier(tx *sql.Tx) querier {
	if s.wstmts == nil {
		return tx
	}
	return &cachedQuerier{q: tx, tx: tx, cache: s.wstmts}
}

// write runs fn in the bound transaction, or in a new one committed when fn succeeds. Every
// exported write goes through it, so the helpers it calls compose without nested transactions.
func (s *Store) write(ctx context.Context, fn func(q querier) error) error {
	if s.tx != nil {
		return fn(s.txq)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error { return fn(s.inTxQuerier(tx)) })
}

// inTx runs fn in a new transaction, retrying a few times when the engine reports a serialization
// conflict or deadlock before anything was committed.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	const attempts = 3
	var err error
	for i := 0; i < attempts; i++ {
		err = s.runTx(ctx, fn)
		if err == nil || s.d.Retryable == nil || !s.d.Retryable(err) {
			break
		}
	}
	return s.markUnavailable(err)
}

// markUnavailable wraps err with domain.ErrUnavailable when it means the database connection was
// lost or could not be made, so that the request is answered 503 with Retry-After, not 500.
func (s *Store) markUnavailable(err error) error {
	if err != nil && s.d.Unavailable != nil && s.d.Unavailable(err) && !errors.Is(err, domain.ErrUnavailable) {
		err = fmt.Errorf("%w: %w", domain.ErrUnavailable, err)
	}
	return err
}

func (s *Store) runTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	if s.observe != nil {
		start := time.Now()
		defer func() { s.observe("transaction", time.Since(start)) }()
	}
	s.wstmts.prepare(ctx) // before BeginTx: SQLite's writer pool has one connection
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// WithTx runs fn with a Store bound to one transaction. A nested WithTx reuses the outer
// transaction, so the outermost call decides commit or rollback.
func (s *Store) WithTx(ctx context.Context, fn func(tx store.Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	return s.markUnavailable(s.runTx(ctx, func(tx *sql.Tx) error {
		bound := *s
		bound.tx, bound.txq = tx, s.inTxQuerier(tx)
		return fn(&bound)
	}))
}

// Ping checks both pools can reach the database.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("%s: ping: %w", s.d.Name, err)
	}
	if s.read != s.db {
		if err := s.read.PingContext(ctx); err != nil {
			return fmt.Errorf("%s: ping: %w", s.d.Name, err)
		}
	}
	return nil
}

// Close closes the pools. Closing a transaction-bound Store does nothing.
func (s *Store) Close() error {
	if s.tx != nil {
		return nil
	}
	err := s.wstmts.close()
	if s.rstmts != s.wstmts {
		err = errors.Join(err, s.rstmts.close())
	}
	err = errors.Join(err, s.db.Close())
	if s.read != s.db {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// DeleteExpired removes protocol records and counters past their expiry.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	err := s.write(ctx, func(q querier) error {
		total = 0
		for _, stmt := range []Stmt{DeleteExpiredTransactions, DeleteExpiredSessions, DeleteExpiredCodes, DeleteExpiredRefreshTokens, DeleteExpiredDeviceCodes,
			DeleteExpiredRevokedOpaque, DeleteExpiredRevokedAccessTokens, DeleteExpiredCounters, DeleteExpiredTickets, DeleteExpiredJTIs, DeleteExpiredPushed, DeleteSettledBackchannel,
			DeleteExpiredRememberedBrowsers, DeleteExpiredWebAuthnChallenges, DeleteExpiredActionCache} {
			n, err := execN(ctx, q, s.q[stmt], ts(now))
			if err != nil {
				return fmt.Errorf("delete expired: %w", err)
			}
			total += n
		}
		n, err := execN(ctx, q, s.q[DeleteOldJobs], ts(now.Add(-domain.JobRetention)))
		if err != nil {
			return fmt.Errorf("delete old jobs: %w", err)
		}
		total += n
		n, err = execN(ctx, q, s.q[DeleteOldActionExecutions], ts(now.Add(-domain.ActionExecutionRetention)))
		if err != nil {
			return fmt.Errorf("delete old action executions: %w", err)
		}
		total += n
		if _, err := execN(ctx, q, s.q[DeleteOrphanJobWork]); err != nil {
			return fmt.Errorf("delete old job work: %w", err)
		}
		return nil
	})
	return total, err
}

// DB returns the write pool, for the backend's migration and tests.
func (s *Store) DB() *sql.DB { return s.db }

// Pools names the connection pools: "write" (transactions) and "read", or only "main" when one
// pool serves both.
func (s *Store) Pools() map[string]*sql.DB {
	if s.read == s.db {
		return map[string]*sql.DB{"main": s.db}
	}
	return map[string]*sql.DB{"write": s.db, "read": s.read}
}

func execN(ctx context.Context, q querier, stmt string, args ...any) (int64, error) {
	res, err := q.ExecContext(ctx, stmt, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
