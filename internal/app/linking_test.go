package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse/gatehouse/internal/app"
)

// gitHubAs signs in through the GitHub-shaped provider as the GitHub user id and returns the app's
// ID token (raw) and its claims.
func gitHubAs(t *testing.T, appl *brokerApp, g *gitHub, id int) (string, map[string]any) {
	t.Helper()
	g.mu.Lock()
	g.profile["id"], g.profile["login"] = id, "octo"
	g.mu.Unlock()
	c := browser(t)
	resp, _ := get(t, c, appl.authorize(c, "github").String())
	back, _ := resp.Location()
	cb := appl.finish(c, back.String())
	tok, err := appl.cfg.Exchange(context.Background(), cb.Query().Get("code"), oauth2.VerifierOption(appl.verifier))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	return raw, decodeJWT(t, raw)
}

// scopedMgmtClient is a machine client of the Management API granted only scopes.
func scopedMgmtClient(t *testing.T, n *node, m *mgmtClient, scopes ...string) *mgmtClient {
	t.Helper()
	status, cl := m.do("POST", "clients", map[string]any{"name": "Scoped " + strings.Join(scopes, " "), "app_type": "non_interactive",
		"grant_types": []string{"client_credentials"}})
	if status != http.StatusCreated {
		t.Fatalf("create client: %d %v", status, cl)
	}
	if status, out := m.do("POST", "client-grants", map[string]any{"client_id": cl["client_id"], "audience": n.tenant.ManagementAPI.Audience,
		"scope": scopes}); status != http.StatusCreated {
		t.Fatalf("client grant: %d %v", status, out)
	}
	cc := clientcredentials.Config{ClientID: cl["client_id"].(string), ClientSecret: cl["client_secret"].(string),
		TokenURL: n.issuer + "oauth/token", EndpointParams: url.Values{"audience": {n.tenant.ManagementAPI.Audience}}}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return &mgmtClient{t: t, base: n.issuer + "api/v2/", bearer: tok.AccessToken}
}

func identitiesOf(t *testing.T, v map[string]any) []map[string]any {
	t.Helper()
	list, _ := v["identities"].([]any)
	if list == nil {
		list, _ = v["list"].([]any)
	}
	var out []map[string]any
	for _, i := range list {
		out = append(out, i.(map[string]any))
	}
	return out
}

