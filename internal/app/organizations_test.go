package app_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/devtenant"
	"github.com/gatehouse/gatehouse/internal/domain"
)

// orgSignIn signs a user in through the guide's web app with extra /authorize parameters, in a
// fresh browser, and returns the decoded tokens (nil on an error redirect).
func orgSignIn(t *testing.T, n *node, email, pw string, extra url.Values) signInResult {
	t.Helper()
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, n.issuer)
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauthConfig(n, provider)
	verifier := oauth2.GenerateVerifier()
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oidc.Nonce("n"),
		oauth2.SetAuthURLParam("audience", devtenant.APIIdentifier)}
	for k := range extra {
		opts = append(opts, oauth2.SetAuthURLParam(k, extra.Get(k)))
	}
	cb := signIn(t, browser(t), cfg.AuthCodeURL("s", opts...), email, pw)
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

// wantDenied checks a sign-in ended at the app's callback with error and a description containing want.
func wantDenied(t *testing.T, r signInResult, code, want string) {
	t.Helper()
	if r.id != nil {
		t.Fatalf("signed in; want %s %q", code, want)
	}
	q := r.callback.Query()
	if q.Get("error") != code || !strings.Contains(q.Get("error_description"), want) {
		t.Fatalf("callback %s; want error %s containing %q", r.callback, code, want)
	}
}

type orgFixture struct {
	m                 *mgmtClient
	orgID, otherOrgID string
	adminRole         string
	userRole          string
}

// newOrgFixture lets the guide's web app sign in through organizations and creates two
// organizations with the database connection enabled.
func newOrgFixture(t *testing.T, n *node) orgFixture {
	t.Helper()
	m := newMgmtClient(t, n)
	if status, out := m.do("PATCH", "clients/"+n.tenant.WebApp.ClientID, map[string]any{"organization_usage": "allow",
		"initiate_login_uri": "https://app.example.org/login"}); status != http.StatusOK {
		t.Fatalf("client: %d %v", status, out)
	}
	_, conns := m.do("GET", "connections?name="+devtenantConnection, nil)
	connID := conns["list"].([]any)[0].(map[string]any)["id"].(string)
	f := orgFixture{m: m}
	for i, name := range []string{"acme", "globex"} {
		status, o := m.do("POST", "organizations", map[string]any{"name": name, "display_name": strings.ToUpper(name),
			"enabled_connections": []map[string]any{{"connection_id": connID}}})
		if status != http.StatusCreated {
			t.Fatalf("create organization: %d %v", status, o)
		}
		if i == 0 {
			f.orgID = o["id"].(string)
		} else {
			f.otherOrgID = o["id"].(string)
		}
	}
	_, roles := m.do("GET", "roles", nil)
	for _, r := range roles["list"].([]any) {
		r := r.(map[string]any)
		switch r["name"] {
		case "admin":
			f.adminRole = r["id"].(string)
		case "user":
			f.userRole = r["id"].(string)
		}
	}
	return f
}

const devtenantConnection = "Username-Password-Authentication"

