package app_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/guard"
)

// userID looks a seeded user up through the Management API.
func (m *mgmtClient) userID(email string) string {
	m.t.Helper()
	status, out := m.do("GET", "users-by-email?email="+url.QueryEscape(email), nil)
	list, _ := out["list"].([]any)
	if status != 200 || len(list) != 1 {
		m.t.Fatalf("users-by-email %s: %d %v", email, status, out)
	}
	return list[0].(map[string]any)["user_id"].(string)
}

// defaultConnectionID is the id of Username-Password-Authentication.
func (m *mgmtClient) defaultConnectionID() string {
	m.t.Helper()
	status, out := m.do("GET", "connections?name=Username-Password-Authentication", nil)
	list, _ := out["list"].([]any)
	if status != 200 || len(list) != 1 {
		m.t.Fatalf("connections: %d %v", status, out)
	}
	return list[0].(map[string]any)["id"].(string)
}

func (m *mgmtClient) setConnectionOptions(options map[string]any) {
	m.t.Helper()
	if status, out := m.do("PATCH", "connections/"+m.defaultConnectionID(), map[string]any{"options": options}); status != 200 {
		m.t.Fatalf("update connection: %d %v", status, out)
	}
}

func authURLFor(n *node) string {
	cfg := oauth2.Config{ClientID: n.tenant.WebApp.ClientID, RedirectURL: n.tenant.WebApp.Callback,
		Endpoint: oauth2.Endpoint{AuthURL: n.issuer + "authorize"}, Scopes: []string{"openid"}}
	return cfg.AuthCodeURL("x", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
}

// TestAdminLiftsABruteForceBlock: ten wrong passwords block the user from an address; the
// Management API lists the block under /user-blocks and lifting it lets the right password in at
// once, long before the 15 minutes pass.
func TestAdminLiftsABruteForceBlock(t *testing.T) {
	n := startNode(t)
	m := newMgmtClient(t, n)
	user := n.tenant.Users[1]
	authURL := authURLFor(n)
	for range guard.DefaultThreshold {
		loginStatus(t, n, authURL, user.Email, "wrong-Password-1")
	}
	if got := loginStatus(t, n, authURL, user.Email, user.Password); got != http.StatusTooManyRequests {
		t.Fatalf("blocked user: %d, want 429", got)
	}
	id := m.userID(user.Email)
	status, out := m.do("GET", "user-blocks/"+url.PathEscape(id), nil)
	blocks, _ := out["blocked_for"].([]any)
	if status != 200 || len(blocks) != 1 || blocks[0].(map[string]any)["identifier"] != user.Email {
		t.Fatalf("user-blocks: %d %v", status, out)
	}
	if status, out := m.do("DELETE", "user-blocks/"+url.PathEscape(id), nil); status != http.StatusNoContent {
		t.Fatalf("lift: %d %v", status, out)
	}
	if got := loginStatus(t, n, authURL, user.Email, user.Password); got != http.StatusFound {
		t.Errorf("after the block was lifted: %d, want a sign-in", got)
	}
	if _, out := m.do("GET", "user-blocks?identifier="+url.QueryEscape(user.Email), nil); len(out["blocked_for"].([]any)) != 0 {
		t.Errorf("still listed: %v", out)
	}
}

// TestBruteForceProtectionFollowsTheConnection: with brute_force_protection off, the eleventh
// attempt is checked like the first.
func TestBruteForceProtectionFollowsTheConnection(t *testing.T) {
	n := startNode(t)
	m := newMgmtClient(t, n)
	m.setConnectionOptions(map[string]any{"passwordPolicy": "good", "brute_force_protection": false})
	user := n.tenant.Users[1]
	authURL := authURLFor(n)
	for range guard.DefaultThreshold + 1 {
		loginStatus(t, n, authURL, user.Email, "wrong-Password-1")
	}
	if got := loginStatus(t, n, authURL, user.Email, user.Password); got != http.StatusFound {
		t.Errorf("with brute-force protection off: %d, want a sign-in", got)
	}
}

// TestBlockedUserIsRefusedEverywhere: PATCH blocked:true ends the user's refresh tokens and SSO
// session at once; the hosted login and the password grant refuse the right password with Auth0's
// "user is blocked"; unblocking lets them back in.
func TestBlockedUserIsRefusedEverywhere(t *testing.T) {
	n := startNode(t)
	m := newMgmtClient(t, n)
	ctx := context.Background()
	user := n.tenant.Users[1]
	if status, body := m.do("PATCH", "clients/"+n.tenant.WebApp.ClientID, map[string]any{
		"grant_types": []string{"authorization_code", "refresh_token", "password"}}); status != 200 {
		t.Fatalf("enable the password grant: %d %v", status, body)
	}
	provider, err := oidc.NewProvider(ctx, n.issuer)
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauthConfig(n, provider)
	authURL := cfg.AuthCodeURL("s1")
	signedIn := browser(t)
	cb := signIn(t, signedIn, authURL, user.Email, user.Password)
	tok, err := cfg.Exchange(ctx, cb.Query().Get("code"))
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("exchange: %v", err)
	}

	id := m.userID(user.Email)
	if status, out := m.do("PATCH", "users/"+url.PathEscape(id), map[string]any{"blocked": true}); status != 200 || out["blocked"] != true {
		t.Fatalf("block: %d %v", status, out)
	}
	old := &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)}
	if _, err := cfg.TokenSource(ctx, old).Token(); err == nil {
		t.Error("the refresh token still works after the block")
	}
	resp, _ := get(t, signedIn, authURL)
	if loc, _ := resp.Location(); loc == nil || !strings.HasPrefix(loc.Path, "/u/login") {
		t.Errorf("the SSO session survived the block: /authorize went to %v", loc)
	}
	cb = signIn(t, browser(t), authURL, user.Email, user.Password)
	if cb.Query().Get("error") != "access_denied" || cb.Query().Get("error_description") != "user is blocked" {
		t.Errorf("hosted login of a blocked user: %v", cb)
	}
	ropc := oauth2.Config{ClientID: n.tenant.WebApp.ClientID, ClientSecret: n.tenant.WebApp.ClientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: n.issuer + "oauth/token", AuthStyle: oauth2.AuthStyleInParams}}
	_, err = ropc.PasswordCredentialsToken(ctx, user.Email, user.Password)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response.StatusCode != http.StatusUnauthorized || re.ErrorCode != "unauthorized" || re.ErrorDescription != "user is blocked" {
		t.Errorf("password grant of a blocked user: %v", err)
	}

	if status, out := m.do("PATCH", "users/"+url.PathEscape(id), map[string]any{"blocked": false}); status != 200 {
		t.Fatalf("unblock: %d %v", status, out)
	}
	if _, err := ropc.PasswordCredentialsToken(ctx, user.Email, user.Password); err != nil {
		t.Errorf("password grant after unblocking: %v", err)
	}
}

