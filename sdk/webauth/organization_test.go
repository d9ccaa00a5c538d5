package webauth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/sdk/webauth"
)

// orgEnv is the test app with a login route of its own options at /org/login.
func orgEnv(t *testing.T, opts webauth.LoginOptions, mutate ...func(*webauth.Config)) *env {
	t.Helper()
	e := newEnv(t, mutate...)
	mux := http.NewServeMux()
	mux.Handle("/api/auth/", e.client.Handler())
	mux.Handle("/org/login", e.client.LoginHandler(opts))
	e.app = mux
	return e
}

// authorizeQuery is the /authorize query a login route sends the browser to.
func authorizeQuery(t *testing.T, e *env, b *browser, path string) url.Values {
	t.Helper()
	loc, err := url.Parse(b.get(e.app, path).Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc.Query()
}

// The Organization option sends organization= and the callback accepts only an ID token for
// that organization: org_id for an id, org_name (lower case) for a name, as nextjs-auth0 checks
// them; a login without one checks nothing.
func TestOrganizationLogin(t *testing.T) {
	cases := []struct {
		name   string
		config string // Config.Organization
		route  string // LoginOptions.Organization
		path   string
		claims map[string]any
		sent   string // organization= at /authorize
		fail   string // "" for a session; else in the error page
	}{
		{name: "config id", config: "org_acme1", claims: map[string]any{"org_id": "org_acme1"}, sent: "org_acme1"},
		{name: "config id mismatch", config: "org_acme1", claims: map[string]any{"org_id": "org_other"}, sent: "org_acme1",
			fail: `Organization Id (org_id) claim value mismatch in the ID token; expected &#34;org_acme1&#34;, found &#34;org_other&#34;`},
		{name: "config id missing", config: "org_acme1", sent: "org_acme1",
			fail: "Organization Id (org_id) claim must be a string present in the ID token"},
		{name: "route name over config", config: "org_acme1", route: "Acme", claims: map[string]any{"org_id": "org_x", "org_name": "acme"}, sent: "Acme"},
		{name: "route name mismatch", route: "acme", claims: map[string]any{"org_name": "globex"}, sent: "acme",
			fail: "Organization Name (org_name) claim value mismatch"},
		{name: "route name missing", route: "acme", claims: map[string]any{"org_id": "org_acme1"}, sent: "acme",
			fail: "Organization Name (org_name) claim must be a string present in the ID token"},
		{name: "passed through from an invitation link", path: "/org/login?organization=org_acme1&invitation=abc",
			claims: map[string]any{"org_id": "org_globex"}, sent: "org_acme1", fail: "claim value mismatch"},
		{name: "none asked", claims: map[string]any{"org_id": "org_any"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := orgEnv(t, webauth.LoginOptions{Organization: tc.route, PassThroughQuery: []string{"organization", "invitation"}},
				func(c *webauth.Config) { c.Organization = tc.config })
			e.issuer.set(func(f *fakeIssuer) { f.extraClaims = tc.claims })
			path := tc.path
			if path == "" {
				path = "/org/login"
			}
			b := newBrowser()
			if got := authorizeQuery(t, e, b, path).Get("organization"); got != tc.sent {
				t.Fatalf("organization=%q at /authorize; want %q", got, tc.sent)
			}
			rec := e.login(b, path)
			_, hasSession := b.cookies["appSession"]
			if tc.fail == "" {
				if rec.Code != http.StatusFound || !hasSession {
					t.Fatalf("callback %d (session %v): %s", rec.Code, hasSession, rec.Body)
				}
				return
			}
			if rec.Code != http.StatusBadRequest || hasSession {
				t.Fatalf("callback %d (session %v); want 400 without a session", rec.Code, hasSession)
			}
			if !strings.Contains(rec.Body.String(), tc.fail) {
				t.Fatalf("error page %s; want %s", rec.Body, tc.fail)
			}
		})
	}
}

// AUTH0_ORGANIZATION is read by FromEnv.
func TestOrganizationFromEnv(t *testing.T) {
	t.Setenv("AUTH0_ORGANIZATION", " org_acme1 ")
	cfg, err := webauth.FromEnv()
	if err != nil || cfg.Organization != "org_acme1" {
		t.Fatalf("Organization %q, %v", cfg.Organization, err)
	}
}
