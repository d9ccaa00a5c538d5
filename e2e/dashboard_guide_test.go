package e2e_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/examples/seedapp/seedapp"
	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/devtenant"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/testclock"
	"github.com/gatehouse/gatehouse/sdk/webauth"
)

// The seed guide's steps 1 and 8 through the dashboard, by clicking and typing, on a tenant
// without the guide's API, roles and Action: the Regular Web App with the guide's URLs and security
// settings (a wildcard refused with the guide's warning), its secret rotated on the Credentials
// tab, the API with its four permissions and RBAC, the two roles with their permissions and
// members, the guide's Action pasted, deployed and added to the Login flow. Then the guide's Go app, on the app's new credentials, signs the guide's admin in and
// sees the roles claim. Every page is photographed at 1280 px and at a phone's width.
func TestDashboardGuideWalk(t *testing.T) {
	ctx := context.Background()
	clock := testclock.New(time.Now())
	g := MustStartGatehouse(t, ctx, func(o *app.Options) { o.Now = clock.Now })
	forgetGuideAuthorization(t, ctx, g)
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)
	shoot := func(name string) {
		t.Helper()
		b.screenshot(shots, name)
		b.step("phone width", chromedp.EmulateViewport(390, 844))
		b.screenshot(shots, name+"-phone")
		b.step("desktop width", chromedp.EmulateViewport(1280, 900))
	}
	b.step("desktop width", chromedp.EmulateViewport(1280, 900))
	webLn, apiLn := mustListen(t), mustListen(t)
	web := "http://localhost:" + port(webLn)

	b.navigate(g.Issuer + "admin/")
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, g.Tenant.Dashboard.Email, g.Tenant.Dashboard.Password)

	// Step 1. Applications > Create Application > Regular Web Applications.
	load(b, "applications", chromedp.Click(`nav.side a[href="/admin/applications"]`))
	load(b, "create application", chromedp.Click(`a.button.primary[href="/admin/applications/new"]`))
	b.step("name and type",
		chromedp.SendKeys(`#name`, "Your Next.js App"),
		chromedp.Click(`input[value="regular_web"]`),
		chromedp.Submit(`#name`))
	clientID := b.text("#client-id")
	load(b, "continue to settings", chromedp.Click(`main a.button.primary`))

	// A wildcard first: refused, with the guide's warning.
	b.step("a wildcard callback", chromedp.SendKeys(`#callbacks`, "https://*.yourapp.com/api/auth/callback"), chromedp.Submit(`#callbacks`))
	if msg := b.text(`.error[role=alert]`); !strings.Contains(msg, "Never use wildcard (*) in callback URLs") {
		t.Errorf("wildcard refusal: %q", msg)
	}
	// The guide's URLs, typed, and its security settings.
	b.step("clear the callbacks", chromedp.Clear(`#callbacks`))
	b.step("the guide's URLs",
		chromedp.SendKeys(`#callbacks`, web+"/api/auth/callback\nhttps://yourapp.com/api/auth/callback"),
		chromedp.SendKeys(`#allowed_logout_urls`, web+"\nhttps://yourapp.com"),
		chromedp.SendKeys(`#web_origins`, web+"\nhttps://yourapp.com"),
		chromedp.SetValue(`#token_endpoint_auth_method`, "client_secret_post"),
		chromedp.SetValue(`#rotation_type`, "rotating"),
		chromedp.SetValue(`#expiration_type`, "expiring"),
		chromedp.Clear(`#token_lifetime`), chromedp.SendKeys(`#token_lifetime`, "2592000"),
		chromedp.Clear(`#id_token_lifetime`), chromedp.SendKeys(`#id_token_lifetime`, "36000"))
	grants := run(b, "grant types", chromedp.Evaluate[[]string](`[...document.querySelectorAll('input[name=grant_types]:checked')].map(e => e.value)`))
	if !slices.Contains(grants, "authorization_code") || !slices.Contains(grants, "refresh_token") || slices.Contains(grants, "implicit") {
		t.Errorf("grant types of a new Regular Web App: %v", grants)
	}
	b.step("save", chromedp.Submit(`#callbacks`))
	if flash := b.text(`.flash`); flash != "Settings saved." {
		t.Fatalf("after save: %q", flash)
	}

	// Credentials: the secret shown at creation was not kept; rotate it (confirmation step first)
	// and take the new one, shown once.
	load(b, "credentials tab", chromedp.Click(`nav.tabs a[href$="/credentials"]`))
	shoot("dashboard-credentials")
	load(b, "rotate", chromedp.Click(`#rotate`))
	shoot("dashboard-credentials-confirm")
	load(b, "confirm", chromedp.Click(`#rotate-confirm`))
	secret := run(b, "new secret", chromedp.Evaluate[string](`document.getElementById("client-secret-value").value`))
	if len(secret) < 32 {
		t.Fatalf("rotated secret %q", secret)
	}
	shoot("dashboard-credentials-rotated")
	load(b, "quickstart tab", chromedp.Click(`nav.tabs a[href$="/quickstart"]`))
	if env := run(b, "env", chromedp.Evaluate[string](`document.getElementById("env").value`)); !strings.Contains(env, "AUTH0_CLIENT_ID='"+clientID+"'") {
		t.Errorf("quickstart .env.local: %q", env)
	}
	shoot("dashboard-quickstart")

	// Step 8.1: APIs > Create API.
	load(b, "apis", chromedp.Click(`nav.side a[href="/admin/apis"]`))
	load(b, "create api", chromedp.Click(`a.button.primary[href="/admin/apis/new"]`))
	b.step("name, identifier, algorithm",
		chromedp.SendKeys(`#name`, "Your App API"),
		chromedp.SendKeys(`#identifier`, "https://api.yourapp.com"),
		chromedp.SetValue(`#signing_alg`, "RS256"))
	shoot("dashboard-api-new")
	b.step("create", chromedp.Submit(`#identifier`), chromedp.WaitVisible(`#value`))

	// Step 8.2: the Permissions tab.
	for _, p := range [][2]string{{"read:own_data", "Read own data"}, {"write:own_data", "Write own data"}, {"admin:read", "Read all data"}, {"admin:write", "Modify all data"}} {
		b.step("type "+p[0], chromedp.SendKeys(`#value`, p[0]), chromedp.SendKeys(`#description`, p[1]))
		load(b, "add "+p[0], chromedp.Click(`#add-permission`))
	}
	if list := b.text(`main table tbody`); strings.Count(list, ":") != 4 || !strings.Contains(list, "admin:write") {
		t.Errorf("permissions: %q", list)
	}
	shoot("dashboard-api-permissions")
	load(b, "api settings", chromedp.Click(`nav.tabs a:first-child`))
	b.step("RBAC on", chromedp.Click(`#enforce_policies`), chromedp.Click(`#permissions_in_token`))
	load(b, "save", chromedp.Click(`#save`))
	shoot("dashboard-api-settings")
	load(b, "m2m tab", chromedp.Click(`nav.tabs a[href$="/m2m"]`))
	shoot("dashboard-api-m2m")
	load(b, "api list", chromedp.Click(`nav.side a[href="/admin/apis"]`))
	shoot("dashboard-apis")
	rs, err := g.App.Store.GetResourceServerByIdentifier(ctx, "https://api.yourapp.com")
	if err != nil || len(rs.Scopes) != 4 || !rs.EnforcePolicies || rs.TokenDialect != "access_token_authz" || rs.SigningAlg != "RS256" {
		t.Fatalf("the API made in the dashboard: %+v %v", rs, err)
	}

	// Step 8.3: User Management > Roles: user (read and write own data), admin (everything), each
	// given to the guide's user of that name.
	for _, role := range []struct {
		name, description, member string
		perms                     []string
	}{
		{"user", "Reads and writes their own data", "user@example.com", []string{"read:own_data", "write:own_data"}},
		{"admin", "Reads and modifies all data", "admin@example.com", []string{"read:own_data", "write:own_data", "admin:read", "admin:write"}},
	} {
		load(b, "roles", chromedp.Click(`nav.side a[href="/admin/roles"]`))
		load(b, "create role", chromedp.Click(`a.button.primary[href="/admin/roles/new"]`))
		b.step("role "+role.name, chromedp.SendKeys(`#name`, role.name), chromedp.SendKeys(`#description`, role.description))
		load(b, "create "+role.name, chromedp.Submit(`#name`))
		for _, p := range role.perms {
			b.step("tick "+p, chromedp.Click(`input[name=permission][value="https://api.yourapp.com `+p+`"]`))
		}
		if role.name == "admin" {
			shoot("dashboard-role-add-permissions")
		}
		load(b, "add permissions", chromedp.Click(`#add-permissions`))
		if role.name == "admin" {
			shoot("dashboard-role-permissions")
		}
		load(b, "users tab", chromedp.Click(`nav.tabs a[href$="/users"]`))
		b.step("type "+role.member, chromedp.SendKeys(`#email`, role.member))
		load(b, "add "+role.member, chromedp.Click(`#add-user`))
		if role.name == "admin" {
			shoot("dashboard-role-users")
		}
	}
	load(b, "roles", chromedp.Click(`nav.side a[href="/admin/roles"]`))
	shoot("dashboard-roles")
	load(b, "new role page", chromedp.Click(`a.button.primary[href="/admin/roles/new"]`))
	shoot("dashboard-role-new")

	// Step 8.4: Actions > Create, the guide's code pasted, Deploy; Flows > Login > add it.
	load(b, "actions", chromedp.Click(`nav.side a[href="/admin/actions"]`))
	load(b, "create action", chromedp.Click(`a.button.primary[href="/admin/actions/new"]`))
	b.step("name and trigger", chromedp.SendKeys(`#name`, "Add roles to tokens"), chromedp.Click(`input[name=trigger][value="post-login"]`))
	load(b, "create", chromedp.Submit(`#name`))
	b.step("wait for the editor", chromedp.WaitVisible(`.editor .gutter`))
	setEditorCode(b, devtenant.GuideAction)
	load(b, "deploy", chromedp.Click(`button[value=deploy]`))
	if f := b.text(".flash"); f != "Deployed as version 1." {
		t.Fatalf("after deploying the guide's Action: %q", f)
	}
	shoot("dashboard-walk-action")
	load(b, "actions again", chromedp.Click(`nav.side a[href="/admin/actions"]`))
	load(b, "flows > login", chromedp.Click(`a[href="/admin/flows/login"]`))
	option := run(b, "the new action's option", chromedp.Evaluate[string](
		`[...document.querySelectorAll("#action option")].find(o => o.textContent === "Add roles to tokens").value`))
	b.step("choose it", chromedp.SetValue(`#action`, option))
	load(b, "add to the flow", chromedp.Click(`form.row button.primary`))
	if names := b.text("ol.flow"); !strings.Contains(names, "Add roles to tokens") {
		t.Fatalf("the Login flow: %q", names)
	}
	shoot("dashboard-walk-flow-login")

	// The guide's admin, as User Management shows them.
	load(b, "users", chromedp.Click(`nav.side a[href="/admin/users"]`))
	shoot("dashboard-users")
	b.step("search", chromedp.SendKeys(`#q`, "admin@"), chromedp.Submit(`#q`))
	// The unfiltered list stays on screen until the results page has loaded: wait for that page.
	b.waitFor("the search results", `new URLSearchParams(location.search).get('q') === 'admin@' && document.readyState === 'complete' && !!document.querySelector('main table')`)
	if rows := b.text("main table tbody"); !strings.Contains(rows, "admin@example.com") || strings.Contains(rows, "user@example.com") {
		t.Errorf("user search: %q", rows)
	}
	load(b, "open admin", chromedp.Click(`main table tbody a`))
	shoot("dashboard-user")
	load(b, "user roles", chromedp.Click(`nav.tabs a[href$="/roles"]`))
	if roles := b.text("main table tbody"); !strings.Contains(roles, "admin") {
		t.Errorf("admin's roles: %q", roles)
	}
	shoot("dashboard-user-roles")
	load(b, "user permissions", chromedp.Click(`nav.tabs a[href$="/permissions"]`))
	shoot("dashboard-user-permissions")
	load(b, "users again", chromedp.Click(`nav.side a[href="/admin/users"]`))
	load(b, "new user page", chromedp.Click(`a.button.primary[href="/admin/users/new"]`))
	shoot("dashboard-user-new")

	// The guide's app, on the credentials from the Credentials tab, signs the guide's admin in and
	// sees the roles the dashboard gave them.
	cfg := seedapp.Config{
		Auth: webauth.Config{Secret: randomSecret(t), BaseURL: web, IssuerBaseURL: strings.TrimSuffix(g.Issuer, "/"),
			ClientID: clientID, ClientSecret: secret, Audience: "https://api.yourapp.com", TokenAuthMethod: webauth.ClientSecretPost},
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
	appBrowser := MustStartBrowser(t, ctx)
	appBrowser.navigate(web + "/api/auth/login")
	mustBeOnLoginPage(t, appBrowser, g)
	admin := g.User(t, "admin")
	signIn(t, appBrowser, admin.Email, admin.Password)
	me := appBrowser.fetchJSON("/api/auth/me")
	var claims map[string]any
	if me.Status != 200 || json.Unmarshal(me.Body, &claims) != nil {
		t.Fatalf("/api/auth/me: %d %s", me.Status, me.Body)
	}
	if roles, _ := claims["https://yourapp.com/roles"].([]any); len(roles) != 1 || roles[0] != "admin" {
		t.Errorf("roles claim of the app made in the dashboard: %v", claims)
	}

	// Six minutes on, deleting the app asks the administrator to sign in again (the login form
	// even though their session is alive), then comes back to confirm. The clock moves only now:
	// the guide's app above checks tokens against the real time.
	clock.Advance(6 * time.Minute)
	b.navigate(g.Issuer + "admin/applications/" + clientID + "/delete")
	shoot("dashboard-delete-confirm")
	load(b, "delete", chromedp.Click(`#delete-confirm`))
	if h := b.text("h1"); h != "Confirm it's you" {
		t.Fatalf("a stale session's delete: %q", h)
	}
	shoot("dashboard-reauth")
	load(b, "sign in again", chromedp.Click(`#reauth`))
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, g.Tenant.Dashboard.Email, g.Tenant.Dashboard.Password)
	if loc := b.location(); loc != g.Issuer+"admin/applications/"+clientID+"/delete" {
		t.Fatalf("after signing in again: %s", loc)
	}
	load(b, "delete, again", chromedp.Click(`#delete-confirm`))
	if flash := b.text(".flash"); flash != "Deleted." {
		t.Errorf("after deleting: %q", flash)
	}
	if _, err := g.App.Store.GetClient(ctx, clientID); err == nil {
		t.Errorf("the application outlived its deletion")
	}
}

