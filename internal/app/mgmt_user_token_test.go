package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// signInForManagementAPI signs a user in through the hosted login with the guide's web app, asking for
// the Management API as the audience and for scopes, and returns the access token and its claims.
func signInForManagementAPI(t *testing.T, n *node, email, pw, scope string) (string, map[string]any) {
	t.Helper()
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, n.issuer)
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauthConfig(n, provider)
	cfg.Scopes = strings.Fields(scope)
	verifier := oauth2.GenerateVerifier()
	cb := signIn(t, browser(t), cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n"),
		oauth2.SetAuthURLParam("audience", n.tenant.ManagementAPI.Audience)), email, pw)
	if cb.Query().Get("code") == "" {
		t.Fatalf("sign-in for the Management API failed: %s", cb)
	}
	tok, err := cfg.Exchange(ctx, cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken, decodeJWT(t, tok.AccessToken)
}

// callMgmt calls the Management API with a bearer token and returns the status and body.
func callMgmt(t *testing.T, n *node, bearer, method, path string, body any) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, n.issuer+"api/v2/"+path, rd)
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// TestUserCannotObtainManagementAPIPowers: an ordinary user signing in with the web app for the
// Management API audience gets at most the *:current_user* scopes, and the Management API honours
// them for that user's own record only. Neither the token endpoint, nor a post-login Action adding
// scopes, nor a refresh gives the user anything a client grant alone may give.
func TestUserCannotObtainManagementAPIPowers(t *testing.T) {
	n := startNode(t)
	m := newMgmtClient(t, n)
	admin, user := n.tenant.Users[0], n.tenant.Users[1]
	_, users := m.do("GET", "users?q="+"email:"+strings.ReplaceAll(admin.Email, "@", "%40"), nil)
	list, _ := users["list"].([]any)
	if len(list) != 1 {
		t.Fatalf("admin lookup: %v", users)
	}
	adminID := list[0].(map[string]any)["user_id"].(string)

	raw, claims := signInForManagementAPI(t, n, user.Email, user.Password,
		"openid offline_access read:users update:users delete:users read:current_user update:current_user_metadata")
	scopes := strings.Fields(claims["scope"].(string))
	for _, s := range []string{"read:users", "update:users", "delete:users"} {
		if slices.Contains(scopes, s) {
			t.Errorf("a user's Management API token carries %s: scope %v", s, scopes)
		}
	}
	if !slices.Contains(scopes, "read:current_user") || !slices.Contains(scopes, "update:current_user_metadata") {
		t.Errorf("scope %v: want the *:current_user* scopes asked for", scopes)
	}
	sub := claims["sub"].(string)

	if status, body := callMgmt(t, n, raw, "GET", "users", nil); status != http.StatusForbidden {
		t.Errorf("GET users with a user's token: %d %s, want 403", status, body)
	}
	if status, body := callMgmt(t, n, raw, "PATCH", "users/"+adminID, map[string]any{"password": "Taken-Over-1234!"}); status != http.StatusForbidden {
		t.Errorf("PATCH the admin with a user's token: %d %s, want 403", status, body)
	}
	if status, body := callMgmt(t, n, raw, "GET", "users/"+adminID, nil); status != http.StatusForbidden {
		t.Errorf("GET another user's record with read:current_user: %d %s, want 403", status, body)
	}
	if status, body := callMgmt(t, n, raw, "GET", "users/"+sub, nil); status != http.StatusOK || !strings.Contains(body, user.Email) {
		t.Errorf("GET own record with read:current_user: %d %s, want 200", status, body)
	}
	// The administrator's password still works.
	_, adminClaims := signInForManagementAPI(t, n, admin.Email, admin.Password, "openid")
	if adminClaims["sub"] != adminID {
		t.Errorf("admin sign-in after the attempts: sub %v", adminClaims["sub"])
	}

	// A post-login Action adding Management API scopes gives the user none of them, at sign-in or
	// on refresh.
	m.bind("post-login", m.deployAction("Escalate", "post-login", `exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.addScope('read:users');
  api.accessToken.addScope('update:users');
};`))
	_, claims = signInForManagementAPI(t, n, user.Email, user.Password, "openid read:users update:users read:current_user")
	if scopes := strings.Fields(claims["scope"].(string)); slices.Contains(scopes, "read:users") || slices.Contains(scopes, "update:users") {
		t.Errorf("an Action gave a user Management API scopes: %v", scopes)
	}
}
