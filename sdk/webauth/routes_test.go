package webauth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/sdk/webauth"
)

func TestLogoutAuth0(t *testing.T) {
	e := newEnv(t)
	b := newBrowser()
	e.mustLogin(b)
	idToken := mustSession(t, e, b).IDToken

	rec := b.get(e.app, "/api/auth/logout")
	if rec.Code != http.StatusFound {
		t.Fatalf("logout status %d", rec.Code)
	}
	if c := setCookies(rec)["appSession"]; c == nil || c.MaxAge >= 0 {
		t.Errorf("appSession not cleared: %+v", c)
	}
	loc, _ := url.Parse(rec.Header().Get("Location"))
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != e.issuer.srv.URL+"/v2/logout" {
		t.Errorf("logout went to %q", got)
	}
	q := loc.Query()
	if q.Get("client_id") != testClientID || q.Get("returnTo") != "http://localhost:3000" || q.Get("id_token_hint") != idToken {
		t.Errorf("logout query = %v", q)
	}
	if status, _ := e.me(b); status != http.StatusUnauthorized {
		t.Errorf("session survived logout: %d", status)
	}
	if rec := b.get(e.app, "/dashboard"); rec.Code != http.StatusFound || !strings.HasPrefix(rec.Header().Get("Location"), "/api/auth/login") {
		t.Errorf("protected page after logout: %d %q", rec.Code, rec.Header().Get("Location"))
	}

	// Without a session the issuer's session is still ended, just without a hint.
	rec = newBrowser().get(e.app, "/api/auth/logout?returnTo=/goodbye")
	loc, _ = url.Parse(rec.Header().Get("Location"))
	if loc.Query().Get("returnTo") != "http://localhost:3000/goodbye" || loc.Query().Has("id_token_hint") {
		t.Errorf("anonymous logout query = %v", loc.Query())
	}
}

func TestLogoutOIDCAndLocal(t *testing.T) {
	e := newEnv(t, func(c *webauth.Config) { c.Logout = webauth.LogoutOIDC })
	b := newBrowser()
	e.mustLogin(b)
	rec := b.get(e.app, "/api/auth/logout")
	loc, _ := url.Parse(rec.Header().Get("Location"))
	if loc.Path != "/oidc/logout" || loc.Query().Get("post_logout_redirect_uri") != "http://localhost:3000" ||
		loc.Query().Get("id_token_hint") == "" || loc.Query().Get("client_id") != testClientID {
		t.Errorf("OIDC logout = %v", loc)
	}

	e = newEnv(t, func(c *webauth.Config) { c.Logout = webauth.LogoutLocal })
	b = newBrowser()
	e.mustLogin(b)
	rec = b.get(e.app, "/api/auth/logout")
	if rec.Header().Get("Location") != "http://localhost:3000" {
		t.Errorf("local logout = %q", rec.Header().Get("Location"))
	}
}

// The logout route and the login route share one returnTo rule; LogoutLocal shows the result
// directly in Location.
func TestReturnToOpenRedirect(t *testing.T) {
	e := newEnv(t, func(c *webauth.Config) { c.Logout = webauth.LogoutLocal })
	tests := []struct{ returnTo, want string }{
		{"/dashboard", "http://localhost:3000/dashboard"},
		{"/dashboard?tab=1#x", "http://localhost:3000/dashboard?tab=1#x"},
		{"http://localhost:3000/settings", "http://localhost:3000/settings"},
		{"https://evil.example/", "http://localhost:3000"},
		{"//evil.example/", "http://localhost:3000"},
		{"/\\evil.example", "http://localhost:3000"},
		{"https://localhost:3000/x", "http://localhost:3000"}, // other scheme is another origin
		{"http://localhost:3000.evil.example/", "http://localhost:3000"},
		{"http://user@localhost:3000/", "http://localhost:3000"},
		{"javascript:alert(1)", "http://localhost:3000"},
		{"dashboard", "http://localhost:3000"},
		{"/ok\r\nSet-Cookie: x=y", "http://localhost:3000"},
	}
	for _, tt := range tests {
		t.Run(tt.returnTo, func(t *testing.T) {
			rec := newBrowser().get(e.app, "/api/auth/logout?returnTo="+url.QueryEscape(tt.returnTo))
			if got := rec.Header().Get("Location"); got != tt.want {
				t.Errorf("Location = %q, want %q", got, tt.want)
			}
		})
	}

	// And end to end through a login: an outside returnTo lands on the default page.
	e = newEnv(t)
	b := newBrowser()
	if rec := e.login(b, "/api/auth/login?returnTo="+url.QueryEscape("https://evil.example/steal")); rec.Header().Get("Location") != "http://localhost:3000/" {
		t.Errorf("login returnTo → %q", rec.Header().Get("Location"))
	}
}

