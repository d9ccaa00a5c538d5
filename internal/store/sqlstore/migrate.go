package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Migration is one schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads NNNN_description.sql files from fsys, sorted by version. Versions must
// start at 1 and have no gaps, so a missing file is caught at build time by the tests.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, name := range names {
		num, _, ok := strings.Cut(path.Base(name), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: name must be NNNN_description.sql", name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %q: expected version %d", m.Name, i+1)
		}
	}
	return out, nil
}

// Migrate applies pending migrations in one transaction, after the dialect's MigrateLock, and
// returns the resulting version. A database whose recorded version is newer than the last
// migration known here is left untouched and reported with store.ErrSchemaTooNew.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	migrations, err := LoadMigrations(s.d.Migrations)
	if err != nil {
		return 0, fmt.Errorf("%s: load migrations: %w", s.d.Name, err)
	}
	known := len(migrations)
	version := 0
	err = s.runTx(ctx, func(tx *sql.Tx) error {
		if s.d.MigrateLock != "" {
			if _, err := tx.ExecContext(ctx, s.d.MigrateLock); err != nil {
				return fmt.Errorf("migration lock: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q[CreateMigrationsTable]); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		if err := tx.QueryRowContext(ctx, s.q[SchemaVersion]).Scan(&version); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if version > known {
			return fmt.Errorf("%w: database is at version %d, this binary knows %d", store.ErrSchemaTooNew, version, known)
		}
		for _, m := range migrations[version:] {
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := tx.ExecContext(ctx, s.q[RecordMigration], m.Version, ts(time.Now())); err != nil {
				return fmt.Errorf("record migration %s: %w", m.Name, err)
			}
			version = m.Version
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("%s: migrate: %w", s.d.Name, err)
	}
	return version, nil
}

// KnownSchemaVersion is the version the embedded migrations reach.
func (s *Store) KnownSchemaVersion() (int, error) {
	m, err := LoadMigrations(s.d.Migrations)
	return len(m), err
}

// SchemaVersion returns the version the database is at and the version the embedded migrations
// reach, changing nothing: the read runs in a transaction that is rolled back, so that even the
// schema_migrations table an empty database lacks is not left behind. Commands that must not
// migrate (creating an administrator, a client) use it to refuse a database that is not current.
func (s *Store) SchemaVersion(ctx context.Context) (current, known int, err error) {
	if known, err = s.KnownSchemaVersion(); err != nil {
		return 0, 0, fmt.Errorf("%s: load migrations: %w", s.d.Name, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: begin transaction: %w", s.d.Name, err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, s.q[CreateMigrationsTable]); err != nil {
		return 0, 0, fmt.Errorf("%s: read schema version: %w", s.d.Name, err)
	}
	if err := tx.QueryRowContext(ctx, s.q[SchemaVersion]).Scan(&current); err != nil {
		return 0, 0, fmt.Errorf("%s: read schema version: %w", s.d.Name, err)
	}
	return current, known, nil
}