// TestResetPageEnforcesTheConnectionsPolicy: the new-password page applies the connection's
// dictionary and history, and lists its rules.
func TestResetPageEnforcesTheConnectionsPolicy(t *testing.T) {
	n := startNode(t, noResetFloor)
	srv := withSMTP(t, n)
	m := newMgmtClient(t, n)
	m.setConnectionOptions(map[string]any{"passwordPolicy": "good", "password_history": map[string]any{"enable": true, "size": 3},
		"password_dictionary": map[string]any{"enable": true}})
	user := n.tenant.Users[1]
	c := browser(t)
	if status, _ := requestReset(t, n, c, authURLFor(n), user.Email); status != 200 {
		t.Fatalf("request: %d", status)
	}
	link := resetLink.FindString(waitForMail(t, n, srv, 1)[0].Text)
	_, page := get(t, c, link)
	if !strings.Contains(page, "Contain at least 3 of the following 4 types of characters:") {
		t.Errorf("the new-password page does not list the rules")
	}
	form := formFields(page)
	try := func(pw string) (int, string) {
		form.Set("password", pw)
		form.Set("password_confirm", pw)
		resp, body := post(t, c, n.issuer+"u/reset-password", form)
		return resp.StatusCode, body
	}
	if status, body := try(user.Password); status != 400 || !strings.Contains(body, "Password has previously been used.") {
		t.Errorf("current password: %d", status)
	}
	if status, body := try("Trustno1"); status != 400 || !strings.Contains(body, "Password is too common.") {
		t.Errorf("common password: %d", status)
	}
	if status, body := try("abc"); status != 400 || !strings.Contains(body, `<li class="unmet">`) {
		t.Errorf("weak password: %d", status)
	}
	if status, body := try("N3w-Passw0rd!"); status != 200 || !strings.Contains(body, "Password changed") {
		t.Fatalf("good password: %d", status)
	}
}

// TestUsernameSignIn: with requires_username, the password grant accepts the username, its failed
// attempts count under it, and /user-blocks lists and lifts that block too.
func TestUsernameSignIn(t *testing.T) {
	n := startNode(t)
	m := newMgmtClient(t, n)
	ctx := context.Background()
	user := n.tenant.Users[1]
	id := m.userID(user.Email)
	m.setConnectionOptions(map[string]any{"passwordPolicy": "good", "requires_username": true})
	if status, out := m.do("PATCH", "users/"+url.PathEscape(id), map[string]any{"username": "second_user"}); status != 200 {
		t.Fatalf("set username: %d %v", status, out)
	}
	if status, body := m.do("PATCH", "clients/"+n.tenant.WebApp.ClientID, map[string]any{
		"grant_types": []string{"authorization_code", "refresh_token", "password"}}); status != 200 {
		t.Fatalf("enable the password grant: %d %v", status, body)
	}
	ropc := oauth2.Config{ClientID: n.tenant.WebApp.ClientID, ClientSecret: n.tenant.WebApp.ClientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: n.issuer + "oauth/token", AuthStyle: oauth2.AuthStyleInParams}}
	if _, err := ropc.PasswordCredentialsToken(ctx, "Second_User", user.Password); err != nil {
		t.Fatalf("password grant by username: %v", err)
	}
	for range guard.DefaultThreshold {
		_, _ = ropc.PasswordCredentialsToken(ctx, "second_user", "wrong-Password-1")
	}
	if _, err := ropc.PasswordCredentialsToken(ctx, "second_user", user.Password); err == nil {
		t.Fatal("no block after ten wrong passwords")
	}
	_, out := m.do("GET", "user-blocks/"+url.PathEscape(id), nil)
	if list := out["blocked_for"].([]any); len(list) != 1 || list[0].(map[string]any)["identifier"] != "second_user" {
		t.Fatalf("user-blocks: %v", out)
	}
	m.do("DELETE", "user-blocks/"+url.PathEscape(id), nil)
	if _, err := ropc.PasswordCredentialsToken(ctx, "second_user", user.Password); err != nil {
		t.Errorf("after lifting: %v", err)
	}
}
