package main

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/devtenant"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/password"
)

// seededTenant is a migrated tenant seeded as `gatehouse dev` seeds one (clients, an API with
// permissions, roles, grants, the guide's Actions bound to post-login), plus an email template
// and an SMTP provider.
func seededTenant(t *testing.T) map[string]string {
	t.Helper()
	return seed(t, tenantEnv(filepath.Join(t.TempDir(), "source.db")))
}

func seed(t *testing.T, env map[string]string) map[string]string {
	t.Helper()
	if _, _, err := run(env, "", "migrate"); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, env)
	ctx := context.Background()
	if _, err := devtenant.Seed(ctx, st, devtenant.Options{Issuer: testIssuer, Path: filepath.Join(t.TempDir(), "dev-tenant.json"),
		ManagementAudience: testIssuer + mgmt.APIPath, ManagementScopes: mgmt.Scopes(), Hasher: password.Hasher{P: password.Fast()},
		Now: time.Now, UserSync: true}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutEmailTemplate(ctx, &domain.EmailTemplate{Template: domain.TemplateVerifyEmail, Syntax: "liquid", Enabled: true,
		From: "Acme <no-reply@acme.example>", Subject: "Verify {{ user.email }}", Body: "<p>Hello {{ user.name }}, <a href=\"{{ url }}\">verify</a></p>\n"}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutEmailProvider(ctx, &domain.EmailProvider{Name: "smtp", Enabled: true, DefaultFromAddress: "no-reply@acme.example",
		Credentials: domain.EmailCredentials{SMTPHost: "smtp.acme.example", SMTPPort: 587}}); err != nil {
		t.Fatal(err)
	}
	return env
}

func emptyTenant(t *testing.T) map[string]string {
	t.Helper()
	env := tenantEnv(filepath.Join(t.TempDir(), "target.db"))
	if _, _, err := run(env, "", "migrate"); err != nil {
		t.Fatal(err)
	}
	return env
}

// readTree reads every file under dir by its relative path.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, text := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func sameTree(t *testing.T, what string, a, b map[string]string) {
	t.Helper()
	for p, x := range a {
		if y, ok := b[p]; !ok {
			t.Errorf("%s: %s missing", what, p)
		} else if x != y {
			t.Errorf("%s: %s differs:\n%s\n---\n%s", what, p, x, y)
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			t.Errorf("%s: %s is extra", what, p)
		}
	}
}

// TestTenantRoundTrip: export → apply to an empty tenant → export again is byte-identical; a plan
// of the same directory then prints nothing and a second apply changes nothing.
func TestTenantRoundTrip(t *testing.T) {
	for engine, newEnv := range tenantEnvs(t) {
		t.Run(engine, func(t *testing.T) { roundTrip(t, seed(t, newEnv(t)), newEnv(t)) })
	}
}

func roundTrip(t *testing.T, src, dst map[string]string) {
	if _, _, err := run(dst, "", "migrate"); err != nil {
		t.Fatal(err)
	}
	a := filepath.Join(t.TempDir(), "a")
	if _, _, err := run(src, "", "tenant", "export", a); err != nil {
		t.Fatal(err)
	}
	first := readTree(t, a)
	for _, want := range []string{"tenant.json", "clients/Your App.json", "resource-servers/Your App API.json", "roles/admin.json",
		"grants/Your App (machine to machine)-Your App API.json", "actions/Add roles to tokens/code.js", "triggers/triggers.json", "database-connections/Username-Password-Authentication/database.json",
		"emails/provider.json", "emails/verify_email.json", "emails/verify_email.html"} {
		if _, ok := first[want]; !ok {
			t.Errorf("export lacks %s; has %v", want, fileNames(first))
		}
	}
	for p, text := range first {
		if strings.Contains(text, `"client_secret"`) || strings.Contains(text, `"signing_secret"`) || strings.Contains(text, `"smtp_pass"`) || strings.HasPrefix(p, "actions/") && strings.Contains(text, `"value"`) {
			t.Errorf("%s holds a secret field:\n%s", p, text)
		}
	}
	if out, _, err := run(src, "", "tenant", "plan", a); err != nil || out != "" {
		t.Fatalf("plan of the tenant's own export: %v\n%s", err, out)
	}

	out, _, err := run(dst, "", "tenant", "apply", a)
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if !strings.Contains(out, `+ client "Your App"`) || !strings.Contains(out, "Plan: ") {
		t.Errorf("apply's plan:\n%s", out)
	}
	b := filepath.Join(t.TempDir(), "b")
	if _, _, err := run(dst, "", "tenant", "export", b); err != nil {
		t.Fatal(err)
	}
	sameTree(t, "export after apply", first, readTree(t, b))

	if out, errOut, err := run(dst, "", "tenant", "plan", a); err != nil || out != "" {
		t.Fatalf("plan after apply: %v\n%s\n%s", err, out, errOut)
	}
	if out, errOut, err := run(dst, "", "tenant", "apply", a); err != nil || out != "" || strings.Contains(errOut, "applied") {
		t.Fatalf("second apply: %v\n%s\n%s", err, out, errOut)
	}
}

func fileNames(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// exportAs exports env's tenant in format ("dir": a directory; "yaml": a tenant.yaml in one)
// under a new temporary directory, and returns the path given to export and the files written.
func exportAs(t *testing.T, env map[string]string, format string) (string, map[string]string) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "export")
	target := root
	if format == "yaml" {
		target = filepath.Join(root, "tenant.yaml")
	}
	if _, _, err := run(env, "", "tenant", "export", target); err != nil {
		t.Fatal(err)
	}
	return target, readTree(t, root)
}

// exportTree is env's tenant exported as a directory: what a refused apply must leave as it was.
func exportTree(t *testing.T, env map[string]string) map[string]string {
	t.Helper()
	_, files := exportAs(t, env, "dir")
	return files
}
