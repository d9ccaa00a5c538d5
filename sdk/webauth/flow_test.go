package webauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/sdk/webauth"
	"github.com/golang-jwt/jwt/v5"
)

func TestLoginCallbackSessionMe(t *testing.T) {
	e := newEnv(t)
	b := newBrowser()

	rec := b.get(e.app, "/api/auth/login?returnTo=/dashboard")
	authz, _ := url.Parse(rec.Header().Get("Location"))
	q := authz.Query()
	for k, want := range map[string]string{
		"response_type": "code", "client_id": testClientID, "code_challenge_method": "S256",
		"redirect_uri": "http://localhost:3000/api/auth/callback", "scope": webauth.DefaultScope,
		"audience": "https://api.yourapp.com",
	} {
		if q.Get(k) != want {
			t.Errorf("authorize %s = %q, want %q", k, q.Get(k), want)
		}
	}
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if len(q.Get(k)) < 43 {
			t.Errorf("authorize %s = %q, want 32 random bytes", k, q.Get(k))
		}
	}
	if _, ok := b.cookies[webauth.DefaultTransactionName]; !ok {
		t.Fatal("no transaction cookie after /login")
	}

	rec = e.login(b, "/api/auth/login?returnTo=/dashboard")
	if rec.Code != http.StatusFound || rec.Header().Get("Location") != "http://localhost:3000/dashboard" {
		t.Fatalf("callback: %d → %q, body %s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	if _, ok := b.cookies[webauth.DefaultTransactionName]; ok {
		t.Error("transaction cookie survived the callback")
	}
	if _, ok := b.cookies["appSession"]; !ok {
		t.Fatalf("no appSession cookie; have %v", b.names())
	}

	// client_secret_basic with form-encoded id and secret (RFC 6749 §2.3.1).
	call := e.issuer.lastTokenCall()
	if call.BasicUser != url.QueryEscape(testClientID) || call.BasicPass != url.QueryEscape(testClientSecret) {
		t.Errorf("basic credentials %q:%q not form-encoded", call.BasicUser, call.BasicPass)
	}
	if call.Form.Get("client_secret") != "" {
		t.Error("secret sent in the body with client_secret_basic")
	}

	status, user := e.me(b)
	if status != 200 {
		t.Fatalf("/me status %d", status)
	}
	if user["sub"] != testSub || user["email"] != "jane@example.com" || user["sid"] != "sid-1" {
		t.Errorf("/me user = %v", user)
	}
	for _, k := range []string{"aud", "iss", "iat", "exp", "nonce"} {
		if _, ok := user[k]; ok {
			t.Errorf("/me exposes protocol claim %s", k)
		}
	}
	if rec := b.get(e.app, "/dashboard"); rec.Code != 200 || rec.Body.String() != "Welcome, jane@example.com" {
		t.Errorf("/dashboard: %d %q", rec.Code, rec.Body)
	}
	if rec := b.get(e.app, "/api/protected/data"); rec.Code != 200 || !strings.HasPrefix(rec.Body.String(), "at-") {
		t.Errorf("/api/protected/data: %d %q", rec.Code, rec.Body)
	}
}

func TestSessionContents(t *testing.T) {
	e := newEnv(t)
	b := newBrowser()
	e.mustLogin(b)
	req, _ := http.NewRequest("GET", "/", nil)
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	s, err := e.client.Session(req)
	if err != nil || s == nil {
		t.Fatalf("Session: %v, %v", s, err)
	}
	if s.User.Sub() != testSub || s.User.Name() != "jane@example.com" || s.User.Email() != "jane@example.com" ||
		s.User.Picture() == "" || !s.User.EmailVerified() || !s.User.HasString("https://yourapp.com/roles", "admin") {
		t.Errorf("user accessors: %v", s.User)
	}
	if s.IDToken == "" || !strings.HasPrefix(s.AccessToken, "at-") || !strings.HasPrefix(s.RefreshToken, "rt-") {
		t.Errorf("tokens missing: %+v", s)
	}
	if want := e.clock.Now().Add(86400 * time.Second); !s.AccessTokenExpiresAt.Equal(want) {
		t.Errorf("AccessTokenExpiresAt = %v, want %v", s.AccessTokenExpiresAt, want)
	}
	if s.AccessTokenScope != webauth.DefaultScope {
		t.Errorf("scope = %q", s.AccessTokenScope)
	}
}

