package e2e_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/examples/seedapp/seedapp"
	"github.com/gatehouse/gatehouse/sdk/webauth"
)

// The seed guide's step 1, "In the Auth0 Dashboard", done in Gatehouse's dashboard by clicking and
// typing: create a Regular Web App, try a wildcard callback (refused with the guide's warning),
// register the exact URLs, the security settings and grant types. Then the guide's Go app, given
// the credentials the dashboard showed, signs the guide's admin in and sees the roles claim.
func TestDashboardGuideStep1(t *testing.T) {
	ctx := context.Background()
	g := MustStartGatehouse(t, ctx)
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)
	webLn, apiLn := mustListen(t), mustListen(t)
	web := "http://localhost:" + port(webLn)

	b.navigate(g.Issuer + "admin/applications")
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, g.Tenant.Dashboard.Email, g.Tenant.Dashboard.Password)
	if h := b.text("h1"); h != "Applications" {
		t.Fatalf("after sign-in: %q at %s", h, b.location())
	}
	b.screenshot(shots, "dashboard-applications")

	// Search.
	b.step("search", chromedp.SendKeys(`#q`, "machine"), chromedp.Submit(`#q`))
	// The list before the search has a pager too: wait for the searched page itself.
	b.waitFor("the search results", `location.search.includes("q=machine") && document.readyState === "complete" && !!document.querySelector(".pager")`)
	if rows := b.text("tbody"); !strings.Contains(rows, "machine to machine") || strings.Count(rows, "Your App") != 1 {
		t.Errorf("search results: %q", rows)
	}

	// Applications > Create Application: Regular Web Application.
	b.step("create application", chromedp.Click(`a.button.primary`))
	b.step("wait for the form", chromedp.WaitVisible(`#name`))
	b.screenshot(shots, "dashboard-application-new")
	b.step("fill in and create",
		chromedp.SendKeys(`#name`, "Guide App"),
		chromedp.Click(`input[value="regular_web"]`),
		chromedp.Submit(`#name`))
	clientID := b.text("#client-id")
	secret := b.text("#client-secret")
	if len(clientID) != 32 || len(secret) < 32 {
		t.Fatalf("credentials shown: %q %q", clientID, secret)
	}
	b.screenshot(shots, "dashboard-application-created")

	// Settings: a wildcard first.
	b.step("open settings", chromedp.Click(`a.button.primary`))
	b.step("wait for settings", chromedp.WaitVisible(`#callbacks`))
	b.step("a wildcard callback",
		chromedp.SendKeys(`#callbacks`, "https://*.yourapp.com/api/auth/callback"),
		chromedp.Submit(`#callbacks`))
	if msg := b.text(`.error[role=alert]`); !strings.Contains(msg, "wildcard") ||
		!strings.Contains(msg, "Never use wildcard (*) in callback URLs. Attackers can redirect tokens to their own domains. Use exact URLs only.") {
		t.Errorf("wildcard refusal: %q", msg)
	}
	b.screenshot(shots, "dashboard-application-wildcard")

	// The guide's URLs and security settings.
	b.step("the guide's settings",
		chromedp.SetValue(`#callbacks`, web+"/api/auth/callback\nhttps://yourapp.com/api/auth/callback"),
		chromedp.SetValue(`#allowed_logout_urls`, web+"\nhttps://yourapp.com"),
		chromedp.SetValue(`#web_origins`, web+"\nhttps://yourapp.com"),
		chromedp.SetValue(`#token_endpoint_auth_method`, "client_secret_post"),
		chromedp.SetValue(`#rotation_type`, "rotating"),
		chromedp.SetValue(`#expiration_type`, "expiring"),
		chromedp.SetValue(`#token_lifetime`, "2592000"),
		chromedp.SetValue(`#id_token_lifetime`, "36000"),
	)
	checked := run(b, "grant types", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('input[name=grant_types]:checked')].map(e => e.value)`))
	if !slices.Contains(checked, "authorization_code") || !slices.Contains(checked, "refresh_token") || slices.Contains(checked, "implicit") {
		t.Errorf("grant types of a new Regular Web App: %v", checked)
	}
	b.step("save", chromedp.Submit(`#callbacks`))
	if flash := b.text(`.flash`); flash != "Settings saved." {
		t.Fatalf("after save: %q", flash)
	}
	b.screenshot(shots, "dashboard-application-settings")
	cl, err := g.App.Store.GetClient(ctx, clientID)
	if err != nil || len(cl.Callbacks) != 2 || cl.Callbacks[0] != web+"/api/auth/callback" || cl.TokenEndpointAuthMethod != "client_secret_post" ||
		cl.RefreshToken.RotationType != "rotating" || cl.JWTConfiguration.LifetimeInSeconds != 36000 {
		t.Fatalf("saved application: %+v %v", cl, err)
	}

	// The guide's app, on the credentials the dashboard showed, signs the guide's admin in.
	cfg := seedapp.Config{
		Auth: webauth.Config{Secret: randomSecret(t), BaseURL: web, IssuerBaseURL: strings.TrimSuffix(g.Issuer, "/"),
			ClientID: clientID, ClientSecret: secret, Audience: g.Tenant.API.Identifier, TokenAuthMethod: webauth.ClientSecretPost},
		APIBaseURL: "http://127.0.0.1:" + port(apiLn), HTTPClient: mustTrustingClient(t, g.CA.CACert),
	}
	webApp, err := seedapp.NewWeb(cfg)
	if err != nil {
		t.Fatal(err)
	}
	apiApp, err := seedapp.NewAPI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, webApp, webLn)
	serve(t, apiApp, apiLn)
	app := MustStartBrowser(t, ctx)
	app.navigate(web + "/api/auth/login")
	mustBeOnLoginPage(t, app, g)
	admin := g.User(t, "admin")
	signIn(t, app, admin.Email, admin.Password)
	me := app.fetchJSON("/api/auth/me")
	var claims map[string]any
	if me.Status != 200 || json.Unmarshal(me.Body, &claims) != nil {
		t.Fatalf("/api/auth/me: %d %s", me.Status, me.Body)
	}
	roles, _ := claims["https://yourapp.com/roles"].([]any)
	if len(roles) != 1 || roles[0] != "admin" {
		t.Errorf("roles claim of the app created in the dashboard: %v", claims)
	}
}