// TestOrganizationSignIn: a sign-in without organization carries no org_id; a non-member is
// refused with Auth0's access_denied; a member's tokens carry org_id and only the roles and
// permissions they hold in that organization (through the guide's Action); a removed member's
// refresh token is refused; another organization's id does not let a member of the first in.
func TestOrganizationSignIn(t *testing.T) {
	n := startNode(t)
	f := newOrgFixture(t, n)
	user := n.tenant.Users[1] // tenant-wide role "user"

	plain := orgSignIn(t, n, user.Email, user.Password, nil)
	if plain.id == nil || plain.id["org_id"] != nil || plain.access["org_id"] != nil {
		t.Fatalf("sign-in without organization: %v %v", plain.id, plain.callback)
	}
	sub := plain.id["sub"].(string)

	wantDenied(t, orgSignIn(t, n, user.Email, user.Password, url.Values{"organization": {f.orgID}}),
		"access_denied", "user "+sub+" is not part of the "+f.orgID+" organization")

	if status, out := f.m.do("POST", "organizations/"+f.orgID+"/members", map[string]any{"members": []string{sub}}); status != http.StatusNoContent {
		t.Fatalf("add member: %d %v", status, out)
	}
	if status, out := f.m.do("POST", "organizations/"+f.orgID+"/members/"+url.PathEscape(sub)+"/roles", map[string]any{"roles": []string{f.adminRole}}); status != http.StatusNoContent {
		t.Fatalf("add member role: %d %v", status, out)
	}
	// The login page names the organization.
	b := browser(t)
	resp, _ := get(t, b, n.issuer+"authorize?"+url.Values{"client_id": {n.tenant.WebApp.ClientID}, "redirect_uri": {devtenant.Callback},
		"response_type": {"code"}, "scope": {"openid"}, "organization": {f.orgID}, "code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
		"code_challenge_method": {"S256"}}.Encode())
	loc, _ := resp.Location()
	if _, page := get(t, b, loc.String()); !strings.Contains(page, "Log in to <strong>ACME</strong>") {
		t.Errorf("login page does not name the organization: %s", page)
	}
	r := orgSignIn(t, n, user.Email, user.Password, url.Values{"organization": {f.orgID}})
	if r.id == nil {
		t.Fatalf("member refused: %s", r.callback)
	}
	for name, claims := range map[string]map[string]any{"ID token": r.id, "access token": r.access} {
		if claims["org_id"] != f.orgID || claims["org_name"] != nil {
			t.Errorf("%s org_id %v org_name %v", name, claims["org_id"], claims["org_name"])
		}
		if got, _ := claims["https://yourapp.com/roles"].([]any); !slices.Equal(got, []any{"admin"}) {
			t.Errorf("%s roles %v; want the organization's [admin] only", name, claims["https://yourapp.com/roles"])
		}
	}
	if perms, _ := r.access["permissions"].([]any); len(perms) != 4 {
		t.Errorf("permissions %v; want the admin role's 4 (from the organization, not the tenant-wide user role)", r.access["permissions"])
	}

	// The member of acme is not a member of globex.
	wantDenied(t, orgSignIn(t, n, user.Email, user.Password, url.Values{"organization": {f.otherOrgID}}),
		"access_denied", "is not part of the "+f.otherOrgID+" organization")

	// The refresh token stays bound to the organization, and ends with the membership.
	ctx := context.Background()
	ts := r.config.TokenSource(ctx, &oauth2.Token{RefreshToken: r.token.RefreshToken})
	tok, err := ts.Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if at := decodeJWT(t, tok.AccessToken); at["org_id"] != f.orgID || !slices.Equal(at["https://yourapp.com/roles"].([]any), []any{"admin"}) {
		t.Fatalf("refreshed access token org_id %v roles %v", at["org_id"], at["https://yourapp.com/roles"])
	}
	if status, out := f.m.do("DELETE", "organizations/"+f.orgID+"/members", map[string]any{"members": []string{sub}}); status != http.StatusNoContent {
		t.Fatalf("remove member: %d %v", status, out)
	}
	_, err = r.config.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("refresh after removal: %v; want invalid_grant", err)
	}

	// org_name when the tenant allows names, and the organization by name.
	if status, out := f.m.do("PATCH", "tenants/settings", map[string]any{"allow_organization_name_in_authentication_api": true}); status != http.StatusOK {
		t.Fatalf("tenant settings: %d %v", status, out)
	}
	f.m.do("POST", "organizations/"+f.otherOrgID+"/members", map[string]any{"members": []string{sub}})
	named := orgSignIn(t, n, user.Email, user.Password, url.Values{"organization": {"globex"}})
	if named.id == nil || named.id["org_id"] != f.otherOrgID || named.id["org_name"] != "globex" || named.access["org_name"] != "globex" {
		t.Fatalf("sign-in by name: %v %v", named.id, named.callback)
	}
	if perms, _ := named.access["permissions"].([]any); len(perms) != 0 {
		t.Errorf("permissions %v; want none (no roles in globex)", perms)
	}
}

