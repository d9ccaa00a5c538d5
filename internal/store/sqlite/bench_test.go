package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
)

// benchStore opens a migrated store: in a file (WAL, synchronous=FULL: what production runs, so
// each commit includes an fsync) or in memory (the statement work alone).
func benchStore(b *testing.B, inMemory bool) *sqlite.Store {
	b.Helper()
	if inMemory {
		return MustOpen(b, ":memory:")
	}
	return MustOpen(b, filepath.Join(b.TempDir(), "bench.db"))
}

// benchRefreshSetup stores a client, a user and the first token of a rotating family.
func benchRefreshSetup(b *testing.B, st store.Store) (first []byte, t0 time.Time) {
	b.Helper()
	ctx := context.Background()
	c := &domain.Client{ClientID: domain.NewClientID(), Name: "bench"}
	domain.ApplyClientDefaults(c)
	u := &domain.User{UserID: domain.NewUserID(), Email: "bench@example.com"}
	domain.ApplyUserDefaults(u)
	if err := st.CreateClient(ctx, c); err != nil {
		b.Fatal(err)
	}
	if err := st.CreateUser(ctx, u); err != nil {
		b.Fatal(err)
	}
	t0 = time.Now().UTC()
	exp := t0.Add(24 * time.Hour)
	rt := &domain.RefreshToken{TokenHash: domain.HashSecret("bench-0"), ClientID: c.ClientID, UserID: u.UserID,
		Scope: "openid offline_access", Rotating: true, AuthTime: t0, ExpiresAt: &exp}
	if err := st.CreateRefreshToken(ctx, rt); err != nil {
		b.Fatal(err)
	}
	return rt.TokenHash, t0
}

// BenchmarkRotateRefreshToken measures one refresh-token rotation, the store's share of a
// refresh_token grant: each iteration exchanges the newest token of one family for the next.
func BenchmarkRotateRefreshToken(b *testing.B) {
	for _, mode := range []struct {
		name     string
		inMemory bool
	}{{"file", false}, {"memory", true}} {
		b.Run(mode.name, func(b *testing.B) {
			st := benchStore(b, mode.inMemory)
			ctx := context.Background()
			prev, t0 := benchRefreshSetup(b, st)
			clock := func() time.Time { return t0 }
			hashes := make([][]byte, b.N)
			for i := range hashes {
				hashes[i] = domain.HashSecret(fmt.Sprintf("bench-%d", i+1))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				next := &domain.RefreshToken{TokenHash: hashes[i], Scope: "openid offline_access", Rotating: true}
				if _, err := st.RotateRefreshToken(ctx, prev, next, clock, 0); err != nil {
					b.Fatal(err)
				}
				prev = hashes[i]
			}
		})
	}
}

// BenchmarkGetRefreshToken measures the read of a refresh token outside a transaction.
func BenchmarkGetRefreshToken(b *testing.B) {
	st := benchStore(b, false)
	ctx := context.Background()
	hash, _ := benchRefreshSetup(b, st)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := st.GetRefreshToken(ctx, hash); err != nil {
			b.Fatal(err)
		}
	}
}
