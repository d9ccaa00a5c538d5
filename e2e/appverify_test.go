package e2e_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/examples/seedapp/seedapp"
	"github.com/gatehouse/gatehouse/internal/appverify"
	"github.com/gatehouse/gatehouse/sdk/webauth"
)

// `gatehouse verify` (internal/appverify) passes every check of the guide's "How to Verify It
// Worked" against the seed app, over HTTP and, where Chromium is installed, through the browser;
// against a copy of the app broken in one way, exactly that check fails.
func TestVerifyCommandAgainstTheSeedApp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	g := MustStartGatehouse(t, ctx)
	g.MustSetAPITokenLifetime(t, ctx, apiTokenLifetime)
	app := MustStartSeedApp(t, ctx, g)
	admin, user := g.User(t, "admin"), g.User(t, "user")
	client := mustTrustingClient(t, g.CA.CACert)
	cfg := appverify.Config{
		App: app.Web, API: app.API + "/api/private", User: user.Email, Password: user.Password,
		AdminUser: admin.Email, AdminPassword: admin.Password, Wait: (apiTokenLifetime + 1) * time.Second, HTTP: client,
	}
	mustAllPass(t, ctx, cfg, "")

	if p := os.Getenv("GATEHOUSE_TEST_CHROMIUM"); p != "" {
		withBrowser := cfg
		withBrowser.Browser = appverify.Chromium{Path: p, Screenshots: artifactsDir(t)}
		mustAllPass(t, ctx, withBrowser, "")
	}

	// The broken copies: the seed app behind a proxy that breaks one thing at a time.
	var mode atomic.Value
	mode.Store("")
	ln := mustListen(t)
	base := "http://localhost:" + port(ln)
	g.MustRegisterApp(t, ctx, base)
	web, err := seedapp.NewWeb(seedapp.Config{Auth: webauth.Config{Secret: randomSecret(t), BaseURL: base,
		IssuerBaseURL: strings.TrimSuffix(g.Issuer, "/"), ClientID: g.Tenant.WebApp.ClientID, ClientSecret: g.Tenant.WebApp.ClientSecret,
		Audience: g.Tenant.API.Identifier}, APIBaseURL: app.API, HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	var tokenCalls atomic.Int32
	serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch m := mode.Load().(string); {
		// An identity provider in front of Gatehouse that sends the code wherever redirect_uri
		// says: the app's own redirect_uri goes on to Gatehouse, any other is obeyed.
		case m == "open-redirect" && r.URL.Path == "/api/auth/login":
			rec := httptest.NewRecorder()
			web.ServeHTTP(rec, r)
			for _, c := range rec.Result().Cookies() {
				http.SetCookie(w, c)
			}
			real, _ := url.Parse(rec.Header().Get("Location"))
			http.Redirect(w, r, base+"/fake/authorize?"+real.RawQuery, http.StatusFound)
			return
		case m == "open-redirect" && r.URL.Path == "/fake/authorize":
			if ru := r.URL.Query().Get("redirect_uri"); ru != base+"/api/auth/callback" {
				http.Redirect(w, r, ru+"?code=x", http.StatusFound)
				return
			}
			http.Redirect(w, r, g.Issuer+"authorize?"+r.URL.RawQuery, http.StatusFound)
			return
		// An app that cannot refresh: its token route fails once the first token is used.
		case m == "no-refresh" && r.URL.Path == "/api/data" && tokenCalls.Add(1) > 1:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"ERR_EXPIRED_ACCESS_TOKEN"}`))
			return
		// An admin page without the role check.
		case m == "no-role-check" && r.URL.Path == "/admin":
			_, _ = w.Write([]byte("<h1>Admin</h1>"))
			return
		// A logout that forgets the session.
		case m == "local-logout-only" && r.URL.Path == "/api/auth/logout":
			http.Redirect(w, r, "/", http.StatusFound)
			return
		// A session cookie readable by scripts.
		case m == "script-readable-cookie" && r.URL.Path == "/api/auth/callback":
			web.ServeHTTP(scriptReadable{w}, r)
			return
		}
		web.ServeHTTP(w, r)
	}), ln)
	// An API that takes any token.
	anyToken := mustListen(t)
	serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"ok":true}`)) }), anyToken)

	broken := cfg
	broken.App = base
	for _, tc := range []struct{ mode, fails string }{
		{"", ""},
		{"open-redirect", "callback-tampering"},
		{"any-token-api", "invalid-token"},
		{"no-refresh", "refresh"},
		{"no-role-check", "roles"},
		{"local-logout-only", "logout"},
		{"script-readable-cookie", "cookies"},
	} {
		t.Run("broken "+tc.mode, func(t *testing.T) {
			mode.Store(tc.mode)
			tokenCalls.Store(0)
			c := broken
			if tc.mode == "any-token-api" {
				c.API = "http://127.0.0.1:" + port(anyToken) + "/api/private"
			}
			mustAllPass(t, ctx, c, tc.fails)
		})
	}
}

// mustAllPass runs the checks and wants exactly the check named failing ("" for none), each
// other one passing with evidence.
func mustAllPass(t *testing.T, ctx context.Context, cfg appverify.Config, failing string) {
	t.Helper()
	results, err := appverify.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 6 {
		t.Fatalf("%d results, want the guide's 6", len(results))
	}
	for _, r := range results {
		want := appverify.Pass
		if r.ID == failing {
			want = appverify.Fail
		}
		if r.Status != want || len(r.Evidence) == 0 {
			t.Errorf("%s: %s, want %s; evidence:\n  %s", r.ID, r.Status, want, strings.Join(r.Evidence, "\n  "))
		} else {
			t.Logf("%s %s: %s", r.Status, r.ID, strings.Join(r.Evidence, " | "))
		}
	}
}

// scriptReadable drops HttpOnly from the cookies a response sets.
type scriptReadable struct{ http.ResponseWriter }

func (s scriptReadable) WriteHeader(code int) {
	h := s.Header()
	for i, c := range h.Values("Set-Cookie") {
		h["Set-Cookie"][i] = strings.ReplaceAll(c, "; HttpOnly", "")
	}
	s.ResponseWriter.WriteHeader(code)
}
