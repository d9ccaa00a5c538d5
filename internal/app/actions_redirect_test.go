package app_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/testclock"
)

const redirectSecret = "a-shared-secret-of-the-verification-site"

// redirectActionCode sends the user to an identity verification site with a session token and,
// back at /continue, reads the site's answer from a token it signed.
const redirectActionCode = `
exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://yourapp.com/before', true);
  const token = api.redirect.encodeToken({secret: '` + redirectSecret + `', expiresInSeconds: 120,
    payload: {email: event.user.email}});
  api.redirect.sendUserTo('https://idv.example.test/verify', {query: {session_token: token, lang: 'fr & en'}});
};
exports.onContinuePostLogin = async (event, api) => {
  const p = api.redirect.validateToken({secret: '` + redirectSecret + `', tokenParameterName: 'answer'});
  api.idToken.setCustomClaim('https://yourapp.com/verified', p.verified);
  api.idToken.setCustomClaim('https://yourapp.com/continue_method', event.request.method);
};`

var getFormAction = regexp.MustCompile(`<form method="get" action="([^"]*)"`)

// startRedirect signs in through the login form and returns the URL the Action sent the browser
// to: after a form, Gatehouse answers with a page whose script submits a GET form to it.
func startRedirect(t *testing.T, n *node, c *http.Client, cfg oauth2.Config, verifier string, authURL ...string) *url.URL {
	t.Helper()
	u := n.tenant.Users[0]
	authorize := cfg.AuthCodeURL("app-state", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n"))
	if len(authURL) > 0 {
		authorize = authURL[0]
	}
	resp, _ := get(t, c, authorize)
	login, _ := resp.Location()
	_, page := get(t, c, login.String())
	form := formFields(page)
	form.Set("username", u.Email)
	form.Set("password", u.Password)
	resp, err := c.PostForm(login.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := getFormAction.FindStringSubmatch(string(b))
	if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "form-action https://idv.example.test;") {
		t.Fatalf("login submit: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Security-Policy"), b)
	}
	loc, err := url.Parse(htmlUnescape(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	loc.RawQuery = formFields(string(b)).Encode()
	if loc.Host != "idv.example.test" || loc.Path != "/verify" || loc.Query().Get("state") == "" {
		t.Fatalf("sign-in went to %s, not to the Action's site", loc)
	}
	return loc
}

// answer is the verification site's reply: a token for the login's state, signed with golang-jwt.
func answer(t *testing.T, state string, exp time.Time) url.Values {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"state": state, "exp": exp.Unix(), "verified": "yes"}).
		SignedString([]byte(redirectSecret))
	if err != nil {
		t.Fatal(err)
	}
	return url.Values{"state": {state}, "answer": {tok}}
}

func postContinue(t *testing.T, c *http.Client, n *node, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(n.issuer+"continue", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		k, err := resp.Body.Read(buf)
		b.Write(buf[:k])
		if err != nil {
			break
		}
	}
	return resp, b.String()
}

// TestRedirectActionContinue: a post-login Action sends the browser away with a token and
// resumes at /continue; the state works once, only in the browser that started the login, only
// before the transaction expires, and a bad state changes nothing.
// It runs on both engines: the paused run travels in the stored transaction.
func TestRedirectActionContinue(t *testing.T) {
	mfaEngines(t, func(t *testing.T, mn mfaNode) { testRedirectActionContinue(t, mn.node, mn.clock) })
}

