package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Options tune Open. The zero value is what production uses.
type Options struct {
	// BusyTimeout bounds how long a connection waits for a lock another process holds (default
	// 10 s). Writers of this process never wait on SQLite's lock: they queue for the one writer
	// connection.
	BusyTimeout time.Duration
	// MaxReaders is the size of the read pool (default max(4, GOMAXPROCS)).
	MaxReaders int
	// ReaderIdle is how long a read connection may sit unused before it is closed (default 5
	// minutes, as PostgreSQL's pool). Each holds its own copy of the schema and a page cache of up
	// to 2 MB; the connections a burst opened are let go once it is over.
	ReaderIdle time.Duration
	// Now is the clock for timestamps the store fills in; nil means time.Now.
	Now func() time.Time
	// Observe receives the store's latencies (sqlstore.Config.Observe); nil: none.
	Observe func(kind string, d time.Duration)
}

// Store is a SQLite-backed store.Store and store.Migrator.
type Store struct {
	*sqlstore.Store
}

// Dialect returns SQLite's dialect: its migrations and error classification. It overrides no
// statement: a write transaction here is BEGIN IMMEDIATE on the single writer connection, so
// nobody else can write until it commits, and the generic table's locking statements (plain
// SELECTs, no family lock) are all it needs.
func Dialect() *sqlstore.Dialect {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the embedded directory is fixed at build time
	}
	return &sqlstore.Dialect{
		Name:       "sqlite",
		Migrations: sub,
		Classify:   classify,
		// modernc's driver prepares a statement afresh for every call given query text.
		CacheStatements: true,
		// The planner has no statistics unless ANALYZE ran (and ANALYZE with STAT4 holds the write
		// lock for seconds on a large table), so the user search decides itself (PrefixProbe).
		PrefixProbe: 50_000,
	}
}

// Open opens (creating if needed) the database file at path. It does not migrate: call Migrate.
// A new file is created with mode 0600, and SQLite's -wal and -shm files follow it.
//
// Every connection runs with foreign_keys ON and synchronous=FULL (in WAL mode a commit is fsynced
// before it returns, so a committed write survives a crash or SIGKILL). Writes go through one
// connection whose transactions begin IMMEDIATE, so concurrent writers queue instead of failing
// with SQLITE_BUSY; reads use a separate pool of read-only connections, which WAL lets proceed
// while a write is in progress.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: a database path is required")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: database path %q must not contain ? or #", path)
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 10 * time.Second
	}
	memory := path == ":memory:"
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	writerDSN := dsn(path, busy, !memory, false)
	writer, err := sql.Open("sqlite", writerDSN)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	if err := checkConn(ctx, writer); err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	reader := writer
	if !memory {
		reader, err = sql.Open("sqlite", dsn(path, busy, false, true))
		if err != nil {
			writer.Close()
			return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
		n := opts.MaxReaders
		if n <= 0 {
			n = max(4, runtime.GOMAXPROCS(0))
		}
		reader.SetMaxOpenConns(n)
		reader.SetMaxIdleConns(n)
		idle := opts.ReaderIdle
		if idle <= 0 {
			idle = 5 * time.Minute
		}
		reader.SetConnMaxIdleTime(idle)
		if err := reader.PingContext(ctx); err != nil {
			writer.Close()
			reader.Close()
			return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
	}
	return &Store{Store: sqlstore.New(sqlstore.Config{Dialect: Dialect(), DB: writer, ReadDB: reader, Now: opts.Now, Observe: opts.Observe})}, nil
}

func dsn(path string, busy time.Duration, wal, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busy.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	if wal {
		q.Add("_pragma", "journal_mode(WAL)")
	}
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return path + "?" + q.Encode()
}

// checkConn verifies the pragmas took effect: a driver that silently ignored foreign_keys would
// break the cascades the store relies on.
func checkConn(ctx context.Context, db *sql.DB) error {
	var fk int
	if err := db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return err
	}
	if fk != 1 {
		return errors.New("foreign keys could not be enabled")
	}
	return nil
}

// classify recognises SQLite's constraint errors. A unique violation's message names the columns
// ("UNIQUE constraint failed: users.connection, users.email"); the last column is the logical key.
func classify(err error) (sqlstore.Violation, string) {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return sqlstore.NoViolation, ""
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		msg := se.Error()
		const marker = "constraint failed: "
		i := strings.LastIndex(msg, marker)
		if i < 0 {
			return sqlstore.UniqueViolation, ""
		}
		cols, _, _ := strings.Cut(msg[i+len(marker):], " (")
		if i := strings.LastIndex(cols, ", "); i >= 0 {
			cols = cols[i+2:]
		}
		return sqlstore.UniqueViolation, strings.TrimSpace(cols)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return sqlstore.ForeignKeyViolation, ""
	}
	return sqlstore.NoViolation, ""
}
