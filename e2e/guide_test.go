package e2e_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// apiTokenLifetime is the guide API's access token lifetime during the browser test: short enough
// to wait for a token to expire.
const apiTokenLifetime = 4

// TestHowToVerifyItWorked automates the guide's "How to Verify It Worked" with a real browser
// against the seed app and Gatehouse: sign-in on the hosted page, callback URL tampering, refresh of
// an expired access token, role-based access on pages and on the API, logout, and the cookies'
// flags. (Invalid tokens to the API: TestAPIRejectsInvalidTokens.)
func TestHowToVerifyItWorked(t *testing.T) {
	chromiumPath(t) // skip early, before starting anything
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	g := MustStartGatehouse(t, ctx)
	g.MustSetAPITokenLifetime(t, ctx, apiTokenLifetime)
	app := MustStartSeedApp(t, ctx, g)
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)
	admin, user := g.User(t, "admin"), g.User(t, "user")

	// 1. Callback URL validation: an /authorize request whose redirect_uri was edited in the
	// address bar stops on Gatehouse's own error page; nothing is sent to the edited URL.
	tampered := mustTamperedAuthorizeURL(t, ctx, g, app, "https://attacker.example/api/auth/callback")
	resp := b.navigate(tampered)
	if resp.Status != 400 {
		t.Errorf("tampered callback: status %d, want 400", resp.Status)
	}
	if loc := b.location(); !strings.HasPrefix(loc, g.Origin+"/authorize") {
		t.Errorf("tampered callback: browser left Gatehouse for %s", loc)
	}
	if body := b.text("body"); !strings.Contains(body, "Callback URL mismatch.") {
		t.Errorf("tampered callback: page says %q, want it to contain %q", body, "Callback URL mismatch.")
	}
	b.screenshot(shots, "callback-mismatch")

	// Sign in as the admin through the hosted login page: /dashboard sends a visitor without a
	// session to /api/auth/login, which sends them to Gatehouse.
	b.navigate(app.Web + "/dashboard")
	mustBeOnLoginPage(t, b, g)
	b.screenshot(shots, "login")
	signIn(t, b, admin.Email, admin.Password)
	if loc := b.location(); loc != app.Web+"/dashboard" {
		t.Fatalf("after sign-in the browser is at %s, want %s/dashboard", loc, app.Web)
	}
	if got := b.text("#welcome"); got != "Welcome, Ada Admin" {
		t.Errorf("dashboard heading %q, want %q", got, "Welcome, Ada Admin")
	}
	if got := b.text("#email"); got != admin.Email {
		t.Errorf("dashboard email %q, want %q", got, admin.Email)
	}
	b.screenshot(shots, "dashboard")

	// 6. Cookies. Gatehouse's SSO cookie is served over https: HttpOnly, Secure, __Host-. The app's
	// session cookie is HttpOnly; over http://localhost, as the guide runs it in development, it
	// cannot be Secure; the same app over https must set Secure (checked below).
	gh := b.cookies(g.Origin + "/")
	if c := gh["__Host-gh_session"]; c == nil {
		t.Errorf("no __Host-gh_session cookie on %s; cookies: %v", g.Origin, names(gh))
	} else if !c.HTTPOnly || !c.Secure || c.Path != "/" {
		t.Errorf("__Host-gh_session: HttpOnly=%v Secure=%v Path=%q, want HttpOnly, Secure, /", c.HTTPOnly, c.Secure, c.Path)
	}
	appCookies := b.cookies(app.Web + "/")
	if c := appCookies["appSession"]; c == nil {
		t.Errorf("no appSession cookie on %s; cookies: %v", app.Web, names(appCookies))
	} else if !c.HTTPOnly || c.SameSite != "Lax" {
		t.Errorf("appSession on http: HttpOnly=%v SameSite=%q, want HttpOnly and Lax", c.HTTPOnly, c.SameSite)
	}

	// The same app served over https, signed in through Gatehouse's SSO session (no login form):
	// its appSession cookie must be HttpOnly and Secure.
	b.navigate(app.SecureWeb + "/dashboard")
	if loc := b.location(); loc != app.SecureWeb+"/dashboard" {
		t.Errorf("https app: browser at %s, want %s/dashboard (single sign-on)", loc, app.SecureWeb)
	} else if c := b.cookies(app.SecureWeb + "/")["appSession"]; c == nil || !c.HTTPOnly || !c.Secure {
		t.Errorf("appSession over https: %+v, want HttpOnly and Secure", c)
	}

	// 4. Role-based access, allowed: the admin reaches /admin and the API's /api/admin.
	b.navigate(app.Web + "/admin")
	if loc := b.location(); loc != app.Web+"/admin" {
		t.Errorf("admin at /admin was sent to %s", loc)
	} else if got := b.text("#admin-heading"); got != "Admin area" {
		t.Errorf("admin page heading %q", got)
	}
	if r := b.fetchJSON("/api/data/admin"); r.Status != 200 {
		t.Errorf("admin: /api/data/admin status %d body %s, want 200", r.Status, r.Body)
	}
	adminSub := mustSub(t, b)
	mustOwnRecordsOnly(t, b, adminSub)

	// 3. Expired tokens: wait until the session's access token has expired; /api/data must still
	// work, with a new token issued after the old one's expiry.
	first := mustCallAPI(t, b)
	if life := first.API.TokenExpiresAt - first.API.TokenIssuedAt; life != apiTokenLifetime {
		t.Fatalf("access token lifetime %d s, want the configured %d s", life, apiTokenLifetime)
	}
	wait := time.Until(time.Unix(first.API.TokenExpiresAt+1, 0))
	if wait > 2*apiTokenLifetime*time.Second {
		t.Fatalf("access token expires in %v; the clock or the lifetime is off", wait)
	}
	time.Sleep(wait)
	second := mustCallAPI(t, b)
	if !second.AccessToken.Refreshed || second.API.TokenIssuedAt < first.API.TokenExpiresAt {
		t.Errorf("after expiry: refreshed=%v, new token issued at %d, old one expired at %d; want a refreshed token",
			second.AccessToken.Refreshed, second.API.TokenIssuedAt, first.API.TokenExpiresAt)
	}
	if second.API.UserID != adminSub {
		t.Errorf("refreshed token is for %q, want %q", second.API.UserID, adminSub)
	}

	// 5. Logout ends both sessions: back on the home page, /dashboard sends the browser to the
	// hosted sign-in page instead of signing in silently.
	b.navigate(app.Web + "/api/auth/logout")
	if loc := b.location(); loc != app.Web+"/" {
		t.Errorf("after logout the browser is at %s, want %s/", loc, app.Web)
	}
	if c := b.cookies(app.Web + "/")["appSession"]; c != nil {
		t.Errorf("appSession survived logout")
	}
	b.navigate(app.Web + "/dashboard")
	mustBeOnLoginPage(t, b, g)

	// 4. Role-based access, denied: a user without the admin role.
	signIn(t, b, user.Email, user.Password)
	if got := b.text("#welcome"); got != "Welcome, Uma User" {
		t.Errorf("dashboard heading %q, want %q", got, "Welcome, Uma User")
	}
	b.navigate(app.Web + "/admin")
	if loc := b.location(); loc != app.Web+"/unauthorized" {
		t.Errorf("non-admin at /admin was sent to %s, want /unauthorized", loc)
	}
	b.screenshot(shots, "unauthorized")
	r := b.fetchJSON("/api/data/admin")
	var denied struct {
		API struct {
			Error string `json:"error"`
		} `json:"api"`
	}
	_ = json.Unmarshal(r.Body, &denied)
	if r.Status != 403 || denied.API.Error != "insufficient_scope" {
		t.Errorf("non-admin: /api/data/admin status %d body %s, want 403 insufficient_scope", r.Status, r.Body)
	}
	userSub := mustSub(t, b)
	if userSub == adminSub {
		t.Fatalf("both users have sub %q", userSub)
	}
	mustOwnRecordsOnly(t, b, userSub)
}

