package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// TestPreUserRegistrationDeniesSignup: a pre-user-registration Action, created, deployed and bound
// through the Management API, refuses a signup on the hosted page and at /dbconnections/signup with
// its user message and creates no user; a signup it lets through gets the metadata it set.
func TestPreUserRegistrationDeniesSignup(t *testing.T) {
	n := startNode(t)
	m := newMgmtClient(t, n)
	status, a := m.do("POST", "actions/actions", map[string]any{"name": "Closed domains",
		"supported_triggers": []map[string]string{{"id": "pre-user-registration", "version": "v2"}},
		"code": `exports.onExecutePreUserRegistration = async (event, api) => {
  if (event.user.email.endsWith('@blocked.example')) {
    api.access.deny('blocked domain ' + event.user.email, 'Sign-ups from this domain are closed.');
    return;
  }
  api.user.setAppMetadata('signup_client', event.client.name);
};`})
	if status != 201 || a["status"] != "built" {
		t.Fatalf("create: %d %v", status, a)
	}
	if status, v := m.do("POST", "actions/actions/"+a["id"].(string)+"/deploy", nil); status != 200 {
		t.Fatalf("deploy: %d %v", status, v)
	}
	if status, b := m.do("PATCH", "actions/triggers/pre-user-registration/bindings", map[string]any{"bindings": []map[string]any{
		{"ref": map[string]string{"type": "action_id", "value": a["id"].(string)}, "display_name": "Closed domains"}}}); status != 200 {
		t.Fatalf("bind: %d %v", status, b)
	}

	c, loginURL, _ := hostedForm(t, n)
	signupURL := *loginURL
	signupURL.Path = "/u/signup"
	_, signupPage := get(t, c, signupURL.String())
	sf := formFields(signupPage)
	sf.Set("email", "mallory@blocked.example")
	sf.Set("password", "Correct-Horse-9-Battery")
	resp, page := postPage(t, c, signupURL.String(), sf)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "Sign-ups from this domain are closed.") {
		t.Fatalf("/u/signup from a blocked domain: %d", resp.StatusCode)
	}
	dbResp, dbBody := post(t, browser(t), n.issuer+"dbconnections/signup", url.Values{
		"client_id": {n.tenant.WebApp.ClientID}, "connection": {"Username-Password-Authentication"},
		"email": {"eve@blocked.example"}, "password": {"Correct-Horse-9-Battery"}})
	if dbResp.StatusCode != http.StatusBadRequest || !strings.Contains(dbBody, `"code":"extensibility_error"`) ||
		!strings.Contains(dbBody, "Sign-ups from this domain are closed.") {
		t.Fatalf("/dbconnections/signup from a blocked domain: %d %s", dbResp.StatusCode, dbBody)
	}
	for _, email := range []string{"mallory@blocked.example", "eve@blocked.example"} {
		if _, err := n.Store.GetUserByEmail(context.Background(), domain.DefaultConnection, email); err == nil {
			t.Fatalf("%s was created", email)
		}
	}
	if status, logs := m.do("GET", "logs?q=type:fs", nil); status != 200 || !strings.Contains(jsonString(t, logs), "blocked domain mallory@blocked.example") {
		t.Fatalf("no failed-signup event with the Action's reason: %d %v", status, logs)
	}

	dbResp, dbBody = post(t, browser(t), n.issuer+"dbconnections/signup", url.Values{
		"client_id": {n.tenant.WebApp.ClientID}, "connection": {"Username-Password-Authentication"},
		"email": {"welcome@example.org"}, "password": {"Correct-Horse-9-Battery"}})
	if dbResp.StatusCode != http.StatusOK {
		t.Fatalf("/dbconnections/signup allowed: %d %s", dbResp.StatusCode, dbBody)
	}
	u, err := n.Store.GetUserByEmail(context.Background(), domain.DefaultConnection, "welcome@example.org")
	if err != nil || u.AppMetadata["signup_client"] != "Your App" {
		t.Fatalf("created user %+v %v", u, err)
	}
}

func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