// forgetGuideAuthorization removes what `gatehouse dev` seeds for the guide's step 8 (its API, the
// roles user and admin, and the Action that puts roles in tokens), so that the walk creates them as a new tenant would.
func forgetGuideAuthorization(t *testing.T, ctx context.Context, g *gatehouse) {
	t.Helper()
	st := g.App.Store
	rs, err := st.GetResourceServerByIdentifier(ctx, "https://api.yourapp.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteResourceServer(ctx, rs.ID); err != nil {
		t.Fatal(err)
	}
	actions, _, err := st.ListActions(ctx, store.ActionFilter{ActionName: devtenant.ActionName}, store.Page{PerPage: 10})
	if err != nil || len(actions) != 1 {
		t.Fatalf("the seeded Action: %v %v", actions, err)
	}
	if err := st.DeleteAction(ctx, actions[0].ID); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"user", "admin"} {
		roles, _, err := st.ListRoles(ctx, name, store.Page{PerPage: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range roles {
			if r.Name == name {
				if err := st.DeleteRole(ctx, r.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// load runs an action that navigates (a click on a link or a submit button) and waits, bounded,
// for the next page to load, so that the next step never acts on the page being left.
func load(b *browser, what string, a chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, a); err != nil {
		b.t.Fatalf("%s: %v (at %s)", what, err, b.location())
	}
}
