package e2e_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The dashboard in a browser: the issuer's root leads to it, sign-in goes through the hosted login
// page, and the pages render under the node's strict CSP (a violation would show in the log).
func TestDashboardSignIn(t *testing.T) {
	ctx := context.Background()
	g := MustStartGatehouse(t, ctx)
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)

	b.navigate(g.Issuer)
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, g.Tenant.Dashboard.Email, g.Tenant.Dashboard.Password)
	if h := b.text("h1"); h != "Welcome, Dana Dashboard" {
		t.Fatalf("dashboard home heading %q at %s", h, b.location())
	}
	if loc := b.location(); loc != g.Issuer+"admin/" {
		t.Errorf("signed in at %s", loc)
	}
	if n := b.text(`a.stat .stat-n`); n != "4" {
		t.Errorf("applications counted: %q", n)
	}
	b.screenshot(shots, "dashboard-home")
	b.step("phone width", chromedp.EmulateViewport(390, 844))
	b.screenshot(shots, "dashboard-home-phone")
	b.step("desktop width", chromedp.EmulateViewport(1280, 900))

	// Sign out: back to the login page on the next visit.
	b.step("sign out", chromedp.Click(chromedp.CSS(`button.link`)))
	mustBeOnLoginPage(t, b, g)

	// The guide's ordinary user is refused, politely.
	signIn(t, b, g.User(t, "user").Email, g.User(t, "user").Password)
	if h := b.text("h1"); !strings.Contains(h, "No access") {
		t.Errorf("a user without a dashboard role sees %q", h)
	}
	b.screenshot(shots, "dashboard-denied")
}

// `gatehouse dev`'s root page: the banner's content without its secrets, the dashboard one click away.
func TestDevLandingPage(t *testing.T) {
	ctx := context.Background()
	g := MustStartDevGatehouse(t, ctx)
	b := MustStartBrowser(t, ctx)
	b.navigate(g.Issuer)
	if h := b.text("h1"); h != "Your dev tenant is running" {
		t.Fatalf("root page heading %q", h)
	}
	page := b.text("main")
	env := run(b, "env block", chromedp.Evaluate[string](`document.getElementById("env").value`))
	if !strings.Contains(env, "AUTH0_CLIENT_ID='"+g.Tenant.WebApp.ClientID+"'") || !strings.Contains(env, "AUTH0_AUDIENCE='https://api.yourapp.com'") {
		t.Errorf(".env.local block: %q", env)
	}
	for _, secret := range []string{g.Tenant.WebApp.ClientSecret, g.Tenant.Dashboard.Password, g.Tenant.Users[0].Password, g.Tenant.ManagementAPI.ClientSecret} {
		if strings.Contains(page+env, secret) {
			t.Errorf("the landing page shows a secret")
		}
	}
	if !strings.Contains(page, g.CA.CACert) || !strings.Contains(page, g.Tenant.Dashboard.Email) {
		t.Errorf("landing page lacks the CA path or the dashboard login:\n%s", page)
	}
	b.screenshot(artifactsDir(t), "dev-landing")
	b.step("open the dashboard", chromedp.Click(`header a.button`))
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, g.Tenant.Dashboard.Email, g.Tenant.Dashboard.Password)
	if h := b.text("h1"); h != "Welcome, Dana Dashboard" {
		t.Errorf("after the landing page's dashboard link: %q", h)
	}
}
