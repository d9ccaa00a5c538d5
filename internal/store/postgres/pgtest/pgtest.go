// Package pgtest gives tests of any package a fresh PostgreSQL schema on the server named by
// GATEHOUSE_TEST_POSTGRES_URL, dropped when the test ends; without that variable the test is skipped
// with a message saying how to run it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store/postgres"
)

// URLEnv names the variable holding the test server's URL.
const URLEnv = "GATEHOUSE_TEST_POSTGRES_URL"

// BaseURL returns the test server's URL or skips the test.
func BaseURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(URLEnv)
	if u == "" {
		tb.Skipf("%s is not set; set it to a PostgreSQL URL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run the PostgreSQL tests", URLEnv)
	}
	return u
}

// SchemaURL creates a fresh, empty schema, dropped when the test ends, and returns a URL whose
// search_path selects it. Every store opened on that URL shares the schema.
func SchemaURL(tb testing.TB) string {
	tb.Helper()
	base := BaseURL(tb)
	ctx := context.Background()
	admin, err := postgres.Open(ctx, base, postgres.Options{MaxConns: 1})
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.DB().ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.DB().ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema: %v", err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse %s: %v", URLEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens a store on url with o, closed when the test ends, and migrates it.
func Open(tb testing.TB, url string, o postgres.Options) *postgres.Store {
	tb.Helper()
	ctx := context.Background()
	st, err := postgres.Open(ctx, url, o)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return st
}
