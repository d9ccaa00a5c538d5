package app_test

import (
	"net/http"
	"net/url"
	"testing"
)

// TestBackchannelLogout: an app built on sdk/webauth registers its back-channel logout URL; the
// user signs in to it through Gatehouse, then logs out at Gatehouse's /v2/logout; the logout token
// reaches the app, which verifies it and ends the user's session there. A client that registered
// no URL is told nothing, and the app refuses a token that is not a logout token.
func TestBackchannelLogout(t *testing.T) {
	n := startNode(t, devBackchannel)
	m := newMgmtClient(t, n)
	a := startBackchannelApp(t, n, m)
	if _, body := m.do("GET", "clients/"+n.tenant.WebApp.ClientID, nil); body["oidc_logout"] == nil {
		t.Fatalf("oidc_logout not returned: %v", body)
	}

	c := browser(t)
	user := n.tenant.Users[1]
	a.signIn(c, user.Email, user.Password)

	// A forged token is refused and changes nothing.
	form := url.Values{"logout_token": {"eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}}
	if r, err := http.PostForm(a.base+"/api/auth/backchannel-logout", form); err != nil || r.StatusCode != 400 {
		t.Fatalf("forged logout token: %v %v", r, err)
	}
	if !a.signedIn(c) {
		t.Fatal("a refused logout token ended the session")
	}

	// Logout at Gatehouse (the browser's SSO session); the app learns of it over the back channel.
	if resp, _ := get(t, c, n.issuer+"v2/logout?client_id="+n.tenant.WebApp.ClientID); resp.StatusCode != http.StatusFound {
		t.Fatalf("/v2/logout: %d", resp.StatusCode)
	}
	a.waitSignedOut(c, "the logout")
	if a.logouts.Len() != 1 {
		t.Fatalf("the app recorded %d logouts, want the one session's", a.logouts.Len())
	}

	// Sign in again; this time the Management API revokes the user's sessions (DELETE
	// /api/v2/users/{id}/sessions), and the app hears of it the same way.
	sub := a.signIn(c, user.Email, user.Password)
	if status, body := m.do("DELETE", "users/"+url.PathEscape(sub)+"/sessions", nil); status != http.StatusAccepted {
		t.Fatalf("revoke the user's sessions: %d %v", status, body)
	}
	a.waitSignedOut(c, "the revocation")
	if a.logouts.Len() != 2 {
		t.Fatalf("the app recorded %d logouts, want 2", a.logouts.Len())
	}
	if status, _ := m.do("DELETE", "sessions/no-such-session", nil); status != http.StatusNotFound {
		t.Errorf("unknown session: %d", status)
	}
}
