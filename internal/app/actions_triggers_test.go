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

// TestActionTestEndpoint: POST /api/v2/actions/actions/{id}/test runs the draft with the given event
// and shows its console lines (secret values masked), what it asked for and its error; nothing is
// applied.
func TestActionTestEndpoint(t *testing.T) {
	n := startNode(t)
	m := newMgmtClient(t, n)
	status, a := m.do("POST", "actions/actions", map[string]any{"name": "Tested",
		"supported_triggers": []map[string]string{{"id": "post-login", "version": "v3"}},
		"secrets":            []map[string]string{{"name": "KEY", "value": "very-secret-value"}},
		"code": `exports.onExecutePostLogin = async (event, api) => {
  console.log('key is', event.secrets.KEY, 'for', event.user.email);
  api.idToken.setCustomClaim('https://example.test/plan', event.user.app_metadata.plan);
  if (event.user.app_metadata.plan === 'banned') throw new Error('banned ' + event.secrets.KEY);
};`})
	if status != 201 {
		t.Fatalf("create: %d %v", status, a)
	}
	id := a["id"].(string)
	status, out := m.do("POST", "actions/actions/"+id+"/test", map[string]any{"payload": map[string]any{
		"user": map[string]any{"email": "ada@example.com", "app_metadata": map[string]any{"plan": "pro"}}}})
	p, _ := out["payload"].(map[string]any)
	if status != 200 || p == nil || p["error"] != nil {
		t.Fatalf("test: %d %v", status, out)
	}
	logs := jsonString(t, p["logs"])
	claims := p["result"].(map[string]any)["id_token_claims"].(map[string]any)
	if !strings.Contains(logs, "key is [redacted] for ada@example.com") || strings.Contains(logs, "very-secret-value") || claims["https://example.test/plan"] != "pro" {
		t.Fatalf("payload %v", p)
	}
	status, out = m.do("POST", "actions/actions/"+id+"/test", map[string]any{"payload": map[string]any{
		"user": map[string]any{"app_metadata": map[string]any{"plan": "banned"}}}})
	p, _ = out["payload"].(map[string]any)
	if status != 200 || p == nil || jsonString(t, p["error"]) != `{"kind":"exception","message":"Error: banned [redacted]"}` {
		t.Fatalf("failing test: %d %v", status, out)
	}
	if status, out := m.do("POST", "actions/actions/"+id+"/test", map[string]any{}); status != 400 {
		t.Fatalf("no payload: %d %v", status, out)
	}
	if status, out := m.do("POST", "actions/actions/"+id+"/test", map[string]any{"payload": map[string]any{"user": "not an object"}}); status != 400 {
		t.Fatalf("bad payload: %d %v", status, out)
	}
	if status, _ := m.do("PATCH", "actions/actions/"+id, map[string]any{"code": "exports.onExecutePostLogin = async (event, api) => {"}); status != 200 {
		t.Fatalf("patch: %d", status)
	}
	if status, out := m.do("POST", "actions/actions/"+id+"/test", map[string]any{"payload": map[string]any{}}); status != 400 || !strings.Contains(jsonString(t, out), "does not compile") {
		t.Fatalf("draft that does not compile: %d %v", status, out)
	}
}
