package app_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/devtenant"
	"github.com/gatehouse/gatehouse/internal/keys"
)

// logoutEnv is a signed-in browser on a node, with the ID token its sign-in returned.
type logoutEnv struct {
	n        *node
	cfg      oauth2.Config
	c        *http.Client
	verifier string
	idToken  string
	access   string
}

func newLogoutEnv(t *testing.T) *logoutEnv {
	t.Helper()
	n := startNode(t)
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, n.issuer)
	if err != nil {
		t.Fatal(err)
	}
	e := &logoutEnv{n: n, cfg: oauthConfig(n, provider), c: browser(t), verifier: oauth2.GenerateVerifier()}
	e.signIn(t)
	return e
}

// signIn signs the non-admin user in through the hosted login page (again).
func (e *logoutEnv) signIn(t *testing.T) {
	t.Helper()
	user := e.n.tenant.Users[1]
	cb := signIn(t, e.c, e.cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(e.verifier)), user.Email, user.Password)
	tok, err := e.cfg.Exchange(context.Background(), cb.Query().Get("code"), oauth2.VerifierOption(e.verifier))
	if err != nil {
		t.Fatal(err)
	}
	e.idToken, _ = tok.Extra("id_token").(string)
	e.access = tok.AccessToken
	if !e.signedIn(t) {
		t.Fatal("no SSO session after sign-in")
	}
}

// signedIn reports whether the browser's SSO session is alive: prompt=none /authorize answers with a
// code rather than login_required.
func (e *logoutEnv) signedIn(t *testing.T) bool {
	t.Helper()
	resp, _ := get(t, e.c, e.cfg.AuthCodeURL("silent", oauth2.S256ChallengeOption(e.verifier),
		oauth2.SetAuthURLParam("prompt", "none")))
	loc, _ := resp.Location()
	if loc == nil {
		t.Fatalf("prompt=none: status %d without a redirect", resp.StatusCode)
	}
	if code, errCode := loc.Query().Get("code"), loc.Query().Get("error"); code == "" && errCode != "login_required" {
		t.Fatalf("prompt=none answered %s", loc)
	}
	return loc.Query().Get("code") != ""
}

// hint re-signs the sign-in's ID token claims, changed by alter, with key under kid.
func (e *logoutEnv) hint(t *testing.T, kid string, key any, alter func(map[string]any)) string {
	t.Helper()
	claims := jwt.MapClaims{}
	maps.Copy(claims, decodeJWT(t, e.idToken))
	alter(claims)
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	raw, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func (e *logoutEnv) current(t *testing.T) *keys.Signer {
	t.Helper()
	s, err := e.n.Keys.Current(context.Background(), keys.RS256)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestOIDCLogoutRefusesHintsItDidNotIssue: an id_token_hint that is not an ID token this node issued
// to a known client is refused with an error page — no redirect — and the SSO session survives.
func TestOIDCLogoutRefusesHintsItDidNotIssue(t *testing.T) {
	e := newLogoutEnv(t)
	signer := e.current(t)
	foreign, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	same := func(map[string]any) {}
	hints := []struct{ name, hint string }{
		{"signed by a foreign key under our kid", e.hint(t, signer.KID, foreign, same)},
		{"foreign issuer", e.hint(t, signer.KID, signer.Key(), func(c map[string]any) { c["iss"] = "https://evil.example/" })},
		{"audience is no client", e.hint(t, signer.KID, signer.Key(), func(c map[string]any) { c["aud"] = "not-a-client" })},
		{"an access token", e.access},
		{"garbage", "not-a-jwt"},
		{"tampered payload", e.idToken[:len(e.idToken)-4] + "AAAA"},
		{"unsigned (none)", noneJWT(t, decodeJWT(t, e.idToken))},
	}
	for _, h := range hints {
		q := url.Values{"id_token_hint": {h.hint}, "post_logout_redirect_uri": {devtenant.LogoutURL}, "state": {"bye"}}
		resp, _ := get(t, e.c, e.n.issuer+"oidc/logout?"+q.Encode())
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("%s: %d → %q; want 400 and no redirect", h.name, resp.StatusCode, resp.Header.Get("Location"))
		}
		if !e.signedIn(t) {
			t.Errorf("%s: the SSO session ended", h.name)
			e.signIn(t) // so that the next hint is judged on its own
		}
	}
}

// TestOIDCLogoutAcceptsExpiredHint: a hint is usually old (RP-Initiated Logout 1.0 §2), so an expired
// ID token of ours still ends the session and returns to the listed URI with state.
func TestOIDCLogoutAcceptsExpiredHint(t *testing.T) {
	e := newLogoutEnv(t)
	signer := e.current(t)
	past := time.Now().Add(-48 * time.Hour)
	expired := e.hint(t, signer.KID, signer.Key(), func(c map[string]any) {
		c["iat"], c["exp"] = past.Unix(), past.Add(time.Hour).Unix()
	})
	q := url.Values{"id_token_hint": {expired}, "post_logout_redirect_uri": {devtenant.LogoutURL}, "state": {"bye"}}
	resp, _ := get(t, e.c, e.n.issuer+"oidc/logout?"+q.Encode())
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || loc != devtenant.LogoutURL+"?state=bye" {
		t.Fatalf("expired hint: %d → %q", resp.StatusCode, loc)
	}
	if e.signedIn(t) {
		t.Error("SSO session survived logout with a valid (expired) hint")
	}
}

// noneJWT is claims under alg "none" (RFC 8725 §3.1: must never verify).
func noneJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + base64.RawURLEncoding.EncodeToString(b) + "."
}

// TestOIDCLogoutConfirmation: a bare /oidc/logout on a whole node asks first; the SSO session ends
// only when the hosted confirmation form is submitted.
func TestOIDCLogoutConfirmation(t *testing.T) {
	e := newLogoutEnv(t)
	resp, page := get(t, e.c, e.n.issuer+"oidc/logout")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `action="/oidc/logout"`) {
		t.Fatalf("bare /oidc/logout: %d\n%s", resp.StatusCode, page)
	}
	if !e.signedIn(t) {
		t.Fatal("a bare /oidc/logout ended the session")
	}
	form := formFields(page)
	if form.Get("csrf") == "" {
		t.Fatalf("no CSRF token on the confirmation page:\n%s", page)
	}
	forged := url.Values{"csrf": {"forged"}}
	resp, err := e.c.PostForm(e.n.issuer+"oidc/logout", forged)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("forged token: %d", resp.StatusCode)
	}
	if !e.signedIn(t) {
		t.Fatal("a forged confirmation ended the session")
	}
	resp, err = e.c.PostForm(e.n.issuer+"oidc/logout", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("confirmation: %d", resp.StatusCode)
	}
	if e.signedIn(t) {
		t.Error("the SSO session survived a confirmed logout")
	}
}
