package e2e_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Organizations in the dashboard, in a browser: create one, brand its login page (the preview
// follows the colours as typed), add a member by email and give them a role in it, change an
// enabled connection, and invite someone (the link shown once). Screenshots of each tab, at
// desktop and phone width.
func TestDashboardOrganizationPages(t *testing.T) {
	ctx := context.Background()
	g := MustStartGatehouse(t, ctx)
	newMgmtAPI(t, ctx, g).do("PATCH", "clients/"+g.Tenant.WebApp.ClientID, map[string]any{"initiate_login_uri": "https://localhost:3000/api/auth/login"}, http.StatusOK)
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)
	user := g.User(t, "user")
	b.step("desktop width", chromedp.EmulateViewport(1280, 900))

	b.navigate(g.Issuer + "admin/organizations")
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, g.Tenant.Dashboard.Email, g.Tenant.Dashboard.Password)
	b.waitFor("the organizations list", `location.pathname === "/admin/organizations" && document.body.innerText.includes("No organizations yet")`)
	b.screenshot(shots, "dashboard-organizations-empty")

	b.step("create", chromedp.Click(`a[href="/admin/organizations/new"]`), chromedp.WaitVisible(`#display_name`))
	b.step("fill in", chromedp.SendKeys(`#name`, "acme"), chromedp.SendKeys(`#display_name`, "Acme Inc."))
	b.screenshot(shots, "dashboard-organization-new")
	b.step("submit", chromedp.Submit(`#name`))
	b.waitFor("the members tab", `location.pathname.endsWith("/members") && !!document.querySelector(".flash")`)
	base := strings.TrimSuffix(strings.SplitN(b.location(), "?", 2)[0], "/members")

	// Members: add the guide's user, give them the admin role in acme.
	b.step("add a member", chromedp.SendKeys(`#email`, user.Email), chromedp.Submit(`#email`))
	b.waitFor("the member", `document.querySelector("table") !== null && document.querySelector("table").innerText.includes("`+user.Email+`")`)
	b.step("choose admin", chromedp.SetValue(`.assign-role select`, adminRoleID(t, b)))
	b.step("assign", chromedp.Click(`.assign-role button`))
	b.waitFor("the role pill", `[...document.querySelectorAll(".role-pill .pill")].some(p => p.innerText === "admin")`)
	b.screenshot(shots, "dashboard-organization-members")
	b.step("phone width", chromedp.EmulateViewport(390, 844))
	b.screenshot(shots, "dashboard-organization-members-phone")
	b.step("desktop width", chromedp.EmulateViewport(1280, 900))

	// Settings: the preview follows the colours; saved, the organization's login page has them.
	b.navigate(base)
	b.step("type colours", chromedp.SendKeys(`#primary`, "#0b6e4f"), chromedp.SendKeys(`#page_background`, "#e8f3ee"))
	b.step("the preview follows", chromedp.Poll[chromedp.Void](`getComputedStyle(document.querySelector(".preview-button")).backgroundColor === "rgb(11, 110, 79)"`,
		chromedp.WithPollingTimeout(10*time.Second)))
	b.step("save", chromedp.Submit(`#primary`), chromedp.WaitVisible(`.flash`))
	b.screenshot(shots, "dashboard-organization-settings")

	// Connections: the database connection, enabled at creation; auto-membership switched on.
	b.step("connections tab", chromedp.Click(`.tabs a[href$="/connections"]`), chromedp.WaitVisible(`table`))
	b.step("auto-membership", chromedp.Click(`td form.checks input[name="assign_membership_on_login"]`), chromedp.Submit(`td form.checks`))
	b.waitFor("saved", `!!document.querySelector(".flash") && document.querySelector('td form.checks input[name="assign_membership_on_login"]').checked`)
	b.screenshot(shots, "dashboard-organization-connections")

	// Invitations: sent, the link shown once, then listed.
	b.step("invitations tab", chromedp.Click(`.tabs a[href$="/invitations"]`), chromedp.WaitVisible(`#invitee`))
	b.step("invite", chromedp.SendKeys(`#invitee`, "new.member@example.com"), chromedp.Submit(`#invitee`))
	b.step("the link", chromedp.WaitVisible(`#invitation-url`))
	if link := b.text("#invitation-url"); !strings.HasPrefix(link, "https://localhost:3000/api/auth/login?invitation=") || !strings.Contains(link, "organization_name=acme") {
		t.Errorf("invitation link %q", link)
	}
	if got := b.text("main"); !strings.Contains(got, "new.member@example.com") {
		t.Errorf("pending invitations without the invitee: %q", got)
	}
	b.screenshot(shots, "dashboard-organization-invitations")

	b.navigate(g.Issuer + "admin/organizations")
	if got := b.text("main table"); !strings.Contains(got, "Acme Inc.") {
		t.Errorf("list: %q", got)
	}
	b.screenshot(shots, "dashboard-organizations")
}

// adminRoleID is the id of the role named admin in the page's role picker.
func adminRoleID(t *testing.T, b *browser) string {
	t.Helper()
	id := run(b, "admin role", chromedp.Evaluate[string](`[...document.querySelector(".assign-role select").options].find(o => o.text === "admin").value`))
	if id == "" {
		t.Fatal("no admin role in the picker")
	}
	return id
}
