// Package sqlitetest gives tests of other packages a real, migrated SQLite store in a temporary
// directory, closed when the test ends.
package sqlitetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store/sqlite"
)

// New opens and migrates a fresh store, failing tb on error.
func New(tb testing.TB, opts sqlite.Options) *sqlite.Store {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "gatehouse.db"), opts)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		tb.Fatalf("migrate store: %v", err)
	}
	return st
}
