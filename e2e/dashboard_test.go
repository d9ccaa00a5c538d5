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
