package e2e_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Authentication › Database and Branding › Email Templates in a browser: raise the default
// connection's password policy, see an application on its Applications tab, save a template
// whose Liquid is broken (the API's message shown) and then a good one. Screenshots of each page,
// at desktop and phone width.
func TestDashboardDatabaseAndEmailTemplatePages(t *testing.T) {
	ctx := context.Background()
	g := MustStartGatehouse(t, ctx)
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)
	desktop := func() { b.step("desktop width", chromedp.EmulateViewport(1280, 900)) }
	phone := func(name string) {
		b.step("phone width", chromedp.EmulateViewport(390, 844))
		b.screenshot(shots, name)
		desktop()
	}
	desktop()

	b.navigate(g.Issuer + "admin/connections")
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, g.Tenant.Dashboard.Email, g.Tenant.Dashboard.Password)
	b.step("wait for the list", chromedp.WaitVisible(`tbody`))
	if rows := b.text("tbody"); !strings.Contains(rows, "Username-Password-Authentication") {
		t.Fatalf("connections list: %q", rows)
	}
	b.screenshot(shots, "dashboard-connections")
	phone("dashboard-connections-phone")

	b.step("open the connection", chromedp.Click(`tbody a`), chromedp.WaitVisible(`#min_length`))
	b.step("raise the policy",
		chromedp.Click(`input[name=password_policy][value=excellent]`),
		chromedp.SetValue(`#min_length`, "12"),
		chromedp.SetValue(`#dictionary`, "acmecorp\nwidget"),
		chromedp.Submit(`#min_length`), chromedp.WaitVisible(`.flash`))
	if v := run(b, "policy", chromedp.Evaluate[string](`document.querySelector("input[name=password_policy]:checked").value`)); v != "excellent" {
		t.Errorf("policy after save: %q", v)
	}
	b.screenshot(shots, "dashboard-connection")
	phone("dashboard-connection-phone")

	b.step("applications tab", chromedp.Click(`.tabs a[href$="/applications"]`), chromedp.WaitVisible(`input[name=client]`))
	if n := run(b, "enabled apps", chromedp.Evaluate[int](`document.querySelectorAll("input[name=client]:checked").length`)); n < 1 {
		t.Errorf("%d applications enabled", n)
	}
	b.screenshot(shots, "dashboard-connection-apps")
	phone("dashboard-connection-apps-phone")

	b.step("email templates", chromedp.Click(`nav.side a[href="/admin/email-templates"]`), chromedp.WaitVisible(`tbody`))
	if rows := b.text("tbody"); strings.Count(rows, "Built-in default") != 7 {
		t.Errorf("templates list: %q", rows)
	}
	b.screenshot(shots, "dashboard-email-templates")
	phone("dashboard-email-templates-phone")

	b.step("verification template", chromedp.Click(`a[href="/admin/email-templates/verify_email"]`), chromedp.WaitVisible(`#body`))
	b.step("broken Liquid",
		chromedp.SetValue(`#subject`, "Verify your email for {{ application.name }}"),
		chromedp.SetValue(`#body`, "<p>Hello {{ user.email }},</p>\n<p>{% if user.email_verified %}Already verified.</p>"),
		chromedp.Submit(`#subject`), chromedp.WaitVisible(`#form-error`))
	if msg := b.text("#form-error"); !strings.Contains(msg, "not valid Liquid") {
		t.Errorf("Liquid error: %q", msg)
	}
	b.screenshot(shots, "dashboard-email-template-error")
	b.step("good Liquid",
		chromedp.SetValue(`#body`, "<p>Hello {{ user.email }},</p>\n<p><a href=\"{{ url }}\">Verify your email</a></p>"),
		chromedp.SetValue(`#result_url`, "https://yourapp.com/verified"),
		chromedp.Submit(`#subject`), chromedp.WaitVisible(`.flash`))
	b.screenshot(shots, "dashboard-email-template")
	phone("dashboard-email-template-phone")
}
