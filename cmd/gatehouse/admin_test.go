package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/bootstrap"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/postgres/pgtest"
)

const (
	testIssuer   = "http://localhost:4433/"
	testPassword = "Correct-Horse-9"
)

// tenantEnv is the GATEHOUSE_* environment of a production tenant on a fresh database of each
// engine: SQLite always, PostgreSQL when GATEHOUSE_TEST_POSTGRES_URL names a server.
func tenantEnvs(t *testing.T) map[string]func(t *testing.T) map[string]string {
	return map[string]func(t *testing.T) map[string]string{
		"sqlite": func(t *testing.T) map[string]string {
			return tenantEnv(filepath.Join(t.TempDir(), "gatehouse.db"))
		},
		"postgres": func(t *testing.T) map[string]string { return tenantEnv(pgtest.SchemaURL(t)) },
	}
}

func tenantEnv(database string) map[string]string {
	return map[string]string{
		config.EnvIssuer: testIssuer, config.EnvDatabase: database, config.EnvAddr: "127.0.0.1:0",
		config.EnvMasterKey: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", config.EnvLogFormat: "text",
	}
}

// run runs one command in-process with env and stdin, and returns its output and error.
func run(env map[string]string, stdin string, args ...string) (string, string, error) {
	out, errOut := &syncBuffer{}, &syncBuffer{}
	m := &Main{Stdin: strings.NewReader(stdin), Stdout: out, Stderr: errOut, Getenv: func(k string) string { return env[k] }}
	err := m.Run(context.Background(), args)
	return out.String(), errOut.String(), err
}

