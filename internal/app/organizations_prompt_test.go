package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/authflow"
	"github.com/gatehouse/gatehouse/internal/devtenant"
)

// orgBrowserFlow is one browser's sign-in at the guide's web app, driven hop by hop.
type orgBrowserFlow struct {
	t        *testing.T
	n        *node
	c        *http.Client
	cfg      oauth2.Config
	verifier string
}

func newOrgBrowserFlow(t *testing.T, n *node) *orgBrowserFlow {
	t.Helper()
	provider, err := oidc.NewProvider(context.Background(), n.issuer)
	if err != nil {
		t.Fatal(err)
	}
	return &orgBrowserFlow{t: t, n: n, c: browser(t), cfg: oauthConfig(n, provider), verifier: oauth2.GenerateVerifier()}
}

// authorize starts the sign-in and returns where /authorize sent the browser.
func (b *orgBrowserFlow) authorize(extra url.Values) *url.URL {
	b.t.Helper()
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(b.verifier), oidc.Nonce("n"),
		oauth2.SetAuthURLParam("audience", devtenant.APIIdentifier)}
	for k := range extra {
		opts = append(opts, oauth2.SetAuthURLParam(k, extra.Get(k)))
	}
	resp, _ := get(b.t, b.c, b.cfg.AuthCodeURL("s", opts...))
	loc, _ := resp.Location()
	if loc == nil {
		b.t.Fatalf("/authorize: status %d without a redirect", resp.StatusCode)
	}
	return b.resolve(loc)
}

func (b *orgBrowserFlow) resolve(loc *url.URL) *url.URL {
	base, _ := url.Parse(b.n.issuer)
	return base.ResolveReference(loc)
}

// submit posts the page at loc's first form with the fields set, and returns the status, where
// the answer redirects (nil for none) and the body.
func (b *orgBrowserFlow) submit(loc *url.URL, set url.Values) (int, *url.URL, string) {
	b.t.Helper()
	_, page := get(b.t, b.c, loc.String())
	form := formFields(page)
	for k := range set {
		form.Set(k, set.Get(k))
	}
	resp, body := post(b.t, b.c, loc.String(), form)
	next, _ := resp.Location()
	if next != nil {
		next = b.resolve(next)
	}
	return resp.StatusCode, next, body
}

// login fills the login form at loc and returns where it sends the browser.
func (b *orgBrowserFlow) login(loc *url.URL, email, pw string) *url.URL {
	b.t.Helper()
	if loc.Path != authflow.LoginPath {
		b.t.Fatalf("at %s; want the login form", loc)
	}
	status, next, body := b.submit(loc, url.Values{"username": {email}, "password": {pw}})
	if status != http.StatusFound || next == nil {
		b.t.Fatalf("login: %d %s", status, body)
	}
	return next
}

// claims exchanges the code of the app's callback and returns the ID token's claims.
func (b *orgBrowserFlow) claims(cb *url.URL) map[string]any {
	b.t.Helper()
	if cb.Query().Get("code") == "" {
		b.t.Fatalf("no code at the callback: %s", cb)
	}
	tok, err := b.cfg.Exchange(context.Background(), cb.Query().Get("code"), oauth2.VerifierOption(b.verifier))
	if err != nil {
		b.t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	at := decodeJWT(b.t, tok.AccessToken)
	id := decodeJWT(b.t, raw)
	if at["org_id"] != id["org_id"] {
		b.t.Fatalf("access token org_id %v, ID token %v", at["org_id"], id["org_id"])
	}
	return id
}

// TestOrganizationPreLoginPrompt: an app that requires organizations with pre_login_prompt asks
// for the organization's name before the login form; an unknown name is shown again with an
// error and changes nothing; the named organization's login page follows, and its tokens carry
// org_id. prompt=none cannot show the prompt.
func TestOrganizationPreLoginPrompt(t *testing.T) {
	n := startNode(t)
	f := newOrgFixture(t, n)
	user := n.tenant.Users[1]
	if status, out := f.m.do("PATCH", "clients/"+n.tenant.WebApp.ClientID, map[string]any{"organization_usage": "require",
		"organization_require_behavior": "pre_login_prompt"}); status != http.StatusOK {
		t.Fatalf("client: %d %v", status, out)
	}
	sub := userID(t, n, user.Email)
	f.m.do("POST", "organizations/"+f.orgID+"/members", map[string]any{"members": []string{sub}})

	b := newOrgBrowserFlow(t, n)
	prompt := b.authorize(nil)
	if prompt.Path != authflow.OrganizationSelectionPath {
		t.Fatalf("/authorize went to %s; want the organization prompt", prompt)
	}
	if _, page := get(t, b.c, prompt.String()); !strings.Contains(page, `name="organization_name"`) {
		t.Fatalf("prompt page: %s", page)
	}
	status, next, body := b.submit(prompt, url.Values{"organization_name": {"initech"}})
	if status != http.StatusBadRequest || next != nil || !strings.Contains(body, "find an organization with that name") {
		t.Fatalf("unknown organization: %d %v", status, next)
	}
	status, next, body = b.submit(prompt, url.Values{"organization_name": {"ACME"}, "csrf": {"forged"}})
	if status != http.StatusForbidden || next != nil {
		t.Fatalf("forged csrf: %d %v %s", status, next, body)
	}
	status, next, _ = b.submit(prompt, url.Values{"organization_name": {" ACME "}})
	if status != http.StatusFound || next == nil || next.Path != authflow.LoginPath {
		t.Fatalf("known organization: %d %v", status, next)
	}
	if _, page := get(t, b.c, next.String()); !strings.Contains(page, "Log in to <strong>ACME</strong>") {
		t.Fatalf("the login page does not name the organization: %s", page)
	}
	// The prompt's page is done once the organization is known.
	if resp, _ := get(t, b.c, prompt.String()); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("the prompt again: %d", resp.StatusCode)
	}
	if claims := b.claims(b.login(next, user.Email, user.Password)); claims["org_id"] != f.orgID {
		t.Fatalf("org_id %v; want %s", claims["org_id"], f.orgID)
	}

	// The prompt only chooses: a non-member naming globex is refused as with organization=.
	b = newOrgBrowserFlow(t, n)
	_, next, _ = b.submit(b.authorize(nil), url.Values{"organization_name": {"globex"}})
	cb := b.login(next, user.Email, user.Password)
	if cb.Query().Get("error") != "access_denied" || !strings.Contains(cb.Query().Get("error_description"), "is not part of the "+f.otherOrgID) {
		t.Fatalf("non-member through the prompt: %s", cb)
	}

	silent := newOrgBrowserFlow(t, n).authorize(url.Values{"prompt": {"none"}})
	if silent.Query().Get("error") != "interaction_required" {
		t.Fatalf("prompt=none: %s", silent)
	}
	// organization= still skips the prompt.
	if loc := newOrgBrowserFlow(t, n).authorize(url.Values{"organization": {f.orgID}}); loc.Path != authflow.LoginPath {
		t.Fatalf("with organization=: %s", loc)
	}
}