// mustTamperedAuthorizeURL asks the seed app to start a login and returns the /authorize URL it
// redirects to, with redirect_uri replaced.
func mustTamperedAuthorizeURL(t *testing.T, ctx context.Context, g *gatehouse, app *seedApp, redirectURI string) string {
	t.Helper()
	authorize := mustAuthorizeURL(t, ctx, g, app)
	q := authorize.Query()
	if q.Get("redirect_uri") != app.Web+"/api/auth/callback" {
		t.Fatalf("login sent redirect_uri %q, want %s/api/auth/callback", q.Get("redirect_uri"), app.Web)
	}
	q.Set("redirect_uri", redirectURI)
	authorize.RawQuery = q.Encode()
	return authorize.String()
}

func mustBeOnLoginPage(t *testing.T, b *browser, g *gatehouse) {
	t.Helper()
	b.step("wait for the sign-in form", chromedp.WaitVisible(chromedp.CSS(`input[name="password"]`)))
	if loc := b.location(); !strings.HasPrefix(loc, g.Origin+"/u/login") {
		t.Fatalf("sign-in form at %s, want Gatehouse's %s/u/login", loc, g.Origin)
	}
}

// signIn fills in the hosted login form and waits for the redirects to end.
func signIn(t *testing.T, b *browser, email, password string) {
	t.Helper()
	b.step("fill in the sign-in form",
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password))
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Submit(chromedp.CSS(`input[name="password"]`))); err != nil {
		t.Fatalf("submit the sign-in form: %v (at %s)", err, b.location())
	}
}

