package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/app"
)

// Authentication › Social & Enterprise through the pages: a github connection created (its URLs
// on loopback), listed, its settings saved with the secret left empty (kept) and an option the
// page does not show kept, the web app enabled on its Applications tab, after which the login page
// offers "Continue with …"; the API's message for a bad form; nothing for a read-only
// administrator or a tenant user.
func TestDashboardProviders(t *testing.T) {
	n := startNode(t, func(o *app.Options) { o.AllowPrivateDestinations = true })
	ctx := context.Background()
	admin, csrf := dashboardAdmin(t, n)
	list := n.issuer + "admin/providers"
	if _, page := get(t, admin, list); !strings.Contains(page, "No connections to other identity providers yet") {
		t.Fatalf("empty list:\n%s", page)
	}
	form := url.Values{"csrf": {csrf}, "name": {"gh"}, "strategy": {"github"}, "display_name": {"GitHub Enterprise"},
		"client_id": {"gh-id"}, "client_secret": {"gh-secret"}, "authorizationURL": {"http://127.0.0.1:9/login/oauth/authorize"},
		"tokenURL": {"http://127.0.0.1:9/login/oauth/access_token"}, "profileURL": {"http://127.0.0.1:9/user"}}
	bad := cloneValues(form)
	bad.Set("name", "no spaces allowed")
	if resp, page := post(t, admin, list+"/new", bad); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "name") ||
		strings.Contains(page, "gh-secret") {
		t.Errorf("bad name: %d\n%s", resp.StatusCode, page)
	}
	resp, page := post(t, admin, list+"/new", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", resp.StatusCode, page)
	}
	conn, err := n.Store.GetConnectionByName(ctx, "gh")
	if err != nil || conn.Strategy != "github" || conn.Options.TokenURL != "http://127.0.0.1:9/login/oauth/access_token" || len(conn.SecretSealed) == 0 {
		t.Fatalf("created: %+v %v", conn, err)
	}
	sealed := conn.SecretSealed
	conn.Options.IconURL = "https://icons.example/gh.png" // not on the page: a save keeps it
	if err := n.Store.UpdateConnection(ctx, conn); err != nil {
		t.Fatal(err)
	}
	base := list + "/" + conn.ID
	if _, page := get(t, admin, list); !strings.Contains(page, `href="/admin/providers/`+conn.ID+`"`) || !strings.Contains(page, "GitHub Enterprise") {
		t.Errorf("list:\n%s", page)
	}
	if _, page := get(t, admin, base); strings.Contains(page, "gh-secret") || !strings.Contains(page, `value="gh-id"`) {
		t.Errorf("settings page shows the secret or not the client id:\n%s", page)
	}
	edit := url.Values{"csrf": {csrf}, "display_name": {"Octo SSO"}, "client_id": {"gh-id-2"}, "client_secret": {""},
		"authorizationURL": {"http://127.0.0.1:9/login/oauth/authorize"}, "tokenURL": {"http://127.0.0.1:9/login/oauth/access_token"},
		"profileURL": {"http://127.0.0.1:9/user"}, "scope": {"read:user"}}
	if resp, page := post(t, admin, base, edit); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", resp.StatusCode, page)
	}
	c, _ := n.Store.GetConnection(ctx, conn.ID)
	if c.DisplayName != "Octo SSO" || c.Options.ClientID != "gh-id-2" || c.Options.Scope != "read:user" ||
		c.Options.IconURL != "https://icons.example/gh.png" || string(c.SecretSealed) != string(sealed) {
		t.Errorf("saved: %+v", c)
	}

	// Enable the guide's web app: its login page then offers the button.
	apps := base + "/applications"
	if resp, page := post(t, admin, apps, url.Values{"csrf": {csrf}, "client": {n.tenant.WebApp.ClientID}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("enable: %d\n%s", resp.StatusCode, page)
	}
	if _, page := get(t, admin, apps); !strings.Contains(page, `value="`+n.tenant.WebApp.ClientID+`" checked`) {
		t.Errorf("applications tab:\n%s", page)
	}
	appl := newBrokerApp(t, n)
	b := browser(t)
	resp, _ = get(t, b, appl.cfg.AuthCodeURL("s"))
	loc, _ := resp.Location()
	if _, page := get(t, b, loc.String()); !strings.Contains(page, "Continue with Octo SSO") {
		t.Errorf("login page without the button")
	}

	readOnlyAndUserRefused(t, n, []string{list, base, apps, list + "/new"},
		[]roPost{{base, url.Values{"display_name": {"x"}}}, {apps, url.Values{"client": {}}}, {list + "/new", cloneValues(form)}})
	if c, _ := n.Store.GetConnection(ctx, conn.ID); c.DisplayName != "Octo SSO" || len(c.EnabledClients) != 1 {
		t.Errorf("a read-only administrator changed the connection: %+v", c)
	}
}
