package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/devtenant"
	"github.com/gatehouse/gatehouse/internal/domain"
)

// devEnvBlock is the .env.local block `gatehouse dev` printed, as a user pastes it.
func devEnvBlock(t *testing.T, stdout string) string {
	t.Helper()
	_, rest, ok := strings.Cut(stdout, "# .env.local")
	if !ok {
		t.Fatalf("no .env.local block in %q", stdout)
	}
	block, _, _ := strings.Cut(rest, "\n\n")
	return "# .env.local" + block + "\n"
}

// failedIDs runs doctor --json with args and returns the ids of the failing items.
func failedIDs(t *testing.T, args ...string) []string {
	t.Helper()
	out, _, err := run(map[string]string{}, "", append([]string{"doctor", "--json"}, args...)...)
	var rep doctorReport
	if jerr := json.Unmarshal([]byte(out), &rep); jerr != nil {
		t.Fatalf("doctor --json printed %q (%v, %v)", out, err, jerr)
	}
	var ids []string
	for _, it := range rep.Items {
		if it.Status == "fail" {
			ids = append(ids, it.ID)
			if len(it.Findings) == 0 || it.Fix == "" || it.Why == "" {
				t.Errorf("%s fails without a finding, a why and a fix: %+v", it.ID, it)
			}
		}
	}
	if (len(ids) > 0) != errors.Is(err, errChecksFailed) {
		t.Errorf("exit error %v with failures %v", err, ids)
	}
	if rep.Failed != len(ids) {
		t.Errorf("report counts %d failures, items %d", rep.Failed, len(ids))
	}
	sort.Strings(ids)
	return ids
}

