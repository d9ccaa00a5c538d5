package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
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

// TestReaderIdleClosed: read connections a burst opened are closed once idle for ReaderIdle, and
// reads go on through new ones.
func TestReaderIdleClosed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	MustOpen(t, path) // migrated
	st, err := sqlite.Open(ctx, path, sqlite.Options{ReaderIdle: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	read := st.Pools()["read"]
	// A burst: several reads held open at once.
	var conns []*sql.Conn
	for range 3 {
		c, err := read.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
	if n := read.Stats().Idle; n != 3 {
		t.Fatalf("%d idle read connections after the burst, want 3", n)
	}
	deadline := time.Now().Add(10 * time.Second)
	for read.Stats().OpenConnections > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if st := read.Stats(); st.OpenConnections != 0 || st.MaxIdleTimeClosed < 3 {
		t.Fatalf("after the idle time: %d open, %d closed for idleness", st.OpenConnections, st.MaxIdleTimeClosed)
	}
	if _, _, err := st.ListLogs(ctx, store.LogFilter{}, store.Page{}); err != nil {
		t.Fatal(err)
	}
}

// TestNewSchemaSmallCache: a new database's schema is made with a small page cache, and the write
// connection gets its own size back; an existing database migrates with its cache untouched.
func TestNewSchemaSmallCache(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cache := func() int {
		var n int
		if err := st.DB().QueryRowContext(ctx, "PRAGMA cache_size").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := cache()
	v, err := st.Migrate(ctx)
	if err != nil || v == 0 {
		t.Fatalf("migrate a new database: version %d, %v", v, err)
	}
	if got := cache(); got != before {
		t.Errorf("cache_size after making the schema: %d, want the connection's own %d", got, before)
	}
	if _, err := st.DB().ExecContext(ctx, "PRAGMA cache_size = -1234"); err != nil {
		t.Fatal(err)
	}
	if v2, err := st.Migrate(ctx); err != nil || v2 != v {
		t.Fatalf("migrate again: version %d, %v", v2, err)
	}
	if got := cache(); got != -1234 {
		t.Errorf("an existing database's migration changed cache_size to %d", got)
	}
	// The schema is whole: a write and a read through it work.
	if err := st.AppendLogs(ctx, []domain.LogEvent{{LogID: "x", Date: time.Now().UTC(), Type: "s"}}); err != nil {
		t.Fatal(err)
	}
}
