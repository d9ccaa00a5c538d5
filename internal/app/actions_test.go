package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse/gatehouse/internal/devtenant"
)

// mgmtClient calls the Management API with a token the dev tenant's Management client obtains.
type mgmtClient struct {
	t      *testing.T
	base   string
	bearer string
}

func newMgmtClient(t *testing.T, n *node) *mgmtClient {
	t.Helper()
	cc := clientcredentials.Config{ClientID: n.tenant.ManagementAPI.ClientID, ClientSecret: n.tenant.ManagementAPI.ClientSecret,
		TokenURL: n.issuer + "oauth/token", EndpointParams: url.Values{"audience": {n.tenant.ManagementAPI.Audience}}}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatalf("management token: %v", err)
	}
	return &mgmtClient{t: t, base: n.issuer + "api/v2/", bearer: tok.AccessToken}
}

func (m *mgmtClient) do(method, path string, body any) (int, map[string]any) {
	m.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, m.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+m.bearer)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	_ = json.Unmarshal(raw, &out)
	if len(raw) > 0 && raw[0] == '[' {
		var list []any
		_ = json.Unmarshal(raw, &list)
		out = map[string]any{"list": list}
	}
	return resp.StatusCode, out
}

// deployAction creates and deploys an action through the Management API and returns its id.
func (m *mgmtClient) deployAction(name, trigger, code string) string {
	m.t.Helper()
	status, a := m.do("POST", "actions/actions", map[string]any{"name": name, "code": code,
		"supported_triggers": []map[string]string{{"id": trigger, "version": "v3"}}})
	if status != http.StatusCreated {
		m.t.Fatalf("create action %s: %d %v", name, status, a)
	}
	id, _ := a["id"].(string)
	if status, v := m.do("POST", "actions/actions/"+id+"/deploy", nil); status != http.StatusOK {
		m.t.Fatalf("deploy %s: %d %v", name, status, v)
	}
	return id
}

func (m *mgmtClient) bind(trigger string, actionIDs ...string) {
	m.t.Helper()
	bindings := []map[string]any{}
	for _, id := range actionIDs {
		bindings = append(bindings, map[string]any{"ref": map[string]string{"type": "action_id", "value": id}})
	}
	if status, out := m.do("PATCH", "actions/triggers/"+trigger+"/bindings", map[string]any{"bindings": bindings}); status != http.StatusOK {
		m.t.Fatalf("bind %v: %d %v", actionIDs, status, out)
	}
}

type signInResult struct {
	token    *oauth2.Token
	config   oauth2.Config
	callback *url.URL
	id       map[string]any
	access   map[string]any
}

// signInWithAPI signs a user in for the guide's API and returns the decoded tokens (nil on an error
// redirect, whose URL is in callback).
func signInWithAPI(t *testing.T, n *node, email, pw string) signInResult {
	t.Helper()
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, n.issuer)
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauthConfig(n, provider)
	verifier := oauth2.GenerateVerifier()
	cb := signIn(t, browser(t), cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n"),
		oauth2.SetAuthURLParam("audience", devtenant.APIIdentifier)), email, pw)
	if cb.Query().Get("code") == "" {
		return signInResult{callback: cb}
	}
	tok, err := cfg.Exchange(ctx, cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	return signInResult{token: tok, config: cfg, callback: cb, id: decodeJWT(t, rawID), access: decodeJWT(t, tok.AccessToken)}
}

