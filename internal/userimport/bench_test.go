package userimport_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
	"github.com/gatehouse/gatehouse/internal/store/postgres/pgtest"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/internal/store/sqlite/sqlitetest"
	"github.com/gatehouse/gatehouse/internal/userimport"
)

// BenchmarkImport100k imports 100,000 users with bcrypt hashes (in jobs of 1,000 rows, each well
// within the 500 KB file limit) on each engine and prints the import rate, and the database part of
// a sign-in (the user looked up by email) before and after the import.
//
//	go test -run x -bench Import100k -benchtime 1x ./internal/userimport/
func BenchmarkImport100k(b *testing.B) {
	engines := map[string]func(tb testing.TB) store.Store{
		"sqlite": func(tb testing.TB) store.Store { return sqlitetest.New(tb, sqlite.Options{}) },
	}
	if os.Getenv("GATEHOUSE_TEST_POSTGRES_URL") != "" {
		engines["postgres"] = func(tb testing.TB) store.Store { return pgtest.Open(tb, pgtest.SchemaURL(tb), postgres.Options{}) }
	}
	const users, perJob = 100_000, 1000
	hash, _ := bcrypt.GenerateFromPassword([]byte("Bench-Pass-1"), 10)
	for name, open := range engines {
		b.Run(name, func(b *testing.B) {
			for range b.N {
				ctx := context.Background()
				st := open(b)
				conn := &domain.Connection{ID: domain.NewConnectionID(), Name: "Bench-DB", Strategy: domain.StrategyAuth0}
				if err := st.CreateConnection(ctx, conn); err != nil {
					b.Fatal(err)
				}
				first, _ := json.Marshal([]map[string]any{{"email": "first@example.com", "password_hash": string(hash)}})
				if _, err := userimport.Create(ctx, st, time.Now(), userimport.Settings{Connection: conn}, first); err != nil {
					b.Fatal(err)
				}
				r := &userimport.Runner{Store: st, Owner: "bench", Batch: 500}
				if _, err := r.Step(ctx); err != nil {
					b.Fatal(err)
				}
				before := lookup(b, st, "first@example.com")
				start := time.Now()
				for j := 0; j < users/perJob; j++ {
					rows := make([]map[string]any, perJob)
					for i := range rows {
						rows[i] = map[string]any{"email": fmt.Sprintf("u%06d@example.com", j*perJob+i), "email_verified": true,
							"given_name": "Bench", "family_name": fmt.Sprint(i), "password_hash": string(hash), "user_metadata": map[string]any{"n": i}}
					}
					file, _ := json.Marshal(rows)
					if _, err := userimport.Create(ctx, st, time.Now(), userimport.Settings{Connection: conn}, file); err != nil {
						b.Fatal(err)
					}
					if worked, err := r.Step(ctx); err != nil || !worked {
						b.Fatal(worked, err)
					}
				}
				took := time.Since(start)
				after := lookup(b, st, "u098765@example.com")
				b.ReportMetric(float64(users)/took.Seconds(), "users/s")
				b.ReportMetric(took.Seconds(), "s/100k")
				b.ReportMetric(float64(before.Microseconds())/1000, "lookup-ms-before")
				b.ReportMetric(float64(after.Microseconds())/1000, "lookup-ms-after")
			}
		})
	}
}

// lookup is the median time of 101 lookups of a user by email.
func lookup(b *testing.B, st store.Store, email string) time.Duration {
	var ds []time.Duration
	for range 101 {
		t := time.Now()
		if _, err := st.GetUserByEmail(context.Background(), "Bench-DB", email); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(t))
	}
	for i := range ds {
		for j := i + 1; j < len(ds); j++ {
			if ds[j] < ds[i] {
				ds[i], ds[j] = ds[j], ds[i]
			}
		}
	}
	return ds[len(ds)/2]
}
