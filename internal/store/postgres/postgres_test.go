package postgres_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
	"github.com/gatehouse/gatehouse/internal/store/postgres/pgtest"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// baseURL returns the test server's URL or skips the test.
func baseURL(t testing.TB) string { return pgtest.BaseURL(t) }

// MustSchemaURL creates a fresh schema, dropped when the test ends, and returns a URL whose
// search_path selects it.
func MustSchemaURL(t testing.TB) string { return pgtest.SchemaURL(t) }

// MustOpen opens and migrates a store in a fresh schema.
func MustOpen(t testing.TB) *postgres.Store {
	return pgtest.Open(t, MustSchemaURL(t), postgres.Options{})
}

func TestConformance(t *testing.T) {
	baseURL(t)
	storetest.Run(t, func(t *testing.T) store.Store { return MustOpen(t) })
}

// TestRaces: each racer has a store of its own, with one connection, on one schema.
func TestRaces(t *testing.T) {
	baseURL(t)
	storetest.RunRaces(t, storetest.RaceOptions{NewDB: func(t *testing.T) func(t *testing.T) store.Store {
		u := MustSchemaURL(t)
		pgtest.Open(t, u, postgres.Options{MaxConns: 1}) // migrates the schema once
		return func(t *testing.T) store.Store { return pgtest.Open(t, u, postgres.Options{MaxConns: 1}) }
	}})
}

// TestStatements: every statement, PostgreSQL's overrides in place, prepares on a migrated
// database, and each override differs from the generic text.
func TestStatements(t *testing.T) {
	baseURL(t)
	storetest.Statements(t, MustOpen(t).DB(), postgres.Dialect())
}

// TestUserSearchIndexes: the user search answers the same without migration 0018's indexes (as the
// schema was before them) and with the planner made to use them (on a table this small it would
// rather scan), as TestConformance/UserSearchModel requires of every engine.
func TestUserSearchIndexes(t *testing.T) {
	baseURL(t)
	t.Run("without", func(t *testing.T) {
		st := MustOpen(t)
		for _, ix := range []string{"users_search_user_id", "users_search_email", "users_search_username", "users_search_name", "users_search_nickname", "users_search_connection", "users_blocked",
			"users_search_email_rev", "users_search_user_id_rev", "users_search_username_rev", "users_search_name_rev", "users_search_nickname_rev",
			"users_sort_updated_at", "users_sort_last_login", "users_sort_logins_count", "users_sort_username"} {
			if _, err := st.DB().Exec(`DROP INDEX ` + ix); err != nil {
				t.Fatal(err)
			}
		}
		storetest.UserSearchModel(t, st)
	})
	t.Run("forced", func(t *testing.T) {
		st := pgtest.Open(t, MustSchemaURL(t)+"&enable_seqscan=off", postgres.Options{})
		var v string
		if err := st.DB().QueryRow(`SHOW enable_seqscan`).Scan(&v); err != nil || v != "off" {
			t.Fatalf("enable_seqscan = %q, %v", v, err)
		}
		storetest.UserSearchModel(t, st)
	})
	// Every prefix taken for a broad one: the conditions' form that no index serves.
	t.Run("broad", func(t *testing.T) {
		st := MustOpen(t)
		d := *postgres.Dialect()
		d.PrefixProbe = 1
		storetest.UserSearchModel(t, sqlstore.New(sqlstore.Config{Dialect: &d, DB: st.DB()}))
		storetest.UserSortModel(t, sqlstore.New(sqlstore.Config{Dialect: &d, DB: MustOpen(t).DB()}))
	})
	// No probe: every search in the form the planner chooses for, with no fence.
	t.Run("unprobed", func(t *testing.T) {
		st := MustOpen(t)
		d := *postgres.Dialect()
		d.PrefixProbe = 0
		storetest.UserSearchModel(t, sqlstore.New(sqlstore.Config{Dialect: &d, DB: st.DB()}))
		storetest.UserSortModel(t, sqlstore.New(sqlstore.Config{Dialect: &d, DB: MustOpen(t).DB()}))
	})
}
