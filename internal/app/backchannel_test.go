package app_test

import (
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

// TestBackchannelLogout: an app built on sdk/webauth registers its back-channel logout URL; the
// user signs in to it through Gatehouse, then logs out at Gatehouse's /v2/logout; the logout token
// reaches the app, which verifies it and ends the user's session there. A client that registered
// no URL is told nothing, and the app refuses a token that is not a logout token.
func TestBackchannelLogout(t *testing.T) {
	n := startNode(t, func(o *app.Options) { o.DevBackchannel = true })
	m := newMgmtClient(t, n)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	web := n.tenant.WebApp
	logouts := webauth.NewMemoryStore()
	wa, err := webauth.New(webauth.Config{Secret: strings.Repeat("s", 32), BaseURL: base, IssuerBaseURL: n.issuer,
		ClientID: web.ClientID, ClientSecret: web.ClientSecret, BackchannelLogout: webauth.BackchannelLogoutConfig{Store: logouts}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/auth/", wa.Handler())
	appSrv := httptest.NewUnstartedServer(mux)
	appSrv.Listener.Close()
	appSrv.Listener = ln
	appSrv.Start()
	t.Cleanup(appSrv.Close)

	status, body := m.do("PATCH", "clients/"+web.ClientID, map[string]any{
		"callbacks":   []string{web.Callback, base + "/api/auth/callback"},
		"oidc_logout": map[string]any{"backchannel_logout_urls": []string{base + "/api/auth/backchannel-logout"}},
	})
	if status != 200 {
		t.Fatalf("register the back-channel logout URL: %d %v", status, body)
	}
	if ol, _ := body["oidc_logout"].(map[string]any); ol == nil {
		t.Fatalf("oidc_logout not returned: %v", body)
	}

	c := browser(t)
	resp, _ := get(t, c, base+"/api/auth/login")
	loc, _ := resp.Location()
	if resp.StatusCode != http.StatusFound || loc == nil {
		t.Fatalf("app login: %d", resp.StatusCode)
	}
	user := n.tenant.Users[1]
	cb := signIn(t, c, loc.String(), user.Email, user.Password)
	if resp, _ := get(t, c, cb.String()); resp.StatusCode != http.StatusFound {
		t.Fatalf("app callback: %d", resp.StatusCode)
	}
	me := func() int {
		resp, _ := get(t, c, base+"/api/auth/me")
		return resp.StatusCode
	}
	if s := me(); s != 200 {
		t.Fatalf("app session after sign-in: /me %d", s)
	}

	// A forged token is refused and changes nothing.
	form := url.Values{"logout_token": {"eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}}
	if r, err := http.PostForm(base+"/api/auth/backchannel-logout", form); err != nil || r.StatusCode != 400 {
		t.Fatalf("forged logout token: %v %v", r, err)
	}
	if s := me(); s != 200 {
		t.Fatalf("a refused logout token ended the session: /me %d", s)
	}

	// Logout at Gatehouse (the browser's SSO session); the app learns of it over the back channel.
	if resp, _ := get(t, c, n.issuer+"v2/logout?client_id="+web.ClientID); resp.StatusCode != http.StatusFound {
		t.Fatalf("/v2/logout: %d", resp.StatusCode)
	}
	deadline := time.Now().Add(15 * time.Second)
	for me() == 200 {
		if time.Now().After(deadline) {
			t.Fatal("the app's session outlived the logout: no back-channel logout arrived")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if logouts.Len() != 1 {
		t.Fatalf("the app recorded %d logouts, want the one session's", logouts.Len())
	}

	// Sign in again; this time the Management API revokes the user's sessions (DELETE
	// /api/v2/users/{id}/sessions), and the app hears of it the same way.
	resp, _ = get(t, c, base+"/api/auth/login")
	loc, _ = resp.Location()
	cb = signIn(t, c, loc.String(), user.Email, user.Password)
	if resp, _ := get(t, c, cb.String()); resp.StatusCode != http.StatusFound || me() != 200 {
		t.Fatalf("second sign-in: callback %d", resp.StatusCode)
	}
	_, meBody := get(t, c, base+"/api/auth/me")
	var profile struct{ Sub string }
	if err := json.Unmarshal([]byte(meBody), &profile); err != nil || profile.Sub == "" {
		t.Fatalf("/me: %q", meBody)
	}
	if status, body := m.do("DELETE", "users/"+url.PathEscape(profile.Sub)+"/sessions", nil); status != http.StatusAccepted {
		t.Fatalf("revoke the user's sessions: %d %v", status, body)
	}
	deadline = time.Now().Add(15 * time.Second)
	for me() == 200 {
		if time.Now().After(deadline) {
			t.Fatal("the app's session outlived the revocation: no back-channel logout arrived")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if logouts.Len() != 2 {
		t.Fatalf("the app recorded %d logouts, want 2", logouts.Len())
	}
	if status, _ := m.do("DELETE", "sessions/no-such-session", nil); status != http.StatusNotFound {
		t.Errorf("unknown session: %d", status)
	}
}
