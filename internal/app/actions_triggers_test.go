package app_test

import (
	"context"
	"encoding/json"
	"fmt"
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

// TestActionTestEndpointRedirectAndTriggers: a test run of a post-login action that redirects
// completes and shows the redirect (the URL and query sendUserTo was given, a token encodeToken
// made among them); the notification triggers and password-reset-post-challenge run their code
// too (their console lines, and the reset's denial and challenge).
func TestActionTestEndpointRedirectAndTriggers(t *testing.T) {
	n := startNode(t)
	m := newMgmtClient(t, n)
	made := 0
	test := func(trigger, version, code string, payload map[string]any) map[string]any {
		t.Helper()
		made++
		status, a := m.do("POST", "actions/actions", map[string]any{"name": fmt.Sprintf("Tested %s %d", trigger, made),
			"supported_triggers": []map[string]string{{"id": trigger, "version": version}}, "code": code})
		if status != 201 {
			t.Fatalf("create %s: %d %v", trigger, status, a)
		}
		status, out := m.do("POST", "actions/actions/"+a["id"].(string)+"/test", map[string]any{"payload": payload})
		p, _ := out["payload"].(map[string]any)
		if status != 200 || p == nil || p["error"] != nil {
			t.Fatalf("test %s: %d %v", trigger, status, out)
		}
		return p
	}

	p := test("post-login", "v3", `exports.onExecutePostLogin = async (event, api) => {
  const token = api.redirect.encodeToken({ secret: 'a-secret-of-enough-length', payload: { email: event.user.email } });
  api.redirect.sendUserTo('https://consent.example.com/terms?v=2', { query: { session_token: token, lang: 'fr' } });
  console.log('redirected');
};
exports.onContinuePostLogin = async (event, api) => {};`, map[string]any{"user": map[string]any{"email": "ada@example.com"}})
	r, _ := p["result"].(map[string]any)["redirect"].(map[string]any)
	q, _ := r["query"].(map[string]any)
	if r == nil || r["url"] != "https://consent.example.com/terms?v=2" || q["lang"] != "fr" || strings.Count(q["session_token"].(string), ".") != 2 ||
		!strings.Contains(jsonString(t, p["logs"]), "redirected") {
		t.Fatalf("redirect test: %v", p)
	}
	p = test("post-login", "v3", `exports.onExecutePostLogin = async (event, api) => {};`, map[string]any{})
	if p["result"].(map[string]any)["redirect"] != nil {
		t.Fatalf("no redirect: %v", p)
	}

	for trigger, code := range map[string]string{
		"post-user-registration": `exports.onExecutePostUserRegistration = async (event, api) => { console.log('registered ' + event.user.email); };`,
		"post-change-password":   `exports.onExecutePostChangePassword = async (event, api) => { console.log('registered ' + event.user.email); };`,
	} {
		p := test(trigger, "v2", code, map[string]any{"user": map[string]any{"email": "ada@example.com"}})
		if !strings.Contains(jsonString(t, p["logs"]), "registered ada@example.com") {
			t.Fatalf("%s test did not run: %v", trigger, p)
		}
	}
	p = test("password-reset-post-challenge", "v1", `exports.onExecutePostChallenge = async (event, api) => {
  console.log('reset ' + event.user.email);
  api.authentication.challengeWith({ type: 'otp' }, { additionalFactors: [{ type: 'recovery-code' }] });
  if (event.user.app_metadata.locked) api.access.deny('locked');
};`, map[string]any{"user": map[string]any{"email": "ada@example.com", "app_metadata": map[string]any{"locked": true}}})
	res, _ := p["result"].(map[string]any)
	if jsonString(t, res["challenge"]) != `[{"type":"otp"},{"type":"recovery-code"}]` || jsonString(t, res["denied"]) != `{"code":"access_denied","reason":"locked"}` ||
		!strings.Contains(jsonString(t, p["logs"]), "reset ada@example.com") {
		t.Fatalf("password-reset-post-challenge test: %v", p)
	}
	p = test("password-reset-post-challenge", "v1", `exports.onExecutePostChallenge = async (event, api) => {
  api.redirect.sendUserTo('https://idv.example.com/check', {query: {lang: 'fr'}});
};`, map[string]any{})
	if res, _ := p["result"].(map[string]any); jsonString(t, res["redirect"]) != `{"query":{"lang":"fr"},"url":"https://idv.example.com/check"}` {
		t.Fatalf("password-reset-post-challenge redirect test: %v", p)
	}
}