// TestGuideActionDeployedThroughManagementAPI is the seed guide's step 8: the Action's source,
// verbatim, created, deployed and bound with the Management API, then a sign-in by the admin and the
// non-admin user checked claim by claim.
func TestGuideActionDeployedThroughManagementAPI(t *testing.T) {
	n := startNode(t)
	m := newMgmtClient(t, n)
	m.bind("post-login") // unbind the dev tenant's own copy: what runs below is what this test deployed
	guide, err := os.ReadFile("../actions/testdata/guide-post-login.js")
	if err != nil {
		t.Fatal(err)
	}
	m.bind("post-login", m.deployAction("Guide roles", "post-login", string(guide)))

	for _, tc := range []struct {
		user  int
		roles []any
		perms int
	}{{0, []any{"admin"}, 4}, {1, []any{"user"}, 2}} {
		u := n.tenant.Users[tc.user]
		r := signInWithAPI(t, n, u.Email, u.Password)
		if r.id == nil {
			t.Fatalf("%s: sign-in failed: %s", u.Email, r.callback)
		}
		for name, claims := range map[string]map[string]any{"ID token": r.id, "access token": r.access} {
			if got, _ := claims["https://yourapp.com/roles"].([]any); !slices.Equal(got, tc.roles) {
				t.Errorf("%s %s roles %v; want %v", u.Email, name, claims["https://yourapp.com/roles"], tc.roles)
			}
		}
		if perms, _ := r.access["permissions"].([]any); len(perms) != tc.perms {
			t.Errorf("%s permissions %v", u.Email, r.access["permissions"])
		}
		if r.id["sub"] != r.access["sub"] || !strings.HasPrefix(r.id["sub"].(string), "auth0|") {
			t.Errorf("%s sub %v / %v", u.Email, r.id["sub"], r.access["sub"])
		}
	}
}

func TestActionDenyFailuresMetadataAndReservedClaims(t *testing.T) {
	n := startNode(t)
	m := newMgmtClient(t, n)
	admin, user := n.tenant.Users[0], n.tenant.Users[1]

	// A syntax error is refused at deploy with its line.
	status, a := m.do("POST", "actions/actions", map[string]any{"name": "Broken", "code": "exports.onExecutePostLogin = async (event, api) => {\n  const x = ;\n};",
		"supported_triggers": []map[string]string{{"id": "post-login", "version": "v3"}}})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, a)
	}
	status, out := m.do("POST", "actions/actions/"+a["id"].(string)+"/deploy", nil)
	if msg, _ := out["message"].(string); status != http.StatusBadRequest || !strings.Contains(msg, "Line 2") {
		t.Errorf("deploying a syntax error: %d %v; want 400 naming line 2", status, out)
	}

	// Metadata and reserved claims: app_metadata is persisted; `sub` and `permissions` are dropped.
	meta := m.deployAction("Metadata", "post-login", `exports.onExecutePostLogin = async (event, api) => {
  api.user.setAppMetadata('plan', 'gold');
  api.idToken.setCustomClaim('sub', 'someone-else');
  api.accessToken.setCustomClaim('permissions', ['admin:write']);
  api.idToken.setCustomClaim('https://yourapp.com/plan', 'gold');
};`)
	deny := m.deployAction("Deny users", "post-login", `exports.onExecutePostLogin = async (event, api) => {
  if (!event.authorization.roles.includes('admin')) api.access.deny('Admins only today');
};`)
	m.bind("post-login", meta, deny)

	r := signInWithAPI(t, n, admin.Email, admin.Password)
	if r.id == nil {
		t.Fatalf("admin denied: %s", r.callback)
	}
	if r.id["sub"] == "someone-else" || r.id["https://yourapp.com/plan"] != "gold" {
		t.Errorf("ID token: sub %v, plan %v", r.id["sub"], r.id["https://yourapp.com/plan"])
	}
	if perms, _ := r.access["permissions"].([]any); slices.Equal(perms, []any{"admin:write"}) {
		t.Error("an Action replaced the reserved permissions claim")
	}
	status, u := m.do("GET", "users/"+url.PathEscape(r.id["sub"].(string)), nil)
	if appMeta, _ := u["app_metadata"].(map[string]any); status != 200 || appMeta["plan"] != "gold" {
		t.Errorf("app_metadata after sign-in: %d %v", status, u["app_metadata"])
	}

	denied := signInWithAPI(t, n, user.Email, user.Password)
	if q := denied.callback.Query(); q.Get("error") != "access_denied" || q.Get("error_description") != "Admins only today" {
		t.Errorf("denied sign-in redirected to %s", denied.callback)
	}

	// A runaway action ends the sign-in with access_denied and a tenant log entry; the server lives on.
	loop := m.deployAction("Loop", "post-login", `exports.onExecutePostLogin = async () => { while (true) {} };`)
	m.bind("post-login", loop)
	r = signInWithAPI(t, n, admin.Email, admin.Password)
	if r.callback.Query().Get("error") != "access_denied" {
		t.Errorf("infinite loop: redirected to %s", r.callback)
	}
	waitLogCount(t, n, "actions_execution", 1) // the tenant log is written in batches, just after the answer
	status, logs := m.do("GET", "logs?q=type:actions_execution", nil)
	if list, _ := logs["list"].([]any); status != 200 || len(list) == 0 {
		t.Errorf("no Actions log entry after the timeout: %d %v", status, logs)
	}
	throw := m.deployAction("Throw", "post-login", `exports.onExecutePostLogin = async () => { throw new Error('boom: secret-ish detail'); };`)
	m.bind("post-login", throw)
	r = signInWithAPI(t, n, admin.Email, admin.Password)
	if q := r.callback.Query(); q.Get("error") != "access_denied" || strings.Contains(q.Get("error_description"), "secret-ish") {
		t.Errorf("thrown exception: redirected to %s", r.callback)
	}
}