// The dev tenant and the .env.local it prints pass every check; each deliberate break of the
// tenant or of the app's settings fails its own item and nothing else.
func TestDoctor(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".gatehouse")
	r := startDev(t, dir)
	r.stop()
	envFile := filepath.Join(t.TempDir(), ".env.local")
	goodEnv := devEnvBlock(t, r.stdout.String())
	if err := os.WriteFile(envFile, []byte(goodEnv), 0o600); err != nil {
		t.Fatal(err)
	}

	out, _, err := run(map[string]string{}, "", "doctor", "--data", dir, "--env-file", envFile)
	if err != nil || !strings.Contains(out, " 0 failed") || strings.Contains(out, "FAIL") {
		t.Fatalf("doctor on the dev tenant: %v\n%s", err, out)
	}
	for _, want := range []string{"PASS  Exact callback URLs (tenant)", "PASS  AUTH0_SECRET is secure (app)", "PASS  Token validation enabled (app)", "PASS  Roles in tokens (tenant)"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if ids := failedIDs(t, "--data", dir, "--env-file", envFile); len(ids) != 0 {
		t.Fatalf("dev tenant fails %v", ids)
	}

	st := openStore(t, map[string]string{config.EnvDatabase: filepath.Join(dir, "gatehouse.db")})
	ctx := context.Background()
	var dev devtenant.File
	raw, err := os.ReadFile(filepath.Join(dir, devTenantFile))
	if err != nil || json.Unmarshal(raw, &dev) != nil {
		t.Fatalf("dev-tenant.json: %v", err)
	}
	editClient := func(id string, edit func(c *domain.Client)) func(t *testing.T) func() {
		return func(t *testing.T) func() {
			c, err := st.GetClient(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			before := *c
			edit(c)
			if err := st.UpdateClient(ctx, c); err != nil {
				t.Fatal(err)
			}
			return func() {
				if err := st.UpdateClient(ctx, &before); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	editAPI := func(edit func(rs *domain.ResourceServer)) func(t *testing.T) func() {
		return func(t *testing.T) func() {
			rs, err := st.GetResourceServerByIdentifier(ctx, dev.API.Identifier)
			if err != nil {
				t.Fatal(err)
			}
			before := *rs
			edit(rs)
			if err := st.UpdateResourceServer(ctx, rs); err != nil {
				t.Fatal(err)
			}
			return func() {
				if err := st.UpdateResourceServer(ctx, &before); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	web := dev.WebApp.ClientID
	tenantBreaks := []struct {
		name  string
		brk   func(t *testing.T) func()
		fails []string
	}{
		{"wildcard callback", editClient(web, func(c *domain.Client) { c.Callbacks = append(c.Callbacks, "https://*.example.com/api/auth/callback") }), []string{"app-callback", "exact-callback-urls"}},
		{"implicit grant", editClient(web, func(c *domain.Client) { c.GrantTypes = append(c.GrantTypes, "implicit") }), []string{"implicit-off"}},
		{"no authorization code", editClient(web, func(c *domain.Client) { c.GrantTypes = []string{"refresh_token"} }), []string{"pkce"}},
		{"rotation off", editClient(web, func(c *domain.Client) { c.RefreshToken.RotationType = "non-rotating" }), []string{"refresh-rotation"}},
		{"60-day refresh tokens", editClient(web, func(c *domain.Client) { c.RefreshToken.TokenLifetime = 60 * 86400 }), []string{"refresh-rotation"}},
		{"a secret in an SPA", editClient(dev.M2MApp.ClientID, func(c *domain.Client) { c.AppType = "spa" }), []string{"front-end-secrets"}},
		{"no logout URLs", editClient(web, func(c *domain.Client) { c.AllowedLogoutURLs = nil }), []string{"app-logout", "logout-urls"}},
		{"plain http off loopback", editClient(web, func(c *domain.Client) { c.Callbacks = append(c.Callbacks, "http://app.example.com/api/auth/callback") }), []string{"https"}},
		{"callback missing", editClient(web, func(c *domain.Client) { c.Callbacks = []string{"https://app.example.com/api/auth/callback"} }), []string{"app-callback"}},
		{"RBAC off", editAPI(func(rs *domain.ResourceServer) { rs.EnforcePolicies = false }), []string{"rbac"}},
		{"HS256 API", editAPI(func(rs *domain.ResourceServer) { rs.SigningAlg = "HS256" }), []string{"app-token-validation"}},
		{"no Login action", func(t *testing.T) func() {
			before, err := st.ListTriggerBindings(ctx, domain.TriggerPostLogin)
			if err != nil || len(before) == 0 {
				t.Fatalf("bindings: %v %v", before, err)
			}
			if err := st.SetTriggerBindings(ctx, domain.TriggerPostLogin, nil); err != nil {
				t.Fatal(err)
			}
			return func() {
				if err := st.SetTriggerBindings(ctx, domain.TriggerPostLogin, before); err != nil {
					t.Fatal(err)
				}
			}
		}, []string{"roles-in-tokens"}},
	}
	for _, b := range tenantBreaks {
		t.Run(b.name, func(t *testing.T) {
			restore := b.brk(t)
			defer restore()
			if got := failedIDs(t, "--data", dir, "--env-file", envFile); strings.Join(got, ",") != strings.Join(b.fails, ",") {
				t.Errorf("fails %v, want %v", got, b.fails)
			}
		})
	}

	envBreaks := []struct {
		name, from, to string
		fails          []string
	}{
		{"placeholder secret", "AUTH0_SECRET='", "AUTH0_SECRET='use-openssl-rand-base64-32-to-generate", []string{"app-secret"}},
		{"short secret", "AUTH0_SECRET='", "AUTH0_SECRET='tooshort'\n#", []string{"app-secret"}},
		{"patterned secret", "AUTH0_SECRET='", "AUTH0_SECRET='abababababababababababababababababababab'\n#", []string{"app-secret"}},
		{"unknown application", "AUTH0_CLIENT_ID='", "AUTH0_CLIENT_ID='unknown", []string{"app-client"}},
		{"unregistered audience", "AUTH0_AUDIENCE='", "AUTH0_AUDIENCE='https://other.example.com", []string{"app-audience"}},
		{"another issuer", "AUTH0_ISSUER_BASE_URL='", "AUTH0_ISSUER_BASE_URL='https://localhost:1'\n#", []string{"app-token-validation"}},
	}
	for _, b := range envBreaks {
		t.Run(b.name, func(t *testing.T) {
			broken := filepath.Join(t.TempDir(), ".env.local")
			if !strings.Contains(goodEnv, b.from) {
				t.Fatalf("%q not in the env block", b.from)
			}
			if err := os.WriteFile(broken, []byte(strings.Replace(goodEnv, b.from, b.to, 1)), 0o600); err != nil {
				t.Fatal(err)
			}
			if got := failedIDs(t, "--data", dir, "--env-file", broken); strings.Join(got, ",") != strings.Join(b.fails, ",") {
				t.Errorf("fails %v, want %v", got, b.fails)
			}
		})
	}
}

// The same checks against a running tenant through its Management API, as a CI job would run
// them against a remote Gatehouse (or Auth0) tenant.
func TestDoctorRemote(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".gatehouse")
	r := startDev(t, dir)
	defer r.stop()
	var dev devtenant.File
	raw, err := os.ReadFile(filepath.Join(dir, devTenantFile))
	if err != nil || json.Unmarshal(raw, &dev) != nil {
		t.Fatalf("dev-tenant.json: %v", err)
	}
	envFile := filepath.Join(t.TempDir(), ".env.local")
	if err := os.WriteFile(envFile, []byte(devEnvBlock(t, r.stdout.String())), 0o600); err != nil {
		t.Fatal(err)
	}
	remote := []string{"--domain", dev.Issuer, "--cacert", dev.CACert, "--client-id", dev.ManagementAPI.ClientID, "--client-secret", dev.ManagementAPI.ClientSecret}
	out, _, err := run(map[string]string{}, "", append([]string{"doctor", "--env-file", envFile}, remote...)...)
	if err != nil || !strings.Contains(out, " 0 failed") || !strings.Contains(out, "PASS  Token validation enabled (app)") {
		t.Fatalf("remote doctor: %v\n%s", err, out)
	}
	// A wrong secret is a clear refusal, not a report.
	bad := append([]string{"doctor"}, remote...)
	bad[len(bad)-1] = "wrong"
	if _, _, err := run(map[string]string{}, "", bad...); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("wrong secret: %v", err)
	}
	// Without the dev CA the TLS handshake fails and says so.
	if _, _, err := run(map[string]string{}, "", "doctor", "--domain", dev.Issuer, "--client-id", "x", "--client-secret", "y"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted CA: %v", err)
	}
}

// verify refuses what it cannot run before touching the app: a URL that is not http(s), no user,
// a browser that is not there. (The checks themselves: e2e/TestVerifyCommandAgainstTheSeedApp.)
func TestVerifyRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--app", "ftp://example.com", "--user", "u", "--password", "p", "--browser", "none"}, "not an http(s) URL"},
		{[]string{"--app", "http://localhost:1", "--browser", "none"}, "--user and --password"},
		{[]string{"--app", "http://localhost:1", "--user", "u", "--password", "p", "--browser", "/nonexistent/chrome"}, "not found"},
	} {
		_, _, err := run(map[string]string{}, "", append([]string{"verify"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("verify %v: %v, want %q", tc.args, err, tc.want)
		}
	}
}