// TestOrganizationUsageAtAuthorize: deny refuses organization=, require refuses a request without.
func TestOrganizationUsageAtAuthorize(t *testing.T) {
	n := startNode(t)
	f := newOrgFixture(t, n)
	authorize := func(extra url.Values) url.Values {
		q := url.Values{"client_id": {n.tenant.WebApp.ClientID}, "redirect_uri": {devtenant.Callback}, "response_type": {"code"},
			"scope": {"openid"}, "state": {"s"}, "code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}
		for k := range extra {
			q.Set(k, extra.Get(k))
		}
		b := browser(t)
		resp, _ := get(t, b, n.issuer+"authorize?"+q.Encode())
		loc, _ := resp.Location()
		if loc == nil {
			t.Fatalf("/authorize %v: status %d without a redirect", extra, resp.StatusCode)
		}
		return loc.Query()
	}
	if q := authorize(url.Values{"organization": {"org_doesnotexist"}}); q.Get("error") != "invalid_request" {
		t.Fatalf("unknown organization: %v", q)
	}
	if q := authorize(url.Values{"organization": {"acme"}}); q.Get("error") != "invalid_request" || !strings.Contains(q.Get("error_description"), "names are not enabled") {
		t.Fatalf("a name while names are off: %v", q)
	}
	f.m.do("PATCH", "clients/"+n.tenant.WebApp.ClientID, map[string]any{"organization_usage": "deny"})
	if q := authorize(url.Values{"organization": {f.orgID}}); q.Get("error") != "invalid_request" || q.Get("error_description") != "parameter organization is not allowed for this client" {
		t.Fatalf("deny: %v", q)
	}
	f.m.do("PATCH", "clients/"+n.tenant.WebApp.ClientID, map[string]any{"organization_usage": "require", "organization_require_behavior": "no_prompt"})
	if q := authorize(nil); q.Get("error") != "invalid_request" || q.Get("error_description") != "parameter organization is required for this client" {
		t.Fatalf("require: %v", q)
	}
}

var invitationLink = regexp.MustCompile(`https://app\.example\.org/login\?\S+`)

// TestOrganizationInvitation: the invitation mail, read from a real SMTP server, carries the link;
// accepting it signs the invited user in as a member with the invited role, once; the same
// invitation with another organization, or again, is refused.
func TestOrganizationInvitation(t *testing.T) {
	n := startNode(t)
	srv := withSMTP(t, n)
	f := newOrgFixture(t, n)
	admin := n.tenant.Users[0]
	status, inv := f.m.do("POST", "organizations/"+f.orgID+"/invitations", map[string]any{
		"inviter": map[string]any{"name": "Ann"}, "invitee": map[string]any{"email": admin.Email},
		"client_id": n.tenant.WebApp.ClientID, "roles": []string{f.userRole}})
	if status != http.StatusCreated {
		t.Fatalf("invite: %d %v", status, inv)
	}
	msgs := waitForMail(t, n, srv, 1)
	if !strings.Contains(msgs[0].To, admin.Email) || !strings.Contains(msgs[0].Text, "Ann has invited you") {
		t.Fatalf("invitation mail to %v: %s", msgs[0].To, msgs[0].Text)
	}
	raw := invitationLink.FindString(msgs[0].Text)
	link, err := url.Parse(raw)
	if err != nil || raw == "" {
		t.Fatalf("no invitation link in %s", msgs[0].Text)
	}
	q := link.Query()
	if q.Get("organization") != f.orgID || q.Get("organization_name") != "acme" || q.Get("invitation") == "" {
		t.Fatalf("link %s", raw)
	}

	// An invitation for acme used with globex: refused, and still good for acme.
	wantDenied(t, orgSignIn(t, n, admin.Email, admin.Password, url.Values{"organization": {f.otherOrgID}, "invitation": {q.Get("invitation")}}),
		"access_denied", "not valid for this organization")

	r := orgSignIn(t, n, admin.Email, admin.Password, url.Values{"organization": {f.orgID}, "invitation": {q.Get("invitation")}})
	if r.id == nil {
		t.Fatalf("invitation refused: %s", r.callback)
	}
	if r.id["org_id"] != f.orgID {
		t.Fatalf("org_id %v", r.id["org_id"])
	}
	if got, _ := r.id["https://yourapp.com/roles"].([]any); !slices.Equal(got, []any{"user"}) {
		t.Errorf("roles %v; want the invited [user] (not the tenant-wide admin)", r.id["https://yourapp.com/roles"])
	}
	// Spent: the same link again is refused, and the invitation left the list.
	wantDenied(t, orgSignIn(t, n, admin.Email, admin.Password, url.Values{"organization": {f.orgID}, "invitation": {q.Get("invitation")}}),
		"access_denied", "already been used")
	if _, list := f.m.do("GET", "organizations/"+f.orgID+"/invitations", nil); len(list["list"].([]any)) != 0 {
		t.Errorf("invitations after acceptance: %v", list)
	}

	// An invitation accepted by another address is refused and stays unspent.
	_, inv2 := f.m.do("POST", "organizations/"+f.orgID+"/invitations", map[string]any{
		"inviter": map[string]any{"name": "Ann"}, "invitee": map[string]any{"email": "someone.else@example.com"},
		"client_id": n.tenant.WebApp.ClientID, "send_invitation_email": false})
	user := n.tenant.Users[1]
	wantDenied(t, orgSignIn(t, n, user.Email, user.Password, url.Values{"organization": {f.orgID}, "invitation": {inv2["ticket_id"].(string)}}),
		"access_denied", "another email address")
	if _, list := f.m.do("GET", "organizations/"+f.orgID+"/invitations", nil); len(list["list"].([]any)) != 1 {
		t.Errorf("the refused invitation was spent: %v", list)
	}
}

// TestOrganizationInvitationSignup: an invitation to an address with no account; the app passes
// the link's parameters to /authorize, the signup form starts with the invited address, and the
// new account is a member of the organization with the invited role.
func TestOrganizationInvitationSignup(t *testing.T) {
	n := startNode(t, noResetFloor)
	srv := withSMTP(t, n)
	f := newOrgFixture(t, n)
	email := "invited.new@example.com"
	if status, out := f.m.do("POST", "organizations/"+f.orgID+"/invitations", map[string]any{
		"inviter": map[string]any{"name": "Ann"}, "invitee": map[string]any{"email": email},
		"client_id": n.tenant.WebApp.ClientID, "roles": []string{f.adminRole}}); status != http.StatusCreated {
		t.Fatalf("invite: %d %v", status, out)
	}
	link, err := url.Parse(invitationLink.FindString(waitForMail(t, n, srv, 1)[0].Text))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, n.issuer)
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauthConfig(n, provider)
	verifier := oauth2.GenerateVerifier()
	c := browser(t)
	authURL := cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("audience", devtenant.APIIdentifier),
		oauth2.SetAuthURLParam("screen_hint", "signup"), oauth2.SetAuthURLParam("organization", link.Query().Get("organization")),
		oauth2.SetAuthURLParam("invitation", link.Query().Get("invitation")))
	resp, _ := get(t, c, authURL)
	loc, _ := resp.Location()
	if loc == nil || loc.Path != "/u/signup" {
		t.Fatalf("/authorize went to %v", loc)
	}
	_, page := get(t, c, loc.String())
	form := formFields(page)
	if form.Get("email") != email {
		t.Fatalf("signup form email %q; want the invited %q", form.Get("email"), email)
	}
	form.Set("password", "Invited-Passw0rd!")
	resp, body := post(t, c, loc.String(), form)
	cb, _ := resp.Location()
	if resp.StatusCode != http.StatusFound || cb == nil || cb.Query().Get("code") == "" {
		t.Fatalf("signup: %d %v %s", resp.StatusCode, cb, body)
	}
	tok, err := cfg.Exchange(ctx, cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	at := decodeJWT(t, tok.AccessToken)
	if at["org_id"] != f.orgID {
		t.Fatalf("org_id %v", at["org_id"])
	}
	if perms, _ := at["permissions"].([]any); len(perms) != 4 {
		t.Errorf("permissions %v; want the invited admin role's", at["permissions"])
	}
	_, members := f.m.do("GET", "organizations/"+f.orgID+"/members", nil)
	if list := members["list"].([]any); len(list) != 1 || list[0].(map[string]any)["email"] != email {
		t.Fatalf("members %v", members)
	}
}

