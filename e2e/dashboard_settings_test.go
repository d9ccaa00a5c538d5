package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Settings and Security in a browser: rename the tenant, add an email provider, rotate the signing
// keys through the confirmation step, and read the security checklist. Screenshots of each page,
// at desktop and phone width.
func TestDashboardSettingsAndSecurityPages(t *testing.T) {
	ctx := context.Background()
	g := MustStartGatehouse(t, ctx)
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)
	b.step("desktop width", chromedp.EmulateViewport(1280, 900))

	b.navigate(g.Issuer + "admin/settings")
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, g.Tenant.Dashboard.Email, g.Tenant.Dashboard.Password)
	b.step("wait for the form", chromedp.WaitVisible(`#friendly_name`))
	b.step("rename the tenant",
		chromedp.SetValue(`#friendly_name`, "Acme Corp"),
		chromedp.SetValue(`#support_email`, "help@acme.example"),
		chromedp.Submit(`#friendly_name`), chromedp.WaitVisible(`.flash`))
	if v := run(b, "name", chromedp.Evaluate[string](`document.getElementById("friendly_name").value`)); v != "Acme Corp" {
		t.Errorf("tenant name after save: %q", v)
	}
	b.screenshot(shots, "dashboard-settings")

	b.step("email tab", chromedp.Click(`.tabs a[href="/admin/settings/email"]`), chromedp.WaitVisible(`#smtp_host`))
	b.step("add a provider",
		chromedp.SetValue(`#default_from_address`, "Acme <no-reply@acme.example>"),
		chromedp.SetValue(`#smtp_host`, "smtp.acme.example"),
		chromedp.SetValue(`#smtp_port`, "587"),
		chromedp.SetValue(`#smtp_user`, "mailer"),
		chromedp.SendKeys(`#smtp_pass`, "smtp-Secret-123"),
		chromedp.Submit(`#smtp_host`), chromedp.WaitVisible(`.flash`))
	if hint := b.text("#pass-hint"); !strings.Contains(hint, "A password is stored and never shown") {
		t.Errorf("password hint: %q", hint)
	}
	if v := run(b, "password field", chromedp.Evaluate[string](`document.getElementById("smtp_pass").value`)); v != "" {
		t.Errorf("the password came back: %q", v)
	}
	b.screenshot(shots, "dashboard-settings-email")

	// Branding: the preview follows the colours as they are typed; saved, the login page shows them.
	b.step("branding tab", chromedp.Click(`.tabs a[href="/admin/settings/branding"]`), chromedp.WaitVisible(`#primary`))
	b.step("type colours", chromedp.SendKeys(`#primary`, "#0b7a4b"), chromedp.SendKeys(`#page_background`, "#1d2b36"))
	b.step("the preview follows", chromedp.Poll[chromedp.Void](`getComputedStyle(document.querySelector(".preview-button")).backgroundColor === "rgb(11, 122, 75)"`,
		chromedp.WithPollingTimeout(10*time.Second)))
	b.step("save branding", chromedp.Submit(`#primary`), chromedp.WaitVisible(`.flash`))
	b.screenshot(shots, "dashboard-settings-branding")
	b.step("phone width", chromedp.EmulateViewport(390, 844))
	b.screenshot(shots, "dashboard-settings-branding-phone")
	b.step("desktop width", chromedp.EmulateViewport(1280, 900))
	login := MustStartBrowser(t, ctx)
	login.step("desktop width", chromedp.EmulateViewport(1280, 900))
	login.navigate(g.Issuer + "admin/")
	mustBeOnLoginPage(t, login, g)
	if bg := run(login, "login button colour", chromedp.Evaluate[string](`getComputedStyle(document.querySelector("button[type=submit]")).backgroundColor`)); bg != "rgb(11, 122, 75)" {
		t.Errorf("login page button: %s", bg)
	}
	login.screenshot(shots, "login-branded")

	b.step("keys tab", chromedp.Click(`.tabs a[href="/admin/settings/keys"]`), chromedp.WaitVisible(`tbody`))
	b.step("rotate", chromedp.Click(`a[href="/admin/settings/keys/rotate"]`), chromedp.WaitVisible(`button.danger`))
	b.screenshot(shots, "dashboard-settings-keys-rotate")
	b.step("confirm", chromedp.Click(`button.danger`), chromedp.WaitVisible(`.flash`))
	if rows := b.text("tbody"); !strings.Contains(rows, "Current") || !strings.Contains(rows, "Previous") || !strings.Contains(rows, "Revoke") {
		t.Errorf("keys after rotation: %q", rows)
	}
	b.screenshot(shots, "dashboard-settings-keys")
	b.step("phone width", chromedp.EmulateViewport(390, 844))
	b.screenshot(shots, "dashboard-settings-keys-phone")
	b.step("desktop width", chromedp.EmulateViewport(1280, 900))

	b.step("security", chromedp.Click(`nav.side a[href="/admin/security"]`), chromedp.WaitVisible(`.checklist`))
	if n := run(b, "passing items", chromedp.Evaluate[int](`document.querySelectorAll(".check.pass").length`)); n < 9 {
		t.Errorf("%d items pass on the guide's tenant", n)
	}
	b.screenshot(shots, "dashboard-security")
	b.step("phone width", chromedp.EmulateViewport(390, 844))
	b.screenshot(shots, "dashboard-security-phone")
}