// TestOrganizationPostLoginPrompt: with post_login_prompt the user signs in first; a user of no
// organization is refused, a member of one goes straight through with it, a member of several
// picks one (only one of theirs is accepted).
func TestOrganizationPostLoginPrompt(t *testing.T) {
	n := startNode(t)
	f := newOrgFixture(t, n)
	user := n.tenant.Users[1]
	if status, out := f.m.do("PATCH", "clients/"+n.tenant.WebApp.ClientID, map[string]any{"organization_usage": "require",
		"organization_require_behavior": "post_login_prompt"}); status != http.StatusOK {
		t.Fatalf("client: %d %v", status, out)
	}
	sub := userID(t, n, user.Email)

	b := newOrgBrowserFlow(t, n)
	cb := b.login(b.authorize(nil), user.Email, user.Password)
	if cb.Query().Get("error") != "access_denied" || cb.Query().Get("error_description") != "user "+sub+" is not part of any organization" {
		t.Fatalf("no membership: %s", cb)
	}

	f.m.do("POST", "organizations/"+f.orgID+"/members", map[string]any{"members": []string{sub}})
	b = newOrgBrowserFlow(t, n)
	if claims := b.claims(b.login(b.authorize(nil), user.Email, user.Password)); claims["org_id"] != f.orgID {
		t.Fatalf("one membership: org_id %v", claims["org_id"])
	}
	// With the session, the only organization again, without a page (nor for prompt=none).
	if cb := b.authorize(url.Values{"prompt": {"none"}}); b.claims(cb)["org_id"] != f.orgID {
		t.Fatalf("silent with one membership: %s", cb)
	}

	f.m.do("POST", "organizations/"+f.otherOrgID+"/members", map[string]any{"members": []string{sub}})
	b = newOrgBrowserFlow(t, n)
	picker := b.login(b.authorize(nil), user.Email, user.Password)
	if picker.Path != authflow.OrganizationPickerPath {
		t.Fatalf("two memberships went to %s; want the picker", picker)
	}
	_, page := get(t, b.c, picker.String())
	if !strings.Contains(page, `value="`+f.orgID+`"`) || !strings.Contains(page, ">GLOBEX</button>") {
		t.Fatalf("picker page: %s", page)
	}
	// Another organization's id is refused and changes nothing.
	_, third := f.m.do("POST", "organizations", map[string]any{"name": "initech"})
	status, next, _ := b.submit(picker, url.Values{"organization": {third["id"].(string)}})
	if status != http.StatusBadRequest || next != nil {
		t.Fatalf("an organization of someone else: %d %v", status, next)
	}
	status, next, _ = b.submit(picker, url.Values{"organization": {f.otherOrgID}})
	if status != http.StatusFound || next == nil {
		t.Fatalf("pick: %d", status)
	}
	if claims := b.claims(next); claims["org_id"] != f.otherOrgID {
		t.Fatalf("picked globex, org_id %v", claims["org_id"])
	}
	// The picker is not shown to another browser, nor once the transaction is done.
	if resp, _ := get(t, browser(t), picker.String()); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("picker in another browser: %d", resp.StatusCode)
	}
	if resp, _ := get(t, b.c, picker.String()); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("picker after the sign-in: %d", resp.StatusCode)
	}
	// prompt=none cannot pick among several.
	if silent := b.authorize(url.Values{"prompt": {"none"}}); silent.Query().Get("error") != "interaction_required" {
		t.Fatalf("silent with two memberships: %s", silent)
	}
}

