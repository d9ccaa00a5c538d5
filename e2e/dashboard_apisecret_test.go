package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// An HS256 API's Signing Secret tab in the browser: hidden at first, shown after the confirmation
// step, rotated after its own; screenshots of each.
func TestDashboardAPISigningSecretPage(t *testing.T) {
	ctx := context.Background()
	g := MustStartGatehouse(t, ctx)
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)

	// An HS256 API, made through the Management API as the tenant's automation would.
	tok := mgmtToken(t, g)
	api := mgmtCall(t, g, "POST", "api/v2/resource-servers", tok, nil, map[string]any{"name": "Shared Secret API",
		"identifier": "https://hs.example.test", "signing_alg": "HS256"})
	id, secret := api["id"].(string), api["signing_secret"].(string)

	b.navigate(g.Issuer + "admin/apis/" + id + "/signing-secret")
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, g.Tenant.Dashboard.Email, g.Tenant.Dashboard.Password)
	if strings.Contains(b.text("main"), secret) {
		t.Fatal("the secret is shown before it is asked for")
	}
	b.screenshot(shots, "dashboard-api-signing-secret")
	b.step("show", chromedp.Click(`#reveal`))
	b.step("confirm", chromedp.WaitVisible(`#reveal-confirm`))
	b.screenshot(shots, "dashboard-api-signing-secret-confirm")
	b.step("show it", chromedp.Click(`#reveal-confirm`), chromedp.WaitVisible(`#signing-secret-value`))
	readShown := func() string {
		return run(b, "the secret shown", chromedp.Evaluate[string](`document.getElementById("signing-secret-value").value`))
	}
	shown := readShown()
	if shown != secret {
		t.Fatalf("shown %q, want the API's secret", shown)
	}
	b.screenshot(shots, "dashboard-api-signing-secret-shown")
	b.navigate(g.Issuer + "admin/apis/" + id + "/signing-secret")
	b.step("rotate", chromedp.Click(`#rotate`), chromedp.WaitVisible(`#rotate-confirm`))
	b.step("rotate it", chromedp.Click(`#rotate-confirm`), chromedp.WaitVisible(`#signing-secret-value`))
	shown = readShown()
	now := mgmtCall(t, g, "GET", "api/v2/resource-servers/"+id, tok, nil, nil)["signing_secret"]
	if shown == secret || shown != now {
		t.Fatalf("after rotation: shown %q, the API has %v", shown, now)
	}
	b.screenshot(shots, "dashboard-api-signing-secret-rotated")
}

// mgmtCall sends a form or a JSON body to Gatehouse and returns the JSON answer of a 2xx.
func mgmtCall(t *testing.T, g *gatehouse, method, path, bearer string, form url.Values, js any) map[string]any {
	t.Helper()
	var body *bytes.Reader
	ct := ""
	switch {
	case form != nil:
		body, ct = bytes.NewReader([]byte(form.Encode())), "application/x-www-form-urlencoded"
	case js != nil:
		raw, _ := json.Marshal(js)
		body, ct = bytes.NewReader(raw), "application/json"
	default:
		body = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, g.Issuer+path, body)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := g.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %v %v", method, path, resp.StatusCode, out, err)
	}
	return out
}

// mgmtToken is a Management API token of the dev tenant's Management client.
func mgmtToken(t *testing.T, g *gatehouse) string {
	t.Helper()
	return mgmtCall(t, g, "POST", "oauth/token", "", url.Values{"grant_type": {"client_credentials"}, "client_id": {g.Tenant.ManagementAPI.ClientID},
		"client_secret": {g.Tenant.ManagementAPI.ClientSecret}, "audience": {g.Issuer + "api/v2/"}}, nil)["access_token"].(string)
}

// deployBound creates the Action described by body, deploys it and makes it trigger's only
// binding; it returns the Action's id.
func deployBound(t *testing.T, g *gatehouse, tok, trigger string, body map[string]any) string {
	t.Helper()
	id := mgmtCall(t, g, "POST", "api/v2/actions/actions", tok, nil, body)["id"].(string)
	mgmtCall(t, g, "POST", "api/v2/actions/actions/"+id+"/deploy", tok, nil, nil)
	mgmtCall(t, g, "PATCH", "api/v2/actions/triggers/"+trigger+"/bindings", tok, nil,
		map[string]any{"bindings": []map[string]any{{"ref": map[string]string{"type": "action_id", "value": id}}}})
	return id
}

// passwordChangeLink is the link of a password-change ticket for the database user with email.
func passwordChangeLink(t *testing.T, ctx context.Context, g *gatehouse, tok, email string) string {
	t.Helper()
	u, err := g.App.Store.GetUserByEmail(ctx, domain.DefaultConnection, email)
	if err != nil {
		t.Fatal(err)
	}
	return mgmtCall(t, g, "POST", "api/v2/tickets/password-change", tok, nil, map[string]any{"user_id": u.UserID})["ticket"].(string)
}
