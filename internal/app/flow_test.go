package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/devtenant"
)

func oauthConfig(n *node, p *oidc.Provider) oauth2.Config {
	return oauth2.Config{ClientID: n.tenant.WebApp.ClientID, ClientSecret: n.tenant.WebApp.ClientSecret,
		RedirectURL: devtenant.Callback, Endpoint: p.Endpoint(),
		Scopes: []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess}}
}

// TestCodeFlowWithOutsideClients runs the seed guide's sign-in with coreos/go-oidc and
// golang.org/x/oauth2: code + PKCE through the hosted login form, ID token verification, the
// guide's roles claim, /userinfo, refresh rotation, SSO and logout.
func TestCodeFlowWithOutsideClients(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, n.issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	cfg := oauthConfig(n, provider)
	c := browser(t)
	admin := n.tenant.Users[0]

	verifier := oauth2.GenerateVerifier()
	authURL := cfg.AuthCodeURL("st&te with spaces ✓", oauth2.S256ChallengeOption(verifier),
		oidc.Nonce("n-0S6_WzA2Mj"), oauth2.SetAuthURLParam("audience", devtenant.APIIdentifier))
	cb := signIn(t, c, authURL, admin.Email, admin.Password)
	if got := cb.Scheme + "://" + cb.Host + cb.Path; got != devtenant.Callback {
		t.Fatalf("redirected to %s", cb)
	}
	if cb.Query().Get("state") != "st&te with spaces ✓" {
		t.Fatalf("state not echoed byte for byte: %q", cb.Query().Get("state"))
	}
	tok, err := cfg.Exchange(ctx, cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("code exchange: %v", err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: cfg.ClientID}).Verify(ctx, rawID)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	var id map[string]any
	_ = idt.Claims(&id)
	if id["nonce"] != "n-0S6_WzA2Mj" || id["email"] != admin.Email || id["name"] == "" || id["sid"] == nil {
		t.Errorf("ID token claims: %v", id)
	}
	if roles, _ := id["https://yourapp.com/roles"].([]any); !slices.Equal(roles, []any{"admin"}) {
		t.Errorf("ID token roles claim %v; want [admin] from the guide's Action", id["https://yourapp.com/roles"])
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token with offline_access")
	}

	// The access token is a JWT for the API and for /userinfo.
	at := decodeJWT(t, tok.AccessToken)
	if aud, _ := at["aud"].([]any); len(aud) != 2 || aud[0] != devtenant.APIIdentifier || aud[1] != n.issuer+"userinfo" {
		t.Errorf("access token aud %v", at["aud"])
	}
	if perms, _ := at["permissions"].([]any); len(perms) != 4 {
		t.Errorf("admin permissions %v; want all four", at["permissions"])
	}
	ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil || ui.Email != admin.Email {
		t.Fatalf("userinfo: %v %v", ui, err)
	}

	// Refresh: a new refresh token each time; the used one is dead.
	expired := *tok
	expired.Expiry = time.Now().Add(-time.Minute)
	fresh, err := cfg.TokenSource(ctx, &expired).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken || fresh.AccessToken == tok.AccessToken {
		t.Fatal("refresh did not rotate")
	}
	if _, err := cfg.TokenSource(ctx, &expired).Token(); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("reusing a rotated refresh token: %v; want invalid_grant", err)
	}

	// SSO: the same browser signs in again without the form.
	cb2 := signIn(t, c, cfg.AuthCodeURL("again", oauth2.S256ChallengeOption(verifier)), "", "")
	if cb2.Query().Get("code") == "" {
		t.Fatalf("SSO sign-in: %s", cb2)
	}

	// Logout ends the session: prompt=none then answers login_required.
	resp, _ := get(t, c, n.issuer+"v2/logout?client_id="+cfg.ClientID+"&returnTo="+url.QueryEscape(devtenant.LogoutURL))
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || loc != devtenant.LogoutURL {
		t.Fatalf("logout: %d → %q", resp.StatusCode, loc)
	}
	resp, _ = get(t, c, cfg.AuthCodeURL("silent", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "none")))
	loc, _ := resp.Location()
	if loc == nil || loc.Query().Get("error") != "login_required" {
		t.Fatalf("prompt=none after logout: %v", loc)
	}
}

// TestGuideRolesForNonAdmin: the non-admin user gets ["user"] and no admin permissions, even when
// asking for admin:read (RBAC withholds it).
func TestGuideRolesForNonAdmin(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, n.issuer)
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauthConfig(n, provider)
	cfg.Scopes = append(cfg.Scopes, "read:own_data", "admin:read")
	user := n.tenant.Users[1]
	verifier := oauth2.GenerateVerifier()
	c := browser(t)
	cb := signIn(t, c, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n"),
		oauth2.SetAuthURLParam("audience", devtenant.APIIdentifier)), user.Email, user.Password)
	tok, err := cfg.Exchange(ctx, cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	at := decodeJWT(t, tok.AccessToken)
	scopes := strings.Fields(at["scope"].(string))
	if slices.Contains(scopes, "admin:read") || !slices.Contains(scopes, "read:own_data") {
		t.Errorf("user scope %v: admin:read must be withheld, read:own_data granted", scopes)
	}
	if roles, _ := at["https://yourapp.com/roles"].([]any); !slices.Equal(roles, []any{"user"}) {
		t.Errorf("access token roles %v; want [user]", at["https://yourapp.com/roles"])
	}
	perms, _ := at["permissions"].([]any)
	if !slices.Equal(perms, []any{"read:own_data", "write:own_data"}) {
		t.Errorf("user permissions %v", perms)
	}

	// RP-initiated logout with the ID token as hint returns to a registered URL with the state.
	idToken, _ := tok.Extra("id_token").(string)
	q := url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {devtenant.LogoutURL}, "state": {"bye"}}
	resp, _ := get(t, c, n.issuer+"oidc/logout?"+q.Encode())
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || loc != devtenant.LogoutURL+"?state=bye" {
		t.Errorf("/oidc/logout: %d → %q", resp.StatusCode, loc)
	}
	q.Set("id_token_hint", idToken[:len(idToken)-4]+"AAAA")
	if resp, _ := get(t, c, n.issuer+"oidc/logout?"+q.Encode()); resp.StatusCode == http.StatusFound {
		t.Error("/oidc/logout redirected with a tampered id_token_hint")
	}
}

func decodeJWT(t *testing.T, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", raw)
	}
	b, err := jwtPart(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
