package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TestReleaseMemory: emptying the write connection's cache loses nothing; what was written reads
// back and writing goes on.
func TestReleaseMemory(t *testing.T) {
	ctx := context.Background()
	st := MustOpen(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := st.AppendLogs(ctx, []domain.LogEvent{{LogID: "before", Date: now, Type: "s"}}); err != nil {
		t.Fatal(err)
	}
	if err := st.ReleaseMemory(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.AppendLogs(ctx, []domain.LogEvent{{LogID: "after", Date: now.Add(time.Second), Type: "s"}}); err != nil {
		t.Fatal(err)
	}
	got, total, err := st.ListLogs(ctx, store.LogFilter{}, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if total != 2 || len(got) != 2 || got[0].LogID != "after" || got[1].LogID != "before" {
		t.Fatalf("after releasing the cache: %d events, total %d", len(got), total)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.ReleaseMemory(ctx); err == nil {
		t.Error("a closed store released memory without an error")
	}
}
