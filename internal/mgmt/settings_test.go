package mgmt_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mgmt"
)

func TestSigningKeys(t *testing.T) {
	var km *fakeKeys
	e := newEnv(t, func(o *mgmt.Options) {
		km = &fakeKeys{st: o.Store}
		o.Keys = km
	})
	ctx := context.Background()
	for _, state := range []string{domain.KeyCurrent, domain.KeyNext} {
		if err := e.st.CreateSigningKey(ctx, newKey(t, state)); err != nil {
			t.Fatal(err)
		}
	}
	keys := e.must(t, 200, "GET", "/keys/signing", nil).arr(t)
	if len(keys) != 2 {
		t.Fatalf("keys: %v", keys)
	}
	var current, next map[string]any
	for _, k := range keys {
		km := k.(map[string]any)
		if km["current"] == true {
			current = km
		}
		if km["next"] == true {
			next = km
		}
		if !strings.HasPrefix(km["cert"].(string), "-----BEGIN CERTIFICATE-----") || len(km["thumbprint"].(string)) != 40 || strings.Count(km["fingerprint"].(string), ":") != 19 {
			t.Errorf("key view: %v", km)
		}
	}
	if current == nil || next == nil {
		t.Fatalf("states: %v", keys)
	}
	raw := string(e.must(t, 200, "GET", "/keys/signing", nil).raw)
	if strings.Contains(raw, "sealed") || strings.Contains(raw, "PRIVATE") {
		t.Fatal("private key material returned")
	}
	e.must(t, 200, "GET", "/keys/signing/"+current["kid"].(string), nil)
	wantError(t, e.call(t, "admin", "GET", "/keys/signing/nope", nil), 404, "", "", false)

	wantError(t, e.call(t, "admin", "PUT", "/keys/signing/"+current["kid"].(string)+"/revoke", nil), 400, "", "Only a previous signing key", false)
	rot := e.must(t, http.StatusCreated, "POST", "/keys/signing/rotate", nil).obj(t)
	if rot["kid"] != km.next.KID || rot["cert"] == nil {
		t.Fatalf("rotate: %v, want the new next key %s", rot, km.next.KID)
	}
	if k := e.must(t, 200, "GET", "/keys/signing/"+next["kid"].(string), nil).obj(t); k["current"] != true {
		t.Errorf("the old next key did not become current: %v", k)
	}
	rev := e.must(t, 200, "PUT", "/keys/signing/"+current["kid"].(string)+"/revoke", nil).obj(t)
	if rev["kid"] != current["kid"] {
		t.Errorf("revoke: %v", rev)
	}
	after := e.must(t, 200, "GET", "/keys/signing/"+current["kid"].(string), nil).obj(t)
	if after["revoked"] != true || after["revoked_at"] == nil {
		t.Errorf("after revoke: %v", after)
	}
}

func TestKeysWithoutManager(t *testing.T) {
	e := newEnv(t, func(o *mgmt.Options) { o.Keys = nil })
	wantError(t, e.call(t, "admin", "POST", "/keys/signing/rotate", nil), http.StatusNotImplemented, "", "", false)
}

