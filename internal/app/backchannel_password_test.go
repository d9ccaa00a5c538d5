package app_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/sdk/webauth"
)

// devBackchannel lets logout tokens go to the test's loopback app over plain http.
func devBackchannel(o *app.Options) { o.DevBackchannel = true }

// backchannelApp is an app on sdk/webauth, signed in through n as the web application, that takes
// back-channel logout tokens at /api/auth/backchannel-logout (registered on the client).
type backchannelApp struct {
	t       *testing.T
	n       *node
	base    string
	logouts *webauth.MemoryStore
}

func startBackchannelApp(t *testing.T, n *node, m *mgmtClient) *backchannelApp {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &backchannelApp{t: t, n: n, base: "http://" + ln.Addr().String(), logouts: webauth.NewMemoryStore()}
	web := n.tenant.WebApp
	wa, err := webauth.New(webauth.Config{Secret: strings.Repeat("s", 32), BaseURL: a.base, IssuerBaseURL: n.issuer,
		ClientID: web.ClientID, ClientSecret: web.ClientSecret, BackchannelLogout: webauth.BackchannelLogoutConfig{Store: a.logouts}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/auth/", wa.Handler())
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	status, body := m.do("PATCH", "clients/"+web.ClientID, map[string]any{
		"callbacks":   []string{web.Callback, a.base + "/api/auth/callback"},
		"oidc_logout": map[string]any{"backchannel_logout_urls": []string{a.base + "/api/auth/backchannel-logout"}},
	})
	if status != 200 {
		t.Fatalf("register the back-channel logout URL: %d %v", status, body)
	}
	return a
}

// signIn signs the user in to the app in browser c (a Gatehouse session and an app session) and
// returns the user's id.
func (a *backchannelApp) signIn(c *http.Client, email, password string) string {
	a.t.Helper()
	resp, _ := get(a.t, c, a.base+"/api/auth/login")
	loc, _ := resp.Location()
	if resp.StatusCode != http.StatusFound || loc == nil {
		a.t.Fatalf("app login: %d", resp.StatusCode)
	}
	cb := signIn(a.t, c, loc.String(), email, password)
	if resp, _ := get(a.t, c, cb.String()); resp.StatusCode != http.StatusFound {
		a.t.Fatalf("app callback: %d", resp.StatusCode)
	}
	resp, body := get(a.t, c, a.base+"/api/auth/me")
	var profile struct{ Sub string }
	if err := json.Unmarshal([]byte(body), &profile); resp.StatusCode != 200 || err != nil || profile.Sub == "" {
		a.t.Fatalf("app session after sign-in: /me %d %q", resp.StatusCode, body)
	}
	return profile.Sub
}

func (a *backchannelApp) signedIn(c *http.Client) bool {
	resp, _ := get(a.t, c, a.base+"/api/auth/me")
	return resp.StatusCode == 200
}

// waitSignedOut waits for the logout token to end the app's session in c.
func (a *backchannelApp) waitSignedOut(c *http.Client, after string) {
	a.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for a.signedIn(c) {
		if time.Now().After(deadline) {
			a.t.Fatalf("the app's session outlived %s: no back-channel logout arrived", after)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPasswordChangeEndsSessions: a new password — set through the Management API (PATCH
// /api/v2/users/{id} with password) or through a reset link — ends every Gatehouse session of the
// user, as Auth0 does with "end sessions on password change", and each app the user signed in to
// hears it by back-channel logout (initiator password-changed) and ends its own session. Another
// user's sessions are untouched.
func TestPasswordChangeEndsSessions(t *testing.T) {
	n := startNode(t, noResetFloor, devBackchannel)
	m := newMgmtClient(t, n)
	ctx := context.Background()
	a := startBackchannelApp(t, n, m)
	user, other := n.tenant.Users[1], n.tenant.Users[0]

	// Two browsers of the user and one of another user.
	c1, c2, bystander := browser(t), browser(t), browser(t)
	id := a.signIn(c1, user.Email, user.Password)
	a.signIn(c2, user.Email, user.Password)
	otherID := a.signIn(bystander, other.Email, other.Password)
	if list, err := n.Store.ListUserSessions(ctx, id); err != nil || len(list) != 2 {
		t.Fatalf("the user's sessions before: %d %v", len(list), err)
	}

	// A refused new password changes nothing and ends nothing.
	if status, body := m.do("PATCH", "users/"+url.PathEscape(id), map[string]any{"password": "short", "connection": "Username-Password-Authentication"}); status != 400 {
		t.Fatalf("weak password: %d %v", status, body)
	}
	if !a.signedIn(c1) {
		t.Fatal("a refused password ended the app's session")
	}

	// 1. The Management API sets a new password.
	newPassword := "Changed-Passw0rd-1!"
	if status, body := m.do("PATCH", "users/"+url.PathEscape(id), map[string]any{"password": newPassword, "connection": "Username-Password-Authentication"}); status != 200 {
		t.Fatalf("PATCH password: %d %v", status, body)
	}
	a.waitSignedOut(c1, "PATCH password")
	a.waitSignedOut(c2, "PATCH password")
	if list, err := n.Store.ListUserSessions(ctx, id); err != nil || len(list) != 0 {
		t.Fatalf("the user's Gatehouse sessions after PATCH password: %d %v", len(list), err)
	}
	if got := a.logouts.Len(); got != 2 {
		t.Fatalf("the app recorded %d logouts, want one per session (2)", got)
	}
	if !a.signedIn(bystander) {
		t.Fatal("another user's app session ended")
	}
	if list, err := n.Store.ListUserSessions(ctx, otherID); err != nil || len(list) != 1 {
		t.Fatalf("another user's sessions: %d %v", len(list), err)
	}

	// 2. A reset link (a password-change ticket; the hosted "Forgot password?" mail carries the same).
	a.signIn(c1, user.Email, newPassword)
	status, body := m.do("POST", "tickets/password-change", map[string]any{"user_id": id})
	link, _ := body["ticket"].(string)
	if status != 201 || link == "" {
		t.Fatalf("ticket: %d %v", status, body)
	}
	reset := browser(t)
	_, page := get(t, reset, link)
	form := formFields(page)
	form.Set("password", "Changed-Passw0rd-2!")
	form.Set("password_confirm", "Changed-Passw0rd-2!")
	if resp, done := post(t, reset, n.issuer+"u/reset-password", form); resp.StatusCode != 200 || !strings.Contains(done, "signed out everywhere") {
		t.Fatalf("reset: %d %s", resp.StatusCode, done)
	}
	a.waitSignedOut(c1, "a password reset")
	if got := a.logouts.Len(); got != 3 {
		t.Fatalf("the app recorded %d logouts, want 3", got)
	}
	if !a.signedIn(bystander) {
		t.Fatal("another user's app session ended after a reset")
	}

	// 3. Blocking and deleting end sessions the same way (account-deactivated, account-deleted).
	a.signIn(c1, user.Email, "Changed-Passw0rd-2!")
	if status, body := m.do("PATCH", "users/"+url.PathEscape(id), map[string]any{"blocked": true}); status != 200 {
		t.Fatalf("block: %d %v", status, body)
	}
	a.waitSignedOut(c1, "a block")
	if status, body := m.do("DELETE", "users/"+url.PathEscape(otherID), nil); status != 204 {
		t.Fatalf("delete: %d %v", status, body)
	}
	a.waitSignedOut(bystander, "a deleted account")
	if got := a.logouts.Len(); got != 5 {
		t.Fatalf("the app recorded %d logouts, want 5", got)
	}
}