func TestClientSecretPost(t *testing.T) {
	e := newEnv(t, func(c *webauth.Config) { c.TokenAuthMethod = webauth.ClientSecretPost })
	b := newBrowser()
	e.mustLogin(b)
	call := e.issuer.lastTokenCall()
	if call.BasicUser != "" || call.Form.Get("client_id") != testClientID || call.Form.Get("client_secret") != testClientSecret {
		t.Errorf("client_secret_post call = %+v", call)
	}
}

func TestSecondLoginRouteParams(t *testing.T) {
	e := newEnv(t)
	b := newBrowser()
	rec := b.get(e.app, "/admin/login")
	u, _ := url.Parse(rec.Header().Get("Location"))
	if got := u.Query().Get("scope"); got != "openid profile email admin:read" {
		t.Errorf("scope = %q", got)
	}
	if rec := e.login(b, "/admin/login"); rec.Header().Get("Location") != "http://localhost:3000/admin" {
		t.Errorf("admin login lands on %q", rec.Header().Get("Location"))
	}
}

func TestCallbackRejects(t *testing.T) {
	tests := []struct {
		name     string
		issuer   func(*fakeIssuer)
		tamper   func(b *browser, callback string) string // returns the callback to request
		wantCode string
	}{
		{name: "state mismatch", tamper: func(_ *browser, cb string) string {
			u, _ := url.Parse(cb)
			q := u.Query()
			q.Set("state", "forged")
			u.RawQuery = q.Encode()
			return u.RequestURI()
		}, wantCode: "state_mismatch"},
		{name: "missing transaction cookie", tamper: func(b *browser, cb string) string {
			delete(b.cookies, webauth.DefaultTransactionName)
			return cb
		}, wantCode: "missing_transaction"},
		{name: "tampered transaction cookie", tamper: func(b *browser, cb string) string {
			c := b.cookies[webauth.DefaultTransactionName]
			c.Value = c.Value[:len(c.Value)-4] + "AAAA"
			return cb
		}, wantCode: "missing_transaction"},
		{name: "issuer error", tamper: func(_ *browser, cb string) string {
			u, _ := url.Parse(cb)
			q := u.Query()
			q.Del("code")
			q.Set("error", "access_denied")
			q.Set("error_description", "Service not found: https://nope")
			u.RawQuery = q.Encode()
			return u.RequestURI()
		}, wantCode: "access_denied"},
		{name: "wrong iss parameter", tamper: func(_ *browser, cb string) string {
			return cb + "&iss=" + url.QueryEscape("https://evil.example/")
		}, wantCode: "issuer_mismatch"},
		{name: "nonce mismatch", issuer: func(f *fakeIssuer) {
			f.mutateIDToken = func(c jwt.MapClaims) { c["nonce"] = "other" }
		}, wantCode: "invalid_id_token"},
		{name: "wrong issuer", issuer: func(f *fakeIssuer) {
			f.mutateIDToken = func(c jwt.MapClaims) { c["iss"] = "https://evil.example/" }
		}, wantCode: "invalid_id_token"},
		{name: "issuer without trailing slash", issuer: func(f *fakeIssuer) {
			f.mutateIDToken = func(c jwt.MapClaims) { c["iss"] = strings.TrimSuffix(c["iss"].(string), "/") }
		}, wantCode: "invalid_id_token"},
		{name: "wrong audience", issuer: func(f *fakeIssuer) {
			f.mutateIDToken = func(c jwt.MapClaims) { c["aud"] = "another-client" }
		}, wantCode: "invalid_id_token"},
		{name: "several audiences without azp", issuer: func(f *fakeIssuer) {
			f.mutateIDToken = func(c jwt.MapClaims) { c["aud"] = []string{testClientID, "another-client"} }
		}, wantCode: "invalid_id_token"},
		{name: "expired beyond leeway", issuer: func(f *fakeIssuer) {
			f.mutateIDToken = func(c jwt.MapClaims) { c["exp"] = f.clock.Now().Add(-61 * time.Second).Unix() }
		}, wantCode: "invalid_id_token"},
		{name: "HS256 refused", issuer: func(f *fakeIssuer) { f.signingMethod = "HS256" }, wantCode: "invalid_id_token"},
		{name: "missing nonce", issuer: func(f *fakeIssuer) {
			f.mutateIDToken = func(c jwt.MapClaims) { delete(c, "nonce") }
		}, wantCode: "invalid_id_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.issuer != nil {
				e.issuer.set(tt.issuer)
			}
			b := newBrowser()
			cb := e.authorize(b, "/api/auth/login")
			if tt.tamper != nil {
				cb = tt.tamper(b, cb)
			}
			rec := b.do(e.app, "GET", cb, http.Header{"Accept": {"application/json"}})
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status %d, body %s", rec.Code, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), `"error":"`+tt.wantCode+`"`) {
				t.Errorf("body %s, want error %s", rec.Body, tt.wantCode)
			}
			if strings.Contains(rec.Body.String(), "eyJ") || strings.Contains(rec.Body.String(), "at-") {
				t.Errorf("error body leaks a token: %s", rec.Body)
			}
			if _, ok := b.cookies["appSession"]; ok {
				t.Error("a session was created")
			}
			if _, ok := b.cookies[webauth.DefaultTransactionName]; ok {
				t.Error("transaction cookie not cleared")
			}
		})
	}
}

