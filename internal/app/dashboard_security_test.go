package app_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
)

var checkLine = regexp.MustCompile(`(?s)<li class="check (pass|fail|manual)">.*?<h3>([^<]+) <span`)

// checklist returns each item's status by title.
func checklist(t *testing.T, page string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range checkLine.FindAllStringSubmatch(page, -1) {
		out[strings.TrimSpace(m[2])] = m[1]
	}
	return out
}

// The guide's security checklist against the dev tenant (built as the guide says, so it passes),
// then against the same tenant broken in three ways: each failing item names the app or flow and
// links to where to fix it. Markup in an app's name stays text.
func TestDashboardSecurityChecklist(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	admin, _ := dashboardAdmin(t, n)
	u := n.issuer + "admin/security"

	resp, page := get(t, admin, u)
	got := checklist(t, page)
	if resp.StatusCode != http.StatusOK || len(got) != 13 {
		t.Fatalf("checklist: %d %v\n%s", resp.StatusCode, got, page)
	}
	for _, title := range []string{"Exact callback URLs", "Implicit grant disabled", "Refresh token rotation enabled", "API audience configured",
		"An API with RBAC", "Roles in tokens", "Secrets kept out of front-end apps", "Proper logout implemented", "Authorization Code with PKCE"} {
		if got[title] != "pass" {
			t.Errorf("%s on the guide's tenant: %s", title, got[title])
		}
	}
	if got["Token validation enabled"] != "manual" {
		t.Errorf("token validation: %s", got["Token validation enabled"])
	}

	// Break it: implicit and a non-rotating refresh token on the guide's app (renamed with markup),
	// the roles Action out of the Login flow, a SPA with a secret.
	web, err := n.Store.GetClient(ctx, n.tenant.WebApp.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	web.Name = `Web <img src=x onerror=alert(1)>`
	web.GrantTypes = append(web.GrantTypes, domain.GrantImplicit)
	web.RefreshToken.RotationType = "non-rotating"
	if err := n.Store.UpdateClient(ctx, web); err != nil {
		t.Fatal(err)
	}
	spa := &domain.Client{Name: "Leaky SPA", AppType: domain.AppTypeSPA}
	domain.ApplyClientDefaults(spa)
	spa.ClientID, spa.TokenEndpointAuthMethod = domain.NewClientID(), "client_secret_post"
	if err := n.Store.CreateClient(ctx, spa); err != nil {
		t.Fatal(err)
	}
	if err := n.Store.SetTriggerBindings(ctx, domain.TriggerPostLogin, nil); err != nil {
		t.Fatal(err)
	}

	_, page = get(t, admin, u)
	got = checklist(t, page)
	for _, title := range []string{"Implicit grant disabled", "Refresh token rotation enabled", "Roles in tokens", "Secrets kept out of front-end apps"} {
		if got[title] != "fail" {
			t.Errorf("%s after breaking it: %s", title, got[title])
		}
	}
	for _, want := range []string{
		`Web &lt;img src=x onerror=alert(1)&gt; has the Implicit grant on — <a href="/admin/applications/` + web.ClientID + `">fix it</a>`,
		"issues refresh tokens without rotation",
		`The Login flow runs no action. — <a href="/admin/flows/login">fix it</a>`,
		`Leaky SPA (Single Page Application) authenticates with a client secret`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the checklist lacks %q", want)
		}
	}
	if strings.Contains(page, "<img src=x") {
		t.Errorf("an app's name became markup")
	}

	// A read-only administrator runs it too; a tenant user does not.
	ro, _ := dashboardViewer(t, n, "viewer@example.com")
	if resp, page := get(t, ro, u); resp.StatusCode != http.StatusOK || len(checklist(t, page)) != 13 {
		t.Errorf("read-only checklist: %d", resp.StatusCode)
	}
	user := browser(t)
	dashboardSignIn(t, n, user, n.tenant.Users[1].Email, n.tenant.Users[1].Password)
	if resp, _ := get(t, user, u); resp.StatusCode != http.StatusForbidden {
		t.Errorf("checklist for a tenant user: %d", resp.StatusCode)
	}
}
