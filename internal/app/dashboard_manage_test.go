package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/bootstrap"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/password"
)

// roomyManagementLimit lifts the Management API's per-client limit: every dashboard user acts
// through the dashboard's client, and these tests send hundreds of pages in a few seconds.
func roomyManagementLimit(c *config.Config) { c.RateLimits.ManagementPerClient = 100000 }

// roPost is a form a read-only administrator tries to submit; it is sent with their CSRF token.
type roPost struct {
	url  string
	form url.Values
}

// readOnlyAndUserRefused checks a page family's authorization: a Dashboard Read-only administrator
// sees every page but each change is refused by the Management API (403, its message on the page);
// a tenant user without a dashboard role reaches nothing.
func readOnlyAndUserRefused(t *testing.T, n *node, gets []string, posts []roPost) {
	t.Helper()
	ctx := context.Background()
	hash, _ := password.Hasher{P: password.Fast()}.Hash("Read-Only-Pw1")
	if _, err := bootstrap.CreateAdministrator(ctx, n.Store, bootstrap.Options{ManagementAudience: n.issuer + mgmt.APIPath,
		ManagementScopes: mgmt.Scopes(), Now: time.Now}, bootstrap.Administrator{Email: "viewer@example.com", PasswordHash: hash, ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	ro := browser(t)
	_, home := dashboardSignIn(t, n, ro, "viewer@example.com", "Read-Only-Pw1")
	csrf := formFields(home).Get("csrf")
	for _, u := range gets {
		if resp, page := get(t, ro, u); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Read-only") {
			t.Errorf("GET %s by a read-only administrator: %d", u, resp.StatusCode)
		}
	}
	for _, p := range posts {
		form := cloneValues(p.form)
		form.Set("csrf", csrf)
		resp, page := post(t, ro, p.url, form)
		if resp.StatusCode != http.StatusForbidden || !(strings.Contains(page, "Insufficient scope") || strings.Contains(page, "Your role may not")) {
			t.Errorf("POST %s by a read-only administrator: %d\n%s", p.url, resp.StatusCode, page)
		}
	}

	user := browser(t)
	_, home = dashboardSignIn(t, n, user, n.tenant.Users[1].Email, n.tenant.Users[1].Password)
	csrf = formFields(home).Get("csrf")
	for _, u := range gets {
		if resp, page := get(t, user, u); resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "No access to this dashboard") {
			t.Errorf("GET %s by a tenant user: %d", u, resp.StatusCode)
		}
	}
	for _, p := range posts {
		form := cloneValues(p.form)
		form.Set("csrf", csrf)
		if resp, _ := post(t, user, p.url, form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s by a tenant user: %d", p.url, resp.StatusCode)
		}
	}
}
