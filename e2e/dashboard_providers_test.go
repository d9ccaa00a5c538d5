package e2e_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/internal/app"
)

// Authentication › Social & Enterprise in a browser: create a GitHub connection (its URLs on
// loopback), tick the guide's app on its Applications tab, see it in the list, open its settings
// (the secret field empty). Screenshots of each page, at desktop and phone width.
func TestDashboardProviderPages(t *testing.T) {
	ctx := context.Background()
	g := MustStartGatehouse(t, ctx, func(o *app.Options) { o.AllowPrivateDestinations = true })
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)
	desktop := func() { b.step("desktop width", chromedp.EmulateViewport(1280, 900)) }
	phone := func(name string) {
		b.step("phone width", chromedp.EmulateViewport(390, 844))
		b.screenshot(shots, name)
		desktop()
	}
	desktop()

	b.navigate(g.Issuer + "admin/providers")
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, g.Tenant.Dashboard.Email, g.Tenant.Dashboard.Password)
	b.step("wait for the empty list", chromedp.WaitVisible(`a[href="/admin/providers/new"]`))
	b.step("create form", chromedp.Click(`a[href="/admin/providers/new"]`), chromedp.WaitVisible(`#name`))
	b.step("fill it",
		chromedp.SetValue(`#name`, "github"),
		chromedp.SetValue(`#strategy`, "github"),
		chromedp.SetValue(`#display_name`, "GitHub"),
		chromedp.SetValue(`#client_id`, "gh-id"),
		chromedp.SetValue(`#client_secret`, "gh-secret"),
		chromedp.SetValue(`#authorizationURL`, "http://127.0.0.1:9/login/oauth/authorize"),
		chromedp.SetValue(`#tokenURL`, "http://127.0.0.1:9/login/oauth/access_token"),
		chromedp.SetValue(`#profileURL`, "http://127.0.0.1:9/user"))
	b.screenshot(shots, "dashboard-provider-new")
	phone("dashboard-provider-new-phone")
	b.step("create", chromedp.Submit(`#name`), chromedp.WaitVisible(`input[name=client]`))
	b.step("tick the guide's app",
		chromedp.Click(`input[name=client][value="`+g.Tenant.WebApp.ClientID+`"]`),
		chromedp.Submit(`input[name=client]`), chromedp.WaitVisible(`.flash`))
	if n := run(b, "enabled apps", chromedp.Evaluate[int](`document.querySelectorAll("input[name=client]:checked").length`)); n != 1 {
		t.Errorf("%d applications enabled", n)
	}
	b.screenshot(shots, "dashboard-provider-apps")
	phone("dashboard-provider-apps-phone")

	b.step("settings tab", chromedp.Click(`.tabs a:first-child`), chromedp.WaitVisible(`#client_secret`))
	if v := run(b, "secret field", chromedp.Evaluate[string](`document.querySelector("#client_secret").value`)); v != "" {
		t.Errorf("the client secret is shown: %q", v)
	}
	b.screenshot(shots, "dashboard-provider")
	phone("dashboard-provider-phone")

	b.step("list", chromedp.Click(`nav.side a[href="/admin/providers"]`), chromedp.WaitVisible(`tbody`))
	if rows := b.text("tbody"); !strings.Contains(rows, "github") || !strings.Contains(rows, "GitHub") {
		t.Errorf("list: %q", rows)
	}
	b.screenshot(shots, "dashboard-providers")
	phone("dashboard-providers-phone")
}
