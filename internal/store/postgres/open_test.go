package postgres_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// TestOpenUnreachable: a refused connection and a server that never answers both fail fast with an
// error naming the address, never the password.
func TestOpenUnreachable(t *testing.T) {
	// A listener that accepts and then says nothing, like a firewall black hole or a wrong port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()
	// A port nothing listens on.
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := closed.Addr().String()
	closed.Close()

	for name, addr := range map[string]string{"silent": ln.Addr().String(), "refused": refused} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := postgres.Open(context.Background(), "postgres://gatehouse:s3cret-pw@"+addr+"/gatehouse?sslmode=disable",
				postgres.Options{ConnectTimeout: 500 * time.Millisecond})
			if err == nil {
				t.Fatal("Open succeeded against a server that is not PostgreSQL")
			}
			if d := time.Since(start); d > 10*time.Second { // bounded: no hang on a silent server
				t.Fatalf("Open took %v to fail", d)
			}
			if !strings.Contains(err.Error(), addr) || strings.Contains(err.Error(), "s3cret-pw") {
				t.Fatalf("error = %q: want the address and no password", err)
			}
			if testing.Verbose() {
				t.Log(err)
			}
		})
	}
	if _, err := postgres.Open(context.Background(), "postgres://%zz", postgres.Options{}); err == nil {
		t.Fatal("Open accepted a malformed URL")
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	st, err := postgres.Open(ctx, MustSchemaURL(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	known, _ := st.KnownSchemaVersion()
	if _, err := st.DB().ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().ExecContext(ctx, `INSERT INTO schema_migrations VALUES (1, 0), ($1, 0)`, known+1); err != nil {
		t.Fatal(err)
	}
	_, err = st.Migrate(ctx)
	if !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("Migrate error = %v, want ErrSchemaTooNew", err)
	}
	var tables int
	if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_name <> 'schema_migrations'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Fatalf("Migrate created %d tables in a database it refused", tables)
	}
}

// TestConcurrentMigrate: nodes starting at once on an empty schema all succeed; the advisory lock
// lets one migrate and the others find the work done.
func TestConcurrentMigrate(t *testing.T) {
	ctx := context.Background()
	u := MustSchemaURL(t)
	const nodes = 4
	var wg sync.WaitGroup
	versions := make([]int, nodes)
	errs := make([]error, nodes)
	for i := 0; i < nodes; i++ {
		st, err := postgres.Open(ctx, u, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			versions[i], errs[i] = st.Migrate(ctx)
		}()
	}
	wg.Wait()
	for i := range errs {
		if errs[i] != nil || versions[i] != versions[0] || versions[0] == 0 {
			t.Fatalf("node %d: Migrate = %d, %v", i, versions[i], errs[i])
		}
	}
}

// TestUpgradeKeepsSigningKeys: a database created at schema version 1 with signing keys in it keeps
// them when migrated to the current version.
func TestUpgradeKeepsSigningKeys(t *testing.T) {
	ctx := context.Background()
	st, err := postgres.Open(ctx, MustSchemaURL(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d := postgres.Dialect()
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
	st, err := postgres.Open(ctx, MustSchemaURL(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d := postgres.Dialect()
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