func TestRequireAuth(t *testing.T) {
	e := newEnv(t)
	b := newBrowser()

	rec := b.get(e.app, "/dashboard?tab=1")
	if rec.Code != http.StatusFound || rec.Header().Get("Location") != "/api/auth/login?returnTo=%2Fdashboard%3Ftab%3D1" {
		t.Errorf("page: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	const want = `{"error":"not_authenticated","description":"The user does not have an active session or is not authenticated"}`
	rec = b.get(e.app, "/api/protected/data")
	if rec.Code != http.StatusUnauthorized || strings.TrimSpace(rec.Body.String()) != want {
		t.Errorf("API: %d %s", rec.Code, rec.Body)
	}
	rec = b.do(e.app, "GET", "/dashboard", http.Header{"Accept": {"application/json"}})
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("JSON request to a page: %d", rec.Code)
	}
	if status, body := e.me(b); status != http.StatusUnauthorized || body["error"] != "not_authenticated" {
		t.Errorf("/me without session: %d %v", status, body)
	}

	// The redirect's returnTo brings the user back after login.
	rec = e.login(b, "/api/auth/login?returnTo=%2Fdashboard%3Ftab%3D1")
	if rec.Header().Get("Location") != "http://localhost:3000/dashboard?tab=1" {
		t.Errorf("after login: %q", rec.Header().Get("Location"))
	}
}

func TestHandlerRoutes(t *testing.T) {
	e := newEnv(t)
	b := newBrowser()
	if rec := b.get(e.app, "/api/auth/unknown"); rec.Code != http.StatusNotFound {
		t.Errorf("unknown auth route: %d", rec.Code)
	}
	if rec := b.do(e.app, http.MethodDelete, "/api/auth/login", nil); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("DELETE /login: %d", rec.Code)
	}
	if rec := b.get(e.app, "/api/auth/me"); rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("/me Cache-Control %q", rec.Header().Get("Cache-Control"))
	}
}

func TestCustomRoutesAndMount(t *testing.T) {
	e := newEnv(t, func(c *webauth.Config) {
		c.Routes = webauth.Routes{Login: "/auth/in", Callback: "/auth/cb", Logout: "/auth/out", Me: "/auth/who"}
	})
	mux := http.NewServeMux()
	e.client.Mount(mux)
	rec := newBrowser().get(mux, "/auth/in")
	loc, _ := url.Parse(rec.Header().Get("Location"))
	if rec.Code != http.StatusFound || loc.Query().Get("redirect_uri") != "http://localhost:3000/auth/cb" {
		t.Errorf("custom login: %d %v", rec.Code, loc)
	}
	if rec := newBrowser().get(mux, "/auth/who"); rec.Code != http.StatusUnauthorized {
		t.Errorf("custom me: %d", rec.Code)
	}
}

func mustSession(t *testing.T, e *env, b *browser) *webauth.Session {
	t.Helper()
	req, _ := http.NewRequest("GET", "/", nil)
	for _, c := range b.cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	s, err := e.client.Session(req)
	if err != nil || s == nil {
		t.Fatalf("no session: %v", err)
	}
	return s
}