func testRedirectActionContinue(t *testing.T, n *node, clock *testclock.Clock) {
	m := newMgmtClient(t, n)
	m.bind("post-login", m.deployAction("Verify identity", "post-login", redirectActionCode))
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, n.issuer)
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauthConfig(n, provider)
	verifier := oauth2.GenerateVerifier()
	c := browser(t)
	away := startRedirect(t, n, c, cfg, verifier)
	state := away.Query().Get("state")
	if away.Query().Get("lang") != "fr & en" {
		t.Errorf("query value not carried as given: %s", away.RawQuery)
	}

	// What the Action sent verifies with the shared secret, for this user, this tenant and this login.
	sent := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(away.Query().Get("session_token"), sent, func(*jwt.Token) (any, error) { return []byte(redirectSecret), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(clock.Now)); err != nil {
		t.Fatalf("session token: %v", err)
	}
	issuer, _ := url.Parse(n.issuer)
	if sent["iss"] != issuer.Host || sent["state"] != state || sent["email"] != n.tenant.Users[0].Email ||
		!strings.HasPrefix(sent["sub"].(string), "auth0|") {
		t.Errorf("session token claims %v", sent)
	}

	// Another browser, a forged state, a GET without the site's token: refused, and nothing changes.
	if resp, page := postContinue(t, browser(t), n, answer(t, state, clock.Now().Add(time.Minute))); resp.StatusCode != http.StatusOK || !strings.Contains(page, "_gatehouse_continue") {
		t.Errorf("cross-site POST without the cookie: %d; want the same-origin re-post page", resp.StatusCode)
	}
	repost := answer(t, state, clock.Now().Add(time.Minute))
	repost.Set("_gatehouse_continue", "1")
	if resp, _ := postContinue(t, browser(t), n, repost); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("/continue from another browser: %d", resp.StatusCode)
	}
	if resp, _ := postContinue(t, c, n, answer(t, "forged-"+state, clock.Now().Add(time.Minute))); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("/continue with a forged state: %d", resp.StatusCode)
	}

	// The right browser: the Action resumes, validates the site's token and adds its claim.
	resp, body := postContinue(t, c, n, answer(t, state, clock.Now().Add(time.Minute)))
	cb, _ := resp.Location()
	if resp.StatusCode != http.StatusFound || cb == nil || cb.Query().Get("code") == "" || cb.Query().Get("state") != "app-state" {
		t.Fatalf("/continue: %d %v %s", resp.StatusCode, cb, body)
	}
	tok, err := cfg.Exchange(ctx, cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: clock.Now}).Verify(ctx, rawID)
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	_ = idt.Claims(&claims)
	if claims["https://yourapp.com/verified"] != "yes" || claims["https://yourapp.com/before"] != true || claims["https://yourapp.com/continue_method"] != "POST" {
		t.Errorf("ID token claims %v", claims)
	}

	// Replayed: the transaction was used.
	if resp, _ := postContinue(t, c, n, answer(t, state, clock.Now().Add(time.Minute))); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("replayed /continue: %d", resp.StatusCode)
	}

	// With a session, /authorize redirects at once (a 302), and a GET /continue with the token in
	// its query resumes as well.
	resp, _ = get(t, c, cfg.AuthCodeURL("again", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n")))
	away, _ = resp.Location()
	if resp.StatusCode != http.StatusFound || away == nil || away.Host != "idv.example.test" || away.Query().Get("state") == "" {
		t.Fatalf("SSO sign-in: %d %v", resp.StatusCode, away)
	}
	resp, _ = get(t, c, n.issuer+"continue?"+answer(t, away.Query().Get("state"), clock.Now().Add(time.Minute)).Encode())
	if cb, _ := resp.Location(); resp.StatusCode != http.StatusFound || cb == nil || cb.Query().Get("code") == "" || cb.Query().Get("state") != "again" {
		t.Fatalf("GET /continue: %d %v", resp.StatusCode, cb)
	}

	// A token for another login's state fails the Action: access_denied to the app.
	c2 := browser(t)
	away = startRedirect(t, n, c2, cfg, verifier)
	other := answer(t, state, clock.Now().Add(time.Minute))
	other.Set("state", away.Query().Get("state"))
	resp, _ = postContinue(t, c2, n, other)
	if cb, _ := resp.Location(); cb == nil || cb.Query().Get("error") != "access_denied" {
		t.Errorf("token of another login: %d %v", resp.StatusCode, cb)
	}

	// Expired: a user who comes back after the transaction's lifetime starts again.
	c3 := browser(t)
	away = startRedirect(t, n, c3, cfg, verifier)
	clock.Advance(31 * time.Minute)
	if resp, _ := postContinue(t, c3, n, answer(t, away.Query().Get("state"), clock.Now().Add(time.Minute))); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("/continue after expiry: %d", resp.StatusCode)
	}
}

// TestRedirectActionThenMFA: a second factor asked for after /continue does not run the Actions,
// and so their redirect, again: the code carries what they decided before the factor.
func TestRedirectActionThenMFA(t *testing.T) {
	clk := testclock.New(time.Now().Truncate(time.Second))
	n := mfaNode{startNodeAt(t, clk.Now), clk}
	setMFAPolicy(t, n.node, domain.PolicyAllApplications)
	m := newMgmtClient(t, n.node)
	m.bind("post-login", m.deployAction("Verify identity", "post-login", redirectActionCode))
	mc := newMFAClient(t, n.node)
	authURL, verifier := mc.authURL()
	b := newMFABrowser(t, n)
	away := startRedirect(t, n.node, b.c, mc.cfg, verifier, authURL)
	resp, body := postContinue(t, b.c, n.node, answer(t, away.Query().Get("state"), clk.Now().Add(time.Minute)))
	loc, _ := resp.Location()
	if resp.StatusCode != http.StatusFound || loc == nil {
		t.Fatalf("/continue: %d %s", resp.StatusCode, body)
	}
	b.loc = loc
	b.enroll()
	cb := b.finish()
	claims, _ := mc.idToken(t, cb, verifier)
	if claims["https://yourapp.com/verified"] != "yes" || claims["https://yourapp.com/before"] != true {
		t.Errorf("ID token after the factor: %v", claims)
	}
	wantMFAClaims(t, claims, "pwd", "mfa", "otp")
}