func TestExpiredIDTokenWithinLeewayAccepted(t *testing.T) {
	e := newEnv(t)
	e.issuer.set(func(f *fakeIssuer) {
		f.mutateIDToken = func(c jwt.MapClaims) { c["exp"] = f.clock.Now().Add(-59 * time.Second).Unix() }
	})
	b := newBrowser()
	e.mustLogin(b)
}

func TestCallbackErrorPageIsHTMLAndEscaped(t *testing.T) {
	e := newEnv(t)
	b := newBrowser()
	cb := e.authorize(b, "/api/auth/login")
	u, _ := url.Parse(cb)
	q := u.Query()
	q.Set("error", "access_denied")
	q.Set("error_description", "<script>alert(1)</script>")
	u.RawQuery = q.Encode()
	rec := b.get(e.app, u.RequestURI())
	if rec.Code != 400 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("status %d type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if strings.Contains(rec.Body.String(), "<script>") {
		t.Error("issuer text not escaped")
	}
}

func TestAfterCallback(t *testing.T) {
	t.Run("modifies the session", func(t *testing.T) {
		e := newEnv(t, func(c *webauth.Config) {
			c.AfterCallback = func(_ context.Context, s *webauth.Session, _ *http.Request) (*webauth.Session, error) {
				s.User["db_id"] = "42"
				return s, nil
			}
		})
		b := newBrowser()
		e.mustLogin(b)
		if _, user := e.me(b); user["db_id"] != "42" {
			t.Errorf("user = %v", user)
		}
	})
	t.Run("error fails the callback", func(t *testing.T) {
		e := newEnv(t, func(c *webauth.Config) {
			c.AfterCallback = func(context.Context, *webauth.Session, *http.Request) (*webauth.Session, error) {
				return nil, errors.New("database down: secret detail")
			}
		})
		b := newBrowser()
		rec := e.login(b, "/api/auth/login")
		if rec.Code != 400 || strings.Contains(rec.Body.String(), "secret detail") {
			t.Errorf("status %d body %s", rec.Code, rec.Body)
		}
		if _, ok := b.cookies["appSession"]; ok {
			t.Error("session created despite the hook's error")
		}
	})
}
