package devtenant_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/devtenant"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/passwordpolicy"
	"github.com/gatehouse/gatehouse/internal/store"
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

// TestSeedConnection: the dev tenant's users sign in through Username-Password-Authentication, a
// connection object with the policy the dev tenant always had, enabled for every seeded application;
// a database without it (removed by hand) gets it back at the next start.
func TestSeedConnection(t *testing.T) {
	ctx := context.Background()
	st := sqlitetest.New(t, sqlite.Options{})
	opts := devtenant.Options{Issuer: "http://127.0.0.1:1/", Path: filepath.Join(t.TempDir(), "dev-tenant.json"),
		ManagementAudience: "http://127.0.0.1:1/api/v2/", Hasher: password.Hasher{P: password.Fast()}, Now: time.Now}
	f, err := devtenant.Seed(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.GetConnectionByName(ctx, domain.DefaultConnection)
	if err != nil {
		t.Fatal(err)
	}
	if c.Options.PasswordPolicy != "good" || !c.Options.BruteForceProtection || c.Options.DisableSignup {
		t.Errorf("options %+v", c.Options)
	}
	for _, id := range []string{f.WebApp.ClientID, f.M2MApp.ClientID, f.ManagementAPI.ClientID} {
		if !c.EnabledFor(id) {
			t.Errorf("client %s not enabled", id)
		}
	}
	for _, u := range f.Users {
		if v := passwordpolicy.New(c.Options).Check(u.Password, nil); v != nil {
			t.Errorf("seeded password of %s breaks the seeded policy: %v", u.Email, v)
		}
	}

	// Gone (the store refuses to delete it through the API; a hand-edited database may lack it).
	if _, err := st.DB().ExecContext(ctx, "DELETE FROM connections"); err != nil {
		t.Fatal(err)
	}
	if _, err := devtenant.Seed(ctx, st, opts); err != nil {
		t.Fatal(err)
	}
	c, err = st.GetConnectionByName(ctx, domain.DefaultConnection)
	if err != nil || !c.EnabledFor(f.WebApp.ClientID) || c.Options.PasswordPolicy != "good" {
		t.Fatalf("after a restart without it: %+v %v", c, err)
	}
}

// TestSeedUserSync: the user-sync Action is seeded deployed and unbound; the flag binds it after
// the guide's Action; its secret survives restarts and is what dev-tenant.json reports.
func TestSeedUserSync(t *testing.T) {
	ctx := context.Background()
	st := sqlitetest.New(t, sqlite.Options{})
	opts := devtenant.Options{Issuer: "http://127.0.0.1:1/", Path: filepath.Join(t.TempDir(), "dev-tenant.json"),
		ManagementAudience: "http://127.0.0.1:1/api/v2/", Hasher: password.Hasher{P: password.Fast()}, Now: time.Now}
	f, err := devtenant.Seed(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if f.UserSync.Enabled || f.UserSync.URL != devtenant.SyncURL || len(f.UserSync.Secret) < 40 || f.UserSync.Action != devtenant.SyncActionName {
		t.Fatalf("user_sync %+v", f.UserSync)
	}
	names := func() []string {
		bs, err := st.ListTriggerBindings(ctx, domain.TriggerPostLogin)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, b := range bs {
			out = append(out, b.DisplayName)
		}
		return out
	}
	if got := names(); len(got) != 1 || got[0] != devtenant.ActionName {
		t.Fatalf("bindings without the flag: %v", got)
	}
	opts.UserSync = true
	g, err := devtenant.Seed(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !g.UserSync.Enabled || g.UserSync.Secret != f.UserSync.Secret {
		t.Fatalf("with the flag: %+v (before %+v)", g.UserSync, f.UserSync)
	}
	if got := names(); len(got) != 2 || got[1] != devtenant.SyncActionName {
		t.Fatalf("bindings with the flag: %v", got)
	}
	if _, err := devtenant.Seed(ctx, st, opts); err != nil {
		t.Fatal(err)
	}
	if got := names(); len(got) != 2 {
		t.Fatalf("a second start bound it again: %v", got)
	}
	list, _, err := st.ListActions(ctx, store.ActionFilter{ActionName: devtenant.SyncActionName}, store.Page{PerPage: 10})
	if err != nil || len(list) != 1 {
		t.Fatalf("actions %v %v", list, err)
	}
	v, err := st.GetActionVersion(ctx, list[0].ID, list[0].DeployedVersionID)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{}
	for _, s := range v.Secrets {
		secrets[s.Name] = s.Value
	}
	if secrets["SYNC_URL"] != devtenant.SyncURL || secrets["SYNC_SECRET"] != f.UserSync.Secret {
		t.Fatalf("deployed secrets %v", secrets)
	}
}
