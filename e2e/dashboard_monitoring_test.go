package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// Monitoring in a browser: the home page's chart, the tenant log following itself live (an event
// written while the page is open appears without a reload), markup in an event shown as text, the
// type filter and the detail view. Screenshots at desktop and phone width.
func TestDashboardMonitoringPages(t *testing.T) {
	ctx := context.Background()
	g := MustStartGatehouse(t, ctx)
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)
	b.step("desktop width", chromedp.EmulateViewport(1280, 900))

	// A few failed sign-ins through the login page, so the chart has both kinds.
	for i := 0; i < 2; i++ {
		b.navigate(g.Issuer + "admin/")
		mustBeOnLoginPage(t, b, g)
		signIn(t, b, g.Tenant.Dashboard.Email, "not-the-password")
	}
	b.navigate(g.Issuer + "admin/")
	signIn(t, b, g.Tenant.Dashboard.Email, g.Tenant.Dashboard.Password)
	if legend := b.text(".legend"); !strings.Contains(legend, "1 successful") || !strings.Contains(legend, "2 failed") {
		t.Errorf("home chart legend: %q", legend)
	}
	if n := run(b, "bars", chromedp.Evaluate[int](`document.querySelectorAll("svg.chart rect.bar-ok, svg.chart rect.bar-fail").length`)); n < 2 {
		t.Errorf("%d bars drawn", n)
	}
	b.screenshot(shots, "dashboard-home-activity")

	b.step("open the logs", chromedp.Click(`nav.side a[href="/admin/logs"]`), chromedp.WaitVisible(`table.logs tbody tr`))
	if rows := b.text("table.logs tbody"); !strings.Contains(rows, "Failed Login (Incorrect Password)") || !strings.Contains(rows, "Success Login") {
		t.Errorf("log rows: %q", rows)
	}
	b.step("live status", chromedp.WaitVisible(`#live-toggle`))

	// An event written now appears on the open page, its markup as text.
	if err := g.App.Store.AppendLog(ctx, &domain.LogEvent{LogID: "90000000000000000000000777", Date: time.Now().UTC(), Type: "fu",
		Description: `Wrong email or password. <img src=x onerror=alert(1)>`, UserName: `<b>mallory</b>@example.com`, IP: "203.0.113.7"}); err != nil {
		t.Fatal(err)
	}
	b.step("wait for the live update", chromedp.WaitVisible(`tr[data-id="90000000000000000000000777"]`))
	if row := b.text(`tr[data-id="90000000000000000000000777"]`); !strings.Contains(row, "<b>mallory</b>@example.com") || !strings.Contains(row, "<img src=x onerror=alert(1)>") {
		t.Errorf("the live row: %q", row)
	}
	if n := run(b, "injected elements", chromedp.Evaluate[int](`document.querySelectorAll("table.logs img, table.logs b").length`)); n != 0 {
		t.Errorf("%d elements injected by log content", n)
	}
	if s := b.text("#live-status"); !strings.Contains(s, "1 new event") {
		t.Errorf("live status: %q", s)
	}
	if r := b.text(".pager .muted"); r != "1–5 of 5" {
		t.Errorf("the pager after the live update: %q", r)
	}
	b.screenshot(shots, "dashboard-logs")
	b.step("phone width", chromedp.EmulateViewport(390, 844))
	b.screenshot(shots, "dashboard-logs-phone")
	b.step("desktop width", chromedp.EmulateViewport(1280, 900))

	// The type filter.
	b.step("filter", chromedp.SetValue(`#type`, "fp"), chromedp.Submit(`#type`), chromedp.WaitVisible(`a[href="/admin/logs"]`))
	if rows := b.text("table.logs tbody"); strings.Contains(rows, "Success Login") || !strings.Contains(rows, "Incorrect Password") {
		t.Errorf("filtered rows: %q", rows)
	}

	// The detail view.
	b.navigate(g.Issuer + "admin/logs/90000000000000000000000777")
	if h := b.text("h1"); h != "Failed Login (Invalid Email/Username)" {
		t.Errorf("detail heading %q", h)
	}
	if raw := b.text("pre.raw"); !strings.Contains(raw, `"user_name": "\u003cb\u003emallory\u003c/b\u003e@example.com"`) && !strings.Contains(raw, "<b>mallory</b>") {
		t.Errorf("raw event: %q", raw)
	}
	b.screenshot(shots, "dashboard-log-detail")
	b.step("phone width", chromedp.EmulateViewport(390, 844))
	b.screenshot(shots, "dashboard-log-detail-phone")
}