func TestTenantSettings(t *testing.T) {
	e := newEnv(t)
	s := e.must(t, 200, "GET", "/tenants/settings", nil).obj(t)
	if s["default_directory"] != conn || s["session_lifetime"] != float64(168) {
		t.Errorf("defaults: %v", s)
	}
	createAPI(t, e)
	p := e.must(t, 200, "PATCH", "/tenants/settings", map[string]any{
		"friendly_name": "Your App", "support_email": "support@yourapp.com", "default_audience": apiID,
		"allowed_logout_urls": []string{"https://yourapp.com"}, "session_lifetime": 72, "idle_session_lifetime": 24,
		"flags": map[string]bool{"revoke_refresh_token_grant": true},
	}).obj(t)
	flags := p["flags"].(map[string]any)
	if p["friendly_name"] != "Your App" || p["default_audience"] != apiID || flags["enable_sso"] != true || flags["revoke_refresh_token_grant"] != true {
		t.Errorf("patched: %v", p)
	}
	if g := e.must(t, 200, "GET", "/tenants/settings", nil).obj(t); g["idle_session_lifetime"] != float64(24) {
		t.Errorf("read back: %v", g)
	}
	wantError(t, e.call(t, "admin", "PATCH", "/tenants/settings", map[string]any{"idle_session_lifetime": 1000}), 400, "invalid_body", "idle_session_lifetime", false)
	wantError(t, e.call(t, "admin", "PATCH", "/tenants/settings", map[string]any{"allowed_logout_urls": []string{"https://*.yourapp.com"}}), 400, "invalid_body", "allowed_logout_urls[0]", false)
	wantError(t, e.call(t, "admin", "PATCH", "/tenants/settings", map[string]any{"default_audience": "https://nope"}), 400, "invalid_body", "default_audience", false)
	wantError(t, e.call(t, "admin", "PATCH", "/tenants/settings", map[string]any{"support_email": "not an address"}), 400, "invalid_body", "support_email", false)
	wantError(t, e.call(t, "admin", "PATCH", "/tenants/settings", map[string]any{"picture_url": "javascript:alert(1)"}), 400, "invalid_body", "picture_url", false)
}

// Branding in Auth0's shape: merged field by field, null clears, colours and URLs checked; kept
// with the tenant settings but shown only at /branding.
func TestBranding(t *testing.T) {
	e := newEnv(t)
	if b := e.must(t, 200, "GET", "/branding", nil).obj(t); len(b) != 0 {
		t.Errorf("branding before any change: %v", b)
	}
	b := e.must(t, 200, "PATCH", "/branding", map[string]any{
		"colors": map[string]any{"primary": "#0059d6", "page_background": "#000000"}, "logo_url": "https://yourapp.com/logo.png",
	}).obj(t)
	colors, _ := b["colors"].(map[string]any)
	if colors["primary"] != "#0059d6" || colors["page_background"] != "#000000" || b["logo_url"] != "https://yourapp.com/logo.png" {
		t.Errorf("patched branding: %v", b)
	}
	// One colour changed, the other kept; the tenant settings neither show nor drop it.
	e.must(t, 200, "PATCH", "/branding", map[string]any{"colors": map[string]any{"primary": "#abc"}})
	if s := e.must(t, 200, "GET", "/tenants/settings", nil).obj(t); s["branding"] != nil {
		t.Errorf("tenant settings show the branding: %v", s)
	}
	e.must(t, 200, "PATCH", "/tenants/settings", map[string]any{"friendly_name": "Your App"})
	b = e.must(t, 200, "GET", "/branding", nil).obj(t)
	if colors, _ = b["colors"].(map[string]any); colors["primary"] != "#abc" || colors["page_background"] != "#000000" || b["logo_url"] != "https://yourapp.com/logo.png" {
		t.Errorf("branding after other changes: %v", b)
	}
	// Bad values change nothing.
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"colors": map[string]any{"primary": "red; background: url(x)"}}, "colors.primary"},
		{map[string]any{"logo_url": "http://yourapp.com/logo.png"}, "logo_url"},
		{map[string]any{"favicon_url": "javascript:alert(1)"}, "favicon_url"},
		{map[string]any{"font": map[string]any{"url": "https://fonts.example/a b.woff"}}, "font.url"},
		{map[string]any{"logo_url": 42}, "logo_url"},
	} {
		wantError(t, e.call(t, "admin", "PATCH", "/branding", c.body), 400, "invalid_body", c.field, false)
	}
	// null clears.
	b = e.must(t, 200, "PATCH", "/branding", map[string]any{"logo_url": nil, "colors": nil}).obj(t)
	if _, ok := b["logo_url"]; ok || b["colors"] != nil {
		t.Errorf("after clearing: %v", b)
	}
	// Reading is read:branding, changing update:branding.
	if r := e.call(t, "scopes:read:branding", "GET", "/branding", nil); r.status != 200 {
		t.Errorf("reader GET /branding: %d", r.status)
	}
	wantError(t, e.call(t, "scopes:read:branding", "PATCH", "/branding", map[string]any{"logo_url": "https://x.example/l.png"}), 403, "insufficient_scope", "", false)
}
