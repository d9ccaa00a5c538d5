package e2e_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
)

// The password reset's Actions in a browser: a password-reset-post-challenge action refuses a
// reset on a page that says why, and the dashboard shows the Password Reset and Post Change
// Password flows with what is bound to them. Screenshots of both.
func TestPasswordResetActionPages(t *testing.T) {
	ctx := context.Background()
	g := MustStartGatehouse(t, ctx)
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)
	user := g.Tenant.Users[0]

	tok := mgmtCall(t, g, "POST", "oauth/token", "", url.Values{"grant_type": {"client_credentials"}, "client_id": {g.Tenant.ManagementAPI.ClientID},
		"client_secret": {g.Tenant.ManagementAPI.ClientSecret}, "audience": {g.Issuer + "api/v2/"}}, nil)["access_token"].(string)
	a := mgmtCall(t, g, "POST", "api/v2/actions/actions", tok, nil, map[string]any{"name": "Help desk resets",
		"supported_triggers": []map[string]string{{"id": "password-reset-post-challenge", "version": "v1"}},
		"code": `exports.onExecutePostChallenge = async (event, api) => {
  if (event.user.email === ` + jsString(user.Email) + `) {
    api.access.deny('Your account is managed by the help desk: call extension 4242 to reset your password.');
  }
};`})
	id := a["id"].(string)
	mgmtCall(t, g, "POST", "api/v2/actions/actions/"+id+"/deploy", tok, nil, nil)
	mgmtCall(t, g, "PATCH", "api/v2/actions/triggers/password-reset-post-challenge/bindings", tok, nil,
		map[string]any{"bindings": []map[string]any{{"ref": map[string]string{"type": "action_id", "value": id}}}})
	users := mgmtCall(t, g, "GET", "api/v2/users?include_totals=true&per_page=50", tok, nil, nil)["users"].([]any)
	userID := ""
	for _, u := range users {
		if m := u.(map[string]any); m["email"] == user.Email {
			userID = m["user_id"].(string)
		}
	}
	link := mgmtCall(t, g, "POST", "api/v2/tickets/password-change", tok, nil, map[string]any{"user_id": userID})["ticket"].(string)

	b.navigate(link)
	if h := b.text("h1"); h != "Your password cannot be reset here" {
		t.Fatalf("reset page heading %q", h)
	}
	if body := b.text("main"); !strings.Contains(body, "call extension 4242") || strings.Contains(body, "New password") {
		t.Errorf("reset page: %q", body)
	}
	b.screenshot(shots, "reset-denied-by-action")

	b.navigate(g.Issuer + "admin/flows/password-reset")
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, g.Tenant.Dashboard.Email, g.Tenant.Dashboard.Password)
	if h := b.text("h1"); h != "Flows › Password Reset" {
		t.Fatalf("flow page heading %q at %s", h, b.location())
	}
	if body := b.text("main"); !strings.Contains(body, "Help desk resets") || !strings.Contains(b.text(".tabs"), "Post Change Password") {
		t.Errorf("flow page: %q", body)
	}
	b.screenshot(shots, "dashboard-flow-password-reset")
}
