package app_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// Authentication › Database through the pages: the password policy saved through PATCH
// /connections/{id} (options this page does not show kept), the applications enabled for the
// connection, the default connection's deletion refused with the API's message; and nothing of it
// for a read-only administrator, a tenant user or a forged form.
func TestDashboardDatabaseConnections(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	admin, csrf := dashboardAdmin(t, n)
	conn, err := n.Store.GetConnectionByName(ctx, "Username-Password-Authentication")
	if err != nil {
		t.Fatal(err)
	}
	conn.Options.StrategyVersion = 2 // an option the page does not show: a save must keep it
	if err := n.Store.UpdateConnection(ctx, conn); err != nil {
		t.Fatal(err)
	}
	base := n.issuer + "admin/connections/" + conn.ID

	if _, page := get(t, admin, n.issuer+"admin/connections"); !strings.Contains(page, `href="/admin/connections/`+conn.ID+`"`) {
		t.Fatalf("connections list:\n%s", page)
	}
	if _, page := get(t, admin, base); !strings.Contains(page, "At least 10 characters including at least 3 of the four kinds") {
		t.Errorf("settings page without the levels' rules:\n%s", page)
	}
	form := url.Values{"csrf": {csrf}, "password_policy": {"excellent"}, "min_length": {"14"}, "history_enable": {"on"}, "history_size": {"4"},
		"no_personal_info": {"on"}, "dictionary_enable": {"on"}, "dictionary": {"acmecorp\n\n <b>widget</b> \n"}, "disable_signup": {"on"},
		"brute_force_protection": {"on"}}
	// The API's own message for a policy it does not know; nothing changes.
	bad := cloneValues(form)
	bad.Set("password_policy", "strong")
	if resp, page := post(t, admin, base, bad); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "passwordPolicy") {
		t.Errorf("unknown policy: %d\n%s", resp.StatusCode, page)
	}
	if c, _ := n.Store.GetConnection(ctx, conn.ID); c.Options.PasswordPolicy == "strong" || c.Options.DisableSignup {
		t.Errorf("a refused form changed the connection: %+v", c.Options)
	}
	if resp, page := post(t, admin, base, form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save policy: %d\n%s", resp.StatusCode, page)
	}
	c, _ := n.Store.GetConnection(ctx, conn.ID)
	o := c.Options
	if o.PasswordPolicy != "excellent" || o.PasswordComplexityOptions == nil || o.PasswordComplexityOptions.MinLength != 14 ||
		o.PasswordHistory == nil || !o.PasswordHistory.Enable || o.PasswordHistory.Size != 4 || o.PasswordNoPersonalInfo == nil ||
		!o.PasswordNoPersonalInfo.Enable || o.PasswordDictionary == nil || !slices.Equal(o.PasswordDictionary.Dictionary, []string{"acmecorp", "<b>widget</b>"}) ||
		!o.DisableSignup || o.RequiresUsername || !o.BruteForceProtection || o.StrategyVersion != 2 {
		t.Errorf("saved options: %+v", o)
	}
	// What the API now shows is what the page shows, markup as text.
	_, page := get(t, admin, base)
	if !strings.Contains(page, `value="excellent" checked`) || !strings.Contains(page, `value="14"`) || !strings.Contains(page, "&lt;b&gt;widget&lt;/b&gt;") ||
		strings.Contains(page, "<b>widget") {
		t.Errorf("settings page after save:\n%s", page)
	}
	me, _ := n.Store.GetUserByEmail(ctx, domain.DefaultConnection, n.tenant.Dashboard.Email)
	if ev := waitForLog(t, n, me.UserID, "PATCH"); !strings.Contains(ev.Description, "connection") {
		t.Errorf("sapi event: %+v", ev)
	}

	// Applications: switch one off and back on.
	apps := base + "/applications"
	_, page = get(t, admin, apps)
	enabled := c.EnabledClients
	if len(enabled) == 0 || !strings.Contains(page, `value="`+enabled[0]+`" checked`) {
		t.Fatalf("applications tab (enabled %v):\n%s", enabled, page)
	}
	if resp, page := post(t, admin, apps, url.Values{"csrf": {csrf}, "client": enabled[1:]}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable one: %d\n%s", resp.StatusCode, page)
	}
	if c, _ := n.Store.GetConnection(ctx, conn.ID); slices.Contains(c.EnabledClients, enabled[0]) || len(c.EnabledClients) != len(enabled)-1 {
		t.Errorf("after disabling %s: %v", enabled[0], c.EnabledClients)
	}
	if resp, _ := post(t, admin, apps, url.Values{"csrf": {csrf}, "client": enabled}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("enable again: %d", resp.StatusCode)
	}
	if c, _ := n.Store.GetConnection(ctx, conn.ID); len(c.EnabledClients) != len(enabled) {
		t.Errorf("after enabling again: %v", c.EnabledClients)
	}

	// The default connection cannot be deleted: the API says why.
	if resp, page := post(t, admin, base+"/delete", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "default directory") {
		t.Errorf("delete default: %d\n%s", resp.StatusCode, page)
	}

	// A forged token changes nothing.
	forged := cloneValues(form)
	forged.Set("csrf", "forged")
	forged.Set("password_policy", "none")
	if resp, _ := post(t, admin, base, forged); resp.StatusCode != http.StatusForbidden {
		t.Errorf("forged form: %d", resp.StatusCode)
	}
	if c, _ := n.Store.GetConnection(ctx, conn.ID); c.Options.PasswordPolicy != "excellent" {
		t.Errorf("a forged form changed the policy to %q", c.Options.PasswordPolicy)
	}

	ro := cloneValues(form)
	ro.Set("password_policy", "none")
	readOnlyAndUserRefused(t, n, []string{n.issuer + "admin/connections", base, apps},
		[]roPost{{base, ro}, {apps, url.Values{"client": {}}}, {base + "/delete", url.Values{}}})
	if c, _ := n.Store.GetConnection(ctx, conn.ID); c.Options.PasswordPolicy != "excellent" || len(c.EnabledClients) != len(enabled) {
		t.Errorf("a read-only administrator changed the connection: %+v %v", c.Options, c.EnabledClients)
	}
}

