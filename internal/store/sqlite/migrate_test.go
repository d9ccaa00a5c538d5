package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	ctx := context.Background()
	st := MustOpen(t, filepath.Join(t.TempDir(), "db"))
	known, err := st.KnownSchemaVersion()
	if err != nil {
		t.Fatal(err)
	}
	v, err := st.Migrate(ctx)
	if err != nil || v != known {
		t.Fatalf("second Migrate = %d, %v; want %d", v, err, known)
	}
}

// TestMigrateRefusesNewerSchema: a database a newer Gatehouse migrated is refused and left as it is.
func TestMigrateRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	known, _ := st.KnownSchemaVersion()
	// A schema_migrations table recording a version from the future, and nothing else.
	if _, err := st.DB().ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);
		INSERT INTO schema_migrations VALUES (1, 0), ($1, 0)`, known+1); err != nil {
		t.Fatal(err)
	}
	_, err = st.Migrate(ctx)
	if !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("Migrate error = %v, want ErrSchemaTooNew", err)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var tables int
	if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name <> 'schema_migrations'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Fatalf("Migrate created %d tables in a database it refused", tables)
	}
	var max int
	if err := st.DB().QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&max); err != nil || max != known+1 {
		t.Fatalf("schema version = %d, %v; want it untouched at %d", max, err, known+1)
	}
}

// TestConcurrentStoresOnOneFile: two Stores (as two processes would) writing the same file at once
// never fail with SQLITE_BUSY: BEGIN IMMEDIATE plus the busy timeout make them wait their turn.
func TestConcurrentStoresOnOneFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	a := MustOpen(t, path)
	b := MustOpen(t, path)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := a
			if i%2 == 1 {
				st = b
			}
			u := &domain.User{UserID: domain.NewUserID(), Email: domain.NewUserID()[6:] + "@example.com"}
			domain.ApplyUserDefaults(u)
			errs <- st.WithTx(ctx, func(tx store.Store) error {
				if _, _, err := tx.SearchUsers(ctx, store.UserQuery{}, store.Page{}); err != nil {
					return err
				}
				return tx.CreateUser(ctx, u)
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent write failed: %v", err)
		}
	}
	_, total, err := a.SearchUsers(ctx, store.UserQuery{}, store.Page{})
	if err != nil || total != 40 {
		t.Fatalf("users = %d, %v; want 40", total, err)
	}
}

func TestOpenRejectsBadPath(t *testing.T) {
	for _, p := range []string{"", "db?mode=ro"} {
		if _, err := sqlite.Open(context.Background(), p, sqlite.Options{}); err == nil {
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

// TestDurabilitySettings checks the writer connection really runs with the settings crash safety
// and the cascades depend on.
func TestDurabilitySettings(t *testing.T) {
	st := MustOpen(t, filepath.Join(t.TempDir(), "db"))
	ctx := context.Background()
	for pragma, want := range map[string]string{"synchronous": "2", "journal_mode": "wal", "foreign_keys": "1"} {
		var got string
		if err := st.DB().QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
}

// TestUpgradeKeepsSigningKeys: a database created at schema version 1 with signing keys in it keeps
// them when migrated to the current version.
func TestUpgradeKeepsSigningKeys(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d := sqlite.Dialect()
	if d.Migrations, err = storetest.MigrationsUpTo(d.Migrations, 1); err != nil {
		t.Fatal(err)
	}
	v1 := sqlstore.New(sqlstore.Config{Dialect: d, DB: st.DB()}) // shares st's pool: not closed
	if v, err := v1.Migrate(ctx); err != nil || v != 1 {
		t.Fatalf("Migrate to version 1 = %d, %v", v, err)
	}
	known, err := st.KnownSchemaVersion()
	if err != nil || known < 2 {
		t.Fatalf("known schema version = %d, %v", known, err)
	}
	storetest.UpgradeKeepsSigningKeys(t, v1, func(t *testing.T) store.Store {
		if v, err := st.Migrate(ctx); err != nil || v != known {
			t.Fatalf("upgrade = %d, %v; want %d", v, err, known)
		}
		return st
	})
}

// SchemaVersion reads without changing: on an empty database it reports 0 and leaves no
// schema_migrations table behind; after Migrate it reports the known version.
func TestSchemaVersionChangesNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	current, known, err := st.SchemaVersion(ctx)
	if err != nil || current != 0 || known < 1 {
		t.Fatalf("empty database: %d %d %v", current, known, err)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var tables int
	if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'`).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("SchemaVersion left schema_migrations behind: %d %v", tables, err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if current, known2, err := st.SchemaVersion(ctx); err != nil || current != known || known2 != known {
		t.Fatalf("migrated database: %d %d %v", current, known2, err)
	}
}

// TestUpgradeAddsDefaultConnection: a database from before connections were objects gets the
// default database connection, enabled for its existing applications.
func TestUpgradeAddsDefaultConnection(t *testing.T) {
	testUpgrade(t, "connections", storetest.UpgradeAddsDefaultConnection)
}

// TestUpgradeBackfillsUserSuffixes: users from before the suffix search are found by it once the
// database is migrated (the migration fills the reversed columns).
func TestUpgradeBackfillsUserSuffixes(t *testing.T) {
	testUpgrade(t, "user_search_suffix_and_sort", storetest.UpgradeBackfillsUserSuffixes)
}

// testUpgrade builds a database at the version before the migration named description, hands
// check a way to write rows as that schema holds them, and an upgrade to the current version.
func testUpgrade(t *testing.T, description string, check func(t *testing.T, exec func(string, ...any), upgrade func(*testing.T) store.Store)) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d := sqlite.Dialect()
	before, err := storetest.MigrationVersion(d.Migrations, description)
	if err != nil {
		t.Fatal(err)
	}
	before--
	if d.Migrations, err = storetest.MigrationsUpTo(d.Migrations, before); err != nil {
		t.Fatal(err)
	}
	old := sqlstore.New(sqlstore.Config{Dialect: d, DB: st.DB()}) // shares st's pool: not closed
	if v, err := old.Migrate(ctx); err != nil || v != before {
		t.Fatalf("Migrate to version %d = %d, %v", before, v, err)
	}
	exec := func(query string, args ...any) {
		if _, err := st.DB().ExecContext(ctx, query, args...); err != nil {
			t.Fatal(err)
		}
	}
	check(t, exec, func(t *testing.T) store.Store {
		if _, err := st.Migrate(ctx); err != nil {
			t.Fatalf("upgrade: %v", err)
		}
		return st
	})
}
