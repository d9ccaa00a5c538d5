package e2e_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/internal/devtenant"
)

// setEditorCode replaces the Action editor's code as a paste would: the value, then an input event
// (so the editor script redraws and checks the size).
func setEditorCode(b *browser, code string) {
	b.t.Helper()
	run(b, "set the code", chromedp.Evaluate[bool](`(() => { const a = document.getElementById("code");
		a.value = `+jsString(code)+`; a.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`))
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "`", "\\`", "$", `\$`)
	return "`" + r.Replace(s) + "`"
}

// Actions in a browser: create one, see the compiler's error at its line in the editor, have a
// paste over the limit refused before anything is sent, deploy, keep a secret, add the action to
// the Login flow and move it first. Screenshots of each page, at desktop and phone width.
func TestDashboardActionsPages(t *testing.T) {
	ctx := context.Background()
	g := MustStartGatehouse(t, ctx)
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)
	b.step("desktop width", chromedp.EmulateViewport(1280, 900))

	b.navigate(g.Issuer + "admin/actions")
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, g.Tenant.Dashboard.Email, g.Tenant.Dashboard.Password)
	if h := b.text("h1"); h != "Actions" {
		t.Fatalf("after sign-in: %q at %s", h, b.location())
	}
	if rows := b.text("tbody"); !strings.Contains(rows, devtenant.ActionName) || !strings.Contains(rows, "Deployed") {
		t.Errorf("action list: %q", rows)
	}
	b.screenshot(shots, "dashboard-actions")

	b.step("create action", chromedp.Click(`a.button.primary`))
	b.step("wait for the form", chromedp.WaitVisible(`#name`))
	b.step("name it", chromedp.SendKeys(`#name`, "Tag <b>beta</b> users"))
	b.screenshot(shots, "dashboard-action-new")
	b.step("create", chromedp.Submit(`#name`))
	b.step("wait for the editor", chromedp.WaitVisible(`.editor .gutter`))
	if h := b.text("h1"); h != "Tag <b>beta</b> users" {
		t.Errorf("the name's markup was not kept as text: %q", h)
	}
	if n := run(b, "highlighted tokens", chromedp.Evaluate[int](`document.querySelectorAll(".editor pre .tok-k, .editor pre .tok-c").length`)); n < 2 {
		t.Errorf("the editor coloured %d keywords and comments", n)
	}

	// A syntax error on line 3: the error names the line, and the editor marks it.
	setEditorCode(b, "exports.onExecutePostLogin = async (event, api) => {\n  const beta = event.user.email;\n  if (beta {\n};\n")
	b.step("deploy broken code", chromedp.Click(`button[value=deploy]`), chromedp.WaitVisible(`.error[role=alert] .excerpt`))
	if msg := b.text(`#form-error p`); !strings.Contains(msg, "does not compile: Line 3:") {
		t.Errorf("compile error: %q", msg)
	}
	if bad := b.text(`.editor .gutter span.bad`); bad != "3" {
		t.Errorf("the gutter marks line %q", bad)
	}
	b.screenshot(shots, "dashboard-action-compile-error")

	// A huge paste: refused on the page, nothing sent.
	before := b.location()
	setEditorCode(b, "// "+strings.Repeat("x", 150*1024)+"\n")
	b.step("deploy a huge paste", chromedp.Click(`button[value=deploy]`), chromedp.WaitVisible(`#code-size`))
	if msg := b.text(`#code-size`); !strings.Contains(msg, "at most 100 kB. Nothing was saved") {
		t.Errorf("size message: %q", msg)
	}
	if b.location() != before {
		t.Errorf("the huge paste was sent: now at %s", b.location())
	}

	// Working code, deployed.
	setEditorCode(b, "exports.onExecutePostLogin = async (event, api) => {\n  // Beta testers get a claim.\n  if (event.user.email.endsWith('@beta.example')) {\n    api.idToken.setCustomClaim('https://yourapp.com/beta', true);\n  }\n};\n")
	b.step("deploy", chromedp.Click(`button[value=deploy]`), chromedp.WaitVisible(`.flash`))
	if f := b.text(".flash"); f != "Deployed as version 1." {
		t.Fatalf("after deploy: %q", f)
	}
	// A secret: written, listed by name only.
	b.step("add a secret",
		chromedp.SendKeys(`#secret-name`, "BETA_API_KEY"),
		chromedp.SendKeys(`#secret-value`, "sk-live-123456"),
		chromedp.Submit(`#secret-name`),
		chromedp.WaitVisible(`#secrets table`))
	if page := b.text("main"); !strings.Contains(page, "BETA_API_KEY") || strings.Contains(page, "sk-live-123456") {
		t.Errorf("secrets panel: %q", page)
	}
	b.screenshot(shots, "dashboard-action-editor")
	b.step("phone width", chromedp.EmulateViewport(390, 844))
	b.screenshot(shots, "dashboard-action-editor-phone")
	b.step("desktop width", chromedp.EmulateViewport(1280, 900))

	b.step("versions", chromedp.Click(`.tabs a[href$="/versions"]`), chromedp.WaitVisible(`tbody`))
	if rows := b.text("tbody"); !strings.Contains(rows, "Version 1") || !strings.Contains(rows, "Running") {
		t.Errorf("versions: %q", rows)
	}
	b.screenshot(shots, "dashboard-action-versions")

	// Flows > Login: add the new action (the seeded user-sync Action is offered too), then move it
	// before the guide's.
	b.navigate(g.Issuer + "admin/flows/login")
	b.step("add to the flow", chromedp.SetValue(`#action`, run(b, "option", chromedp.Evaluate[string](`[...document.querySelectorAll("#action option")].find((o) => o.textContent.includes("beta")).value`))),
		chromedp.Click(`form.row button.primary`), chromedp.WaitVisible(`.flash`))
	if n := run(b, "flow length", chromedp.Evaluate[int](`document.querySelectorAll("ol.flow > li").length`)); n != 2 {
		t.Fatalf("%d actions in the flow", n)
	}
	// The page after "add" already shows a flash, so wait for the new order itself, not for a flash.
	b.step("move up", chromedp.Click(`ol.flow > li:nth-child(2) button[value=up]`))
	b.waitFor("the moved action first", `(document.querySelector("ol.flow > li:first-child .flow-name a") || {}).textContent === "Tag <b>beta</b> users"`)
	if first := b.text(`ol.flow > li:first-child .flow-name a`); first != "Tag <b>beta</b> users" {
		t.Errorf("first in the flow: %q", first)
	}
	b.screenshot(shots, "dashboard-flow-login")
	b.step("phone width", chromedp.EmulateViewport(390, 844))
	b.screenshot(shots, "dashboard-flow-login-phone")
	b.step("desktop width", chromedp.EmulateViewport(1280, 900))
}