// Branding › Email Templates through the pages: never-configured templates shown as the built-in
// default, one saved (PUT) then updated (PATCH), the API's Liquid and header-injection messages
// shown with the form as typed; nothing for a read-only administrator or a forged form.
func TestDashboardEmailTemplates(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	admin, csrf := dashboardAdmin(t, n)
	list := n.issuer + "admin/email-templates"
	_, page := get(t, admin, list)
	if strings.Count(page, "Built-in default") != 7 || !strings.Contains(page, `href="/admin/email-templates/verify_email"`) {
		t.Fatalf("templates list:\n%s", page)
	}
	if _, page = get(t, admin, n.issuer+"admin/settings/email"); !strings.Contains(page, `href="/admin/email-templates"`) {
		t.Error("the email provider page does not link the templates")
	}
	edit := list + "/verify_email"
	form := url.Values{"csrf": {csrf}, "enabled": {"on"}, "from": {"Acme <no-reply@acme.example>"}, "subject": {"Verify {{ user.email }}"},
		"body": {"<p>Hello <script>alert(1)</script>, <a href=\"{{ url }}\">verify</a></p>"}, "result_url": {"https://acme.example/verified"},
		"url_lifetime": {"3600"}}
	liquid := cloneValues(form)
	liquid.Set("body", "<p>{% if user.email %}unclosed</p>")
	resp, page := post(t, admin, edit, liquid)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "is not valid Liquid") || !strings.Contains(page, "{% if user.email %}unclosed") {
		t.Errorf("Liquid error: %d\n%s", resp.StatusCode, page)
	}
	inject := cloneValues(form)
	inject.Set("subject", "Hi\r\nBcc: victim@evil.test")
	if resp, page = post(t, admin, edit, inject); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "subject") {
		t.Errorf("header injection: %d\n%s", resp.StatusCode, page)
	}
	if _, err := n.Store.GetEmailTemplate(ctx, domain.TemplateVerifyEmail); err == nil {
		t.Error("a refused form stored a template")
	}
	if resp, page = post(t, admin, edit, form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save template: %d\n%s", resp.StatusCode, page)
	}
	tpl, err := n.Store.GetEmailTemplate(ctx, "verify_email")
	if err != nil || tpl.Subject != "Verify {{ user.email }}" || tpl.ResultURL != "https://acme.example/verified" || tpl.URLLifetimeInSeconds == nil ||
		*tpl.URLLifetimeInSeconds != 3600 || !tpl.Enabled || tpl.From != "Acme <no-reply@acme.example>" {
		t.Fatalf("stored template: %+v %v", tpl, err)
	}
	_, page = get(t, admin, edit)
	if !strings.Contains(page, `name="configured" value="1"`) || strings.Contains(page, "<script>alert(1)") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("editor after save:\n%s", page)
	}
	// Now configured: PATCH, which keeps what it is not sent.
	upd := cloneValues(form)
	upd.Set("configured", "1")
	upd.Del("enabled")
	upd.Set("url_lifetime", "")
	if resp, page = post(t, admin, edit, upd); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("update template: %d\n%s", resp.StatusCode, page)
	}
	if tpl, _ = n.Store.GetEmailTemplate(ctx, "verify_email"); tpl.Enabled || tpl.URLLifetimeInSeconds == nil || *tpl.URLLifetimeInSeconds != 3600 {
		t.Errorf("after update: %+v", tpl)
	}
	if _, page = get(t, admin, list); strings.Count(page, "Built-in default") != 6 || !strings.Contains(page, "Disabled") {
		t.Errorf("list after save:\n%s", page)
	}
	if resp, _ = get(t, admin, list+"/nope"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown template: %d", resp.StatusCode)
	}

	forged := cloneValues(form)
	forged.Set("csrf", "forged")
	forged.Set("subject", "Forged")
	if resp, _ = post(t, admin, list+"/welcome_email", forged); resp.StatusCode != http.StatusForbidden {
		t.Errorf("forged form: %d", resp.StatusCode)
	}
	ro := cloneValues(form)
	ro.Set("subject", "Read-only")
	readOnlyAndUserRefused(t, n, []string{list, edit}, []roPost{{edit, ro}, {list + "/welcome_email", ro}})
	if _, err := n.Store.GetEmailTemplate(ctx, "welcome_email"); err == nil {
		t.Error("a forged or read-only form stored a template")
	}
	if tpl, _ = n.Store.GetEmailTemplate(ctx, "verify_email"); tpl.Subject != "Verify {{ user.email }}" {
		t.Errorf("a read-only administrator changed the subject to %q", tpl.Subject)
	}
}
