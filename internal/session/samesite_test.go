package session_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse/gatehouse/internal/session"
)

// The session cookie is SameSite=None on https; logout applies the Lax rule itself, from the
// request's Fetch Metadata, so another site still cannot end a session without a top-level
// navigation.
func TestLogoutKeepsLaxDefence(t *testing.T) {
	e := newEnv(t, "http://127.0.0.1/")
	tests := []struct {
		name               string
		method, path       string
		site, mode, dest   string
		ends               bool
		clearsCookieAnyway bool
	}{
		{name: "no fetch metadata", method: "GET", path: "/v2/logout", ends: true},
		{name: "same origin fetch", method: "GET", path: "/v2/logout", site: "same-origin", mode: "cors", dest: "empty", ends: true},
		{name: "same site frame", method: "GET", path: "/v2/logout", site: "same-site", mode: "navigate", dest: "iframe", ends: true},
		{name: "typed in the address bar", method: "GET", path: "/v2/logout", site: "none", mode: "navigate", dest: "document", ends: true},
		{name: "cross-site link", method: "GET", path: "/v2/logout", site: "cross-site", mode: "navigate", dest: "document", ends: true},
		{name: "cross-site image", method: "GET", path: "/v2/logout", site: "cross-site", mode: "no-cors", dest: "image"},
		{name: "cross-site iframe", method: "GET", path: "/v2/logout", site: "cross-site", mode: "navigate", dest: "iframe"},
		{name: "cross-site fetch", method: "GET", path: "/v2/logout", site: "cross-site", mode: "cors", dest: "empty"},
		{name: "cross-site form POST", method: "POST", path: "/oidc/logout?client_id=%s", site: "cross-site", mode: "navigate", dest: "document"},
		{name: "cross-site iframe oidc", method: "GET", path: "/oidc/logout?client_id=%s", site: "cross-site", mode: "navigate", dest: "iframe"},
		{name: "cross-site link oidc", method: "GET", path: "/oidc/logout?client_id=%s", site: "cross-site", mode: "navigate", dest: "document", ends: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.browser(t)
			sid := e.signIn(t, c)
			path := tt.path
			if len(path) > 2 && path[len(path)-2:] == "%s" {
				path = path[:len(path)-2] + e.client.ClientID
			}
			req, err := http.NewRequest(tt.method, e.srv.URL+path, nil)
			must(t, err)
			for k, v := range map[string]string{"Sec-Fetch-Site": tt.site, "Sec-Fetch-Mode": tt.mode, "Sec-Fetch-Dest": tt.dest} {
				if v != "" {
					req.Header.Set(k, v)
				}
			}
			resp, err := c.Do(req)
			must(t, err)
			resp.Body.Close()
			cleared := false
			for _, ck := range resp.Cookies() {
				if ck.Name == e.sessions.CookieName() && ck.MaxAge < 0 {
					cleared = true
				}
			}
			alive := e.current(t, c) == sid
			if tt.ends == alive || tt.ends != cleared {
				t.Errorf("ends = %v, want %v (cookie cleared %v, status %d)", !alive, tt.ends, cleared, resp.StatusCode)
			}
		})
	}
}

func TestLaxSameSite(t *testing.T) {
	for _, tc := range []struct {
		method, site, mode, dest string
		want                     bool
	}{
		{"GET", "", "", "", true},
		{"POST", "same-origin", "navigate", "document", true},
		{"HEAD", "cross-site", "navigate", "document", true},
		{"GET", "cross-site", "navigate", "document", true},
		{"POST", "cross-site", "navigate", "document", false},
		{"GET", "cross-site", "navigate", "iframe", false},
		{"GET", "cross-site", "no-cors", "image", false},
		{"GET", "cross-site", "", "", false},
		{"GET", "bogus", "navigate", "document", true},
	} {
		r := httptest.NewRequest(tc.method, "/", nil)
		r.Header.Set("Sec-Fetch-Site", tc.site)
		r.Header.Set("Sec-Fetch-Mode", tc.mode)
		r.Header.Set("Sec-Fetch-Dest", tc.dest)
		if got := session.LaxSameSite(r.WithContext(context.Background())); got != tc.want {
			t.Errorf("%+v: got %v", tc, got)
		}
	}
}