// TestCredentialsExchangeAction: an M2M token carries the claim a credentials-exchange Action adds,
// and a denial answers the token request with the Action's code.
func TestCredentialsExchangeAction(t *testing.T) {
	n := startNode(t)
	m := newMgmtClient(t, n)
	id := m.deployAction("Tag M2M", "credentials-exchange", `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://yourapp.com/client', event.client.name);
  if (event.resource_server.identifier !== 'https://api.yourapp.com') api.access.deny('invalid_request', 'wrong API');
};`)
	m.bind("credentials-exchange", id)
	cc := clientcredentials.Config{ClientID: n.tenant.M2MApp.ClientID, ClientSecret: n.tenant.M2MApp.ClientSecret,
		TokenURL: n.issuer + "oauth/token", EndpointParams: url.Values{"audience": {devtenant.APIIdentifier}}}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeJWT(t, tok.AccessToken)["https://yourapp.com/client"]; got != devtenant.WebAppName+" (machine to machine)" {
		t.Errorf("M2M claim %v", got)
	}
	// The Management client's own token goes through the same trigger: this Action denies it.
	mc := clientcredentials.Config{ClientID: n.tenant.ManagementAPI.ClientID, ClientSecret: n.tenant.ManagementAPI.ClientSecret,
		TokenURL: n.issuer + "oauth/token", EndpointParams: url.Values{"audience": {n.tenant.ManagementAPI.Audience}}}
	if _, err := mc.Token(context.Background()); err == nil || !strings.Contains(err.Error(), "invalid_request") || !strings.Contains(err.Error(), "wrong API") {
		t.Errorf("denied exchange: %v", err)
	}
}

// TestActionAddScopeOverridesRBAC: a scope an Action adds survives the exchange even where RBAC
// withholds it (spec §2.3), and removeScope takes one away.
func TestActionAddScopeOverridesRBAC(t *testing.T) {
	n := startNode(t)
	m := newMgmtClient(t, n)
	m.bind("post-login", m.deployAction("Scopes", "post-login", `exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.addScope('admin:read');
  api.accessToken.removeScope('email');
};`))
	user := n.tenant.Users[1]
	r := signInWithAPI(t, n, user.Email, user.Password)
	if r.access == nil {
		t.Fatalf("sign-in failed: %s", r.callback)
	}
	scopes := strings.Fields(r.access["scope"].(string))
	if !slices.Contains(scopes, "admin:read") || slices.Contains(scopes, "email") {
		t.Errorf("scope %v: want admin:read added and email removed", scopes)
	}
	// A refreshed access token keeps what the Action decided.
	expired := *r.token
	expired.Expiry = time.Now().Add(-time.Minute)
	fresh, err := r.config.TokenSource(context.Background(), &expired).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if scopes := strings.Fields(decodeJWT(t, fresh.AccessToken)["scope"].(string)); !slices.Contains(scopes, "admin:read") {
		t.Errorf("refreshed scope %v lost the Action's admin:read", scopes)
	}
}