// apiCall is the seed app's /api/data answer.
type apiCall struct {
	Status int `json:"status"`
	API    struct {
		UserID         string `json:"userId"`
		TokenIssuedAt  int64  `json:"tokenIssuedAt"`
		TokenExpiresAt int64  `json:"tokenExpiresAt"`
	} `json:"api"`
	AccessToken struct {
		Refreshed bool `json:"refreshed"`
	} `json:"accessToken"`
}

func mustCallAPI(t *testing.T, b *browser) apiCall {
	t.Helper()
	r := b.fetchJSON("/api/data")
	var c apiCall
	if r.Status != 200 || json.Unmarshal(r.Body, &c) != nil || c.API.UserID == "" {
		t.Fatalf("/api/data: status %d body %s (final URL %s)", r.Status, r.Body, r.URL)
	}
	return c
}

// mustSub returns the signed-in user's id from /api/auth/me.
func mustSub(t *testing.T, b *browser) string {
	t.Helper()
	r := b.fetchJSON("/api/auth/me")
	var me struct {
		Sub string `json:"sub"`
	}
	if r.Status != 200 || json.Unmarshal(r.Body, &me) != nil || me.Sub == "" {
		t.Fatalf("/api/auth/me: status %d body %s", r.Status, r.Body)
	}
	return me.Sub
}

// mustOwnRecordsOnly checks step 6's data scoping: the user sees records, all of them their own.
func mustOwnRecordsOnly(t *testing.T, b *browser, sub string) {
	t.Helper()
	r := b.fetchJSON("/api/protected/data")
	var records []struct {
		OwnerID string `json:"ownerId"`
	}
	if r.Status != 200 || json.Unmarshal(r.Body, &records) != nil || len(records) == 0 {
		t.Fatalf("/api/protected/data: status %d body %s", r.Status, r.Body)
	}
	for _, rec := range records {
		if rec.OwnerID != sub {
			t.Errorf("/api/protected/data for %s returned a record of %s", sub, rec.OwnerID)
		}
	}
}

func names[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
