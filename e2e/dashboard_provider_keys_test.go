package e2e_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/internal/app"
)

// The Keys tab of an oidc connection with private_key_jwt, in a browser: its current key, then a
// rotation that publishes a next key, then one that makes it current and lists the old one as
// previous. Screenshots at desktop and phone width.
func TestDashboardProviderKeys(t *testing.T) {
	ctx := context.Background()
	g := MustStartGatehouse(t, ctx, func(o *app.Options) { o.AllowPrivateDestinations = true })
	m := newMgmtAPI(t, ctx, g)
	conn := m.do("POST", "connections", map[string]any{"name": "acme-oidc", "strategy": "oidc", "options": map[string]any{
		"type": "back_channel", "client_id": "acme-client", "scope": "openid profile email", "token_endpoint_auth_method": "private_key_jwt",
		"issuer": "http://127.0.0.1:9/", "authorization_endpoint": "http://127.0.0.1:9/authorize",
		"token_endpoint": "http://127.0.0.1:9/oauth/token", "jwks_uri": "http://127.0.0.1:9/.well-known/jwks.json"}}, 201)
	keysPath := g.Issuer + "admin/providers/" + conn["id"].(string) + "/keys"

	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)
	b.step("desktop width", chromedp.EmulateViewport(1280, 900))
	b.navigate(keysPath)
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, g.Tenant.Dashboard.Email, g.Tenant.Dashboard.Password)
	b.step("the Keys tab", chromedp.WaitVisible(`#connection-keys`))
	if n := run(b, "keys", chromedp.Evaluate[int](`document.querySelectorAll("#connection-keys tbody tr").length`)); n != 1 {
		t.Fatalf("%d keys before any rotation", n)
	}
	b.step("rotate once", chromedp.Click(`#rotate-keys`), chromedp.WaitVisible(`.flash`))
	if rows := b.text("#connection-keys tbody"); !strings.Contains(rows, "Current") || !strings.Contains(rows, "Next") {
		t.Errorf("after one rotation: %q", rows)
	}
	b.step("rotate again", chromedp.Click(`#rotate-keys`),
		chromedp.WaitVisible(`#connection-keys tr[data-use=previous]`))
	if n := run(b, "keys", chromedp.Evaluate[int](`document.querySelectorAll("#connection-keys tbody tr").length`)); n != 3 {
		t.Errorf("%d keys after two rotations, want current, next and previous", n)
	}
	b.screenshot(shots, "dashboard-provider-keys")
	b.step("phone width", chromedp.EmulateViewport(390, 844))
	b.screenshot(shots, "dashboard-provider-keys-phone")
}
