package devtenant_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/devtenant"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/internal/store/sqlite/sqlitetest"
)

// TestRestartKeepsPasswordsWithoutHashing: a second start keeps the seeded passwords without any
// password hashing (proved by a gate that refuses every computation), and a file written before the
// hash digest was recorded still keeps them, by verifying once.
func TestRestartKeepsPasswordsWithoutHashing(t *testing.T) {
	ctx := context.Background()
	st := sqlitetest.New(t, sqlite.Options{})
	path := filepath.Join(t.TempDir(), "dev-tenant.json")
	opts := devtenant.Options{Issuer: "http://127.0.0.1:1/", Path: path, ManagementAudience: "http://127.0.0.1:1/api/v2/",
		Hasher: password.Hasher{P: password.Fast()}, Now: time.Now}
	first, err := devtenant.Seed(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if first.Users[0].PasswordHashSHA256 == "" {
		t.Fatal("no password hash digest recorded")
	}

	full := password.NewGate(1, 1)
	release, _ := full.TryAcquire()
	gated := opts
	gated.Hasher.Gate = full
	second, err := devtenant.Seed(ctx, st, gated)
	release()
	if err != nil {
		t.Fatalf("second start needed password hashing: %v", err)
	}
	samePasswords(t, first, second)

	// An older file: no digest, so the password is verified once and the digest written.
	b, _ := json.Marshal(stripDigests(*second))
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	third, err := devtenant.Seed(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	samePasswords(t, first, third)
	if third.Users[0].PasswordHashSHA256 != first.Users[0].PasswordHashSHA256 {
		t.Error("digest not rewritten")
	}
}

func stripDigests(f devtenant.File) devtenant.File {
	users := append([]devtenant.User(nil), f.Users...)
	for i := range users {
		users[i].PasswordHashSHA256 = ""
	}
	f.Users = users
	return f
}

func samePasswords(t *testing.T, a, b *devtenant.File) {
	t.Helper()
	if len(a.Users) != len(b.Users) || len(a.Users) == 0 {
		t.Fatalf("users: %d vs %d", len(a.Users), len(b.Users))
	}
	for i := range a.Users {
		if a.Users[i].Password != b.Users[i].Password {
			t.Errorf("%s: password changed across restarts", a.Users[i].Email)
		}
	}
}
