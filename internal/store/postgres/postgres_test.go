package postgres_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
	"github.com/gatehouse/gatehouse/internal/store/postgres/pgtest"
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
