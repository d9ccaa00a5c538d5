package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// mgmtAPI calls the Management API with the dev tenant's Management API client.
type mgmtAPI struct {
	t     *testing.T
	ctx   context.Context
	g     *gatehouse
	token string
}

func newMgmtAPI(t *testing.T, ctx context.Context, g *gatehouse) *mgmtAPI {
	t.Helper()
	cc := clientcredentials.Config{ClientID: g.Tenant.ManagementAPI.ClientID, ClientSecret: g.Tenant.ManagementAPI.ClientSecret,
		TokenURL: g.Issuer + "oauth/token", EndpointParams: url.Values{"audience": {g.Tenant.ManagementAPI.Audience}}}
	tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, g.HTTP))
	if err != nil {
		t.Fatal(err)
	}
	return &mgmtAPI{t: t, ctx: ctx, g: g, token: tok.AccessToken}
}

// do sends body as JSON and returns the decoded answer, failing the test on another status.
func (m *mgmtAPI) do(method, path string, body any, want int) map[string]any {
	m.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequestWithContext(m.ctx, method, m.g.Issuer+"api/v2/"+path, rd)
	req.Header.Set("Authorization", "Bearer "+m.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := m.g.HTTP.Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != want {
		m.t.Fatalf("%s %s: %d %v; want %d", method, path, resp.StatusCode, out, want)
	}
	return out
}

// seedRecords is the seed app's /api/protected/data answer.
type seedRecords []struct {
	OwnerID string `json:"ownerId"`
	OrgID   string `json:"orgId"`
}

// TestSeedAppOrganizations signs the guide's user in to the seed app through organizations, in a
// real browser: by the app's login link with organization= (the organization's branding on the
// login page; the dashboard names the organization; /api/protected/data holds only the member's
// records in it; the API sees org_id), by the name prompt before the login form
// (pre_login_prompt), and by the picker after it (post_login_prompt).
func TestSeedAppOrganizations(t *testing.T) {
	chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	g := MustStartGatehouse(t, ctx)
	logo := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		_, _ = w.Write([]byte(`<svg xmlns="http://www.w3.org/2000/svg" width="160" height="48"><rect width="160" height="48" rx="8" fill="#0b6e4f"/><text x="80" y="31" font-family="sans-serif" font-size="20" fill="#fff" text-anchor="middle">ACME</text></svg>`))
	}))
	t.Cleanup(logo.Close)
	m := newMgmtAPI(t, ctx, g)
	app := MustStartSeedApp(t, ctx, g)
	shots := artifactsDir(t)
	user := g.User(t, "user")

	conns := m.do("GET", "connections?name=Username-Password-Authentication&include_totals=true", nil, http.StatusOK)
	connID := conns["connections"].([]any)[0].(map[string]any)["id"].(string)
	enabled := []map[string]any{{"connection_id": connID}}
	acme := m.do("POST", "organizations", map[string]any{"name": "acme", "display_name": "Acme Inc.", "enabled_connections": enabled,
		"branding": map[string]any{"logo_url": logo.URL + "/acme.svg", "colors": map[string]any{"primary": "#0b6e4f", "page_background": "#e8f3ee"}}},
		http.StatusCreated)["id"].(string)
	globex := m.do("POST", "organizations", map[string]any{"name": "globex", "display_name": "Globex Corporation", "enabled_connections": enabled},
		http.StatusCreated)["id"].(string)
	sub := func() string {
		u, err := g.App.Store.GetUserByEmail(ctx, "Username-Password-Authentication", user.Email)
		if err != nil {
			t.Fatal(err)
		}
		return u.UserID
	}()
	m.do("POST", "organizations/"+acme+"/members", map[string]any{"members": []string{sub}}, http.StatusNoContent)
	m.do("PATCH", "clients/"+g.Tenant.WebApp.ClientID, map[string]any{"organization_usage": "allow"}, http.StatusOK)

	// 1. The app's login link names the organization.
	b := MustStartBrowser(t, ctx)
	b.navigate(app.Web + "/api/auth/login?organization=" + acme + "&returnTo=%2Fdashboard")
	mustBeOnLoginPage(t, b, g)
	if got := b.text(".lead"); !strings.Contains(got, "Acme Inc.") {
		t.Errorf("login page lead %q; want the organization's name", got)
	}
	b.waitFor("the organization's logo", `(() => { const i = document.querySelector("img.logo-img"); return !!i && i.src.endsWith("/acme.svg") && i.complete && i.naturalWidth > 0 })()`)
	b.waitFor("the organization's colour", `getComputedStyle(document.body).getPropertyValue("--primary").trim() === "#0b6e4f"`)
	b.screenshot(shots, "login-organization")
	signIn(t, b, user.Email, user.Password)
	b.waitFor("the dashboard", `location.pathname === "/dashboard" && !!document.querySelector("#organization")`)
	if got := b.text("#organization"); got != acme {
		t.Errorf("dashboard organization %q; want %s", got, acme)
	}
	b.screenshot(shots, "seedapp-dashboard-organization")
	r := b.fetchJSON("/api/protected/data")
	var recs seedRecords
	if r.Status != 200 || json.Unmarshal(r.Body, &recs) != nil || len(recs) == 0 {
		t.Fatalf("/api/protected/data: %d %s", r.Status, r.Body)
	}
	for _, rec := range recs {
		if rec.OwnerID != sub || rec.OrgID != acme {
			t.Errorf("/api/protected/data in acme returned %+v", rec)
		}
	}
	var called struct {
		API struct {
			OrgID string `json:"orgId"`
		} `json:"api"`
	}
	if r := b.fetchJSON("/api/data"); r.Status != 200 || json.Unmarshal(r.Body, &called) != nil || called.API.OrgID != acme {
		t.Errorf("/api/data: %d %s; want the API to see org_id %s", r.Status, r.Body, acme)
	}

	// 2. The app requires organizations and asks for the name before the login form.
	m.do("PATCH", "clients/"+g.Tenant.WebApp.ClientID, map[string]any{"organization_usage": "require",
		"organization_require_behavior": "pre_login_prompt"}, http.StatusOK)
	b = MustStartBrowser(t, ctx)
	b.navigate(app.Web + "/dashboard")
	b.step("wait for the organization prompt", chromedp.WaitVisible(chromedp.CSS(`input[name="organization_name"]`)))
	if loc := b.location(); !strings.HasPrefix(loc, g.Origin+"/u/organization-selection") {
		t.Fatalf("prompt at %s", loc)
	}
	b.screenshot(shots, "organization-selection")
	b.step("name an unknown organization", chromedp.SendKeys(chromedp.CSS(`input[name="organization_name"]`), "initech"),
		chromedp.Submit(chromedp.CSS(`input[name="organization_name"]`)))
	b.waitFor("the prompt's error", `document.querySelector("#form-error").innerText.includes("couldn't find")`)
	b.screenshot(shots, "organization-selection-unknown")
	b.step("name acme", chromedp.SetValue(chromedp.CSS(`input[name="organization_name"]`), "acme"),
		chromedp.Submit(chromedp.CSS(`input[name="organization_name"]`)))
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, user.Email, user.Password)
	b.waitFor("the dashboard", `location.pathname === "/dashboard" && !!document.querySelector("#organization")`)
	if got := b.text("#organization"); got != acme {
		t.Errorf("after the prompt the organization is %q; want %s", got, acme)
	}

	// 3. After sign-in, a member of two organizations picks one.
	m.do("POST", "organizations/"+globex+"/members", map[string]any{"members": []string{sub}}, http.StatusNoContent)
	m.do("PATCH", "clients/"+g.Tenant.WebApp.ClientID, map[string]any{"organization_require_behavior": "post_login_prompt"}, http.StatusOK)
	b = MustStartBrowser(t, ctx)
	b.navigate(app.Web + "/dashboard")
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, user.Email, user.Password)
	b.step("wait for the picker", chromedp.WaitVisible(chromedp.CSS(`button[value="`+globex+`"]`)))
	if got := b.text("main"); !strings.Contains(got, "Acme Inc.") || !strings.Contains(got, "Globex Corporation") {
		t.Errorf("picker shows %q", got)
	}
	b.screenshot(shots, "organization-picker")
	b.step("pick globex", chromedp.Click(chromedp.CSS(`button[value="`+globex+`"]`)))
	b.waitFor("the dashboard", `location.pathname === "/dashboard" && !!document.querySelector("#organization")`)
	if got := b.text("#organization"); got != globex {
		t.Errorf("picked globex, dashboard says %q", got)
	}
	r = b.fetchJSON("/api/protected/data")
	recs = nil
	if r.Status != 200 || json.Unmarshal(r.Body, &recs) != nil || len(recs) == 0 {
		t.Fatalf("/api/protected/data in globex: %d %s", r.Status, r.Body)
	}
	for _, rec := range recs {
		if rec.OwnerID != sub || rec.OrgID != globex {
			t.Errorf("/api/protected/data in globex returned %+v (acme's records must not show)", rec)
		}
	}
}
