package sqlite_test

import (
	"context"
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

// MustOpen opens and migrates a database in a new temporary directory.
func MustOpen(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return st
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return MustOpen(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	})
}

// TestRaces: each racer opens the database file on its own, so racers meet at SQLite's lock as
// separate processes would, not in the one writer connection of a store.
func TestRaces(t *testing.T) {
	storetest.RunRaces(t, storetest.RaceOptions{
		NewDB: func(t *testing.T) func(t *testing.T) store.Store {
			path := filepath.Join(t.TempDir(), "gatehouse.db")
			MustOpen(t, path)
			return func(t *testing.T) store.Store { return MustOpen(t, path) }
		},
		// Writers waiting on SQLite's lock are let in nearly in the order they came, so a 20-way
		// race interleaves clock reads and commits in only a few rounds in a hundred.
		WideRounds: 200,
	})
}

// TestHotStatementsPrepared: once the database is migrated, the hot statements are prepared on
// both pools (a statement SQLite refused, say a write on the read-only pool, would leave a pool
// running them all as text), and the store keeps working through them.
func TestHotStatementsPrepared(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gatehouse.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.GetClient(ctx, "none"); err == nil {
		t.Fatal("GetClient on an empty database succeeded")
	}
	if w, r := st.PreparedStatements(); w != 0 || r != 0 {
		t.Fatalf("prepared before migration: %d write, %d read", w, r)
	}
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetClient(ctx, "none"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetClient = %v, want ErrNotFound", err)
	}
	if err := st.AppendLog(ctx, &domain.LogEvent{Type: "s"}); err != nil {
		t.Fatal(err)
	}
	w, r := st.PreparedStatements()
	if w < 15 || r < 9 {
		t.Fatalf("prepared after migration: %d write, %d read", w, r)
	}
}

// TestHotStatementsFirstUseRace: goroutines that meet the statement cache together, before it is
// prepared, all succeed (run with -race).
func TestHotStatementsFirstUseRace(t *testing.T) {
	st := MustOpen(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 2*10)
	for i := 0; i < 10; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := st.GetClient(ctx, "none"); !errors.Is(err, store.ErrNotFound) {
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			errs <- st.AppendLog(ctx, &domain.LogEvent{Type: "s"})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if w, r := st.PreparedStatements(); w == 0 || r == 0 {
		t.Fatalf("prepared: %d write, %d read", w, r)
	}
}

// TestStatements: every statement prepares on a migrated database.
func TestStatements(t *testing.T) {
	st := MustOpen(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	storetest.Statements(t, st.DB(), sqlite.Dialect())
}

// TestUserSearchWithoutIndexes: the user search answers the same without migration 0018's indexes
// (as the schema was before them) as with them (TestConformance/UserSearchModel).
func TestUserSearchWithoutIndexes(t *testing.T) {
	st := MustOpen(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	for _, ix := range []string{"users_search_email", "users_search_user_id", "users_search_username", "users_search_name", "users_search_nickname", "users_search_connection", "users_blocked",
		"users_search_email_rev", "users_search_user_id_rev", "users_search_username_rev", "users_search_name_rev", "users_search_nickname_rev",
		"users_sort_updated_at", "users_sort_last_login", "users_sort_logins_count"} {
		if _, err := st.DB().Exec(`DROP INDEX ` + ix); err != nil {
			t.Fatal(err)
		}
	}
	storetest.UserSearchModel(t, st)
}

// TestUserSearchBroadPrefix: with every prefix taken for a broad one (Dialect.PrefixProbe 1), the
// search reads in creation order through its other form of the conditions, and answers the same.
func TestUserSearchBroadPrefix(t *testing.T) {
	st := MustOpen(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	d := *sqlite.Dialect()
	d.PrefixProbe = 1
	pools := st.Pools()
	storetest.UserSearchModel(t, sqlstore.New(sqlstore.Config{Dialect: &d, DB: pools["write"], ReadDB: pools["read"]}))
	st = MustOpen(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	pools = st.Pools()
	storetest.UserSortModel(t, sqlstore.New(sqlstore.Config{Dialect: &d, DB: pools["write"], ReadDB: pools["read"]}))
}

// TestUserSearchUnprobed: with no prefix probe, every search and sort is read in the form the
// planner chooses for, unfenced, and answers the same.
func TestUserSearchUnprobed(t *testing.T) {
	for _, model := range []func(*testing.T, store.Store){storetest.UserSearchModel, storetest.UserSortModel} {
		st := MustOpen(t, filepath.Join(t.TempDir(), "gatehouse.db"))
		d := *sqlite.Dialect()
		d.PrefixProbe = 0
		pools := st.Pools()
		model(t, sqlstore.New(sqlstore.Config{Dialect: &d, DB: pools["write"], ReadDB: pools["read"]}))
	}
}