// TestOrganizationLoginPage: the login page of an organization sign-in shows the organization's
// logo and colours, and only its connections: no password form when the organization has not
// enabled the database connection (and a posted password is refused), a signup link only where
// the organization lets people sign up.
func TestOrganizationLoginPage(t *testing.T) {
	n := startNode(t)
	f := newOrgFixture(t, n)
	if status, out := f.m.do("PATCH", "organizations/"+f.orgID, map[string]any{"branding": map[string]any{
		"logo_url": "https://cdn.example.org/acme.png", "colors": map[string]any{"primary": "#112233", "page_background": "#F0F0F0"}}}); status != http.StatusOK {
		t.Fatalf("branding: %d %v", status, out)
	}
	loginPage := func(org string) (*orgBrowserFlow, *url.URL, string) {
		b := newOrgBrowserFlow(t, n)
		loc := b.authorize(url.Values{"organization": {org}})
		resp, page := get(t, b.c, loc.String())
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("login page: %d", resp.StatusCode)
		}
		if org == f.orgID && !strings.Contains(resp.Header.Get("Content-Security-Policy"), "https://cdn.example.org") {
			t.Errorf("CSP does not allow the organization's logo: %s", resp.Header.Get("Content-Security-Policy"))
		}
		return b, loc, page
	}
	_, _, page := loginPage(f.orgID)
	for _, want := range []string{`src="https://cdn.example.org/acme.png"`, "primary=112233", "page_background=f0f0f0", `name="password"`} {
		if !strings.Contains(page, want) {
			t.Errorf("acme's login page lacks %s", want)
		}
	}
	if strings.Contains(page, "/u/signup") {
		t.Errorf("acme's login page offers signup, which its connection does not enable")
	}
	_, _, page = loginPage(f.otherOrgID)
	if strings.Contains(page, "acme.png") || strings.Contains(page, "primary=112233") {
		t.Errorf("globex's login page shows acme's branding")
	}

	// A signup posted through acme, whose connection does not let people sign up: refused, no account.
	b, loc, _ := loginPage(f.orgID)
	signup := *loc
	signup.Path = authflow.SignupPath
	_, page = get(t, b.c, signup.String())
	form := formFields(page)
	form.Set("email", "walk-in@example.com")
	form.Set("password", "Walk-In-Passw0rd!")
	if resp, body := post(t, b.c, signup.String(), form); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, authflow.MsgSignupDisabled) {
		t.Fatalf("signup through acme: %d", resp.StatusCode)
	}
	if _, err := n.Store.GetUserByEmail(context.Background(), devtenantConnection, "walk-in@example.com"); err == nil {
		t.Fatalf("a refused signup created the account")
	}

	_, conns := f.m.do("GET", "organizations/"+f.orgID+"/enabled_connections", nil)
	connID := conns["list"].([]any)[0].(map[string]any)["connection_id"].(string)
	if status, out := f.m.do("PATCH", "organizations/"+f.orgID+"/enabled_connections/"+connID, map[string]any{
		"assign_membership_on_login": true, "is_signup_enabled": true}); status != http.StatusOK {
		t.Fatalf("enable signup: %d %v", status, out)
	}
	if _, _, page = loginPage(f.orgID); !strings.Contains(page, "/u/signup") {
		t.Errorf("acme's login page hides signup, which its connection now enables")
	}

	// A login form opened before the database connection is disabled for globex.
	b, loc, page = loginPage(f.otherOrgID)
	form = formFields(page)
	if status, out := f.m.do("DELETE", "organizations/"+f.otherOrgID+"/enabled_connections/"+connID, nil); status != http.StatusNoContent {
		t.Fatalf("disable the database connection for globex: %d %v", status, out)
	}
	if _, _, page = loginPage(f.otherOrgID); strings.Contains(page, `name="password"`) || strings.Contains(page, "/u/signup") {
		t.Fatalf("globex's login page offers the database connection it does not enable: %s", page)
	}
	user := n.tenant.Users[1]
	form.Set("username", user.Email)
	form.Set("password", user.Password)
	resp, body := post(t, b.c, loc.String(), form)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, authflow.MsgOrganizationNoPassword) {
		t.Fatalf("password posted to globex: %d", resp.StatusCode)
	}
}

// userID is the user id of a dev tenant user.
func userID(t *testing.T, n *node, email string) string {
	t.Helper()
	u, err := n.Store.GetUserByEmail(context.Background(), devtenantConnection, email)
	if err != nil {
		t.Fatal(err)
	}
	return u.UserID
}
