package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestOIDCLogoutAsksFirst: /oidc/logout opened with no client named (a link on any page could do
// it) shows Gatehouse's confirmation page and ends the SSO session only when the user confirms.
func TestOIDCLogoutAsksFirst(t *testing.T) {
	chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	g := MustStartGatehouse(t, ctx)
	app := MustStartSeedApp(t, ctx, g)
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)
	user := g.User(t, "user")

	b.navigate(app.Web + "/dashboard")
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, user.Email, user.Password)
	if b.cookies(g.Origin + "/")["__Host-gh_session"] == nil {
		t.Fatal("no SSO session after sign-in")
	}

	b.navigate(g.Origin + "/oidc/logout")
	if body := b.text("body"); !strings.Contains(body, "Log out?") {
		t.Fatalf("bare /oidc/logout shows %q, want the confirmation page", body)
	}
	b.screenshot(shots, "logout-confirm")
	if b.cookies(g.Origin + "/")["__Host-gh_session"] == nil {
		t.Fatal("showing the confirmation page ended the SSO session")
	}
	// Still signed in: the app signs in again through SSO, without the form.
	b.navigate(app.Web + "/api/auth/login")
	if loc := b.location(); strings.HasPrefix(loc, g.Origin) {
		t.Fatalf("after the unconfirmed logout the browser is at %s, want SSO back to the app", loc)
	}

	b.navigate(g.Origin + "/oidc/logout")
	cctx, ccancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer ccancel()
	if _, err := chromedp.RunResponse(cctx, chromedp.Click(chromedp.CSS(`button[type="submit"]`))); err != nil {
		t.Fatalf("confirm the logout: %v (at %s)", err, b.location())
	}
	b.screenshot(shots, "logged-out")
	if c := b.cookies(g.Origin + "/")["__Host-gh_session"]; c != nil {
		t.Errorf("SSO session cookie survived the confirmed logout")
	}
	b.navigate(app.Web + "/api/auth/login")
	mustBeOnLoginPage(t, b, g)
}