// TestAccountLinking: a GitHub account linked to the database user through the Management API
// (provider and user_id) becomes a secondary identity: its own user is gone, its profile is the
// identity's profileData, its upstream token moves with it, and signing in through GitHub signs
// the primary in with the primary's sub. The upstream tokens are shown only to a token with
// read:user_idp_tokens. Unlinking makes it an account of its own again. Each refusal changes nothing.
func TestAccountLinking(t *testing.T) {
	n := startNode(t, func(o *app.Options) { o.AllowPrivateDestinations = true })
	m := newMgmtClient(t, n)
	g := newGitHub(t)
	createGitHubConnection(t, m, n, g)
	appl := newBrokerApp(t, n)
	admin := n.tenant.Users[0]
	_, list := m.do("GET", "users?q=email:"+url.QueryEscape(admin.Email)+"&connection=Username-Password-Authentication", nil)
	adminID := list["list"].([]any)[0].(map[string]any)["user_id"].(string)

	_, claims := gitHubAs(t, appl, g, 4242)
	if claims["sub"] != "github|4242" {
		t.Fatalf("first GitHub sign-in: sub %v", claims["sub"])
	}
	// The upstream token, sealed at rest, is shown to read:user_idp_tokens only.
	reader := scopedMgmtClient(t, n, m, "read:users", "update:users")
	_, gh := reader.do("GET", "users/github%7C4242", nil)
	if ids := identitiesOf(t, gh); len(ids) != 1 || ids[0]["access_token"] != nil {
		t.Errorf("without read:user_idp_tokens: %v", ids)
	}
	_, gh = m.do("GET", "users/github%7C4242", nil)
	if ids := identitiesOf(t, gh); len(ids) != 1 || ids[0]["access_token"] != "gho_test" {
		t.Errorf("with read:user_idp_tokens: %v", ids)
	}

	// Refusals, each changing nothing.
	for _, tc := range []struct {
		path   string
		body   map[string]any
		status int
		msg    string
	}{
		{"users/" + adminID + "/identities", map[string]any{"provider": "auth0", "user_id": strings.TrimPrefix(adminID, "auth0|")}, 400, "same"},
		{"users/" + adminID + "/identities", map[string]any{"provider": "github", "user_id": "999"}, 400, "does not exist"},
		{"users/" + adminID + "/identities", map[string]any{"provider": "github"}, 400, "user_id"},
		{"users/" + adminID + "/identities", map[string]any{"provider": "github", "user_id": "4242", "link_with": "x"}, 400, "link_with"},
		{"users/" + adminID + "/identities", map[string]any{"link_with": "not-a-jwt"}, 400, "link_with"},
		{"users/auth0%7Cnobody/identities", map[string]any{"provider": "github", "user_id": "4242"}, 404, "does not exist"},
	} {
		if status, out := m.do("POST", tc.path, tc.body); status != tc.status || !strings.Contains(out["message"].(string), tc.msg) {
			t.Errorf("POST %s %v: %d %v, want %d %q", tc.path, tc.body, status, out, tc.status, tc.msg)
		}
	}
	if status, _ := m.do("GET", "users/github%7C4242", nil); status != http.StatusOK {
		t.Fatalf("a refused link touched the secondary account: %d", status)
	}
	if status, out := scopedMgmtClient(t, n, m, "read:users").do("POST", "users/"+adminID+"/identities",
		map[string]any{"provider": "github", "user_id": "4242"}); status != http.StatusForbidden {
		t.Errorf("link without update:users: %d %v", status, out)
	}

	// Link by provider and user_id (a number, as Auth0 also takes it).
	status, out := m.do("POST", "users/"+adminID+"/identities", map[string]any{"provider": "github", "user_id": 4242})
	ids := identitiesOf(t, out)
	if status != http.StatusCreated || len(ids) != 2 || ids[0]["user_id"] != strings.TrimPrefix(adminID, "auth0|") ||
		ids[1]["provider"] != "github" || ids[1]["user_id"] != "4242" || ids[1]["connection"] != "github" || ids[1]["isSocial"] != true {
		t.Fatalf("link: %d %v", status, out)
	}
	if pd, _ := ids[1]["profileData"].(map[string]any); pd["email"] != "admin@example.com" || pd["nickname"] != "octo" {
		t.Errorf("profileData %v", ids[1]["profileData"])
	}
	if status, _ := m.do("GET", "users/github%7C4242", nil); status != http.StatusNotFound {
		t.Errorf("the secondary account still exists: %d", status)
	}
	_, got := m.do("GET", "users/"+adminID, nil)
	if ids := identitiesOf(t, got); len(ids) != 2 || ids[1]["access_token"] != "gho_test" || ids[0]["profileData"] != nil {
		t.Errorf("primary's identities with read:user_idp_tokens: %v", ids)
	}
	if got["name"] != "Ada Admin" {
		t.Errorf("the primary's profile changed: %v", got["name"])
	}
	_, got = reader.do("GET", "users/"+adminID, nil)
	if ids := identitiesOf(t, got); len(ids) != 2 || ids[1]["access_token"] != nil {
		t.Errorf("primary's identities without read:user_idp_tokens: %v", ids)
	}

	// Signing in through the linked identity signs the primary in; the Action sees the connection
	// used (GitHub's, not the primary's database) and every identity of the account.
	action := m.deployAction("linked claims", "post-login", `exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim("https://t/connection", event.connection.name + ":" + event.connection.strategy + ":" + (event.connection.id ? "id" : "no-id"));
  api.idToken.setCustomClaim("https://t/identities", event.user.identities.map(i => i.provider + "|" + i.user_id + "@" + i.connection).join(","));
  api.idToken.setCustomClaim("https://t/method", event.authentication.methods[0].name);
};`)
	m.bind("post-login", action)
	wantIdentities := adminID + "@Username-Password-Authentication,github|4242@github"
	if _, claims := gitHubAs(t, appl, g, 4242); claims["sub"] != adminID || claims["name"] != "Ada Admin" ||
		claims["https://t/connection"] != "github:github:id" || claims["https://t/identities"] != wantIdentities || claims["https://t/method"] != "federated" {
		t.Errorf("sign-in through the linked identity: sub %v name %v, the Action saw %v / %v / %v", claims["sub"], claims["name"],
			claims["https://t/connection"], claims["https://t/identities"], claims["https://t/method"])
	}

	// Unlink: the primary identity cannot go; the linked one becomes its own account again.
	if status, out := m.do("DELETE", "users/"+adminID+"/identities/auth0/"+strings.TrimPrefix(adminID, "auth0|"), nil); status != http.StatusBadRequest {
		t.Errorf("unlink the main identity: %d %v", status, out)
	}
	status, out = m.do("DELETE", "users/"+adminID+"/identities/github/4242", nil)
	if ids := identitiesOf(t, out); status != http.StatusOK || len(ids) != 1 {
		t.Fatalf("unlink: %d %v", status, out)
	}
	if status, out := m.do("DELETE", "users/"+adminID+"/identities/github/4242", nil); status != http.StatusNotFound {
		t.Errorf("unlink twice: %d %v", status, out)
	}
	status, back := m.do("GET", "users/github%7C4242", nil)
	if status != http.StatusOK || back["email"] != "admin@example.com" || identitiesOf(t, back)[0]["access_token"] != "gho_test" {
		t.Errorf("the unlinked account: %d %v", status, back)
	}
	if _, claims := gitHubAs(t, appl, g, 4242); claims["sub"] != "github|4242" {
		t.Errorf("sign-in after unlinking: sub %v", claims["sub"])
	}

	// link_with: the primary's own token (update:current_user_identities) and the secondary's ID
	// token for the same application. (The provider gives every account the same address, which a
	// connection holds once: the unlinked account goes first.)
	if status, _ := m.do("DELETE", "users/github%7C4242", nil); status != http.StatusNoContent {
		t.Fatalf("delete the unlinked account: %d", status)
	}
	rawID, _ := gitHubAs(t, appl, g, 777)
	userToken, _ := signInForManagementAPI(t, n, admin.Email, admin.Password, "openid update:current_user_identities")
	other := n.tenant.Users[1]
	_, ol := m.do("GET", "users?q=email:"+url.QueryEscape(other.Email), nil)
	otherID := ol["list"].([]any)[0].(map[string]any)["user_id"].(string)
	if status, body := callMgmt(t, n, userToken, "POST", "users/"+otherID+"/identities", map[string]any{"link_with": rawID}); status != http.StatusForbidden {
		t.Errorf("link_with onto another user: %d %s", status, body)
	}
	if status, body := callMgmt(t, n, userToken, "POST", "users/"+adminID+"/identities", map[string]any{"provider": "github", "user_id": "777"}); status != http.StatusBadRequest {
		t.Errorf("a user's token without link_with: %d %s", status, body)
	}
	if status, body := callMgmt(t, n, userToken, "POST", "users/"+adminID+"/identities", map[string]any{"link_with": userToken}); status != http.StatusBadRequest {
		t.Errorf("link_with an access token: %d %s", status, body)
	}
	status, body := callMgmt(t, n, userToken, "POST", "users/"+adminID+"/identities", map[string]any{"link_with": rawID})
	if status != http.StatusCreated || !strings.Contains(body, `"user_id":"777"`) {
		t.Fatalf("link_with: %d %s", status, body)
	}
	if _, claims := gitHubAs(t, appl, g, 777); claims["sub"] != adminID {
		t.Errorf("sign-in through the identity linked with link_with: sub %v", claims["sub"])
	}
	// Deleting the primary deletes what is linked to it.
	if status, _ := m.do("DELETE", "users/"+adminID, nil); status != http.StatusNoContent {
		t.Fatalf("delete primary: %d", status)
	}
	if _, claims := gitHubAs(t, appl, g, 777); claims["sub"] != "github|777" {
		t.Errorf("after the primary's deletion: sub %v", claims["sub"])
	}
}
