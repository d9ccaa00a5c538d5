package audit_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
	"github.com/gatehouse/gatehouse/internal/store/postgres/pgtest"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/internal/store/sqlite/sqlitetest"
)

var ctx = context.Background()

func engines(tb testing.TB) map[string]store.Store {
	m := map[string]store.Store{"sqlite": sqlitetest.New(tb, sqlite.Options{})}
	if os.Getenv(pgtest.URLEnv) != "" {
		m["postgres"] = pgtest.Open(tb, pgtest.SchemaURL(tb), postgres.Options{})
	}
	return m
}

// fill writes n events dated from start, one a millisecond apart, in transactions of 1,000.
func fill(tb testing.TB, st store.Store, start time.Time, n int) {
	for i := 0; i < n; i += 1000 {
		err := st.WithTx(ctx, func(tx store.Store) error {
			for j := i; j < min(i+1000, n); j++ {
				if err := tx.AppendLog(ctx, &domain.LogEvent{Type: "seccft", Date: start.Add(time.Duration(j) * time.Millisecond),
					ClientID: "c1", Description: "Client Credentials for Access Token"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// TestRetentionSweep: events older than the tenant's retention go, in batches; the rest stay; a
// shorter retention set through the settings takes effect on the next round.
func TestRetentionSweep(t *testing.T) {
	for name, st := range engines(t) {
		t.Run(name, func(t *testing.T) {
			now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
			fill(t, st, now.Add(-31*24*time.Hour), 2500) // past the default 30 days
			fill(t, st, now.Add(-10*24*time.Hour), 100)
			sw := &audit.Sweeper{Store: st, Now: func() time.Time { return now }, Batch: 1000}
			n, err := sw.Sweep(ctx)
			if err != nil || n != 2500 {
				t.Fatalf("swept %d (%v), want 2500", n, err)
			}
			s, _ := st.GetTenantSettings(ctx)
			s.LogRetentionDays = 7
			if err := st.PutTenantSettings(ctx, s); err != nil {
				t.Fatal(err)
			}
			if n, err := sw.Sweep(ctx); err != nil || n != 100 {
				t.Fatalf("after a 7-day retention: swept %d (%v), want 100", n, err)
			}
			if list, total, _ := st.ListLogs(ctx, store.LogFilter{}, store.Page{}); total != 0 || len(list) != 0 {
				t.Fatalf("%d events left", total)
			}
		})
	}
}

// BenchmarkRetentionSweep prints how many events a second the sweeper deletes, to compare with
// the 1,000 events a second a busy tenant writes.
func BenchmarkRetentionSweep(b *testing.B) {
	const n = 50_000
	for name, st := range engines(b) {
		b.Run(name, func(b *testing.B) {
			now := time.Now()
			var swept int
			var spent time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				fill(b, st, now.Add(-40*24*time.Hour), n)
				fill(b, st, now.Add(-time.Hour), 1000)
				b.StartTimer()
				t0 := time.Now()
				got, err := (&audit.Sweeper{Store: st}).Sweep(ctx)
				spent += time.Since(t0)
				if err != nil || got != n {
					b.Fatalf("swept %d (%v), want %d", got, err, n)
				}
				swept += got
			}
			rate := float64(swept) / spent.Seconds()
			b.ReportMetric(rate, "events/s")
			fmt.Printf("retention sweep on %s: %d events in %v, %.0f events/s (%.0f× a 1,000 events/s tenant)\n",
				name, swept, spent.Round(time.Millisecond), rate, rate/1000)
		})
	}
}
