package app_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// Settings through the pages: the tenant's name and support email, the email provider with its
// write-only password, signing keys rotated and revoked after a confirmation step; and nothing of
// it for a read-only administrator, a tenant user or a forged form.
func TestDashboardSettings(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	admin, csrf := dashboardAdmin(t, n)
	base := n.issuer + "admin/settings"

	// General: the API's own message for a bad address; markup stays text; nothing changed.
	resp, page := post(t, admin, base, url.Values{"csrf": {csrf}, "friendly_name": {"Acme <script>x</script>"}, "support_email": {"not an address"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "support_email") || strings.Contains(page, "<script>x") ||
		!strings.Contains(page, `value="Acme &lt;script&gt;x&lt;/script&gt;"`) {
		t.Errorf("bad support email: %d\n%s", resp.StatusCode, page)
	}
	if s, _ := n.Store.GetTenantSettings(ctx); s.FriendlyName != "Gatehouse (dev)" {
		t.Errorf("a refused form renamed the tenant to %q", s.FriendlyName)
	}
	if resp, _ = post(t, admin, base, url.Values{"csrf": {csrf}, "friendly_name": {"Acme"}, "support_email": {"help@acme.example"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save general: %d", resp.StatusCode)
	}
	if s, _ := n.Store.GetTenantSettings(ctx); s.FriendlyName != "Acme" || s.SupportEmail != "help@acme.example" {
		t.Errorf("saved settings: %+v", s)
	}

	// Email provider: created, its password never shown, kept when the field is left empty.
	email := base + "/email"
	if _, page = get(t, admin, email); !strings.Contains(page, "Add provider") {
		t.Errorf("email page without a provider:\n%s", page)
	}
	form := url.Values{"csrf": {csrf}, "enabled": {"on"}, "default_from_address": {"Acme <no-reply@acme.example>"},
		"smtp_host": {"smtp.acme.example"}, "smtp_port": {"587"}, "smtp_user": {"mailer"}, "smtp_pass": {"smtp-Secret-123"}}
	bad := cloneValues(form)
	bad.Set("smtp_pass", "")
	if resp, page = post(t, admin, email, bad); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "smtp_pass is required with smtp_user.") {
		t.Errorf("a user without a password: %d\n%s", resp.StatusCode, page)
	}
	if resp, page = post(t, admin, email, form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create provider: %d\n%s", resp.StatusCode, page)
	}
	_, page = get(t, admin, email)
	if strings.Contains(page, "smtp-Secret-123") || !strings.Contains(page, "A password is stored and never shown") || !strings.Contains(page, `value="smtp.acme.example"`) {
		t.Errorf("email page:\n%s", page)
	}
	keep := cloneValues(form)
	keep.Set("exists", "1")
	keep.Set("smtp_pass", "")
	keep.Set("smtp_port", "465")
	if resp, _ = post(t, admin, email, keep); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("update provider keeping the password: %d", resp.StatusCode)
	}
	if p, err := n.Store.GetEmailProvider(ctx); err != nil || p.Credentials.SMTPPort != 465 || len(p.PasswordSealed) == 0 {
		t.Errorf("provider after update: %+v %v", p, err)
	}
	nan := cloneValues(keep)
	nan.Set("smtp_port", "smtp")
	if resp, page = post(t, admin, email, nan); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "must be a number") {
		t.Errorf("a port that is not a number: %d", resp.StatusCode)
	}

	// Signing keys: rotation asks first; the previous key can then be revoked, after asking.
	keys := base + "/keys"
	_, page = get(t, admin, keys)
	if !strings.Contains(page, ">Current</span>") || !strings.Contains(page, `href="/admin/settings/keys/rotate"`) {
		t.Fatalf("keys page:\n%s", page)
	}
	if _, page = get(t, admin, keys+"/rotate"); !strings.Contains(page, "Rotate the signing keys?") {
		t.Errorf("rotate confirmation:\n%s", page)
	}
	before, _ := n.Store.ListSigningKeys(ctx)
	if resp, _ = post(t, admin, keys+"/rotate", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("rotate without confirming: %d", resp.StatusCode)
	}
	if after, _ := n.Store.ListSigningKeys(ctx); len(after) != len(before) {
		t.Errorf("rotated without confirmation")
	}
	if resp, _ = post(t, admin, keys+"/rotate", url.Values{"csrf": {csrf}, "confirm": {"yes"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("rotate: %d", resp.StatusCode)
	}
	_, page = get(t, admin, keys+"?rotated=1")
	m := regexp.MustCompile(`href="/admin/settings/keys/([^/"]+)/revoke"`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, ">Previous</span>") {
		t.Fatalf("keys after rotation:\n%s", page)
	}
	kid := m[1]
	if _, page = get(t, admin, keys+"/"+kid+"/revoke"); !strings.Contains(page, "Revoke key "+kid+"?") {
		t.Errorf("revoke confirmation:\n%s", page)
	}

	// A read-only administrator sees every tab and changes nothing.
	ro, roCSRF := dashboardViewer(t, n, "viewer@example.com")
	for _, u := range []string{base, email, keys} {
		if resp, page := get(t, ro, u); resp.StatusCode != http.StatusOK || strings.Contains(page, "smtp-Secret") {
			t.Errorf("read-only GET %s: %d", u, resp.StatusCode)
		}
	}
	if _, page = get(t, ro, keys); strings.Contains(page, "/rotate") || strings.Contains(page, "/revoke") {
		t.Errorf("read-only keys page offers changes")
	}
	for _, c := range []struct {
		path string
		form url.Values
	}{
		{base, url.Values{"friendly_name": {"Viewer's"}, "support_email": {""}}},
		{email, keep},
		{keys + "/rotate", url.Values{"confirm": {"yes"}}},
		{keys + "/" + kid + "/revoke", url.Values{"confirm": {"yes"}}},
	} {
		f := cloneValues(c.form)
		f.Set("csrf", roCSRF)
		if resp, page := post(t, ro, c.path, f); resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "Insufficient scope") {
			t.Errorf("read-only POST %s: %d", c.path, resp.StatusCode)
		}
	}
	// A revoke posted from another origin with a valid token, and a forged one from the browser.
	req, _ := http.NewRequest("POST", keys+"/"+kid+"/revoke", strings.NewReader(url.Values{"csrf": {csrf}, "confirm": {"yes"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if resp, err := admin.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("revoke from another origin: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if resp, _ = post(t, admin, keys+"/"+kid+"/revoke", url.Values{"csrf": {"forged"}, "confirm": {"yes"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("forged revoke: %d", resp.StatusCode)
	}
	for _, k := range mustKeys(t, n) {
		if k.State == domain.KeyRevoked {
			t.Errorf("a refused revoke revoked %s", k.KID)
		}
	}
	if s, _ := n.Store.GetTenantSettings(ctx); s.FriendlyName != "Acme" {
		t.Errorf("a read-only administrator renamed the tenant to %q", s.FriendlyName)
	}

	// The administrator revokes it.
	if resp, _ = post(t, admin, keys+"/"+kid+"/revoke", url.Values{"csrf": {csrf}, "confirm": {"yes"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("revoke: %d", resp.StatusCode)
	}
	revoked := false
	for _, k := range mustKeys(t, n) {
		revoked = revoked || (k.KID == kid && k.State == domain.KeyRevoked)
	}
	if !revoked {
		t.Errorf("key %s not revoked", kid)
	}

	// A tenant user reaches none of it.
	user := browser(t)
	dashboardSignIn(t, n, user, n.tenant.Users[1].Email, n.tenant.Users[1].Password)
	for _, u := range []string{base, email, keys, keys + "/rotate"} {
		if resp, _ := get(t, user, u); resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s by a tenant user: %d", u, resp.StatusCode)
		}
	}
}

func mustKeys(t *testing.T, n *node) []*domain.SigningKey {
	t.Helper()
	keys, err := n.Store.ListSigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// Branding through the dashboard: saved with the API's own checks, previewed with the hosted
// pages' stylesheet, and shown on the login page; a read-only administrator cannot change it.
func TestDashboardBranding(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	admin, csrf := dashboardAdmin(t, n)
	u := n.issuer + "admin/settings/branding"

	resp, page := post(t, admin, u, url.Values{"csrf": {csrf}, "logo_url": {"http://cdn.acme.example/logo.png"}, "primary": {"#0059d6"}, "page_background": {""}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "logo_url") || !strings.Contains(page, `value="http://cdn.acme.example/logo.png"`) {
		t.Errorf("an http logo: %d\n%s", resp.StatusCode, page)
	}
	if resp, page = post(t, admin, u, url.Values{"csrf": {csrf}, "logo_url": {""}, "primary": {`red"><script>`}, "page_background": {""}}); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(page, "colors.primary") || strings.Contains(page, `red"><script>`) {
		t.Errorf("a colour with markup: %d", resp.StatusCode)
	}
	if s, _ := n.Store.GetTenantSettings(ctx); s.Branding != nil {
		t.Errorf("refused forms saved branding: %+v", s.Branding)
	}
	form := url.Values{"csrf": {csrf}, "logo_url": {"https://cdn.acme.example/logo.png"}, "primary": {"#0059d6"}, "page_background": {"#101820"}}
	if resp, _ = post(t, admin, u, form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save branding: %d", resp.StatusCode)
	}
	resp, page = get(t, admin, u+"?saved=1")
	if !strings.Contains(page, `href="/u/branding.css?page_background=101820&amp;primary=0059d6&amp;scope=brand-preview"`) ||
		!strings.Contains(page, `<img class="preview-logo" src="https://cdn.acme.example/logo.png"`) ||
		!strings.HasSuffix(resp.Header.Get("Content-Security-Policy"), "img-src 'self' data: https://cdn.acme.example") {
		t.Errorf("branding page after save: %q\n%s", resp.Header.Get("Content-Security-Policy"), page)
	}

	// The login page shows it.
	c := browser(t)
	resp, _ = get(t, c, n.issuer+"admin/")
	loc, _ := resp.Location()
	resp, _ = get(t, c, loc.String())
	authorize, _ := resp.Location()
	resp, _ = get(t, c, authorize.String())
	login, _ := resp.Location()
	resp, page = get(t, c, login.String())
	if !strings.Contains(page, `href="/u/branding.css?page_background=101820&amp;primary=0059d6"`) || !strings.Contains(page, `src="https://cdn.acme.example/logo.png"`) ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "https://cdn.acme.example") {
		t.Errorf("login page: %d %q\n%s", resp.StatusCode, resp.Header.Get("Content-Security-Policy"), page)
	}

	// Read-only: sees it, cannot change it.
	ro, roCSRF := dashboardViewer(t, n, "viewer@example.com")
	if resp, page = get(t, ro, u); resp.StatusCode != http.StatusOK || !strings.Contains(page, "disabled>Save") {
		t.Errorf("read-only branding page: %d", resp.StatusCode)
	}
	f := cloneValues(form)
	f.Set("csrf", roCSRF)
	f.Set("primary", "#ff0000")
	if resp, page = post(t, ro, u, f); resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "Insufficient scope") {
		t.Errorf("read-only save: %d", resp.StatusCode)
	}
	if s, _ := n.Store.GetTenantSettings(ctx); s.Branding == nil || s.Branding.Colors.Primary != "#0059d6" {
		t.Errorf("branding after a read-only save: %+v", s.Branding)
	}
}
