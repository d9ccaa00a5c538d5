package oauth_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TestCodeFlowWithOutsideClients: a relying party built on coreos/go-oidc and golang.org/x/oauth2
// (client_secret_basic, as nextjs-auth0 sends) redeems a code with PKCE, verifies the ID token,
// calls /userinfo and refreshes.
func TestCodeFlowWithOutsideClients(t *testing.T) {
	e := MustEnv(t, envOptions{realNow: true})
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, e.Issuer)
	must(t, err)
	cfg := oauth2.Config{ClientID: webID, ClientSecret: webSecret, Endpoint: provider.Endpoint(), RedirectURL: webCB,
		Scopes: []string{oidc.ScopeOpenID, "profile", "email", "offline_access", "read:a"}}
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleInHeader

	code := e.mintCode(t, codeSpec{scope: "openid profile email offline_access read:a", audience: apiID, nonce: "nonce-123", verifier: verifier,
		idClaims: map[string]any{"https://yourapp.com/roles": []string{"user"}}, atClaims: map[string]any{"https://yourapp.com/roles": []string{"user"}}})
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	must(t, err)
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" || tok.RefreshToken == "" || tok.Extra("scope") != "openid profile email offline_access read:a" {
		t.Fatalf("token response: %+v", tok)
	}
	idt, err := provider.Verifier(&oidc.Config{ClientID: webID}).Verify(ctx, rawID)
	must(t, err)
	var claims struct {
		Name, Email, Nickname, Picture, Sid, UpdatedAt string
		EmailVerified                                  bool     `json:"email_verified"`
		Roles                                          []string `json:"https://yourapp.com/roles"`
	}
	must(t, idt.Claims(&claims))
	if idt.Nonce != "nonce-123" || idt.Subject != userID || claims.Email != "jane@example.test" || !claims.EmailVerified ||
		claims.Name == "" || len(claims.Roles) != 1 || claims.Roles[0] != "user" {
		t.Fatalf("ID token claims %+v nonce %q", claims, idt.Nonce)
	}
	at, err := e.Tokens.Verify(ctx, tok.AccessToken, apiID)
	must(t, err)
	if len(at.Audience) != 2 || at.Audience[1] != e.Issuer+"userinfo" || at.GTY != "" || at.AZP != webID {
		t.Fatalf("access token claims %+v", at)
	}

	ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	must(t, err)
	if ui.Subject != userID || ui.Email != "jane@example.test" || !ui.EmailVerified {
		t.Fatalf("userinfo %+v", ui)
	}

	// Refresh through x/oauth2: a rotated refresh token and a fresh ID token come back.
	expired := &oauth2.Token{RefreshToken: tok.RefreshToken}
	next, err := cfg.TokenSource(ctx, expired).Token()
	must(t, err)
	if next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken || next.AccessToken == tok.AccessToken {
		t.Fatalf("refresh did not rotate: %+v", next)
	}
	rawID2, _ := next.Extra("id_token").(string)
	idt2, err := provider.Verifier(&oidc.Config{ClientID: webID}).Verify(ctx, rawID2)
	must(t, err)
	var c2 struct {
		Roles []string `json:"https://yourapp.com/roles"`
		Sid   string   `json:"sid"`
	}
	must(t, idt2.Claims(&c2))
	if idt2.Subject != userID || len(c2.Roles) != 1 || c2.Sid != claims.Sid || idt2.Nonce != "" {
		t.Fatalf("refreshed ID token %+v", c2)
	}
	at2, err := e.Tokens.Verify(ctx, next.AccessToken, apiID)
	must(t, err)
	if at2.GTY != "refresh_token" {
		t.Fatalf("gty %q", at2.GTY)
	}

	e.Handler.Flush(ctx)
	for typ, want := range map[string]int{audit.TypeCodeExchange: 1, audit.TypeRefresh: 1} {
		logs, _, err := e.Store.ListLogs(ctx, store.LogFilter{Type: typ}, store.Page{})
		must(t, err)
		if len(logs) != want || logs[0].UserID != userID {
			t.Errorf("%s: %d events", typ, len(logs))
		}
	}
}

// TestOpaqueUserinfoToken: without audience the access token is opaque and good only at /userinfo.
func TestOpaqueAccessTokenAtUserinfo(t *testing.T) {
	e := MustEnv(t, envOptions{})
	code := e.mintCode(t, codeSpec{scope: "openid profile", verifier: verifier})
	a := e.exchange(t, webID, code, webCB, verifier)
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	at := a.body["access_token"].(string)
	if strings.Count(at, ".") != 0 {
		t.Fatalf("no-audience access token is a JWT: %s", at)
	}
	if a.body["refresh_token"] != nil {
		t.Error("refresh token without offline_access")
	}
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		req, _ := http.NewRequest(method, e.url("userinfo"), nil)
		req.Header.Set("Authorization", "Bearer "+at)
		res, err := e.Server.Client().Do(req)
		must(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var ui map[string]any
		_ = json.Unmarshal(body, &ui)
		if res.StatusCode != 200 || ui["sub"] != userID || ui["name"] != "jane@example.test" || ui["email"] != nil {
			t.Fatalf("%s userinfo %d %s", method, res.StatusCode, body)
		}
		if u, _ := ui["updated_at"].(string); len(u) != len("2006-01-02T15:04:05.000Z") || !strings.HasSuffix(u, "Z") {
			t.Errorf("updated_at %q", u)
		}
	}
}

func TestUserinfoErrors(t *testing.T) {
	e := MustEnv(t, envOptions{})
	m2m := e.call(t, "oauth/token", tokenCall{body: form("grant_type", "client_credentials", "client_id", m2mID, "client_secret", m2mSecret, "audience", apiID)})
	for _, tc := range []struct {
		name, auth, chal string
	}{
		{"no token", "", `Bearer realm="` + e.Issuer + `"`},
		{"garbage", "Bearer abc", `error="invalid_token"`},
		{"JWT without the userinfo audience", "Bearer " + m2m.body["access_token"].(string), `error="invalid_token"`},
		{"basic scheme", "Basic " + basicHeader(m2mID, m2mSecret)[6:], `Bearer realm=`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, e.url("userinfo"), nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			res, err := e.Server.Client().Do(req)
			must(t, err)
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var b map[string]any
			if res.StatusCode != 401 || !strings.Contains(res.Header.Get("WWW-Authenticate"), tc.chal) || json.Unmarshal(body, &b) != nil || b["error"] != "invalid_token" {
				t.Fatalf("%d %q %s", res.StatusCode, res.Header.Get("WWW-Authenticate"), body)
			}
		})
	}
}
