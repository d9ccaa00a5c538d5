package app_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/bootstrap"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/testclock"
)

// dashboardSignIn signs email in to the dashboard as a browser would (webauth's login route, the
// hosted login page, the callback) and returns the answer to GET /admin/.
func dashboardSignIn(t *testing.T, n *node, c *http.Client, email, pw string) (*http.Response, string) {
	t.Helper()
	resp, _ := get(t, c, n.issuer+"admin/")
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("/admin/ signed out: %d", resp.StatusCode)
	}
	loc, _ := resp.Location()
	resp, _ = get(t, c, loc.String())
	authorize, _ := resp.Location()
	if resp.StatusCode != http.StatusFound || authorize.Path != "/authorize" {
		t.Fatalf("dashboard login route: %d %v", resp.StatusCode, authorize)
	}
	q := authorize.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("redirect_uri") != n.issuer+"admin/auth/callback" || q.Get("response_type") != "code" {
		t.Errorf("authorize request: %v", q)
	}
	cb := signIn(t, c, authorize.String(), email, pw)
	resp, body := get(t, c, cb.String())
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("callback: %d %s", resp.StatusCode, body)
	}
	return get(t, c, n.issuer+"admin/")
}

func TestDashboardAccess(t *testing.T) {
	n := startNode(t)
	d := n.tenant.Dashboard
	if d.URL != n.issuer+"admin/" || d.Email == "" || d.Password == "" {
		t.Fatalf("dev-tenant dashboard: %+v", d)
	}

	// The issuer's root leads to the dashboard.
	resp, _ := get(t, browser(t), n.issuer)
	if loc, _ := resp.Location(); resp.StatusCode != http.StatusFound || loc.Path != "/admin/" {
		t.Errorf("GET /: %d %v", resp.StatusCode, loc)
	}

	// A Dashboard Admin signs in and sees the tenant, counted through the Management API.
	admin := browser(t)
	resp, page := dashboardSignIn(t, n, admin, d.Email, d.Password)
	if resp.StatusCode != 200 || !strings.Contains(page, "Welcome, Dana Dashboard") || !strings.Contains(page, `class="badge">Admin<`) {
		t.Fatalf("dashboard home: %d\n%s", resp.StatusCode, page)
	}
	if !strings.Contains(page, `<span class="stat-n">3</span><span class="stat-l">Users</span>`) {
		t.Errorf("home does not count the tenant's users through the API:\n%s", page)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers: CSP %q, Cache-Control %q", csp, resp.Header.Get("Cache-Control"))
	}

	// The guide's ordinary user signs in fine but is refused the dashboard.
	user := browser(t)
	resp, page = dashboardSignIn(t, n, user, n.tenant.Users[1].Email, n.tenant.Users[1].Password)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "No access to this dashboard") || strings.Contains(page, "Applications") {
		t.Errorf("a user without a dashboard role: %d\n%s", resp.StatusCode, page)
	}

	// A read-only administrator is labelled so.
	ctx := context.Background()
	hash, _ := password.Hasher{P: password.Fast()}.Hash("Read-Only-Pw1")
	if _, err := bootstrap.CreateAdministrator(ctx, n.Store, bootstrap.Options{ManagementAudience: n.issuer + mgmt.APIPath,
		ManagementScopes: mgmt.Scopes(), Now: time.Now}, bootstrap.Administrator{Email: "viewer@example.com", PasswordHash: hash, ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	ro := browser(t)
	if resp, page = dashboardSignIn(t, n, ro, "viewer@example.com", "Read-Only-Pw1"); resp.StatusCode != 200 || !strings.Contains(page, `class="badge">Read-only<`) {
		t.Errorf("read-only administrator: %d\n%s", resp.StatusCode, page)
	}

	// Signing out is a POST with the session's CSRF token; without it, or from elsewhere, nothing happens.
	_, page = get(t, admin, n.issuer+"admin/")
	token := formFields(page).Get("csrf")
	for _, tc := range []struct {
		name   string
		form   url.Values
		header map[string]string
	}{
		{"no token", url.Values{}, nil},
		{"forged token", url.Values{"csrf": {"AAAA" + token[4:]}}, nil},
		{"other origin", url.Values{"csrf": {token}}, map[string]string{"Origin": "https://evil.example"}},
		{"null origin from elsewhere", url.Values{"csrf": {token}}, map[string]string{"Origin": "null", "Sec-Fetch-Site": "cross-site"}},
		{"cross-site fetch", url.Values{"csrf": {token}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
	} {
		req, _ := http.NewRequest("POST", n.issuer+"admin/auth/logout", strings.NewReader(tc.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range tc.header {
			req.Header.Set(k, v)
		}
		resp, err := admin.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "did not come from this dashboard") {
			t.Errorf("sign-out with %s: %d", tc.name, resp.StatusCode)
		}
	}
	if resp, _ := get(t, admin, n.issuer+"admin/"); resp.StatusCode != 200 {
		t.Fatalf("a refused sign-out ended the session: %d", resp.StatusCode)
	}
	resp, err := admin.PostForm(n.issuer+"admin/auth/logout", url.Values{"csrf": {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc, _ := resp.Location(); resp.StatusCode != http.StatusFound || loc.Path != "/v2/logout" {
		t.Errorf("sign-out: %d %v", resp.StatusCode, loc)
	}
	if resp, _ := get(t, admin, n.issuer+"admin/"); resp.StatusCode != http.StatusFound {
		t.Errorf("after sign-out /admin/ answered %d", resp.StatusCode)
	}
}

// Holding Dashboard Admin gives a person nothing at /authorize: their own token for the Management
// API carries no permission of the role, and the API refuses it everything the dashboard may do.
func TestDashboardRoleGivesNoUserToken(t *testing.T) {
	n := startNode(t)
	d := n.tenant.Dashboard
	raw, claims := signInForManagementAPI(t, n, d.Email, d.Password, "openid read:clients create:clients read:users")
	scope, _ := claims["scope"].(string)
	for _, s := range []string{"read:clients", "create:clients", "read:users"} {
		if strings.Contains(" "+scope+" ", " "+s+" ") {
			t.Errorf("a user-obtained token carries %s: %q", s, scope)
		}
	}
	if _, ok := claims["act"]; ok {
		t.Errorf("a user-obtained token carries act: %v", claims)
	}
	if status, body := callMgmt(t, n, raw, "GET", "clients", nil); status != http.StatusForbidden && status != http.StatusUnauthorized {
		t.Errorf("GET /api/v2/clients with the administrator's own token: %d %s", status, body)
	}
}

// A dashboard session idle past its 30 minutes is over: pages send the browser to sign in again,
// and a form posted with it changes nothing.
func TestDashboardSessionExpires(t *testing.T) {
	clock := testclock.New(time.Now())
	n := startNodeAt(t, clock.Now)
	c := browser(t)
	_, home := dashboardSignIn(t, n, c, n.tenant.Dashboard.Email, n.tenant.Dashboard.Password)
	csrf := formFields(home).Get("csrf")
	clock.Advance(31 * time.Minute)
	if resp, _ := get(t, c, n.issuer+"admin/applications"); resp.StatusCode != http.StatusFound {
		t.Errorf("an idle session still opens pages: %d", resp.StatusCode)
	}
	resp, err := c.PostForm(n.issuer+"admin/applications/new", url.Values{"csrf": {csrf}, "name": {"Late"}, "app_type": {"spa"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc, _ := resp.Location(); resp.StatusCode != http.StatusFound || loc == nil || !strings.HasPrefix(loc.Path, "/admin/auth/login") {
		t.Errorf("a form posted with an expired session: %d %v", resp.StatusCode, loc)
	}
	if _, total, _ := n.Store.ListClients(context.Background(), store.ClientFilter{}, store.Page{}); total != 4 {
		t.Errorf("%d clients after a post with an expired session", total)
	}
}