// openStore opens the tenant's database, migrated, for the test to look at.
func openStore(t *testing.T, env map[string]string) store.Store {
	t.Helper()
	st, _, err := app.OpenStore(context.Background(), config.Config{Database: env[config.EnvDatabase]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestAdminCreate(t *testing.T) {
	for engine, newEnv := range tenantEnvs(t) {
		t.Run(engine, func(t *testing.T) {
			env := newEnv(t)
			ctx := context.Background()

			// A database whose migrations are not current is refused and left as it was.
			_, _, err := run(env, testPassword+"\n", "admin", "create", "--email", "ops@example.com", "--password-stdin")
			if err == nil || !strings.Contains(err.Error(), "gatehouse migrate") {
				t.Fatalf("admin create on an unmigrated database: %v", err)
			}
			if _, _, err := run(env, "", "migrate"); err != nil {
				t.Fatal(err)
			}
			st := openStore(t, env)
			if ok, err := bootstrap.HasAdministrator(ctx, st); err != nil || ok {
				t.Fatalf("administrator before any was created: %v %v", ok, err)
			}

			// Bad input: each refused with a clear message, and nobody created.
			for _, tc := range []struct {
				stdin string
				args  []string
				want  string
			}{
				{"", []string{"--email", "ops@example.com", "--password-stdin"}, "held no password"},
				{"weak\n", []string{"--email", "ops@example.com", "--password-stdin"}, "too weak"},
				{testPassword + "\n", []string{"--email", "ops@example.com"}, "--password-stdin"},
				{testPassword + "\n", []string{"--email", "ops@example.com", "--password", testPassword}, "unknown flag"},
				{testPassword + "\n", []string{"--email", "not an email", "--password-stdin"}, "email"},
				{testPassword + "\n", []string{"--password-stdin"}, "--email is required"},
				{strings.Repeat("A-b1", 2000), []string{"--email", "ops@example.com", "--password-stdin"}, "too long"},
			} {
				_, _, err := run(env, tc.stdin, append([]string{"admin", "create"}, tc.args...)...)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("admin create %v: %v, want an error mentioning %q", tc.args, err, tc.want)
				}
			}
			if ok, _ := bootstrap.HasAdministrator(ctx, st); ok {
				t.Fatal("bad input created an administrator")
			}

			out, _, err := run(env, testPassword+"\r\n", "admin", "create", "--email", "ops@example.com", "--name", "Ops", "--password-stdin")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, "Created ops@example.com") || !strings.Contains(out, testIssuer+"admin/") {
				t.Errorf("output: %q", out)
			}
			u, err := st.GetUserByEmail(ctx, domain.DefaultConnection, "ops@example.com")
			if err != nil {
				t.Fatal(err)
			}
			if u.Name != "Ops" || !u.EmailVerified || u.PasswordHash == "" || strings.Contains(u.PasswordHash, testPassword) {
				t.Errorf("user: %+v", u)
			}
			assertRole(t, st, u.UserID, bootstrap.AdminRole, len(mgmt.Scopes()))
			if ok, err := bootstrap.HasAdministrator(ctx, st); err != nil || !ok {
				t.Fatalf("no administrator after admin create: %v", err)
			}

			// Again: no password needed, nothing changes, the password stays.
			out, _, err = run(env, "Other-Passw0rd\n", "admin", "create", "--email", "ops@example.com", "--password-stdin")
			if err != nil || !strings.Contains(out, "already exists") || !strings.Contains(out, "password was not changed") {
				t.Fatalf("second admin create: %v %q", err, out)
			}
			again, _ := st.GetUserByEmail(ctx, domain.DefaultConnection, "ops@example.com")
			if again.PasswordHash != u.PasswordHash || again.UserID != u.UserID {
				t.Error("a second admin create changed the user")
			}

			// A read-only administrator gets the read-only role, with read permissions only.
			if _, _, err := run(env, testPassword+"\n", "admin", "create", "--email", "auditor@example.com", "--read-only", "--password-stdin"); err != nil {
				t.Fatal(err)
			}
			ro, _ := st.GetUserByEmail(ctx, domain.DefaultConnection, "auditor@example.com")
			assertRole(t, st, ro.UserID, bootstrap.ReadOnlyRole, len(bootstrap.ReadOnlyScopes(mgmt.Scopes())))
		})
	}
}

// assertRole checks the user holds exactly the named role, carrying n Management API permissions.
func assertRole(t *testing.T, st store.Store, userID, role string, n int) {
	t.Helper()
	ctx := context.Background()
	roles, _, err := st.ListUserRoles(ctx, userID, store.Page{})
	if err != nil || len(roles) != 1 || roles[0].Name != role {
		t.Fatalf("roles of %s: %v %v, want %s", userID, roles, err, role)
	}
	perms, total, err := st.ListRolePermissions(ctx, roles[0].ID, store.Page{PerPage: 100})
	if err != nil || total != n {
		t.Fatalf("%s has %d permissions (%v), want %d", role, total, err, n)
	}
	for _, p := range perms {
		if p.ResourceServerIdentifier != testIssuer+mgmt.APIPath {
			t.Errorf("%s holds %v, not on the Management API", role, p)
		}
		if role == bootstrap.ReadOnlyRole && !strings.HasPrefix(p.PermissionName, "read:") {
			t.Errorf("%s holds %s", role, p.PermissionName)
		}
	}
}

func TestClientsCreateManagementAndServeHint(t *testing.T) {
	for engine, newEnv := range tenantEnvs(t) {
		t.Run(engine, func(t *testing.T) {
			env := newEnv(t)
			if _, _, err := run(env, "", "clients", "create", "--management"); err == nil || !strings.Contains(err.Error(), "gatehouse migrate") {
				t.Fatalf("clients create on an unmigrated database: %v", err)
			}
			if _, _, err := run(env, "", "migrate"); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"clients", "create"}, {"clients", "create", "--management", "--scopes", "read:users bogus:scope"},
				{"clients", "create", "--management", "--name", "  "}} {
				if out, _, err := run(env, "", args...); err == nil {
					t.Errorf("%v accepted: %q", args, out)
				}
			}

			out, _, err := run(env, "", "clients", "create", "--management", "--name", "terraform")
			if err != nil {
				t.Fatal(err)
			}
			id := field(t, out, "client_id")
			secret := field(t, out, "client_secret")
			if field(t, out, "audience") != testIssuer+mgmt.APIPath {
				t.Errorf("output: %q", out)
			}
			st := openStore(t, env)
			cl, err := st.GetClient(context.Background(), id)
			if err != nil || cl.AppType != domain.AppTypeNonInteractive || strings.Contains(string(cl.SecretHash), secret) {
				t.Fatalf("stored client: %+v %v", cl, err)
			}
			// Twice: refused, nothing added.
			if _, _, err := run(env, "", "clients", "create", "--management", "--name", "terraform"); err == nil || !strings.Contains(err.Error(), "already exists") {
				t.Errorf("a second client of the same name: %v", err)
			}
			if _, total, _ := st.ListClients(context.Background(), store.ClientFilter{}, store.Page{}); total != 1 {
				t.Errorf("%d clients after a refused duplicate", total)
			}

			// serve on this tenant names the command that creates the first administrator, once.
			node := startMain(t, func(k string) string { return env[k] }, "serve")
			defer node.stop()
			hint := "gatehouse admin create --email you@example.com --password-stdin"
			if n := strings.Count(node.stderr.String(), hint); n != 1 {
				t.Errorf("serve printed the admin hint %d times:\n%s", n, node.stderr.String())
			}

			// The printed credentials work: a token for the Management API that lists clients.
			base := "http://" + node.addr + "/"
			form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret},
				"audience": {testIssuer + mgmt.APIPath}}
			resp, err := http.PostForm(base+"oauth/token", form)
			if err != nil {
				t.Fatal(err)
			}
			var tok struct {
				AccessToken string `json:"access_token"`
				Scope       string `json:"scope"`
			}
			json.NewDecoder(resp.Body).Decode(&tok)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(tok.Scope, "create:users") {
				t.Fatalf("token: %d %+v", resp.StatusCode, tok)
			}
			req, _ := http.NewRequest("GET", base+"api/v2/clients?fields=client_id", nil)
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			c := &http.Client{Timeout: 10 * time.Second}
			resp, err = c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), id) {
				t.Errorf("GET /api/v2/clients with the new client: %d %s", resp.StatusCode, body)
			}
		})
	}
}

