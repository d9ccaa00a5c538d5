package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The guide's step 8, first half, through the APIs pages: create the API, its four permissions,
// its RBAC settings, and a machine-to-machine grant; bad input changes nothing.
func TestDashboardAPIs(t *testing.T) {
	n := startNode(t, roomyManagementLimit)
	ctx := context.Background()
	admin := browser(t)
	_, home := dashboardSignIn(t, n, admin, n.tenant.Dashboard.Email, n.tenant.Dashboard.Password)
	csrf := formFields(home).Get("csrf")
	base := n.issuer + "admin/apis"

	// The list holds the seeded API and the Management API; a search narrows it.
	if _, page := get(t, admin, base); !strings.Contains(page, "https://api.yourapp.com") || !strings.Contains(page, "Auth0 Management API") || !strings.Contains(page, "1–2 of 2") {
		t.Fatalf("API list:\n%s", page)
	}
	if _, page := get(t, admin, base+"?q=yourapp"); strings.Contains(page, "Auth0 Management API") || !strings.Contains(page, "1–1 of 1") {
		t.Errorf("search did not narrow the list:\n%s", page)
	}

	// Refused: no CSRF token, a post from another origin, an algorithm the API does not allow,
	// markup in the name (shown inert).
	if resp, _ := post(t, admin, base+"/new", url.Values{"name": {"Forged"}, "identifier": {"https://forged.example"}, "signing_alg": {"RS256"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("create without CSRF: %d", resp.StatusCode)
	}
	if resp, page := post(t, admin, base+"/new", url.Values{"csrf": {"AAAA" + csrf[4:]}, "name": {"Forged"}, "identifier": {"https://forged.example"}, "signing_alg": {"RS256"}}); resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "did not come from this dashboard") {
		t.Errorf("create with a forged CSRF token: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("POST", base+"/new", strings.NewReader(url.Values{"csrf": {csrf}, "name": {"Elsewhere"}, "identifier": {"https://elsewhere.example"}, "signing_alg": {"RS256"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if resp, err := admin.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("create from another origin: %v %v", resp, err)
	}
	if resp, page := post(t, admin, base+"/new", url.Values{"csrf": {csrf}, "name": {"HS"}, "identifier": {"https://hs.example"}, "signing_alg": {"HS512"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "&#34;HS512&#34; is not supported") {
		t.Errorf("HS512: %d\n%s", resp.StatusCode, page)
	}
	resp, page := post(t, admin, base+"/new", url.Values{"csrf": {csrf}, "name": {`<img src=x onerror=alert(1)>`}, "identifier": {"https://markup.example"}, "signing_alg": {"RS256"}})
	if resp.StatusCode != http.StatusBadRequest || strings.Contains(page, "<img src=x") || !strings.Contains(page, `value="&lt;img src=x onerror=alert(1)&gt;"`) {
		t.Errorf("markup in a name: %d\n%s", resp.StatusCode, page)
	}
	if _, total, _ := n.Store.ListResourceServers(ctx, store.Page{}); total != 2 {
		t.Fatalf("refused forms created APIs: %d", total)
	}

	// Create the guide's API (under another identifier: the dev tenant already has the guide's).
	resp, _ = post(t, admin, base+"/new", url.Values{"csrf": {csrf}, "name": {"Your App API"}, "identifier": {"https://api.guide.example"}, "signing_alg": {"ES256"}})
	loc, _ := resp.Location()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(loc.Path, "/permissions") {
		t.Fatalf("create: %d %v", resp.StatusCode, loc)
	}
	rs, err := n.Store.GetResourceServerByIdentifier(ctx, "https://api.guide.example")
	if err != nil || rs.SigningAlg != "ES256" || rs.Name != "Your App API" {
		t.Fatalf("created API: %+v %v", rs, err)
	}
	api := base + "/" + rs.ID
	dana, _ := n.Store.GetUserByEmail(ctx, domain.DefaultConnection, n.tenant.Dashboard.Email)
	if ev := waitForLog(t, n, dana.UserID, "POST"); !strings.Contains(ev.Description, "resource server") {
		t.Errorf("the API's creation is not logged as the administrator's: %+v", ev)
	}
	if resp, _ := post(t, admin, base+"/new", url.Values{"csrf": {csrf}, "name": {"Again"}, "identifier": {"https://api.guide.example"}, "signing_alg": {"RS256"}}); resp.StatusCode != http.StatusConflict {
		t.Errorf("duplicate identifier: %d", resp.StatusCode)
	}

	// Its four permissions; a name with a space and a duplicate are refused with the API's words.
	for _, p := range [][2]string{{"read:own_data", "Read own data"}, {"write:own_data", "Write own data"}, {"admin:read", "Read all data"}, {"admin:write", "Modify all data"}} {
		if resp, _ := post(t, admin, api+"/permissions", url.Values{"csrf": {csrf}, "value": {p[0]}, "description": {p[1]}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("add %s: %d", p[0], resp.StatusCode)
		}
	}
	if resp, page := post(t, admin, api+"/permissions", url.Values{"csrf": {csrf}, "value": {"read all"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "without white space") {
		t.Errorf("a permission with a space: %d\n%s", resp.StatusCode, page)
	}
	if resp, page := post(t, admin, api+"/permissions", url.Values{"csrf": {csrf}, "value": {"admin:read"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "listed twice") {
		t.Errorf("a duplicate permission: %d\n%s", resp.StatusCode, page)
	}
	if _, page := get(t, admin, api+"/permissions?done=perm-added"); !strings.Contains(page, "Permission added.") || !strings.Contains(page, "<code>admin:write</code>") || !strings.Contains(page, "Modify all data") {
		t.Errorf("permissions tab:\n%s", page)
	}
	if resp, _ := post(t, admin, api+"/permissions/remove", url.Values{"csrf": {csrf}, "value": {"admin:write"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("remove: %d", resp.StatusCode)
	}
	if rs, _ = n.Store.GetResourceServer(ctx, rs.ID); len(rs.Scopes) != 3 || rs.HasScope("admin:write") {
		t.Errorf("after removing admin:write: %+v", rs.Scopes)
	}

	// RBAC settings: on, with permissions in the token, and a shorter lifetime; a lifetime out of
	// range is the API's refusal.
	settings := url.Values{"csrf": {csrf}, "name": {"Your App API"}, "signing_alg": {"RS256"}, "token_lifetime": {"3600"},
		"token_lifetime_for_web": {"3600"}, "enforce_policies": {"on"}, "permissions_in_token": {"on"}, "allow_offline_access": {"on"}}
	if resp, _ := post(t, admin, api, settings); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save settings: %d", resp.StatusCode)
	}
	if rs, _ = n.Store.GetResourceServer(ctx, rs.ID); !rs.EnforcePolicies || rs.TokenDialect != "access_token_authz" || rs.TokenLifetime != 3600 || rs.SigningAlg != "RS256" || !rs.AllowOfflineAccess {
		t.Errorf("saved settings: %+v", rs)
	}
	bad := cloneValues(settings)
	bad.Set("token_lifetime", "99999999")
	if resp, page := post(t, admin, api, bad); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "must be between 1 and 2592000 seconds") || !strings.Contains(page, `value="99999999"`) {
		t.Errorf("lifetime out of range: %d\n%s", resp.StatusCode, page)
	}

	// Machine to Machine: the seeded M2M app is offered; authorize it with one permission, change it, remove it.
	m2m := n.tenant.M2MApp.ClientID
	if _, page := get(t, admin, api+"/m2m"); !strings.Contains(page, m2m) || strings.Contains(page, n.tenant.WebApp.ClientID) {
		t.Errorf("m2m tab:\n%s", page)
	}
	if resp, _ := post(t, admin, api+"/m2m", url.Values{"csrf": {csrf}, "client_id": {m2m}, "authorized": {"on"}, "scope": {"read:own_data"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("authorize: %d", resp.StatusCode)
	}
	g, err := n.Store.FindClientGrant(ctx, m2m, "https://api.guide.example")
	if err != nil || len(g.Scope) != 1 || g.Scope[0] != "read:own_data" {
		t.Fatalf("grant: %+v %v", g, err)
	}
	if resp, page := post(t, admin, api+"/m2m", url.Values{"csrf": {csrf}, "client_id": {m2m}, "authorized": {"on"}, "scope": {"read:own_data", "launch:missiles"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "launch:missiles") {
		t.Errorf("a permission the API lacks: %d\n%s", resp.StatusCode, page)
	}
	if resp, _ := post(t, admin, api+"/m2m", url.Values{"csrf": {csrf}, "client_id": {m2m}, "authorized": {"on"}, "scope": {"read:own_data", "admin:read"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("change scopes: %d", resp.StatusCode)
	}
	if g, _ = n.Store.FindClientGrant(ctx, m2m, "https://api.guide.example"); g == nil || len(g.Scope) != 2 {
		t.Errorf("grant after change: %+v", g)
	}
	if resp, _ := post(t, admin, api+"/m2m", url.Values{"csrf": {csrf}, "client_id": {n.tenant.WebApp.ClientID}, "authorized": {"on"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a web app authorized: %d", resp.StatusCode)
	}
	if resp, _ := post(t, admin, api+"/m2m", url.Values{"csrf": {csrf}, "client_id": {m2m}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("unauthorize: %d", resp.StatusCode)
	}
	if _, err := n.Store.FindClientGrant(ctx, m2m, "https://api.guide.example"); err == nil {
		t.Errorf("the grant outlived its removal")
	}

	// The Management API is shown, not changed.
	mg, _ := n.Store.GetResourceServerByIdentifier(ctx, n.issuer+"api/v2/")
	if _, page := get(t, admin, base+"/"+mg.ID); !strings.Contains(page, "its settings and permissions are fixed") || !strings.Contains(page, `id="save" disabled`) {
		t.Errorf("Management API page:\n%s", page)
	}
	if resp, page := post(t, admin, base+"/"+mg.ID, settings); resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "cannot be changed") {
		t.Errorf("changing the Management API: %d\n%s", resp.StatusCode, page)
	}

	readOnlyAndUserRefused(t, n, []string{base, api, api + "/permissions", api + "/m2m", base + "/new", api + "/delete"}, []roPost{
		{api + "/delete", url.Values{}},
		{api + "/permissions", url.Values{"value": {"ro:perm"}}},
		{api + "/permissions/remove", url.Values{"value": {"read:own_data"}}},
		{api, settings},
		{api + "/m2m", url.Values{"client_id": {m2m}, "authorized": {"on"}, "scope": {"read:own_data"}}},
		{base + "/new", url.Values{"name": {"RO"}, "identifier": {"https://ro.example"}, "signing_alg": {"RS256"}}},
	})
	if rs, _ = n.Store.GetResourceServer(ctx, rs.ID); len(rs.Scopes) != 3 || rs.Name != "Your App API" {
		t.Errorf("a read-only administrator changed the API: %+v", rs)
	}
	if _, err := n.Store.FindClientGrant(ctx, m2m, "https://api.guide.example"); err == nil {
		t.Errorf("a read-only administrator created a grant")
	}
}