// TestOrganizationInvitationWithMFA: an invitation accepted by a sign-in that must also pass a
// second factor. The MFA step stores the transaction again and runs the steps anew after the
// factor; the invitation, spent on the first pass, must not be refused as used on the second.
func TestOrganizationInvitationWithMFA(t *testing.T) {
	mfaEngines(t, func(t *testing.T, n mfaNode) {
		f := newOrgFixture(t, n.node)
		admin := n.tenant.Users[0]
		if status, out := f.m.do("PUT", "guardian/policies", []string{"all-applications"}); status != http.StatusOK {
			t.Fatalf("MFA policy: %d %v", status, out)
		}
		status, inv := f.m.do("POST", "organizations/"+f.orgID+"/invitations", map[string]any{
			"inviter": map[string]any{"name": "Ann"}, "invitee": map[string]any{"email": admin.Email},
			"client_id": n.tenant.WebApp.ClientID, "roles": []string{f.userRole}, "send_invitation_email": false})
		if status != http.StatusCreated {
			t.Fatalf("invite: %d %v", status, inv)
		}
		client := newMFAClient(t, n.node)
		b := newMFABrowser(t, n)
		authURL, verifier := client.authURL(oauth2.SetAuthURLParam("organization", f.orgID),
			oauth2.SetAuthURLParam("invitation", inv["ticket_id"].(string)))
		b.start(authURL, admin.Email, admin.Password)
		b.enroll()
		claims, _ := client.idToken(t, b.finish(), verifier)
		if claims["org_id"] != f.orgID {
			t.Fatalf("org_id %v after the second factor", claims["org_id"])
		}
		wantMFAClaims(t, claims, "pwd", "mfa", "otp")
		u, err := n.Store.GetUserByEmail(context.Background(), domain.DefaultConnection, admin.Email)
		if err != nil {
			t.Fatal(err)
		}
		if member, err := n.Store.IsOrganizationMember(context.Background(), f.orgID, u.UserID); err != nil || !member {
			t.Fatalf("membership after the invitation: %v %v", member, err)
		}
	})
}
