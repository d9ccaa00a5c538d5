package webauth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/sdk/webauth"
)

// accessToken calls AccessToken with the browser's cookies and applies the Set-Cookie answer.
func accessToken(e *env, b *browser, opts webauth.AccessTokenOptions) (string, error) {
	var tok string
	var err error
	b.do(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, err = e.client.AccessToken(w, r, opts)
	}), "GET", "/", nil)
	return tok, err
}

func wantCode(t *testing.T, err error, code string) *webauth.AccessTokenError {
	t.Helper()
	var ae *webauth.AccessTokenError
	if !errors.As(err, &ae) || ae.Code != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
	return ae
}

func TestAccessTokenValidNotRefreshed(t *testing.T) {
	e := newEnv(t)
	b := newBrowser()
	e.mustLogin(b)
	s := mustSession(t, e, b)
	tok, err := accessToken(e, b, webauth.AccessTokenOptions{})
	if err != nil || tok != s.AccessToken {
		t.Fatalf("AccessToken = %q, %v", tok, err)
	}
	if e.issuer.refreshCalls != 0 {
		t.Error("refreshed a valid token")
	}
}

func TestAccessTokenRefreshRotates(t *testing.T) {
	e := newEnv(t)
	b := newBrowser()
	e.mustLogin(b)
	before := mustSession(t, e, b)

	e.clock.Advance(24*time.Hour - 30*time.Second) // expires within the 60 s window
	tok, err := accessToken(e, b, webauth.AccessTokenOptions{})
	if err != nil || tok == before.AccessToken {
		t.Fatalf("AccessToken = %q, %v; want a new token", tok, err)
	}
	after := mustSession(t, e, b)
	if after.AccessToken != tok || after.RefreshToken == before.RefreshToken || after.RefreshToken == "" {
		t.Errorf("rotated tokens not stored: %+v", after)
	}
	if !e.issuer.refreshTokenValid(after.RefreshToken) || e.issuer.refreshTokenValid(before.RefreshToken) {
		t.Error("stored refresh token is not the issuer's current one")
	}
	if want := e.clock.Now().Add(86400 * time.Second); !after.AccessTokenExpiresAt.Equal(want) {
		t.Errorf("new expiry %v, want %v", after.AccessTokenExpiresAt, want)
	}
	if after.IDToken == before.IDToken || after.User.Sub() != testSub {
		t.Error("refreshed ID token not stored")
	}

	// Forced refresh uses the rotated token.
	tok2, err := accessToken(e, b, webauth.AccessTokenOptions{Refresh: true})
	if err != nil || tok2 == tok {
		t.Fatalf("forced refresh = %q, %v", tok2, err)
	}
	if got := e.issuer.lastTokenCall().Form.Get("refresh_token"); got != after.RefreshToken {
		t.Errorf("refresh used %q, want the rotated token", got)
	}
}

func TestAccessTokenRefreshKeepsOldRefreshToken(t *testing.T) {
	e := newEnv(t)
	e.issuer.set(func(f *fakeIssuer) { f.rotate = false })
	b := newBrowser()
	e.mustLogin(b)
	before := mustSession(t, e, b)
	if _, err := accessToken(e, b, webauth.AccessTokenOptions{Refresh: true}); err != nil {
		t.Fatal(err)
	}
	after := mustSession(t, e, b)
	if after.RefreshToken != before.RefreshToken || after.AccessToken == before.AccessToken {
		t.Errorf("refresh token %q, want the old %q kept", after.RefreshToken, before.RefreshToken)
	}
}

func TestAccessTokenErrors(t *testing.T) {
	t.Run("missing session", func(t *testing.T) {
		e := newEnv(t)
		_, err := accessToken(e, newBrowser(), webauth.AccessTokenOptions{})
		wantCode(t, err, webauth.ErrCodeMissingSession)
	})
	t.Run("expired without refresh token", func(t *testing.T) {
		e := newEnv(t, func(c *webauth.Config) { c.Scope = "openid profile email" })
		e.issuer.set(func(f *fakeIssuer) { f.expiresIn = 3600 })
		b := newBrowser()
		e.mustLogin(b)
		if _, err := accessToken(e, b, webauth.AccessTokenOptions{}); err != nil {
			t.Fatalf("valid token: %v", err)
		}
		_, err := accessToken(e, b, webauth.AccessTokenOptions{Refresh: true})
		wantCode(t, err, webauth.ErrCodeMissingRefreshToken)
		e.clock.Advance(time.Hour + time.Second)
		_, err = accessToken(e, b, webauth.AccessTokenOptions{})
		wantCode(t, err, webauth.ErrCodeExpiredAccessToken)
	})
	t.Run("refresh rejected", func(t *testing.T) {
		for _, status := range []int{403, 400} {
			e := newEnv(t)
			b := newBrowser()
			e.mustLogin(b)
			before := mustSession(t, e, b)
			e.issuer.set(func(f *fakeIssuer) { f.refreshStatus = status })
			_, err := accessToken(e, b, webauth.AccessTokenOptions{Refresh: true})
			ae := wantCode(t, err, webauth.ErrCodeFailedRefreshGrant)
			var te *webauth.TokenError
			if !errors.As(ae, &te) || te.Status != status || te.Code != "invalid_grant" || te.Description != "Unknown or invalid refresh token." {
				t.Errorf("cause = %#v", ae.Err)
			}
			if after := mustSession(t, e, b); after.AccessToken != before.AccessToken {
				t.Error("failed refresh changed the session")
			}
		}
	})
	t.Run("insufficient scope", func(t *testing.T) {
		e := newEnv(t)
		b := newBrowser()
		e.mustLogin(b)
		_, err := accessToken(e, b, webauth.AccessTokenOptions{Scopes: []string{"admin:read"}})
		wantCode(t, err, webauth.ErrCodeInsufficientScope)
	})
}

// Two requests of one browser refreshing at once must not both spend the rotating refresh
// token (the second use would be reuse and revoke the family).
func TestAccessTokenConcurrentRefreshCollapses(t *testing.T) {
	e := newEnv(t)
	b := newBrowser()
	e.mustLogin(b)
	req := httptest.NewRequest("GET", "/", nil)
	for _, c := range b.cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.client.AccessToken(httptest.NewRecorder(), req.Clone(req.Context()), webauth.AccessTokenOptions{Refresh: true})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	// Callers joined the one grant in flight or reused its fresh result.
	e.issuer.mu.Lock()
	calls := e.issuer.refreshCalls
	e.issuer.mu.Unlock()
	if calls != 1 {
		t.Errorf("refresh calls = %d, want 1", calls)
	}
}

func TestAccessTokenInsideRequireAuthUpdatesContext(t *testing.T) {
	e := newEnv(t)
	b := newBrowser()
	e.issuer.set(func(f *fakeIssuer) { f.expiresIn = 3600 })
	e.mustLogin(b)
	e.clock.Advance(time.Hour)
	var fromCtx, returned string
	h := e.client.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		if returned, err = e.client.AccessToken(w, r, webauth.AccessTokenOptions{}); err != nil {
			t.Error(err)
		}
		s, _ := webauth.SessionFrom(r.Context())
		fromCtx = s.AccessToken
	}))
	rec := b.get(h, "/dashboard")
	if returned == "" || fromCtx != returned {
		t.Errorf("context session %q, returned %q", fromCtx, returned)
	}
	if n := len(rec.Header()["Set-Cookie"]); n != 1 {
		t.Errorf("%d Set-Cookie headers, want one (touch replaced by the refreshed session)", n)
	}
}
