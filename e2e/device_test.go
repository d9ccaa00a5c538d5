package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestDeviceActivation drives /activate in headless Chromium as a person with a TV would: a wrong
// code first, then the right one, the hosted sign-in, the confirmation naming the app and showing
// the code, and the success page; the device's next poll gets the tokens. Each page is
// screenshotted.
func TestDeviceActivation(t *testing.T) {
	chromiumPath(t) // skip early, before starting anything
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	g := MustStartGatehouse(t, ctx)
	clientID := mustDeviceClient(t, ctx, g)
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)
	user := g.User(t, "user")

	var da struct {
		DeviceCode      string `json:"device_code"`
		UserCode        string `json:"user_code"`
		VerificationURI string `json:"verification_uri"`
	}
	status := postJSONForm(t, ctx, g, "oauth/device/code", url.Values{"client_id": {clientID},
		"scope": {"openid profile offline_access read:own_data"}, "audience": {"https://api.yourapp.com"}}, &da)
	if status != http.StatusOK || da.VerificationURI != g.Issuer+"activate" {
		t.Fatalf("device code: %d %+v", status, da)
	}

	b.navigate(da.VerificationURI)
	b.step("enter a wrong code", chromedp.SendKeys(chromedp.CSS(`input[name="user_code"]`), "BCDF-GHJK"),
		chromedp.Submit(chromedp.CSS(`input[name="user_code"]`)), chromedp.WaitVisible(chromedp.CSS(`#form-error p`)))
	if msg := b.text("#form-error"); !strings.Contains(msg, "Invalid or expired code") {
		t.Fatalf("wrong code message %q", msg)
	}
	b.screenshot(shots, "activate-wrong-code")
	b.navigate(da.VerificationURI)
	b.step("enter the device's code", chromedp.WaitVisible(chromedp.CSS(`input[name="user_code"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="user_code"]`), strings.ToLower(da.UserCode)))
	b.screenshot(shots, "activate")
	b.step("submit the code", chromedp.Submit(chromedp.CSS(`input[name="user_code"]`)))
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, user.Email, user.Password)

	b.step("wait for the confirmation", chromedp.WaitVisible(chromedp.CSS(`button[value="confirm"]`)))
	if loc := b.location(); !strings.HasPrefix(loc, g.Origin+"/activate/confirm") {
		t.Fatalf("confirmation at %s", loc)
	}
	if body := b.text("body"); !strings.Contains(body, "Living Room TV") || !strings.Contains(body, da.UserCode) {
		t.Fatalf("confirmation does not name the app and the code: %q", body)
	}
	b.screenshot(shots, "device-confirm")
	b.step("confirm", chromedp.Click(chromedp.CSS(`button[value="confirm"]`)), chromedp.WaitVisible(chromedp.CSS(`.done.approved`)))
	if h := b.text("h1"); h != "You're all set" {
		t.Fatalf("done page heading %q", h)
	}
	b.screenshot(shots, "device-done")

	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		Scope        string `json:"scope"`
	}
	status = postJSONForm(t, ctx, g, "oauth/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
		"client_id": {clientID}, "device_code": {da.DeviceCode}}, &tok)
	if status != http.StatusOK || tok.AccessToken == "" || tok.RefreshToken == "" || tok.Scope != "openid profile offline_access read:own_data" {
		t.Fatalf("device poll after approval: %d %+v", status, tok)
	}
}

// mustDeviceClient creates a native app with the device code grant through the Management API and
// returns its client id.
func mustDeviceClient(t *testing.T, ctx context.Context, g *gatehouse) string {
	t.Helper()
	m := g.Tenant.ManagementAPI
	bearer := mustClientCredentials(t, ctx, g, m.ClientID, m.ClientSecret, m.Audience)
	body, _ := json.Marshal(map[string]any{"name": "Living Room TV", "app_type": "native",
		"grant_types": []string{"urn:ietf:params:oauth:grant-type:device_code", "refresh_token"}})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.Issuer+"api/v2/clients", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Content-Type", "application/json")
	resp, err := g.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct {
		ClientID string `json:"client_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create the device client: %d %v", resp.StatusCode, err)
	}
	return c.ClientID
}

// postJSONForm posts a form to a path of Gatehouse and decodes the JSON answer into out.
func postJSONForm(t *testing.T, ctx context.Context, g *gatehouse, path string, form url.Values, out any) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.Issuer+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := g.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return resp.StatusCode
}