// With an administrator, serve says nothing about creating one.
func TestServeQuietWithAnAdministrator(t *testing.T) {
	env := tenantEnv(filepath.Join(t.TempDir(), "gatehouse.db"))
	if _, _, err := run(env, "", "migrate"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(env, testPassword+"\n", "admin", "create", "--email", "ops@example.com", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	node := startMain(t, func(k string) string { return env[k] }, "serve")
	node.stop()
	if strings.Contains(node.stderr.String(), "admin create") {
		t.Errorf("serve asked for an administrator the tenant has:\n%s", node.stderr.String())
	}
}

func TestAdminHintQuotes(t *testing.T) {
	got := adminHint(configFlags{file: "/etc/gate house/g.yaml"})
	if got != "gatehouse admin create --config '/etc/gate house/g.yaml' --email you@example.com --password-stdin" {
		t.Errorf("hint: %s", got)
	}
}

// field returns the value printed after "name:" in out.
func field(t *testing.T, out, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + name + `:\s+(\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %s in %q", name, out)
	}
	return m[1]
}

// --data points the commands at a `gatehouse dev` data folder: its database, master key and issuer.
func TestAdminCreateOnDevData(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".gatehouse")
	startDev(t, dir).stop()
	out, _, err := run(map[string]string{}, testPassword+"\n", "admin", "create", "--data", dir, "--email", "second@example.com", "--password-stdin")
	if err != nil || !strings.Contains(out, "Created second@example.com") || !strings.Contains(out, "https://localhost:") {
		t.Fatalf("admin create --data: %v %q", err, out)
	}
	out, _, err = run(map[string]string{}, "", "clients", "create", "--management", "--data", dir)
	if err != nil || field(t, out, "client_id") == "" {
		t.Fatalf("clients create --data: %v %q", err, out)
	}
}
